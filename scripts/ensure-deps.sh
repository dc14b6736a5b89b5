#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lockfile, and generates
# the Prisma client. Shared by `npm run dev` and `npm test` so a fresh checkout needs no setup.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node scripts/prisma-generate.mjs >/dev/null
