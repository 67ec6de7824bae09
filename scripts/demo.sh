#!/usr/bin/env bash
# The demo: installs what it needs, starts the local cloud (moto for AWS, the emulated
# Google), and runs the everyday job: a second AWS account joins (read through a role),
# the NAT gateway is replaced (its Elastic IP changes), `vpcsc status` shows the drift, `vpcsc ip sync` plans and writes the fix,
# `vpcsc status` is in sync again, and `vpcsc deny-test` proves the perimeter denies (and
# fails clearly once the level no longer admits the NAT), then the Lambda handler reconciles
# the next change by itself. Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
prepare

# A folder of the demo's own: a local cloud you started by hand (in .local-cloud) keeps
# running, and only a cloud an earlier, interrupted demo left in this folder is stopped.
dir=.local-cloud/demo
node test/local-cloud/cli.ts stop --dir "$dir" >/dev/null 2>&1 || true
trap 'node test/local-cloud/cli.ts stop --dir "$dir" >/dev/null' EXIT
# Access-level changes take effect after 2 s here (up to 30 minutes in Google Cloud).
node test/local-cloud/cli.ts start --dir "$dir" --propagation-delay-ms 2000 >/dev/null
# shellcheck disable=SC1091
source "$dir/env.sh"

# Bold headings on a terminal only: a log file gets plain text.
bold='' plain=''
if [ -t 1 ]; then
  bold=$(tput bold 2>/dev/null || true)
  plain=$(tput sgr0 2>/dev/null || true)
fi
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
step "A second AWS account joins, with its own NAT gateway: vpcsc reads it through a role (sts:AssumeRole)"
VPCSC_ASSUME_ROLES=$(node test/local-cloud/cli.ts add-account 111111111111 --dir "$dir" --eip 203.0.113.31)
export VPCSC_ASSUME_ROLES
step "The environment is paused and resumed: the NAT gateway is replaced and gets a new Elastic IP"
node test/local-cloud/cli.ts replace-nat --dir "$dir"
expect 3 status --check
expect 3 ip sync --plan
expect 0 ip sync --yes
expect 0 status --check
step "Wait for the new list to take effect, then prove the perimeter denies"
sleep 2
expect 0 deny-test --probe-interval 1s --yes
step "The NAT gateway is replaced again and nobody syncs: the level no longer admits it"
node test/local-cloud/cli.ts replace-nat --dir "$dir" --eip 203.0.113.88
expect 4 deny-test --probe-interval 1s --yes
step "The Lambda reconciler (dist/lambda.js) gets the CreateNatGateway event and syncs, unattended"
node --input-type=module -e "
  import {readFileSync} from 'node:fs'
  const {handler} = await import('./dist/lambda.js')
  const event = JSON.parse(readFileSync('test/fixtures/eventbridge/CreateNatGateway.json', 'utf8'))
  const result = await handler(event, {functionName: 'vpcsc-reconciler'})
  console.log('result:', result.outcome, 'added', result.plan.add.join(', '), 'removed', result.plan.remove.join(', '))
"
expect 0 status --check
step "Demo finished: the access level follows the NAT gateway, by hand or by itself, and the perimeter is proven to deny."
