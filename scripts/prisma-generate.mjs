// Generates the Prisma client offline: the CLI would otherwise try to download a native schema
// engine that `generate` does not need (see ../shared ENVIRONMENT notes in README).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('node_modules/.bin/prisma')) process.exit(0);
execFileSync('node_modules/.bin/prisma', ['generate'], {
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
