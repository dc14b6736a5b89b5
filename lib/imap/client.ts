// Builds imapflow clients. imapflow's own logger is replaced by a narrow adapter: it forwards
// warnings and errors by code only, so no protocol line (which could carry a credential) is
// ever logged.
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

function quietLogger(log: Logger): ImapLogger {
  const forward = (level: 'warn' | 'error') => (entry: unknown) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as { msg?: unknown; err?: { code?: unknown } };
    log[level]({ imapMsg: typeof e.msg === 'string' ? e.msg.slice(0, 120) : undefined, code: e.err?.code }, 'imapflow');
  };
  const drop = () => {};
  return { trace: drop, debug: drop, info: drop, warn: forward('warn'), error: forward('error'), fatal: forward('error') };
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

export function createClient(options: { endpoint: Endpoint; auth: ClientAuth; log: Logger; timeouts?: ClientTimeouts; verifyOnly?: boolean }): ImapFlow {
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
    disableAutoIdle: true,
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
