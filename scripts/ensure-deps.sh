#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lockfile, and generates
# the Prisma client. Shared by `npm run dev` and `npm test` so a fresh checkout needs no setup.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: the registry mirror here lacks some platform packages of
  # Next.js (darwin/win32 swc builds) that npm ci insists on; install still honours the lockfile.
  npm install --no-audit --no-fund --no-save
fi
node scripts/prisma-generate.mjs >/dev/null
