// Opening the database: PostgreSQL through @prisma/adapter-pg when a URL is configured, otherwise
// an embedded PGlite database that migrates itself on open (single instance by design).
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { getEnv } from '../env';
import { childLogger } from '../log';
import { PrismaClient } from './generated/client';
import { migrate } from './migrate';
import { openPglite } from './pglite';
import { poolSizeFor } from './pool-size';

const log = childLogger('db');

export type DbKind = 'postgres' | 'pglite';

export interface Db {
  db: PrismaClient;
  kind: DbKind;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** postgresql://… — wins over everything else. */
  url?: string;
  /** Embedded database persisted under `${dataDir}/pglite`. */
  dataDir?: string;
  /** Embedded database in memory (tests); ignored when `url` or `dataDir` is given. */
  inMemory?: boolean;
  /** Where the embedded database finds its migrations (default prisma/migrations). */
  migrationsDir?: string;
  /** PostgreSQL pool size per process (default 10; the app's own client uses poolSizeFor). */
  poolSize?: number;
}

export async function createDb(options: CreateDbOptions): Promise<Db> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  if (options.dataDir === undefined && !options.inMemory) {
    throw new Error('createDb needs a url, a dataDir or inMemory: true');
  }
  const dir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir, 'pglite');
  return openEmbedded(dir, options.migrationsDir);
}

function openPostgres(url: string, max: number): Promise<Db> {
  const adapter = new PrismaPg(
    // Bounded waits: a database that stops answering fails requests instead of hanging them.
    { connectionString: url, max, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 },
    {
      onPoolError: (error) => log.warn({ err: error.message }, 'idle PostgreSQL connection failed'),
      onConnectionError: (error) => log.warn({ err: error.message }, 'PostgreSQL connection failed'),
    },
  );
  const db = new PrismaClient({ adapter });
  log.info({ kind: 'postgres', target: describeUrl(url) }, 'database client created');
  return Promise.resolve({ db, kind: 'postgres', close: () => db.$disconnect() });
}

async function openEmbedded(dir: string | undefined, migrationsDir: string | undefined): Promise<Db> {
  const opened = await openPglite(dir);
  const db = await createDbOnPglite({ ...opened, migrationsDir });
  log.info({ kind: 'pglite', dataDir: dir ?? 'memory' }, 'embedded database opened');
  return db;
}

/** Migrates an open PGlite and puts a client on it; `close` is how to release the PGlite. */
export async function createDbOnPglite(options: {
  pglite: PGlite;
  close: () => Promise<void>;
  migrationsDir?: string;
}): Promise<Db> {
  const { pglite, close, migrationsDir } = options;
  try {
    const { applied } = await migrate({ pglite }, { migrationsDir });
    if (applied.length > 0) log.info({ applied }, 'embedded database migrated');
  } catch (error) {
    await close();
    throw error;
  }
  const db = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    db,
    kind: 'pglite',
    close: async () => {
      await db.$disconnect();
      await close();
    },
  };
}

/** Host and database only: connection strings may carry passwords. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}

// One database per process. Kept on globalThis in every mode, not only development: Next.js may
// evaluate this module more than once (hot reload, separate bundles), and two PGlite instances
// on one directory would corrupt it.
const holder = globalThis as typeof globalThis & { __mailbridgeDb?: Promise<Db> };

export function getDbHandle(): Promise<Db> {
  if (!holder.__mailbridgeDb) {
    const env = getEnv();
    // Sized for the cron's bound on refreshes in flight (it shares this pool with requests).
    const opening = createDb({ url: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: poolSizeFor({ cronMaxConcurrency: env.CRON_CONCURRENCY ?? env.CRON_MAX_CONCURRENCY }) });
    // A failed open is not cached: the next caller tries again (e.g. the database came back).
    opening.catch(() => {
      if (holder.__mailbridgeDb === opening) holder.__mailbridgeDb = undefined;
    });
    holder.__mailbridgeDb = opening;
  }
  return holder.__mailbridgeDb;
}

export async function getDb(): Promise<PrismaClient> {
  return (await getDbHandle()).db;
}

/** Closes the process-wide database (shutdown, scripts); the next getDb() opens it again. */
export async function closeDb(): Promise<void> {
  const opening = holder.__mailbridgeDb;
  holder.__mailbridgeDb = undefined;
  if (opening) await (await opening).close();
}
