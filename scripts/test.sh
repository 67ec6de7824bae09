#!/usr/bin/env bash
# Installs what the tests need and runs every test: unit tests, the local cloud's own
# tests, and the end-to-end tests (the built CLI against the local cloud, which each
# test file starts and stops itself). Usage: scripts/test.sh [node --test args...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
use_node "${VPCSC_NODE:-}"

python3 -c 'import moto' 2>/dev/null || {
  echo "The tests need the moto AWS emulator: python3 -m pip install 'moto[server]'" >&2
  exit 2
}
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
npm run --silent build

if [ "$#" -eq 0 ]; then
  set -- 'test/unit/**/*.test.ts' 'test/local-cloud/**/*.test.ts' 'test/e2e/**/*.test.ts'
fi
exec node --test --test-concurrency=2 --test-reporter=spec "$@"
