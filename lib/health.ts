import type { Cache, CacheHealth } from './cache/types';
import type { PrismaClient } from './db';

export interface Health {
  status: 'ok' | 'degraded';
  db: 'ok' | 'down';
  cache: CacheHealth;
}

const DB_TIMEOUT_MS = 2_000;

/** The database is required; the cache only degrades the service (SPEC §5.3). */
export async function checkHealth(deps: { db: () => Promise<PrismaClient>; cache: Cache }): Promise<Health> {
  const [db, cache] = await Promise.all([pingDb(deps.db), deps.cache.health().catch(() => 'down' as const)]);
  return { status: db === 'ok' && cache !== 'down' ? 'ok' : 'degraded', db, cache };
}

async function pingDb(getDb: () => Promise<PrismaClient>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // Opening is not bounded here: the embedded database migrates itself on first open, which
    // can take longer than a ping should; a database that cannot open fails on its own.
    const db = await getDb();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), DB_TIMEOUT_MS);
    });
    await Promise.race([db.$queryRaw`SELECT 1`, timeout]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
