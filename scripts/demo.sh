#!/usr/bin/env bash
# The demo, from a fresh clone: installs dependencies, starts the local services,
# and runs scripts/demo.ts (sample source, migration with live writes, verification).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/ensure-deps.sh
npx tsx infra/src/cli.ts up
eval "$(npx tsx infra/src/cli.ts env)"
exec npx tsx scripts/demo.ts "$@"
