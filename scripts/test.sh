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
# Every process the local cloud starts is recorded by pid in this folder (see
# test/local-cloud/pid-registry.ts); whatever a failing or killed run leaves is stopped
# by exactly those pids when this script ends.
VPCSC_TEST_PIDS="$(mktemp -d "${TMPDIR:-/tmp}/vpcsc-test-pids.XXXXXX")"
export VPCSC_TEST_PIDS
cleanup() {
  node test/local-cloud/pid-registry.ts stop "$VPCSC_TEST_PIDS" || true
  rm -rf "$VPCSC_TEST_PIDS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
node --test --test-concurrency=2 --test-reporter=spec "$@"
