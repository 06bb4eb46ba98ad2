#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs dependencies, type checks,
# lints, runs the unit tests, starts the real local services (PostgreSQL source
# and destination, Kafka, schema registry), runs the integration suites against
# them, and stops what it started. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

bash scripts/ensure-deps.sh

echo "== type check and lint"
npx turbo run typecheck --output-logs=errors-only
npx eslint .

results=.infra/test-results
mkdir -p "$results"
echo "== unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile="$results/unit.json" "$@"

echo "== local services"
started_here=0
if ! npx tsx infra/src/cli.ts status --quiet >/dev/null 2>&1; then
  started_here=1
fi
stop_services() {
  if [ "$started_here" = 1 ] && [ "${FERRY_KEEP_SERVICES:-0}" != 1 ]; then
    npx tsx infra/src/cli.ts down || true
  fi
}
trap stop_services EXIT
npx tsx infra/src/cli.ts up
eval "$(npx tsx infra/src/cli.ts env)"

echo "== integration tests (real PostgreSQL, Kafka, schema registry)"
status=0
npx vitest run --project integration --reporter=default --reporter=json --outputFile="$results/integration.json" "$@" || status=$?

echo "== fault suite (restarts the servers under a running migration)"
npx vitest run --project faults --reporter=default --reporter=json --outputFile="$results/faults.json" "$@" || status=$?

node scripts/test-summary.mjs "$results/unit.json" "$results/integration.json" "$results/faults.json"
exit $status
