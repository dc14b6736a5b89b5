#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine — system services, dependencies, the Prisma
# client, a production build for the end-to-end tests, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh

# Reinstall only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node scripts/prisma-generate.mjs >/dev/null

# The end-to-end tests run the production server, as users get it.
bash scripts/build-if-stale.sh

exec npx vitest run "$@"
