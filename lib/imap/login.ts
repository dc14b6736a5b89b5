// Opening an authenticated session (SPEC §5.6). OAuth mailboxes log in with SASL XOAUTH2 as the
// mailbox address; when the server rejects the token, the token layer is told which token was
// rejected (it discards it and refreshes once), and the login is retried once. If the refreshed
// token is rejected too, the credential cools down (RefreshCooldown): a rejected login within the
// next minute fails at once, without another refresh. Password mailboxes log in with the stored
// password.
import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { createClient, type ClientTimeouts, type Endpoint, type ClientAuth } from './client';
import { resolvePublicHost, type Lookup } from './host-policy';
import { errorLabel, isAuthenticationFailure, isTlsFailure, toAppError } from './errors';
import type { RefreshCooldown } from './refresh-cooldown';
import type { EnsureFreshToken, ImapAccount, PasswordServer } from './types';

export interface LoginDeps {
  ensureFreshToken: EnsureFreshToken;
  /** IMAP endpoint for Microsoft mailboxes (IMAP_HOST / IMAP_PORT / IMAP_SECURE). */
  oauthEndpoint: Endpoint;
  log: Logger;
  timeouts?: ClientTimeouts;
  /** A stored password was refused: the owner must enter it again. */
  onPasswordRejected?: (credentialId: string) => Promise<void>;
  /** Password mailboxes may name loopback/private hosts (development, tests); default: no. */
  allowPrivateHosts?: boolean;
  /** Resolves password mailbox hosts (default: the system resolver). */
  lookup?: Lookup;
  /** Credentials whose fresh tokens were rejected lately (createImapService keeps one per pool). */
  refreshCooldown?: RefreshCooldown;
}

const SIGN_IN_REFUSED = 'The mail server refused the sign-in; try again shortly';

/**
 * Where a password mailbox connects: the address its host resolved to once and was checked at,
 * so a second DNS answer cannot point the connection elsewhere. Unchecked when private hosts are
 * allowed (then the client resolves the name itself).
 */
async function passwordEndpoint(deps: Pick<LoginDeps, 'allowPrivateHosts' | 'lookup'>, server: PasswordServer): Promise<Endpoint> {
  const endpoint: Endpoint = { host: server.host, port: server.port, secure: server.secure };
  if (deps.allowPrivateHosts) return endpoint;
  return { ...endpoint, address: await resolvePublicHost(server.host, deps.lookup) };
}

export interface SessionOptions {
  /** The session IDLEs whenever it is free (a mailbox watcher's own session, never a pooled one). */
  idle?: boolean;
}

async function connect(deps: LoginDeps, endpoint: Endpoint, auth: ClientAuth, options: SessionOptions = {}): Promise<ImapFlow> {
  const client = createClient({ endpoint, auth, log: deps.log, ...(deps.timeouts ? { timeouts: deps.timeouts } : {}), ...(options.idle ? { idle: true } : {}) });
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
}

async function loginOauth(deps: LoginDeps, account: Extract<ImapAccount, { kind: 'oauth2' }>, options: SessionOptions): Promise<ImapFlow> {
  const { credentialId, email } = account;
  const cooldown = deps.refreshCooldown;
  const first = await deps.ensureFreshToken(credentialId, 'imap');
  try {
    const client = await connect(deps, deps.oauthEndpoint, { user: email, accessToken: first.accessToken }, options);
    cooldown?.clear(credentialId);
    return client;
  } catch (error) {
    if (!isAuthenticationFailure(error)) throw toAppError(error);
  }
  const wait = cooldown?.remainingSeconds(credentialId) ?? 0;
  if (wait > 0) {
    deps.log.info({ credentialId, outcome: 'xoauth2_rejected_cooling_down', retryAfter: wait }, 'IMAP rejected the token again soon after a refreshed one; not refreshing');
    throw new AppError('upstream_unavailable', SIGN_IN_REFUSED, { retryAfter: wait });
  }
  deps.log.info({ credentialId, outcome: 'xoauth2_rejected' }, 'IMAP rejected the access token; refreshing once');
  // Throws needs_reauth when the grant is gone, upstream_unavailable when Microsoft is failing.
  const second = await deps.ensureFreshToken(credentialId, 'imap', { rejectedToken: first.accessToken });
  try {
    const client = await connect(deps, deps.oauthEndpoint, { user: email, accessToken: second.accessToken }, options);
    cooldown?.clear(credentialId);
    return client;
  } catch (error) {
    if (!isAuthenticationFailure(error)) throw toAppError(error);
    deps.log.warn({ credentialId, outcome: 'xoauth2_rejected_twice' }, 'IMAP rejected a freshly refreshed token');
    throw new AppError('upstream_unavailable', SIGN_IN_REFUSED, { retryAfter: cooldown?.start(credentialId) ?? 30 });
  }
}

async function loginPassword(deps: LoginDeps, account: Extract<ImapAccount, { kind: 'password' }>, options: SessionOptions): Promise<ImapFlow> {
  let server: PasswordServer;
  try {
    server = account.server();
  } catch (error) {
    // The sealed password cannot be opened (key retired, row tampered): only the owner can fix it.
    deps.log.error({ credentialId: account.credentialId, err: errorLabel(error) }, 'stored IMAP password could not be opened');
    throw new AppError('needs_reauth', 'The mailbox password must be entered again');
  }
  const endpoint = await passwordEndpoint(deps, server);
  try {
    return await connect(deps, endpoint, { user: server.username, pass: server.password }, options);
  } catch (error) {
    if (!isAuthenticationFailure(error)) throw toAppError(error);
    deps.log.warn({ credentialId: account.credentialId, outcome: 'password_rejected' }, 'IMAP rejected the stored password');
    await deps.onPasswordRejected?.(account.credentialId);
    throw new AppError('needs_reauth', 'The mail server refused the stored password; enter it again');
  }
}

export function openSession(deps: LoginDeps, account: ImapAccount, options: SessionOptions = {}): Promise<ImapFlow> {
  return account.kind === 'oauth2' ? loginOauth(deps, account, options) : loginPassword(deps, account, options);
}

/** Checks a password login without keeping the session (adding a mailbox). */
export async function verifyPasswordLogin(deps: Pick<LoginDeps, 'log' | 'timeouts' | 'allowPrivateHosts' | 'lookup'>, server: PasswordServer): Promise<void> {
  const endpoint = await passwordEndpoint(deps, server);
  const client = createClient({
    endpoint,
    auth: { user: server.username, pass: server.password },
    log: deps.log,
    verifyOnly: true,
    ...(deps.timeouts ? { timeouts: deps.timeouts } : {}),
  });
  try {
    await client.connect();
  } catch (error) {
    if (isAuthenticationFailure(error)) {
      throw new AppError('invalid_request', 'The mail server rejected that username or password');
    }
    if (isTlsFailure(error)) {
      throw new AppError('invalid_request', 'The mail server does not offer TLS (STARTTLS); passwords are never sent unencrypted');
    }
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOTFOUND' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || (typeof code === 'string' && code.startsWith('ERR_TLS')) || code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
      throw new AppError('invalid_request', `Could not reach an IMAP server at ${server.host}:${server.port}; check the host, port and TLS setting`);
    }
    throw toAppError(error, 'The mail server');
  } finally {
    client.close();
  }
}
