#!/usr/bin/env bash
# Installs what the tests need and runs every test: unit tests, the local cloud's own
# tests, and the end-to-end tests (the built CLI against the local cloud, which each
# test file starts and stops itself). Usage: scripts/test.sh [node --test args...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
prepare

if [ "$#" -eq 0 ]; then
  set -- 'test/unit/**/*.test.ts' 'test/local-cloud/**/*.test.ts' 'test/e2e/**/*.test.ts'
fi
exec node --test --test-concurrency=2 --test-reporter=spec "$@"
