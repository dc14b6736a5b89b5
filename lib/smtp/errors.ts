// What an SMTP failure means, from nodemailer's structured fields: its `code` (EAUTH, ETLS,
// ECONNECTION, EENVELOPE, EMESSAGE…), the reply's `responseCode`, and the enhanced status code
// (RFC 3463, e.g. `5.7.139`) at the start of the reply text — a structured part of the reply, not
// wording. Pure: no I/O.
import { AppError } from '../errors';

export type SmtpFailureKind =
  /** 535 5.7.139: SMTP AUTH is disabled for the tenant or the mailbox (Microsoft 365). */
  | 'auth_disabled'
  /** The server refused the login (535 5.7.3 for a token Exchange does not accept). */
  | 'auth_rejected'
  /** No STARTTLS offered, or a certificate that does not validate. */
  | 'tls'
  /** Every recipient refused (550 5.1.x…). */
  | 'recipients_rejected'
  /** The message itself refused permanently (size, policy, send-as). */
  | 'message_rejected'
  /** Temporary: 4xx replies, connection refused or dropped, timeouts, DNS. */
  | 'unavailable'
  | 'unknown';

export interface SmtpFailure {
  kind: SmtpFailureKind;
  responseCode?: number;
  /** Enhanced status code, e.g. "5.7.139". */
  status?: string;
}

interface NodemailerErrorFields {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  cause?: unknown;
}

const ENHANCED = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/;
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_)/;
const UNAVAILABLE_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** The enhanced status code of an SMTP reply line ("535 5.7.139 Authentication unsuccessful…"). */
export function enhancedStatus(response: unknown): string | undefined {
  return typeof response === 'string' ? ENHANCED.exec(response.trim())?.[1] : undefined;
}

/**
 * nodemailer reports a failed certificate check as a plain ESOCKET and drops Node's code
 * (DEPTH_ZERO_SELF_SIGNED_CERT…), keeping only OpenSSL's fixed verify-error strings
 * (X509_verify_cert_error_string) and Node's altname mismatch: those are recognized here.
 */
const CERTIFICATE_MESSAGES = /certificate|altnames|unable to get (local )?issuer|unable to verify/i;

function tlsCause(error: NodemailerErrorFields): boolean {
  const message = (error as { message?: unknown }).message;
  if (error.code === 'ESOCKET' && typeof message === 'string' && CERTIFICATE_MESSAGES.test(message)) return true;
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as NodemailerErrorFields).cause, depth++) {
    const code = (e as NodemailerErrorFields).code;
    if (typeof code === 'string' && TLS_CODES.test(code)) return true;
  }
  return false;
}

export function classifySmtpError(error: unknown): SmtpFailure {
  if (!error || typeof error !== 'object') return { kind: 'unknown' };
  const e = error as NodemailerErrorFields;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const status = enhancedStatus(e.response);
  const base = { ...(responseCode !== undefined ? { responseCode } : {}), ...(status !== undefined ? { status } : {}) };
  if (status === '5.7.139') return { kind: 'auth_disabled', ...base };
  if (code === 'EAUTH' || (responseCode === 535 && code !== 'EENVELOPE')) return { kind: 'auth_rejected', ...base };
  if (code === 'ETLS' || tlsCause(e)) return { kind: 'tls', ...base };
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return { kind: 'unavailable', ...base };
  if (code === 'EENVELOPE') return { kind: 'recipients_rejected', ...base };
  if (code === 'EMESSAGE' || (responseCode !== undefined && responseCode >= 500)) return { kind: 'message_rejected', ...base };
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return { kind: 'unavailable', ...base };
  return { kind: 'unknown', ...base };
}

export const SMTP_AUTH_DISABLED_MESSAGE =
  'Microsoft 365 refused to let this mailbox send over SMTP: SMTP AUTH is turned off for the mailbox or its organization (5.7.139). ' +
  'An Exchange administrator must enable "Authenticated SMTP" for this mailbox (Microsoft 365 admin center → Users → the user → Mail → Manage email apps), ' +
  'and the organization must allow it (Set-TransportConfig -SmtpClientAuthenticationDisabled $false). Then send again.';

/** The 409 for 5.7.139: only the owner (or their administrator) can fix it; never retried. */
export function smtpAuthDisabled(): AppError {
  return new AppError('needs_reauth', SMTP_AUTH_DISABLED_MESSAGE);
}

/** An AppError for a failure that is not about the login (the caller handles those). */
export function toSendError(failure: SmtpFailure, what = 'The mail server'): AppError {
  const status = failure.status ? ` (${failure.status})` : '';
  switch (failure.kind) {
    case 'auth_disabled':
      return smtpAuthDisabled();
    case 'tls':
      return new AppError('upstream_unavailable', `${what} did not offer a valid TLS connection; nothing was sent`, { retryAfter: 60 });
    case 'recipients_rejected':
      return new AppError('invalid_request', `${what} refused the recipients${status}; check the addresses`);
    case 'message_rejected':
      return new AppError('invalid_request', `${what} refused the message${status}`);
    case 'auth_rejected':
      return new AppError('upstream_unavailable', `${what} refused the sign-in; try again shortly`, { retryAfter: 30 });
    case 'unavailable':
    case 'unknown':
      return new AppError('upstream_unavailable', `${what} is not answering; try again shortly`, { retryAfter: 30 });
  }
}
