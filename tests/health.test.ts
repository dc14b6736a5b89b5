// GET /api/health's logic: the database decides up or down; the cache only degrades.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMemoryCache, createRedisCache } from '@/lib/cache';
import type { PrismaClient } from '@/lib/db';
import { checkHealth } from '@/lib/health';
import { createTestDatabase, type TestDatabase } from './support/db';
import { freePort } from './support/net';
import { SHARED_REDIS_URL } from './support/redis';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

it('is ok with the database and Redis answering', async () => {
  const cache = createRedisCache({ url: SHARED_REDIS_URL, keyPrefix: 'health-test:' });
  try {
    expect(await checkHealth({ db: async () => database.db, cache })).toEqual({ status: 'ok', db: 'ok', cache: 'ok' });
  } finally {
    await cache.close();
  }
});

it('reports the in-process cache as memory', async () => {
  expect(await checkHealth({ db: async () => database.db, cache: createMemoryCache() })).toEqual({ status: 'ok', db: 'ok', cache: 'memory' });
});

it('is degraded, not down, when Redis is gone', async () => {
  const cache = createRedisCache({ url: `redis://127.0.0.1:${await freePort()}`, keyPrefix: 'health-test:' });
  try {
    expect(await checkHealth({ db: async () => database.db, cache })).toEqual({ status: 'degraded', db: 'ok', cache: 'down' });
  } finally {
    await cache.close();
  }
});

it('reports the database down when it cannot be opened or does not answer', async () => {
  const failing = async (): Promise<PrismaClient> => {
    throw new Error('connection refused');
  };
  expect(await checkHealth({ db: failing, cache: createMemoryCache() })).toEqual({ status: 'degraded', db: 'down', cache: 'memory' });
  const hanging = { $queryRaw: () => new Promise(() => {}) } as unknown as PrismaClient;
  const started = Date.now();
  expect((await checkHealth({ db: async () => hanging, cache: createMemoryCache() })).db).toBe('down');
  expect(Date.now() - started).toBeLessThan(5_000);
});
