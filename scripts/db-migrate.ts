// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded database
// under DATA_DIR when it is unset. Exit code 1 with the reason on failure.
import path from 'node:path';
import { describeUrl } from '../lib/db/client';
import { migrate, type MigrateResult } from '../lib/db/migrate';
import { openPglite } from '../lib/db/pglite';
import { getEnv } from '../lib/env';

async function run(): Promise<{ where: string; result: MigrateResult }> {
  const env = getEnv();
  if (env.DATABASE_URL) {
    return { where: describeUrl(env.DATABASE_URL), result: await migrate({ url: env.DATABASE_URL }) };
  }
  const dir = path.resolve(env.DATA_DIR, 'pglite');
  const { pglite, close } = await openPglite(dir);
  try {
    return { where: `embedded database ${dir}`, result: await migrate({ pglite }) };
  } finally {
    await close();
  }
}

run().then(
  ({ where, result }) => {
    for (const name of result.applied) console.log(`applied ${name}`);
    console.log(
      result.applied.length > 0
        ? `${where}: ${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already applied`
        : `${where}: up to date (${result.alreadyApplied.length} migration(s) applied earlier)`,
    );
    process.exit(0);
  },
  (error: unknown) => {
    console.error(`db:migrate failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
