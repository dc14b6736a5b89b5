// The project's migration runner, for PostgreSQL and PGlite alike. It keeps Prisma's history
// table layout, so `prisma migrate deploy/status` accept the result wherever the CLI can run.
// Each migration runs as one multi-statement script inside one transaction: a failure leaves no
// trace of it but an audit row marked rolled back.
import { BrandedError } from '../errors';
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { childLogger } from '../log';
import { defaultMigrationsDir, readMigrations, type MigrationFile } from './migrations-dir';

const log = childLogger('db.migrate');

/** The key `prisma migrate deploy` locks too, so our runner and Prisma's exclude each other. */
const ADVISORY_LOCK_KEY = 72707369;

const HISTORY_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"            VARCHAR(64) NOT NULL,
    "finished_at"         TIMESTAMPTZ,
    "migration_name"      VARCHAR(255) NOT NULL,
    "logs"                TEXT,
    "rolled_back_at"      TIMESTAMPTZ,
    "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends BrandedError {
  static override readonly brand: string = 'mailbridge.MigrationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** One connection's worth of SQL; both drivers are single-session here, so BEGIN/COMMIT apply. */
interface Session {
  /** Runs a whole script with the simple query protocol (several statements, `$$` bodies). */
  exec(script: string): Promise<void>;
  query<R>(sql: string, params?: unknown[]): Promise<R[]>;
}

export type MigrationTarget = { url: string } | { pglite: PGlite };

export interface MigrateOptions {
  migrationsDir?: string;
  /** How long to wait for another runner's lock on PostgreSQL before giving up. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export async function migrate(target: MigrationTarget, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = await readMigrations(options.migrationsDir ?? defaultMigrationsDir());
  if ('pglite' in target) {
    // PGlite has one connection and runs nothing concurrently: no lock needed.
    return applyPending(pgliteSession(target.pglite), migrations);
  }
  const client = new pg.Client({ connectionString: target.url });
  // A dropped connection surfaces through the pending query; without a listener it would crash.
  client.on('error', (error) => log.warn({ err: error.message }, 'migration connection error'));
  await client.connect();
  try {
    const session = pgSession(client);
    await acquireAdvisoryLock(session, options.lockTimeoutMs ?? 60_000);
    try {
      return await applyPending(session, migrations);
    } finally {
      // Best effort: ending the session releases the lock anyway.
      await session.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}

async function acquireAdvisoryLock(session: Session, timeoutMs: number): Promise<void> {
  // lock_timeout bounds advisory lock waits too; reset so it does not apply to the migrations.
  await session.exec(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
  try {
    await session.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') {
      throw new MigrationError(`Another migration run has held the migration lock for over ${timeoutMs} ms`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    await session.exec('RESET lock_timeout');
  }
}

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function applyPending(session: Session, migrations: MigrationFile[]): Promise<MigrateResult> {
  await session.exec(HISTORY_DDL);
  // Read only after the lock is held: a runner that waited sees what the other one applied.
  const rows = await session.query<HistoryRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );
  const live = rows.filter((r) => r.rolled_back_at === null);
  const failed = live.filter((r) => r.finished_at === null);
  if (failed.length > 0) {
    // Only Prisma's own engine leaves such rows (ours roll back wholly); its state is unknown.
    throw new MigrationError(
      `Migration ${failed.map((r) => r.migration_name).join(', ')} failed earlier and may be half-applied; ` +
        'repair the database, then mark it with `prisma migrate resolve`',
    );
  }
  const applied = new Map(live.map((r) => [r.migration_name, r.checksum]));
  const known = new Set(migrations.map((m) => m.name));
  const unknown = [...applied.keys()].filter((name) => !known.has(name));
  if (unknown.length > 0) log.warn({ migrations: unknown }, 'database has migrations missing from the folder');

  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const migration of migrations) {
    const checksum = applied.get(migration.name);
    if (checksum === undefined) {
      await applyOne(session, migration);
      result.applied.push(migration.name);
    } else if (checksum !== migration.checksum) {
      throw new MigrationError(
        `Migration ${migration.name} was modified after it was applied (checksum ${migration.checksum} ` +
          `differs from the recorded ${checksum}). Restore the original file and put the change in a new migration.`,
      );
    } else {
      result.alreadyApplied.push(migration.name);
    }
  }
  return result;
}

async function applyOne(session: Session, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  const startedAt = new Date();
  await session.exec('BEGIN');
  try {
    await session.exec(migration.sql);
    // The whole script is one step, as Prisma counts a script executed in one round trip.
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
       VALUES ($1, $2, clock_timestamp(), $3, NULL, $4, 1)`,
      [id, migration.checksum, migration.name, startedAt],
    );
    await session.exec('COMMIT');
    log.info({ migration: migration.name }, 'applied migration');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Best effort: the migration's own error is the one worth reporting.
    await session.exec('ROLLBACK').catch(() => undefined);
    await recordRolledBack(session, migration, startedAt, message).catch(() => undefined);
    log.error({ migration: migration.name, err: message }, 'migration failed and was rolled back');
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${message}`, {
      cause: error,
    });
  }
}

// Prisma's history ignores rows with rolled_back_at set, so the next run retries the migration,
// and the row keeps the error for whoever investigates.
async function recordRolledBack(session: Session, migration: MigrationFile, startedAt: Date, logs: string) {
  await session.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
     VALUES ($1, $2, NULL, $3, $4, clock_timestamp(), $5, 0)`,
    [randomUUID(), migration.checksum, migration.name, logs, startedAt],
  );
}

function pgSession(client: pg.Client): Session {
  return {
    exec: async (script) => {
      await client.query(script);
    },
    query: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
  };
}

function pgliteSession(db: PGlite): Session {
  return {
    exec: async (script) => {
      await db.exec(script);
    },
    query: async <R>(sql: string, params: unknown[] = []) => (await db.query<R>(sql, params)).rows,
  };
}
