#!/usr/bin/env bash
# Runs `next build` unless .next holds a build newer than every source file.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.next/BUILD_ID
if [ -f "$stamp" ] && [ -z "$(find app lib prisma next.config.js package-lock.json -newer "$stamp" -type f -not -path 'lib/db/generated/*' 2>/dev/null | head -n1)" ]; then
  exit 0
fi
echo "[build] next build"
npx next build >/tmp/mailbridge-next-build.log 2>&1 || { tail -n 60 /tmp/mailbridge-next-build.log; exit 1; }
