#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine — system services, dependencies, the Prisma
# client, a production build for the end-to-end tests, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh

bash scripts/ensure-deps.sh

# The end-to-end tests run the production server, as users get it.
bash scripts/build-if-stale.sh

exec npx vitest run "$@"
