// Builds imapflow clients. imapflow's own logger is replaced by a narrow adapter: it forwards
// warnings and errors by code only, so no protocol line (which could carry a credential or
// message content) is ever logged.
import { isIP } from 'node:net';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Logger } from 'pino';

export interface Endpoint {
  host: string;
  port: number;
  secure: boolean;
  /**
   * The address to connect to, already resolved and checked (host-policy.ts): the client does
   * not resolve `host` again. TLS (direct or STARTTLS) still verifies the certificate, and sends
   * SNI, for `host`.
   */
  address?: string;
}

export type ClientAuth = { user: string; accessToken: string } | { user: string; pass: string };

export interface ClientTimeouts {
  connectMs: number;
  greetingMs: number;
  socketMs: number;
}

export const DEFAULT_TIMEOUTS: ClientTimeouts = { connectMs: 10_000, greetingMs: 10_000, socketMs: 120_000 };

type ImapLogger = Exclude<ImapFlowOptions['logger'], false | undefined>;

// imapflow's `msg` can be a raw server line (an unparseable response, message content), so only
// an error code that looks like one travels on.
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** Pure: what a warning or error entry from imapflow may put in the log. */
export function imapLogFields(entry: unknown): { code?: string } {
  const err = typeof entry === 'object' && entry !== null ? (entry as { err?: unknown }).err : undefined;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && ERROR_CODE.test(code) ? { code } : {};
}

const FORWARDED_LEVELS = new Set(['warn', 'error', 'fatal']);

/**
 * The logger handed to imapflow. `isLevelEnabled` matters for speed: without it imapflow counts
 * every level with a method as enabled and re-serializes each command and each FETCH response
 * for a trace/debug entry that is then dropped (measured: about a third of a reused-session
 * inbox page).
 */
export function quietLogger(log: Logger): ImapLogger & { isLevelEnabled(level: string): boolean } {
  const forward = (level: 'warn' | 'error') => (entry: unknown) => {
    log[level](imapLogFields(entry), 'imapflow');
  };
  const drop = () => {};
  return {
    trace: drop,
    debug: drop,
    info: drop,
    warn: forward('warn'),
    error: forward('error'),
    fatal: forward('error'),
    isLevelEnabled: (level) => FORWARDED_LEVELS.has(level),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Pure: where imapflow connects, the name TLS checks, and whether STARTTLS is required. */
export function connectTarget(endpoint: Endpoint): Pick<ImapFlowOptions, 'host' | 'servername' | 'doSTARTTLS'> {
  const host = endpoint.address ?? endpoint.host;
  return {
    host,
    // imapflow passes servername to tls.connect for direct TLS and for the STARTTLS upgrade; an
    // IP literal needs none (imapflow verifies the certificate against the IP then).
    ...(host !== endpoint.host && !isIP(endpoint.host) ? { servername: endpoint.host } : {}),
    // Without implicit TLS, STARTTLS is required: credentials never cross a network in clear.
    // Loopback (a local server, tests) is the one place cleartext is fine.
    ...(endpoint.secure ? {} : { doSTARTTLS: !isLoopback(host) }),
  };
}

export function createClient(options: { endpoint: Endpoint; auth: ClientAuth; log: Logger; timeouts?: ClientTimeouts; verifyOnly?: boolean; idle?: boolean }): ImapFlow {
  const { endpoint, auth, log } = options;
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const client = new ImapFlow({
    ...connectTarget(endpoint),
    port: endpoint.port,
    secure: endpoint.secure,
    auth,
    logger: quietLogger(log),
    clientInfo: { name: 'mailbridge' },
    // Sessions sit in a pool between requests; IDLE would only add a round trip to each command.
    // A mailbox watcher's own session (`idle`) is the exception: it idles whenever it is free.
    disableAutoIdle: !options.idle,
    ...(options.idle ? { autoIdleDelay: 0 } : {}),
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    ...(options.verifyOnly ? { verifyOnly: true } : {}),
  });
  // An unhandled 'error' event would crash the process; the pool learns of failures via 'close'.
  client.on('error', (error: unknown) => {
    log.debug({ code: (error as { code?: unknown }).code }, 'imap connection error');
  });
  return client;
}

/** A polite LOGOUT, but never wait long for it: a session that does not answer is closed. */
export async function logoutQuietly(client: ImapFlow): Promise<void> {
  if (!client.usable) {
    client.close();
    return;
  }
  const timer = setTimeout(() => client.close(), 2_000);
  timer.unref();
  try {
    await client.logout();
  } catch {
    client.close();
  } finally {
    clearTimeout(timer);
  }
}
