import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {denyTestWarnings, type DenyTestResult} from '../../src/lib/deny-test/run.ts'
import {promoteWarnings, writeWarnings, type Gate} from '../../src/lib/perimeter/promote.ts'
import {statusWarnings, type StatusReport} from '../../src/lib/report/status.ts'

const LEVEL = 'accessPolicies/1/accessLevels/vpcsc_allow_ec2_ip'

function status(overrides: Partial<Omit<StatusReport, 'warnings'>> = {}): Omit<StatusReport, 'warnings'> {
  return {
    policy: {name: 'accessPolicies/1'},
    level: {name: LEVEL, conditions: [], managedCondition: 0, managedCidrs: ['203.0.113.10/32']},
    nat: {regions: ['us-east-1'], accounts: [], unreadable: [], gateways: [], egressIps: [], warnings: [], missingGatewayIds: []},
    keep: [],
    drift: {missing: [], stale: [], testNet: [], unkept: [], inSync: true},
    timingsMs: {total: 1},
    ...overrides,
  } as Omit<StatusReport, 'warnings'>
}

describe('statusWarnings', () => {
  it('none for a clean read', () => {
    assert.deepEqual(statusWarnings(status()), [])
  })

  it("the NAT selection's own first, then each unread source, an unmanaged level, uncounted violations, an interrupted test", () => {
    const report = status({
      nat: {...status().nat, warnings: ['No NAT gateway matched the selection.'], unreadable: [{account: {id: '111111111111', roleName: 'r'}, region: 'eu-west-1', code: 'AWS', message: 'throttled'}]},
      level: {name: LEVEL, conditions: [], managedCidrs: [], managedProblem: 'two conditions hold IPs'},
      perimeter: {name: 'p', mode: 'dry-run', resources: [], restrictedServices: [], levelInAccessLevels: true, levelInIngressSources: false, levelInEgressSources: false, levelRequiredBy: [], dryRun: {resources: [], restrictedServices: [], levelInAccessLevels: true, levelInIngressSources: false, levelInEgressSources: false, levelRequiredBy: [], differs: '', violationsProblem: 'logging denied'}},
      denyTest: {running: false, owner: 'gone', who: 'pid 7 on host (ops), started 2026-12-01T00:00:00Z', startedAt: '2026-12-01T00:00:00Z', denyCidr: '192.0.2.1/32'},
    })
    const warnings = statusWarnings(report)
    assert.equal(warnings.length, 5, warnings.join('\n'))
    assert.equal(warnings[0], 'No NAT gateway matched the selection.')
    assert.match(warnings[1]!, /^NAT gateways not read, the drift is incomplete: account 111111111111 \(role r\) in eu-west-1: throttled$/)
    assert.match(warnings[2]!, /two conditions hold IPs/)
    assert.match(warnings[3]!, /^Dry-run violations not counted: logging denied$/)
    assert.equal(warnings[4], `An interrupted deny test (pid 7 on host (ops), started 2026-12-01T00:00:00Z) left ${LEVEL} swapped to 192.0.2.1/32: run vpcsc restore.`)
  })

  it('a deny test still running is no warning: the screen says it runs', () => {
    const report = status({denyTest: {running: true, owner: 'running-elsewhere', who: 'ops@host', startedAt: '2026-12-01T00:00:00Z', denyCidr: '192.0.2.1/32'}})
    assert.deepEqual(statusWarnings(report), [])
  })
})

describe('denyTestWarnings', () => {
  const base = {level: LEVEL, perimeter: 'p', denyCidr: '192.0.2.1/32', probe: 'ssm', baseline: {verdict: 'ALLOWED', detail: '200'}, timingsMs: {total: 1}} as Omit<DenyTestResult, 'warnings' | 'outcome'>

  it('none for a pass that waited for the recovery', () => {
    assert.deepEqual(denyTestWarnings({...base, outcome: 'pass', recovery: {reached: true, attempts: 1, elapsedMs: 1, last: base.baseline}}), [])
  })

  it('an interrupt before the swap wrote nothing; after it, says whether the level is back', () => {
    assert.deepEqual(denyTestWarnings({...base, outcome: 'interrupted'}), ['Interrupted before the swap: no verdict, nothing was written.'])
    assert.deepEqual(denyTestWarnings({...base, outcome: 'interrupted', restore: {level: LEVEL, outcome: 'restored', ms: 1}}), ['Interrupted: no verdict; the access level holds its original again.'])
    assert.match(denyTestWarnings({...base, outcome: 'interrupted', restore: {level: LEVEL, outcome: 'discarded', ms: 1}})[0]!, /may still be swapped: run vpcsc restore/)
  })

  it("a restore whose answer was lost, and a recovery not waited for", () => {
    const warnings = denyTestWarnings({...base, outcome: 'pass', restore: {level: LEVEL, outcome: 'restored', answerLost: true, ms: 1}, recovery: {skipped: true}})
    assert.equal(warnings.length, 2)
    assert.match(warnings[0]!, /answer was lost/)
    assert.match(warnings[1]!, /--no-recovery-wait/)
  })
})

describe('promoteWarnings', () => {
  const gate = (count: number, truncated = false): Gate => ({lookbackMs: 1, since: '2026-12-01T00:00:00.000Z', count, groups: [], truncated})

  it('each perimeter promoted past its violations, then the write', () => {
    const warnings = promoteWarnings([{name: 'accessPolicies/1/servicePerimeters/a', gate: gate(1)}, {name: 'accessPolicies/1/servicePerimeters/b', gate: gate(0)}, {name: 'accessPolicies/1/servicePerimeters/c', gate: gate(50, true)}], {answerLost: true}, true)
    assert.deepEqual(warnings, [
      'a: 1 dry-run violation since 2026-12-01T00:00:00.000Z; promoted with --force, those callers are denied once it is enforced.',
      'c: 50 dry-run violations or more since 2026-12-01T00:00:00.000Z; promoted with --force, those callers are denied once it is enforced.',
      "The API's answer was lost; a read of the perimeter confirmed the write.",
      'The perimeter came without an etag: written with --force, without compare-and-swap.',
    ])
  })

  it('no write, no write warnings', () => {
    assert.deepEqual(writeWarnings(undefined, true), [])
    assert.deepEqual(writeWarnings({answerLost: false}, false), [])
  })
})
