#!/usr/bin/env bash
# `npm run bench [-- --scale 5 ...]`: installs what is missing, starts the local
# services, and runs the benchmark (bench/main.ts). Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
if ! command -v pgbench >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing pgbench (postgresql-client)"
    apt-get update -qq && apt-get install -y -qq postgresql-client
  else
    echo "the benchmark needs pgbench: install postgresql-client (e.g. sudo apt-get install postgresql-client) and retry." >&2
    exit 1
  fi
fi
bash scripts/ensure-deps.sh
npx tsx infra/src/cli.ts up
eval "$(npx tsx infra/src/cli.ts env)"
exec npx tsx bench/main.ts "$@"
