// Builds imapflow clients. imapflow's own logger is replaced by a narrow adapter: it forwards
// warnings and errors by code only, so no protocol line (which could carry a credential) is
// ever logged.
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Logger } from 'pino';

export interface Endpoint {
  host: string;
  port: number;
  secure: boolean;
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

export function createClient(options: { endpoint: Endpoint; auth: ClientAuth; log: Logger; timeouts?: ClientTimeouts; verifyOnly?: boolean }): ImapFlow {
  const { endpoint, auth, log } = options;
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    // Without implicit TLS, STARTTLS is required: credentials never cross a network in clear.
    // Loopback (a local server, tests) is the one place cleartext is fine.
    ...(endpoint.secure ? {} : { doSTARTTLS: !isLoopback(endpoint.host) }),
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
