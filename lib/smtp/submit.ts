// Submitting a built message (SPEC §5.6 applied to SMTP). Microsoft mailboxes authenticate with
// SASL XOAUTH2 using an access token for SMTP.Send minted from the mailbox's refresh token; when
// the server rejects it (535), the token layer is told which token was rejected (it discards it
// and refreshes once) and the submission is retried once. Authentication fails before MAIL FROM,
// so the retry can never send twice. 535 5.7.139 (SMTP AUTH disabled) is the owner's to fix and is
// never retried. Password mailboxes log in with their own SMTP password.
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { resolvePublicHost, type Lookup } from '../imap/host-policy';
import type { EnsureFreshToken } from '../imap/types';
import { withSendConsent } from './consent';
import { classifySmtpError, smtpAuthDisabled, toSendError } from './errors';
import { createSmtpTransport, type SmtpAuth, type SmtpEndpoint, type SmtpTimeouts, type SmtpTlsOptions } from './transport';

export interface PasswordSmtpServer {
  host: string;
  port: number;
  secure: boolean;
  username: string;
  password: string;
}

export type SmtpAccount =
  | { kind: 'oauth2'; credentialId: string; email: string }
  | { kind: 'password'; credentialId: string; email: string; server: () => PasswordSmtpServer | null };

export interface SubmitDeps {
  ensureFreshToken: EnsureFreshToken;
  /** SMTP_HOST / SMTP_PORT / SMTP_SECURE: where Microsoft mailboxes submit. */
  oauthEndpoint: SmtpEndpoint;
  log: Logger;
  tls?: SmtpTlsOptions;
  timeouts?: SmtpTimeouts;
  /** Password mailboxes may name loopback/private hosts (development, tests); default: no. */
  allowPrivateHosts?: boolean;
  lookup?: Lookup;
}

export interface OutgoingMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface SubmitResult {
  accepted: string[];
  rejected: string[];
}

const SIGN_IN_REFUSED = 'The mail server refused the sign-in for sending; try again shortly';

async function sendOnce(deps: SubmitDeps, endpoint: SmtpEndpoint, auth: SmtpAuth, message: OutgoingMessage): Promise<SubmitResult> {
  const transport = createSmtpTransport({ endpoint, auth, ...(deps.tls ? { tls: deps.tls } : {}), ...(deps.timeouts ? { timeouts: deps.timeouts } : {}) });
  try {
    const info = await transport.sendMail({ envelope: message.envelope, raw: message.raw });
    const list = (v: unknown) => (Array.isArray(v) ? v.map((a) => (typeof a === 'string' ? a : String((a as { address?: unknown }).address ?? ''))) : []);
    return { accepted: list(info.accepted), rejected: list(info.rejected) };
  } finally {
    transport.close();
  }
}

async function submitOauth(deps: SubmitDeps, account: Extract<SmtpAccount, { kind: 'oauth2' }>, message: OutgoingMessage, returnTo?: string): Promise<SubmitResult> {
  const { credentialId, email } = account;
  const mint = (options?: { rejectedToken: string }) =>
    withSendConsent({ accountId: credentialId, returnTo, mint: () => deps.ensureFreshToken(credentialId, 'smtp', options) });
  const first = await mint();
  try {
    return await sendOnce(deps, deps.oauthEndpoint, { user: email, accessToken: first.accessToken }, message);
  } catch (error) {
    const failure = classifySmtpError(error);
    if (failure.kind === 'auth_disabled') {
      deps.log.warn({ credentialId, outcome: 'smtp_auth_disabled' }, 'SMTP AUTH is disabled for this mailbox (5.7.139)');
      throw smtpAuthDisabled();
    }
    if (failure.kind !== 'auth_rejected') throw toSendError(failure);
  }
  deps.log.info({ credentialId, outcome: 'xoauth2_rejected' }, 'SMTP rejected the access token; refreshing once');
  const second = await mint({ rejectedToken: first.accessToken });
  try {
    return await sendOnce(deps, deps.oauthEndpoint, { user: email, accessToken: second.accessToken }, message);
  } catch (error) {
    const failure = classifySmtpError(error);
    if (failure.kind === 'auth_disabled') throw smtpAuthDisabled();
    if (failure.kind !== 'auth_rejected') throw toSendError(failure);
    deps.log.warn({ credentialId, outcome: 'xoauth2_rejected_twice' }, 'SMTP rejected a freshly refreshed token');
    throw new AppError('upstream_unavailable', SIGN_IN_REFUSED, { retryAfter: 30 });
  }
}

async function passwordEndpoint(deps: Pick<SubmitDeps, 'allowPrivateHosts' | 'lookup'>, server: PasswordSmtpServer): Promise<SmtpEndpoint> {
  const endpoint: SmtpEndpoint = { host: server.host, port: server.port, secure: server.secure };
  if (deps.allowPrivateHosts) return endpoint;
  return { ...endpoint, address: await resolvePublicHost(server.host, deps.lookup) };
}

async function submitPassword(deps: SubmitDeps, account: Extract<SmtpAccount, { kind: 'password' }>, message: OutgoingMessage): Promise<SubmitResult> {
  let server: PasswordSmtpServer | null;
  try {
    server = account.server();
  } catch {
    deps.log.error({ credentialId: account.credentialId }, 'stored SMTP password could not be opened');
    throw new AppError('needs_reauth', 'The mailbox must be added again with its SMTP password');
  }
  if (!server) throw new AppError('invalid_request', 'This mailbox has no outgoing (SMTP) server; add it again with its SMTP settings to send');
  const endpoint = await passwordEndpoint(deps, server);
  try {
    return await sendOnce(deps, endpoint, { user: server.username, pass: server.password }, message);
  } catch (error) {
    const failure = classifySmtpError(error);
    if (failure.kind === 'auth_rejected' || failure.kind === 'auth_disabled') {
      deps.log.warn({ credentialId: account.credentialId, outcome: 'smtp_password_rejected' }, 'SMTP rejected the stored password');
      throw new AppError('needs_reauth', 'The outgoing mail server refused the stored password; add the mailbox again');
    }
    throw toSendError(failure, 'The outgoing mail server');
  }
}

export function submitMessage(deps: SubmitDeps, account: SmtpAccount, message: OutgoingMessage, options: { returnTo?: string } = {}): Promise<SubmitResult> {
  return account.kind === 'oauth2' ? submitOauth(deps, account, message, options.returnTo) : submitPassword(deps, account, message);
}

/** Checks an SMTP login without sending (adding a password mailbox). Every failure is a 400. */
export async function verifySmtpLogin(deps: Pick<SubmitDeps, 'tls' | 'timeouts' | 'allowPrivateHosts' | 'lookup'>, server: PasswordSmtpServer): Promise<void> {
  const endpoint = await passwordEndpoint(deps, server);
  const transport = createSmtpTransport({ endpoint, auth: { user: server.username, pass: server.password }, ...(deps.tls ? { tls: deps.tls } : {}), ...(deps.timeouts ? { timeouts: deps.timeouts } : {}) });
  try {
    await transport.verify();
  } catch (error) {
    const failure = classifySmtpError(error);
    if (failure.kind === 'auth_rejected' || failure.kind === 'auth_disabled') throw new AppError('invalid_request', 'The outgoing mail server rejected that username or password');
    if (failure.kind === 'tls') throw new AppError('invalid_request', 'The outgoing mail server does not offer TLS with a valid certificate; passwords are never sent unencrypted');
    throw new AppError('invalid_request', `Could not reach an SMTP server at ${server.host}:${server.port}; check the host, port and TLS setting`);
  } finally {
    transport.close();
  }
}
