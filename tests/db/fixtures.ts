// Throw-away migrations folders for runner tests: the project's real migrations plus extras.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checksumOf, defaultMigrationsDir } from '@/lib/db/migrations-dir';

export interface MigrationsFolder {
  dir: string;
  add(name: string, sql: string): void;
  remove(): void;
}

export function migrationsFolder(): MigrationsFolder {
  const dir = mkdtempSync(path.join(tmpdir(), 'mb-migrations-'));
  cpSync(defaultMigrationsDir(), dir, { recursive: true });
  return {
    dir,
    add(name, sql) {
      mkdirSync(path.join(dir, name), { recursive: true });
      writeFileSync(path.join(dir, name, 'migration.sql'), sql);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Names sort after any real migration's timestamp. */
export const LATER = '99990101000000';

/** Several statements, a `$$` body with semicolons inside: must run as one script. */
export const FUNCTION_MIGRATION = `
CREATE TABLE "runner_probe" ("id" INTEGER PRIMARY KEY, "note" TEXT);
CREATE FUNCTION runner_probe_note() RETURNS TRIGGER AS $$
BEGIN
  NEW.note := 'set; by trigger';
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER runner_probe_note BEFORE INSERT ON "runner_probe"
  FOR EACH ROW EXECUTE FUNCTION runner_probe_note();
INSERT INTO "runner_probe" ("id") VALUES (1);
`;

/** Creates a table, then fails: nothing of it may survive. */
export const FAILING_MIGRATION = `
CREATE TABLE "half_done" ("id" INTEGER);
INSERT INTO "half_done" VALUES (1);
SELECT 1 / 0;
`;

export { checksumOf };
