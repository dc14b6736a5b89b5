// imapflow errors → AppError, keyed on structured fields (never on message text, which differs
// between servers and may echo input).
import { AppError } from '../errors';

interface ImapErrorFields {
  code?: unknown;
  tlsFailed?: unknown;
  authenticationFailed?: unknown;
  responseStatus?: unknown;
  serverResponseCode?: unknown;
  throttleReset?: unknown;
}

function fields(error: unknown): ImapErrorFields {
  return typeof error === 'object' && error !== null ? (error as ImapErrorFields) : {};
}

export function isAuthenticationFailure(error: unknown): boolean {
  return fields(error).authenticationFailed === true;
}

/** The server answered NO to a command (as opposed to the connection failing). */
/** TLS was required (no implicit TLS, not loopback) and the server could not provide it. */
export function isTlsFailure(error: unknown): boolean {
  return fields(error).tlsFailed === true;
}

export function isServerRefusal(error: unknown): boolean {
  return fields(error).responseStatus === 'NO';
}

/** Errors that mean the connection itself is gone or unusable. */
const CONNECTION_CODES = new Set([
  'NoConnection',
  'EConnectionClosed',
  'StateLogout',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'ETIMEOUT',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ECONNRESET',
  'EPIPE',
]);

export function isConnectionError(error: unknown): boolean {
  const f = fields(error);
  return (typeof f.code === 'string' && CONNECTION_CODES.has(f.code)) || f.responseStatus === 'BYE';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPROTO', 'ETHROTTLE', 'LockTimeout']);

/** Raised by imapflow or the socket under it (as opposed to our own code, the database…). */
export function isImapError(error: unknown): boolean {
  const f = fields(error);
  if (f.authenticationFailed !== undefined || f.tlsFailed !== undefined || f.responseStatus !== undefined || f.serverResponseCode !== undefined) return true;
  if (typeof f.code !== 'string') return false;
  return CONNECTION_CODES.has(f.code) || NETWORK_CODES.has(f.code) || f.code.startsWith('ERR_TLS') || f.code.startsWith('ERR_SSL') || f.code.startsWith('ParserError');
}

/**
 * Anything from IMAP that is not already an AppError becomes a 503: the server or the network is
 * failing, and the client may retry. Microsoft 365's throttling carries how long to wait.
 */
export function toAppError(error: unknown, what = 'The mail server'): AppError {
  if (error instanceof AppError) return error;
  const f = fields(error);
  if (f.code === 'ETHROTTLE') {
    const ms = typeof f.throttleReset === 'number' ? f.throttleReset : 30_000;
    return new AppError('upstream_unavailable', `${what} is throttling requests; try again shortly`, {
      retryAfter: Math.max(1, Math.ceil(ms / 1000)),
      cause: error,
    });
  }
  return new AppError('upstream_unavailable', `${what} is temporarily unavailable; try again shortly`, { cause: error });
}

/** A short, secret-free label for logs. */
export function errorLabel(error: unknown): string {
  const f = fields(error);
  if (typeof f.code === 'string') return f.code;
  if (typeof f.serverResponseCode === 'string') return f.serverResponseCode;
  if (typeof f.responseStatus === 'string') return f.responseStatus;
  return error instanceof Error ? error.name : 'unknown';
}
