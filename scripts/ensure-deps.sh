#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then
  echo "ferry needs Node.js 20.19 or newer: install it (e.g. apt-get install nodejs, or from nodejs.org) and retry." >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm dependencies"
  # Not `npm ci`: the registry here does not serve every platform's optional packages
  # (e.g. rollup's android builds), so no lock file can list them all and `npm ci`
  # refuses it. `npm install` follows the lock file and skips optional packages it cannot get.
  npm install --no-audit --no-fund
fi
