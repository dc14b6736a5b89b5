import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { migrate } from '@/lib/db/migrate';
import { readMigrations } from '@/lib/db/migrations-dir';
import { createEmptyPostgresDatabase } from '../support/db';
import { LATER, migrationsFolder } from './fixtures';
import { runnerSuite, type RunnerTarget } from './runner-suite';

async function openPostgres(): Promise<RunnerTarget & { url: string }> {
  const { url, drop } = await createEmptyPostgresDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    url,
    target: { url },
    rows: async <R>(sql: string) => (await client.query(sql)).rows as R[],
    close: async () => {
      await client.end();
      await drop();
    },
  };
}

describe('migration runner on PostgreSQL', () => {
  runnerSuite(openPostgres);

  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  test('two runners at once apply each migration exactly once (advisory lock)', async () => {
    const db = await openPostgres();
    cleanups.push(() => db.close());
    const folder = migrationsFolder();
    cleanups.push(() => folder.remove());
    // Slow enough that the second runner surely arrives while the first holds the lock.
    folder.add(`${LATER}_slow`, 'SELECT pg_sleep(0.4);\nCREATE TABLE "slow_marker" ("id" INTEGER);');
    const names = (await readMigrations(folder.dir)).map((m) => m.name);

    const results = await Promise.all([
      migrate(db.target, { migrationsDir: folder.dir }),
      migrate(db.target, { migrationsDir: folder.dir }),
    ]);

    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual([...names].sort());
    const counts = await db.rows<{ migration_name: string; n: string }>(
      'SELECT migration_name, count(*) AS n FROM "_prisma_migrations" GROUP BY migration_name',
    );
    expect(counts).toHaveLength(names.length);
    expect(counts.every((c) => Number(c.n) === 1)).toBe(true);
  });

  test('gives up with a clear error when another runner holds the lock too long', async () => {
    const db = await openPostgres();
    cleanups.push(() => db.close());
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('SELECT pg_advisory_lock(72707369)');
    await expect(migrate(db.target, { lockTimeoutMs: 200 })).rejects.toThrow(/held the migration lock/);
  });
});
