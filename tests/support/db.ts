// Throw-away databases for tests: a fresh PostgreSQL database per call (the local server, trust
// auth), or an in-memory PGlite. Both migrated with the project's runner.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb } from '@/lib/db/client';
import { migrate } from '@/lib/db/migrate';
import type { PrismaClient } from '@/lib/db';

/** Maintenance connection used to create and drop databases. */
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  db: PrismaClient;
  url: string;
  close(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Skip migrating (tests of the runner itself). */
  migrate?: boolean;
  migrationsDir?: string;
  poolSize?: number;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createEmptyPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `mb_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE terminates whatever connections a test left open (PostgreSQL 13+).
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const { url, drop } = await createEmptyPostgresDatabase();
  try {
    if (options.migrate !== false) await migrate({ url }, { migrationsDir: options.migrationsDir });
  } catch (error) {
    await drop();
    throw error;
  }
  const handle = await createDb({ url, poolSize: options.poolSize ?? 5 });
  return {
    db: handle.db,
    url,
    close: async () => {
      await handle.close();
      await drop();
    },
  };
}

export async function createTestPglite(): Promise<{ db: PrismaClient; close(): Promise<void> }> {
  const { db, close } = await createDb({ inMemory: true });
  return { db, close };
}
