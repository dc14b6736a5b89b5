// The cache for this process: Redis when REDIS_URL is set, otherwise the in-process fallback.
import { getEnv } from '../env';
import { childLogger } from '../log';
import { createMemoryCache } from './memory';
import { createRedisCache } from './redis';
import type { Cache } from './types';

export type { Cache, CacheHealth } from './types';
export { createMemoryCache, type MemoryCacheOptions } from './memory';
export { createRedisCache, type RedisCacheOptions } from './redis';

// Kept on globalThis so development hot reloads reuse one connection instead of leaking one
// per reload.
const globalForCache = globalThis as typeof globalThis & { __mailbridgeCache?: Cache };

export function getCache(): Cache {
  if (globalForCache.__mailbridgeCache === undefined) {
    const env = getEnv();
    globalForCache.__mailbridgeCache = env.REDIS_URL
      ? createRedisCache({ url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, logger: childLogger('cache') })
      : createMemoryCache();
  }
  return globalForCache.__mailbridgeCache;
}

/** Closes this process's cache (scripts, shutdown); the next getCache() opens a new one. */
export async function closeCache(): Promise<void> {
  const cache = globalForCache.__mailbridgeCache;
  globalForCache.__mailbridgeCache = undefined;
  await cache?.close();
}
