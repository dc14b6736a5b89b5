// One contract, two implementations: the real Redis (shared server, a random key prefix per
// file, only our own keys deleted) and the in-process cache.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryCache, createRedisCache, type Cache } from '@/lib/cache';
import { deleteKeysWithPrefix, SHARED_REDIS_URL } from '../support/redis';

const REDIS_URL = SHARED_REDIS_URL;
const prefix = `test:cache:${randomUUID()}:`;
const admin = new Redis(REDIS_URL, { lazyConnect: true });

afterAll(async () => {
  await deleteKeysWithPrefix(prefix);
  admin.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const implementations: Array<[string, () => Cache, string]> = [
  ['redis', () => createRedisCache({ url: REDIS_URL, keyPrefix: prefix }), 'ok'],
  ['memory', () => createMemoryCache(), 'memory'],
];

describe.each(implementations)('Cache contract: %s', (_name, create, healthy) => {
  let cache: Cache;
  let n = 0;
  let key: string;

  beforeEach(async (context) => {
    cache = create();
    key = `k${++n}`;
    context.onTestFinished(() => cache.close());
  });

  it('misses on an unknown key and reads back what was set', async () => {
    expect(await cache.get(key)).toBeNull();
    await cache.set(key, 'v1', 10_000);
    expect(await cache.get(key)).toBe('v1');
    await cache.set(key, 'v2', 10_000);
    expect(await cache.get(key)).toBe('v2');
  });

  it('keeps empty and unicode values exactly', async () => {
    await cache.set(`${key}:empty`, '', 10_000);
    await cache.set(`${key}:u`, 'ünï ✉ 🔑', 10_000);
    expect(await cache.get(`${key}:empty`)).toBe('');
    expect(await cache.get(`${key}:u`)).toBe('ünï ✉ 🔑');
  });

  it('expires entries after their TTL (milliseconds, fractions allowed)', async () => {
    await cache.set(key, 'short', 60.5);
    expect(await cache.get(key)).toBe('short');
    await sleep(150);
    expect(await cache.get(key)).toBeNull();
  });

  it('treats a TTL at or below zero as already expired', async () => {
    await cache.set(key, 'v', 10_000);
    await cache.set(key, 'gone', 0);
    expect(await cache.get(key)).toBeNull();
    expect(await cache.setIfAbsent(key, 'v', -5)).toBe(false);
    expect(await cache.get(key)).toBeNull();
  });

  it('deletes several keys at once, and nothing at all', async () => {
    await cache.set(`${key}:a`, 'a', 10_000);
    await cache.set(`${key}:b`, 'b', 10_000);
    await cache.set(`${key}:c`, 'c', 10_000);
    await cache.del(`${key}:a`, `${key}:b`, `${key}:missing`);
    await cache.del();
    expect(await cache.get(`${key}:a`)).toBeNull();
    expect(await cache.get(`${key}:b`)).toBeNull();
    expect(await cache.get(`${key}:c`)).toBe('c');
  });

  it('setIfAbsent stores only when absent, and again once the holder expired', async () => {
    expect(await cache.setIfAbsent(key, 'owner-1', 80)).toBe(true);
    expect(await cache.setIfAbsent(key, 'owner-2', 10_000)).toBe(false);
    expect(await cache.get(key)).toBe('owner-1');
    await sleep(150);
    expect(await cache.setIfAbsent(key, 'owner-2', 10_000)).toBe(true);
    expect(await cache.get(key)).toBe('owner-2');
  });

  it('setIfAbsent lets exactly one of many concurrent callers win', async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => cache.setIfAbsent(key, `owner-${i}`, 10_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('deleteIfEquals deletes only while the key holds the given value', async () => {
    expect(await cache.deleteIfEquals(key, 'anything')).toBe(false);
    await cache.set(key, 'owner-1', 10_000);
    expect(await cache.deleteIfEquals(key, 'owner-2')).toBe(false);
    expect(await cache.get(key)).toBe('owner-1');
    expect(await cache.deleteIfEquals(key, 'owner-1')).toBe(true);
    expect(await cache.get(key)).toBeNull();
  });

  it('deleteIfEquals does not delete a lock that expired and was retaken', async () => {
    await cache.setIfAbsent(key, 'owner-1', 60);
    await sleep(120);
    expect(await cache.setIfAbsent(key, 'owner-2', 10_000)).toBe(true);
    expect(await cache.deleteIfEquals(key, 'owner-1')).toBe(false);
    expect(await cache.get(key)).toBe('owner-2');
  });

  it('reports its health', async () => {
    expect(await cache.health()).toBe(healthy);
  });
});

describe('Redis cache keys', () => {
  it('carry the prefix, so two prefixes never see each other', async () => {
    const a = createRedisCache({ url: REDIS_URL, keyPrefix: `${prefix}a:` });
    const b = createRedisCache({ url: REDIS_URL, keyPrefix: `${prefix}b:` });
    try {
      await a.set('shared', 'from-a', 10_000);
      expect(await b.get('shared')).toBeNull();
      expect(await admin.get(`${prefix}a:shared`)).toBe('from-a');
      expect(await b.setIfAbsent('shared', 'from-b', 10_000)).toBe(true);
      expect(await b.deleteIfEquals('shared', 'from-a')).toBe(false);
      await b.del('shared');
      expect(await a.get('shared')).toBe('from-a');
      expect(Number(await admin.pttl(`${prefix}a:shared`))).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('Redis cache errors from a live server', () => {
  it('answer as a miss without taking Redis out of service', async () => {
    const cache = createRedisCache({ url: REDIS_URL, keyPrefix: prefix });
    try {
      await admin.hset(`${prefix}a-hash`, 'field', 'value');
      expect(await cache.get('a-hash')).toBeNull(); // WRONGTYPE
      await cache.set('after', 'still-used', 10_000);
      expect(await cache.get('after')).toBe('still-used');
      expect(await cache.health()).toBe('ok');
    } finally {
      await cache.close();
    }
  });
});
