// Throw-away databases for tests: a fresh PostgreSQL database per call (the local server, trust
// auth), or an in-memory PGlite. Both migrated with the project's runner.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { createDb, createDbOnPglite } from '@/lib/db/client';
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

// Starting PGlite from scratch costs ~2.5 s (initdb); loading a dump of an already migrated one
// ~0.5 s. One template per test process, built on first use.
let template: Promise<Blob> | undefined;

async function migratedTemplate(): Promise<Blob> {
  const pglite = await createEmptyPglite();
  try {
    await migrate({ pglite });
    return await pglite.dumpDataDir('none');
  } finally {
    await pglite.close();
  }
}

let emptyTemplate: Promise<Blob> | undefined;

/** An in-memory PGlite with nothing in it (not migrated); the caller closes it. */
export async function createEmptyPglite(): Promise<PGlite> {
  emptyTemplate ??= PGlite.create().then(async (pglite) => {
    try {
      return await pglite.dumpDataDir('none');
    } finally {
      await pglite.close();
    }
  });
  return PGlite.create({ loadDataDir: await emptyTemplate });
}

/** An in-memory, migrated PGlite-backed client. Remember: PGlite runs one transaction at a time. */
export async function createTestPglite(): Promise<{ db: PrismaClient; pglite: PGlite; close(): Promise<void> }> {
  template ??= migratedTemplate();
  const pglite = await PGlite.create({ loadDataDir: await template });
  const { db, close } = await createDbOnPglite({ pglite, close: () => pglite.close() });
  return { db, pglite, close };
}
