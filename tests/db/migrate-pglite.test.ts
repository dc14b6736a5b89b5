import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { createDb } from '@/lib/db/client';
import { readMigrations } from '@/lib/db/migrations-dir';
import { createEmptyPglite } from '../support/db';
import { runnerSuite, type RunnerTarget } from './runner-suite';

async function openPglite(): Promise<RunnerTarget> {
  const pglite = await createEmptyPglite();
  return {
    target: { pglite },
    rows: async <R>(sql: string) => (await pglite.query<R>(sql)).rows,
    close: () => pglite.close(),
  };
}

describe('migration runner on PGlite', () => {
  runnerSuite(openPglite);
});

describe('embedded database', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mb-data-'));
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('migrates itself on open and keeps its data across close and reopen', async () => {
    const first = await createDb({ dataDir });
    opened.push(first);
    expect(first.kind).toBe('pglite');
    await first.db.user.create({ data: { email: 'persisted@example.com' } });
    await first.close();
    opened.pop();

    const second = await createDb({ dataDir });
    opened.push(second);
    expect(await second.db.user.findUnique({ where: { email: 'persisted@example.com' } })).not.toBeNull();
    const names = (await readMigrations()).map((m) => m.name);
    const history = await second.db.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`;
    expect(history.map((r) => r.migration_name)).toEqual(names);
  });

  test('a second opener of the same directory is refused while the first holds it', async () => {
    const first = await createDb({ dataDir });
    opened.push(first);
    await expect(createDb({ dataDir })).rejects.toThrow(/in use by process \d+/);
  });

  test('a lock left by a process that is gone is taken over', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    // Our own pid without holding it: an earlier incarnation with the same pid (containers).
    for (const owner of [dead, process.pid]) {
      writeFileSync(path.join(dataDir, 'pglite.lock'), String(owner));
      const db = await createDb({ dataDir });
      await db.close();
      expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);
    }
  });
});
