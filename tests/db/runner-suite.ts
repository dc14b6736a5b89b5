// The migration runner's contract, run against PostgreSQL and PGlite alike.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { migrate, MigrationError, type MigrationTarget } from '@/lib/db/migrate';
import { readMigrations } from '@/lib/db/migrations-dir';
import { FAILING_MIGRATION, FUNCTION_MIGRATION, LATER, migrationsFolder, type MigrationsFolder } from './fixtures';

export interface RunnerTarget {
  target: MigrationTarget;
  rows<R>(sql: string): Promise<R[]>;
  close(): Promise<void>;
}

interface HistoryRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

export function runnerSuite(open: () => Promise<RunnerTarget>) {
  let db: RunnerTarget;
  let folder: MigrationsFolder;
  const run = () => migrate(db.target, { migrationsDir: folder.dir });
  const history = () => db.rows<HistoryRow>('SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name');

  beforeEach(async () => {
    db = await open();
    folder = migrationsFolder();
  });
  afterEach(async () => {
    await db.close();
    folder.remove();
  });

  test('applies every migration and records rows in Prisma’s layout', async () => {
    const names = (await readMigrations(folder.dir)).map((m) => m.name);
    expect(names.length).toBeGreaterThan(0);
    expect(await run()).toEqual({ applied: names, alreadyApplied: [] });

    const columns = await db.rows<Record<string, unknown>>(
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => [c.column_name, c.data_type, c.len, c.is_nullable])).toEqual([
      ['id', 'character varying', 36, 'NO'],
      ['checksum', 'character varying', 64, 'NO'],
      ['finished_at', 'timestamp with time zone', null, 'YES'],
      ['migration_name', 'character varying', 255, 'NO'],
      ['logs', 'text', null, 'YES'],
      ['rolled_back_at', 'timestamp with time zone', null, 'YES'],
      ['started_at', 'timestamp with time zone', null, 'NO'],
      ['applied_steps_count', 'integer', null, 'NO'],
    ]);

    const rows = await history();
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const row of rows) {
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.checksum).toBe(sha256(path.join(folder.dir, row.migration_name, 'migration.sql')));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  test('is idempotent and applies only what is new', async () => {
    const names = (await readMigrations(folder.dir)).map((m) => m.name);
    await run();
    expect(await run()).toEqual({ applied: [], alreadyApplied: names });
    folder.add(`${LATER}_probe`, FUNCTION_MIGRATION);
    expect(await run()).toEqual({ applied: [`${LATER}_probe`], alreadyApplied: names });
    expect((await history()).length).toBe(names.length + 1);
  });

  test('runs each migration as one script: several statements and $$ bodies', async () => {
    folder.add(`${LATER}_probe`, FUNCTION_MIGRATION);
    await run();
    expect(await db.rows('SELECT id, note FROM "runner_probe"')).toEqual([{ id: 1, note: 'set; by trigger' }]);
  });

  test('a failing migration rolls back wholly, is not recorded as finished, and is retried', async () => {
    folder.add(`${LATER}_bad`, FAILING_MIGRATION);
    await expect(run()).rejects.toThrow(MigrationError);
    await expect(run()).rejects.toThrow(/_bad failed and was rolled back: division by zero/);

    const tables = await db.rows(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`);
    expect(tables).toEqual([]);
    const bad = (await history()).filter((r) => r.migration_name === `${LATER}_bad`);
    expect(bad).toHaveLength(2);
    for (const row of bad) {
      expect(row.finished_at).toBeNull();
      expect(row.rolled_back_at).toBeInstanceOf(Date);
      expect(row.logs).toContain('division by zero');
      expect(row.applied_steps_count).toBe(0);
    }

    writeFileSync(path.join(folder.dir, `${LATER}_bad`, 'migration.sql'), 'CREATE TABLE "half_done" ("id" INTEGER);');
    expect((await run()).applied).toEqual([`${LATER}_bad`]);
    const finished = (await history()).filter((r) => r.migration_name === `${LATER}_bad` && r.finished_at);
    expect(finished).toHaveLength(1);
  });

  test('refuses when an applied migration was modified', async () => {
    folder.add(`${LATER}_probe`, FUNCTION_MIGRATION);
    await run();
    writeFileSync(path.join(folder.dir, `${LATER}_probe`, 'migration.sql'), `${FUNCTION_MIGRATION}\n-- edited\n`);
    folder.add(`${LATER}_probe_next`, 'CREATE TABLE "never_applied" ("id" INTEGER);');
    await expect(run()).rejects.toThrow(/_probe was modified after it was applied/);
    const tables = await db.rows(`SELECT 1 FROM information_schema.tables WHERE table_name = 'never_applied'`);
    expect(tables).toEqual([]);
  });

  test('refuses a migration that Prisma’s own engine left half-applied', async () => {
    await run();
    await db.rows(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at)
       VALUES ('00000000-0000-4000-8000-000000000000', 'x', '${LATER}_crashed', now())`,
    );
    await expect(run()).rejects.toThrow(/_crashed failed earlier and may be half-applied/);
  });
}
