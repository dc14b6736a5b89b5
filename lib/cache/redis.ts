// Redis behind a fail-fast client and a circuit breaker. Redis is a cache, never a dependency
// (SPEC §5.3): every call is bounded by `maxWaitMs`, nothing is queued while disconnected, and
// after a failure Redis is skipped entirely until a probe finds it answering again.
import { BrandedError } from '../errors';
import { Redis, ReplyError } from 'ioredis';
import type { Logger } from 'pino';
import { Circuit } from './circuit';
import { telemetry } from '../telemetry';
import { normalizeTtl } from './ttl';
import type { Cache, CacheHealth } from './types';

export interface RedisCacheOptions {
  /** `redis://…`; may carry a password, so it is never logged. */
  url: string;
  /** Prepended to every key. */
  keyPrefix?: string;
  /** TCP connect bound. */
  connectTimeoutMs?: number;
  /** Bound on one command once connected. */
  commandTimeoutMs?: number;
  /** Hard bound on any one call, whatever state the connection is in. */
  maxWaitMs?: number;
  /** How long Redis is skipped after a failure before the next probe. */
  circuitOpenMs?: number;
  logger?: Logger;
  now?: () => number;
}

// KEYS[1] is released only while it still holds ARGV[1]: a lock owner never deletes a lock that
// expired and was taken by someone else.
const DELETE_IF_EQUALS = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

class DeadlineError extends BrandedError {
  static override readonly brand: string = 'mailbridge.DeadlineError';
  constructor(ms: number) {
    super(`Redis call exceeded ${ms}ms`);
    this.name = 'DeadlineError';
  }
}

export function createRedisCache(options: RedisCacheOptions): Cache {
  const prefix = options.keyPrefix ?? '';
  const connectTimeoutMs = options.connectTimeoutMs ?? 500;
  const commandTimeoutMs = options.commandTimeoutMs ?? 250;
  const maxWaitMs = options.maxWaitMs ?? 500;
  const log = options.logger;

  const client = new Redis(options.url, {
    // Nothing connects until the first call; nothing waits in a queue while disconnected.
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    // A connection that swallows commands (paused or frozen server, dead peer) is torn down and
    // redialled, which also bounds a handshake that never completes.
    socketTimeout: Math.max(4 * commandTimeoutMs, 1000),
    // Commands in flight when the connection drops fail at once and are never replayed later: a
    // replayed SET NX could take a lock that its caller already gave up on.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Background redial with capped backoff, so a returning Redis is found without callers paying.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000) + Math.floor(Math.random() * 100),
  });

  const circuit = new Circuit({
    openMs: options.circuitOpenMs ?? 1000,
    ...(options.now ? { now: options.now } : {}),
    onOpen: (reason) => log?.warn({ reason: describe(reason) }, 'cache: redis unavailable, serving without it'),
    onClose: () => log?.info('cache: redis available again'),
  });

  // Connection errors surface through calls and the circuit; the listener only keeps ioredis
  // from reporting them as unhandled.
  client.on('error', () => {});
  client.on('ready', () => circuit.probeSoon());
  telemetry.watchCircuit('redis', () => circuit.state);

  let closed = false;
  const whenReady = readiness(client, connectTimeoutMs);

  async function guarded<T>(fallback: T, op: () => Promise<T>): Promise<T> {
    if (closed || !circuit.tryPass()) return fallback;
    try {
      const value = await withDeadline(maxWaitMs, async () => {
        await whenReady();
        return op();
      });
      circuit.succeeded();
      return value;
    } catch (error) {
      if (error instanceof (ReplyError as ErrorConstructor)) {
        // Redis answered, so it is up; the command itself was refused (e.g. a key of another type).
        circuit.succeeded();
        log?.warn({ reason: describe(error) }, 'cache: redis refused a command');
      } else {
        circuit.failed(error);
      }
      return fallback;
    }
  }

  const k = (key: string) => prefix + key;

  async function del(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await guarded(undefined, async () => {
      await client.del(...keys.map(k));
    });
  }

  return {
    kind: 'redis',
    get: (key) => guarded(null, () => client.get(k(key))),
    async set(key, value, ttlMs) {
      const ttl = normalizeTtl(ttlMs);
      if (ttl === 0) return del(key);
      await guarded(undefined, async () => {
        await client.set(k(key), value, 'PX', ttl);
      });
    },
    del,
    async setIfAbsent(key, value, ttlMs) {
      const ttl = normalizeTtl(ttlMs);
      if (ttl === 0) return false;
      return guarded(false, async () => (await client.set(k(key), value, 'PX', ttl, 'NX')) === 'OK');
    },
    deleteIfEquals: (key, value) =>
      guarded(false, async () => Number(await client.eval(DELETE_IF_EQUALS, 1, k(key), value)) === 1),
    async health(): Promise<CacheHealth> {
      return guarded<CacheHealth>('down', async () => ((await client.ping()) === 'PONG' ? 'ok' : 'down'));
    },
    async close() {
      if (closed) return;
      closed = true;
      // QUIT is polite when connected; disconnect() is what guarantees no timers or sockets remain.
      if (client.status === 'ready') {
        await withDeadline(maxWaitMs, () => client.quit()).catch(() => {});
      }
      client.disconnect();
    },
  };
}

/**
 * Resolves once the client can take commands. Starts a connection when none is under way
 * (first use, or after ioredis gave up); fails at once while ioredis waits to redial. Callers
 * arriving during one connection attempt share one wait.
 */
function readiness(client: Redis, timeoutMs: number): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    if (client.status === 'ready') return Promise.resolve();
    if (client.status === 'reconnecting' || client.status === 'close') {
      return Promise.reject(new Error(`Redis connection is ${client.status}`));
    }
    if (client.status === 'wait' || client.status === 'end') client.connect().catch(() => {});
    pending ??= new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('close', onClose);
        pending = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => done();
      const onClose = () => done(new Error('Redis connection closed'));
      const timer = setTimeout(() => done(new DeadlineError(timeoutMs)), timeoutMs);
      client.once('ready', onReady);
      client.once('close', onClose);
    });
    return pending;
  };
}

async function withDeadline<T>(ms: number, op: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const work = op();
  // The losing promise may still reject later; it must not become an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What went wrong, for operators, never a key or value. */
function describe(error: unknown): string {
  if (error instanceof (ReplyError as ErrorConstructor)) {
    // Only the reply's error code (WRONGTYPE, NOSCRIPT…): the rest is server text.
    return `ReplyError:${error.message.split(' ', 1)[0] ?? ''}`;
  }
  if (!(error instanceof Error)) return 'unknown';
  // Connection-level errors are ioredis's own text ("Command timed out", "connect ECONNREFUSED
  // host:port"); they never carry command arguments.
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}
