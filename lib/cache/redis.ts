// Redis behind a fail-fast client and a circuit breaker. Redis is a cache, never a dependency
// (SPEC §5.3): every call is bounded by `maxWaitMs`, nothing is queued while disconnected, and
// after a failure Redis is skipped entirely until a probe finds it answering again.
import { randomUUID } from 'node:crypto';
import { BrandedError } from '../errors';
import { Redis, ReplyError } from 'ioredis';
import type { Logger } from 'pino';
import { Circuit } from './circuit';
import { telemetry } from '../telemetry';
import { normalizeTtl } from './ttl';
import type { Cache, CacheHealth, ChannelListener } from './types';

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
  /** How often the pub/sub subscriber is pinged; a missed answer means messages may be missed. */
  heartbeatMs?: number;
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
    onOpen: (reason) => {
      log?.warn({ reason: describe(reason) }, 'cache: redis unavailable, serving without it');
      channels.recompute();
    },
    onClose: () => {
      log?.info('cache: redis available again');
      channels.recompute();
    },
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
      // The hot path: on a ready connection ioredis's own commandTimeout bounds the call, so no
      // second timer and promise race per command. Connecting is bounded by the deadline.
      const value =
        client.status === 'ready'
          ? await op()
          : await withDeadline(maxWaitMs, async () => {
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

  const channels = createChannels({
    client,
    prefix,
    heartbeatMs: options.heartbeatMs ?? 1000,
    circuitClosed: () => circuit.state === 'closed',
    publish: (channel, wire) => guarded(false, async () => (await client.publish(k(channel), wire), true)),
    log,
  });

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
    publish: (channel, message) => channels.publish(channel, message),
    subscribe: (channel, listener) => channels.subscribe(channel, listener),
    async close() {
      if (closed) return;
      closed = true;
      channels.close();
      // QUIT is polite when connected; disconnect() is what guarantees no timers or sockets remain.
      if (client.status === 'ready') {
        await withDeadline(maxWaitMs, () => client.quit()).catch(() => {});
      }
      client.disconnect();
    },
  };
}

/**
 * Pub/sub for invalidations. Local listeners hear a message at once; other instances through a
 * dedicated subscriber connection (a duplicate of the client). Live only while that connection is
 * subscribed, answers its heartbeat, and the command circuit is closed: a frozen or failing
 * Redis may be swallowing messages. A message that could not be published is made up for, once
 * Redis answers again, by a "lost" notice to every instance.
 */
function createChannels(input: {
  client: Redis;
  prefix: string;
  heartbeatMs: number;
  circuitClosed: () => boolean;
  publish: (channel: string, wire: string) => Promise<boolean>;
  log: Logger | undefined;
}) {
  const origin = randomUUID();
  const listeners = new Map<string, Set<ChannelListener>>();
  const unpublished = new Set<string>();
  let sub: Redis | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let subscribed = false;
  let answering = true;
  let live = false;
  let closed = false;

  function each(channel: string, fn: (l: ChannelListener) => void): void {
    for (const listener of listeners.get(channel) ?? []) fn(listener);
  }

  function recompute(): void {
    const now = !closed && sub !== undefined && subscribed && answering && input.circuitClosed();
    if (now === live) return;
    live = now;
    input.log?.info({ live }, live ? 'cache: invalidations arriving' : 'cache: invalidations may be missed');
    for (const channel of listeners.keys()) {
      each(channel, (l) => {
        if (live) l.lost();
        l.live(live);
      });
    }
    if (live && unpublished.size > 0) {
      for (const channel of [...unpublished]) {
        void input.publish(channel, `g${origin}`).then((ok) => {
          if (ok) unpublished.delete(channel);
        });
      }
    }
  }

  function start(): Redis {
    const conn = input.client.duplicate({ lazyConnect: false, autoResubscribe: false });
    conn.on('error', () => {});
    conn.on('ready', () => {
      const names = [...listeners.keys()].map((c) => input.prefix + c);
      conn.subscribe(...names).then(
        () => {
          subscribed = true;
          answering = true;
          recompute();
        },
        () => conn.disconnect(true),
      );
    });
    const down = () => {
      subscribed = false;
      recompute();
    };
    conn.on('close', down);
    conn.on('end', down);
    conn.on('message', (channel: string, wire: string) => {
      if (!channel.startsWith(input.prefix)) return;
      const name = channel.slice(input.prefix.length);
      // `m<origin> <message>` or `g<origin>` (that instance could not publish something).
      const space = wire.indexOf(' ');
      const from = wire.slice(1, space === -1 ? undefined : space);
      if (from === origin) return;
      if (wire[0] === 'g') each(name, (l) => l.lost());
      else if (wire[0] === 'm' && space !== -1) {
        const message = wire.slice(space + 1);
        each(name, (l) => l.message(message));
      }
    });
    heartbeat = setInterval(() => {
      if (!subscribed) return;
      conn.ping().then(
        () => {
          answering = true;
          recompute();
        },
        () => {
          answering = false;
          recompute();
        },
      );
    }, input.heartbeatMs);
    heartbeat.unref();
    return conn;
  }

  return {
    recompute,
    async publish(channel: string, message: string): Promise<void> {
      each(channel, (l) => l.message(message));
      // Published even with no local listener: other instances may listen.
      const ok = await input.publish(channel, `m${origin} ${message}`);
      if (!ok && !closed) unpublished.add(channel);
    },
    subscribe(channel: string, listener: ChannelListener): () => void {
      let set = listeners.get(channel);
      const added = !set;
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      if (closed) {
        listener.live(false);
      } else if (!sub) {
        sub = start();
        listener.live(false);
      } else if (added) {
        // A new channel on a running subscriber: live once Redis confirms it.
        listener.live(false);
        if (sub.status === 'ready') {
          const conn = sub;
          conn.subscribe(input.prefix + channel).then(
            () => each(channel, (l) => (l.lost(), l.live(live))),
            () => conn.disconnect(true),
          );
        }
      } else {
        listener.live(live);
      }
      return () => void set.delete(listener);
    },
    close(): void {
      closed = true;
      clearInterval(heartbeat);
      sub?.disconnect();
      recompute();
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
