// The per-user limiter: the window arithmetic (pure), then counting over both caches (the shared
// Redis under a private prefix, and the in-process one), and failing open when Redis is gone.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryCache, createRedisCache, type Cache } from '@/lib/cache';
import { AppError } from '@/lib/errors';
import { enforceRateLimit, fixedWindow, takeRateLimit, type RateLimitRule } from '@/lib/http/rate-limit';
import { freePort } from '../support/net';
import { deleteKeysWithPrefix, SHARED_REDIS_URL } from '../support/redis';

const REDIS_URL = SHARED_REDIS_URL;
const prefix = `test:rate-limit:${randomUUID()}:`;

afterAll(() => deleteKeysWithPrefix(prefix));

const rule: RateLimitRule = { name: 'test', limit: 3, windowSeconds: 600 };
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0); // a window boundary (a multiple of 600 s)

describe('fixedWindow (pure)', () => {
  it('numbers windows from the epoch and counts down to the next boundary', () => {
    expect(fixedWindow(T0, 600)).toEqual({ index: T0 / 600_000, msLeft: 600_000, retryAfterSeconds: 600 });
    expect(fixedWindow(T0 + 1, 600)).toEqual({ index: T0 / 600_000, msLeft: 599_999, retryAfterSeconds: 600 });
    expect(fixedWindow(T0 + 599_001, 600)).toMatchObject({ index: T0 / 600_000, msLeft: 999, retryAfterSeconds: 1 });
    expect(fixedWindow(T0 + 599_999, 600)).toMatchObject({ msLeft: 1, retryAfterSeconds: 1 });
    expect(fixedWindow(T0 + 600_000, 600)).toMatchObject({ index: T0 / 600_000 + 1, msLeft: 600_000 });
  });
});

const implementations: Array<[string, () => Cache]> = [
  ['redis', () => createRedisCache({ url: REDIS_URL, keyPrefix: prefix })],
  ['memory', () => createMemoryCache()],
];

describe.each(implementations)('takeRateLimit over %s', (_name, create) => {
  const withCache = async (fn: (cache: Cache) => Promise<void>) => {
    const cache = create();
    try {
      await fn(cache);
    } finally {
      await cache.close();
    }
  };
  const take = (cache: Cache, subject: string, now: number) => takeRateLimit({ cache, rule, subject, now });

  it('allows `limit` requests per window, then refuses until the window ends', () =>
    withCache(async (cache) => {
      const user = randomUUID();
      for (let i = 0; i < 3; i++) expect(await take(cache, user, T0 + i * 1000)).toEqual({ allowed: true });
      expect(await take(cache, user, T0 + 10_000)).toEqual({ allowed: false, retryAfterSeconds: 590 });
      expect(await take(cache, user, T0 + 599_500)).toEqual({ allowed: false, retryAfterSeconds: 1 });
      // The next window starts empty.
      expect(await take(cache, user, T0 + 600_000)).toEqual({ allowed: true });
    }));

  it('counts each user on their own', () =>
    withCache(async (cache) => {
      const [ada, bob] = [randomUUID(), randomUUID()];
      for (let i = 0; i < 3; i++) await take(cache, ada, T0);
      expect((await take(cache, ada, T0)).allowed).toBe(false);
      expect(await take(cache, bob, T0)).toEqual({ allowed: true });
      // …and each rule on its own.
      expect(await takeRateLimit({ cache, rule: { ...rule, name: 'other' }, subject: ada, now: T0 })).toEqual({ allowed: true });
    }));

  it('is exact under concurrency: never more than `limit` of a burst pass', () =>
    withCache(async (cache) => {
      const user = randomUUID();
      const burst = await Promise.all(Array.from({ length: 20 }, () => take(cache, user, T0 + 5)));
      expect(burst.filter((d) => d.allowed)).toHaveLength(3);
    }));

  it('enforceRateLimit throws a 400 invalid_request with Retry-After', () =>
    withCache(async (cache) => {
      const userId = randomUUID();
      for (let i = 0; i < 3; i++) await enforceRateLimit({ rule, userId, cache, now: T0 });
      const error = await enforceRateLimit({ rule, userId, cache, now: T0 + 60_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'invalid_request', status: 400, retryAfter: 540, message: 'Too many requests; try again in 540 seconds' });
    }));
});

describe('fail open', () => {
  it('a dead Redis never refuses a request', async () => {
    const cache = createRedisCache({ url: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 200, commandTimeoutMs: 100, maxWaitMs: 200 });
    try {
      expect(await cache.health()).toBe('down');
      const user = randomUUID();
      for (let i = 0; i < 10; i++) expect(await takeRateLimit({ cache, rule, subject: user, now: T0 })).toEqual({ allowed: true });
    } finally {
      await cache.close();
    }
  });

  it('a cache that refuses every write and misses every read (the contract when down) passes requests', async () => {
    const down: Cache = {
      kind: 'redis',
      get: async () => null,
      set: async () => {},
      del: async () => {},
      setIfAbsent: async () => false,
      deleteIfEquals: async () => false,
      health: async () => 'down',
      publish: async () => {},
      subscribe: (_channel, listener) => {
        listener.live(false);
        return () => {};
      },
      close: async () => {},
    };
    for (let i = 0; i < 10; i++) expect(await takeRateLimit({ cache: down, rule, subject: 'u', now: T0 })).toEqual({ allowed: true });
  });
});
