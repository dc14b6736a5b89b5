// A dead, refusing or hanging Redis costs each call a short bounded wait, never an error, and
// the cache finds Redis again once it returns. Runs against a private redis-server.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisCache, type Cache } from '@/lib/cache';
import { freePort, waitFor } from '../support/net';
import { startRedis, type PrivateRedis } from '../support/redis';

// A correctness bound, not a benchmark: generous for a loaded CI machine, far below the seconds
// an unbounded client would hang for.
const CALL_BOUND_MS = 1000;
const PROBE_MS = 300;
const SECRET_VALUE = 'value-that-must-never-be-logged';

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** Every kind of call, each timed on its own; returns what they answered. */
async function everyCallBounded(cache: Cache) {
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await call();
    expect(performance.now() - started).toBeLessThan(CALL_BOUND_MS);
    return result;
  };
  return {
    get: await timed(() => cache.get('k')),
    set: await timed(() => cache.set('k', SECRET_VALUE, 10_000)),
    del: await timed(() => cache.del('k', 'other')),
    setIfAbsent: await timed(() => cache.setIfAbsent('lock', 'me', 10_000)),
    deleteIfEquals: await timed(() => cache.deleteIfEquals('lock', 'me')),
    health: await timed(() => cache.health()),
  };
}

const unavailable = {
  get: null,
  set: undefined,
  del: undefined,
  setIfAbsent: false,
  deleteIfEquals: false,
  health: 'down',
};

async function recovers(cache: Cache) {
  await waitFor(
    async () => {
      await cache.set('k', 'after', 10_000);
      return (await cache.get('k')) === 'after';
    },
    { timeoutMs: 10_000, intervalMs: PROBE_MS / 3, what: 'the cache to use Redis again' },
  );
  expect(await cache.health()).toBe('ok');
  expect(await cache.setIfAbsent('lock2', 'me', 10_000)).toBe(true);
  expect(await cache.deleteIfEquals('lock2', 'me')).toBe(true);
}

describe('Redis cache when Redis fails', () => {
  let cache: Cache;
  let lines: string[];

  beforeEach(async (context) => {
    const captured = capturingLogger();
    lines = captured.lines;
    cache = createRedisCache({
      url: redis.url,
      keyPrefix: `t${Math.random().toString(36).slice(2)}:`,
      circuitOpenMs: PROBE_MS,
      logger: captured.logger,
    });
    await cache.set('k', 'before', 10_000);
    expect(await cache.get('k')).toBe('before');
    context.onTestFinished(async () => {
      redis.thaw();
      await cache.close();
      expect(lines.join('')).not.toContain(SECRET_VALUE);
    });
  });

  const downLogs = () => lines.filter((l) => l.includes('redis unavailable')).length;
  const upLogs = () => lines.filter((l) => l.includes('redis available again')).length;

  it('stopped: calls miss quickly, then Redis is used again after a restart', async () => {
    await redis.stop();
    for (let i = 0; i < 5; i++) expect(await everyCallBounded(cache)).toEqual(unavailable);
    expect(downLogs()).toBe(1);

    await redis.restart();
    await recovers(cache);
    expect(upLogs()).toBe(1);
    expect(downLogs()).toBe(1);
  });

  it('paused (CLIENT PAUSE): calls miss within the bound, then Redis is used again', async () => {
    await redis.pause(2500);
    const started = Date.now();
    while (Date.now() - started < 1500) expect(await everyCallBounded(cache)).toEqual(unavailable);
    expect(downLogs()).toBe(1);

    await recovers(cache);
    expect(upLogs()).toBe(1);
  });

  it('frozen (accepts TCP, never answers): calls miss within the bound, then recover', async () => {
    redis.freeze();
    const started = Date.now();
    // Long enough for the client to give up on the silent socket and redial into the frozen
    // server, whose handshake then never completes either.
    while (Date.now() - started < 2500) expect(await everyCallBounded(cache)).toEqual(unavailable);
    expect(downLogs()).toBe(1);

    redis.thaw();
    await recovers(cache);
    expect(upLogs()).toBe(1);
  });

  it('skips Redis while the circuit is open instead of waiting on every call', async () => {
    redis.freeze();
    expect(await cache.get('k')).toBeNull(); // this one pays the command timeout
    const started = performance.now();
    for (let i = 0; i < 50; i++) await cache.get('k');
    // Waiting on each would take 50 command timeouts (12.5 s); skipping costs at most a probe or two.
    expect(performance.now() - started).toBeLessThan(CALL_BOUND_MS);
  });

  it('fails in parallel without throwing', async () => {
    await redis.stop();
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.get('k')));
    expect(results.every((r) => r === null)).toBe(true);
    await redis.restart();
  });
});

describe('Redis cache with no server at all', () => {
  it('answers misses from the first call (refused), and close() is prompt', async () => {
    const cache = createRedisCache({ url: `redis://127.0.0.1:${await freePort()}` });
    expect(await everyCallBounded(cache)).toEqual(unavailable);
    await cache.close();
    expect(await cache.get('k')).toBeNull();
  });
});
