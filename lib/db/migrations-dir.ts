// Reads Prisma's migrations folder layout: <dir>/<timestamp>_<name>/migration.sql, applied in
// name order. Shared by the runner (lib/db/migrate.ts) and the schema diff (lib/db/schema-diff.ts).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface MigrationFile {
  name: string;
  sql: string;
  /** sha256 hex of the file's bytes, exactly what Prisma stores in `_prisma_migrations.checksum`. */
  checksum: string;
}

/** Resolved from the working directory: `npm run …`, `next start` and vitest all run at the root. */
export function defaultMigrationsDir(): string {
  return path.resolve(process.cwd(), 'prisma', 'migrations');
}

export function checksumOf(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readMigrations(dir: string = defaultMigrationsDir()): Promise<MigrationFile[]> {
  if (!existsSync(dir)) throw new Error(`Migrations folder not found: ${dir}`);
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    // Byte order, like Prisma: timestamps prefix the names, so this is chronological.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(path.join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: checksumOf(bytes) };
    }),
  );
}
