// prisma/schema.prisma and prisma/migrations must describe the same database: a schema change
// without its migration (npx tsx scripts/db-new-migration.ts <name>) fails here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { diffToSchema } from '@/lib/db/schema-diff';

test('the migrations folder produces exactly prisma/schema.prisma', async () => {
  const sql = await diffToSchema({ from: 'migrations' });
  expect(sql, `schema and migrations disagree; missing migration:\n${sql}`).toBeNull();
});

const scratch = mkdtempSync(path.join(tmpdir(), 'mb-drift-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Guards the check above against passing vacuously (e.g. an engine that answers "no changes").
test('a schema edited without a migration is reported', async () => {
  const schemaPath = path.join(scratch, 'schema.prisma');
  const schema = readFileSync('prisma/schema.prisma', 'utf8');
  writeFileSync(schemaPath, schema.replace(/model User \{/, 'model User {\n  driftProbe String?'));
  const sql = await diffToSchema({ from: 'migrations', schemaPath });
  expect(sql).toMatch(/ALTER TABLE "User" ADD COLUMN\s+"driftProbe" TEXT/);
});
