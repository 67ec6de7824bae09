#!/usr/bin/env bash
# The demo: installs what it needs, starts the local cloud (moto for AWS, the emulated
# Google), and runs the everyday job: the NAT gateway is replaced (its Elastic IP
# changes), `vpcsc status` shows the drift, `vpcsc ip sync` plans and writes the fix,
# and `vpcsc status` is in sync again. Stops what it started, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
use_node "${VPCSC_NODE:-}"

python3 -c 'import moto' 2>/dev/null || {
  echo "The demo needs the moto AWS emulator: python3 -m pip install 'moto[server]'" >&2
  exit 2
}
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
npm run --silent build

dir=.local-cloud
node test/local-cloud/cli.ts stop --dir "$dir" >/dev/null 2>&1 || true
trap 'node test/local-cloud/cli.ts stop --dir "$dir" >/dev/null' EXIT
node test/local-cloud/cli.ts start --dir "$dir" >/dev/null
# shellcheck disable=SC1091
source "$dir/env.sh"

bold=$(tput bold 2>/dev/null || true)
plain=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s━━ %s%s\n' "$bold" "$*" "$plain"; }
# Runs vpcsc and checks its exit code: the demo fails loudly if vpcsc misbehaves.
expect() {
  local want=$1
  shift
  step "vpcsc $* ${want:+(expect exit $want)}"
  set +e
  node bin/run.js "$@"
  local got=$?
  set -e
  if [ "$got" != "$want" ]; then
    echo "demo: vpcsc $* exited $got, expected $want" >&2
    exit 1
  fi
}

expect 0 status
step "The environment is paused and resumed: the NAT gateway is replaced and gets a new Elastic IP"
node test/local-cloud/cli.ts replace-nat --dir "$dir"
expect 3 status --check
expect 3 ip sync --plan
expect 0 ip sync --yes
expect 0 status --check
step "Demo finished: the access level follows the NAT gateway again."
