import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {redact, runNotice, syncMessage} from '../../src/lib/core/notify.ts'
import {partialReadError, type LevelSyncResult} from '../../src/lib/level/sync.ts'

const LEVEL = 'accessPolicies/1/accessLevels/allow_nat'

const written: LevelSyncResult = {
  level: LEVEL,
  condition: 0,
  outcome: 'written',
  plan: {current: ['203.0.113.10/32'], desired: ['203.0.113.20/32', '203.0.113.21/32'], add: ['203.0.113.20/32', '203.0.113.21/32'], remove: ['203.0.113.10/32'], unchanged: [], result: ['203.0.113.20/32', '203.0.113.21/32'], changed: true},
  egressIps: [
    {ip: '203.0.113.20', natGatewayId: 'nat-1', account: {id: '123456789012'}, region: 'eu-west-1', primary: true},
    {ip: '203.0.113.21', natGatewayId: 'nat-2', account: {id: '111111111111', roleName: 'vpcsc-reader'}, region: 'us-east-1', primary: true},
  ],
  warnings: [],
  write: {method: 'replaceAll', operation: 'operations/x', answerLost: false, retriedWithFreshEtag: false, writeMs: 1, written: ['203.0.113.20/32', '203.0.113.21/32']},
  timingsMs: {read: 1, total: 2},
}

describe('syncMessage', () => {
  it('a write: the changes, the level, the regions, the command and exit code', () => {
    assert.equal(
      syncMessage({command: 'vpcsc ip sync --yes', exitCode: 0, result: written}),
      `vpcsc wrote allow_nat (${LEVEL}), condition 0: 2 added, 1 removed, now 2 CIDRs.\n+ 203.0.113.20/32\n+ 203.0.113.21/32\n- 203.0.113.10/32\nNAT gateways read in: eu-west-1, us-east-1; accounts 123456789012, 111111111111 (vpcsc-reader).\nRun: vpcsc ip sync --yes (exit 0).`,
    )
  })

  it("the caller's own account whose id could not be read is 'own account', never 'undefined'", () => {
    const unknown = {...written, egressIps: written.egressIps.map((e) => (e.account.roleName ? e : {...e, account: {}}))}
    assert.match(syncMessage({command: 'c', exitCode: 0, result: unknown}), /; accounts own account, 111111111111 \(vpcsc-reader\)\.\n/)
  })

  it('a refusal (5, 6) and a failure (anything else) are worded apart, with the next step', () => {
    const error = {code: 'EMPTY_LIST', message: 'Refusing.', hint: 'Keep a CIDR.'}
    assert.match(syncMessage({command: 'c', exitCode: 5, level: LEVEL, error}), /^vpcsc refused to sync allow_nat .*\(EMPTY_LIST\): Refusing\.\nNext: Keep a CIDR\.\nRun: c \(exit 5\)\.$/)
    assert.match(syncMessage({command: 'c', exitCode: 1, error: {code: 'CONFLICT', message: 'Changed.'}}), /^vpcsc failed to sync the access level \(CONFLICT\): Changed\.\nRun: c \(exit 1\)\.$/)
  })

  it('a skip says nothing was written, and why', () => {
    const text = syncMessage({command: 'Lambda f, scheduled sweep', exitCode: 5, level: LEVEL, skipped: 'deny test in progress', error: {code: 'TEST_RUNNING', message: 'A deny test is running.', hint: 'Wait.'}})
    assert.equal(text, `vpcsc skipped allow_nat (${LEVEL}): deny test in progress. Nothing was written.\nA deny test is running. Wait.\nRun: Lambda f, scheduled sweep (exit 5).`)
  })

  // A partial read: the write of the additions read, and every removal held back. One run, one message.
  const unreadable = [{account: {id: '222222222222', roleName: 'vpcsc-reader'}, code: 'AWS_ASSUME_ROLE_DENIED', message: 'AWS denied sts:AssumeRole on arn:aws:iam::222222222222:role/vpcsc-reader.'}]
  const partialPlan = {current: ['203.0.113.10/32', '203.0.113.41/32'], desired: ['203.0.113.20/32'], add: ['203.0.113.20/32'], remove: [], unchanged: ['203.0.113.10/32', '203.0.113.41/32'], result: ['203.0.113.10/32', '203.0.113.41/32', '203.0.113.20/32'], changed: true, partial: {unreadable, notRemoved: ['203.0.113.10/32', '203.0.113.41/32']}}
  const partialWrite: LevelSyncResult = {...written, plan: partialPlan, egressIps: [written.egressIps[0]!], write: {...written.write!, written: partialPlan.result}}

  it('a partial read that wrote its additions: one message with the write, the sources not read, what was kept, exit 1', () => {
    const notice = runNotice('vpcsc ip sync --yes', {result: partialWrite, error: partialReadError(partialPlan, true)})
    assert.equal(
      syncMessage(notice!),
      [
        `vpcsc wrote allow_nat (${LEVEL}), condition 0: 1 added, 0 removed, now 3 CIDRs.`,
        '+ 203.0.113.20/32',
        'Not complete (PARTIAL_READ): Not every NAT source could be read, so additions written (1), nothing removed:',
        '  - account 222222222222 (role vpcsc-reader): AWS denied sts:AssumeRole on arn:aws:iam::222222222222:role/vpcsc-reader.',
        'Not removed, as they may belong to a source not read: 203.0.113.10/32, 203.0.113.41/32.',
        'Next: Fix access to those sources and run vpcsc ip sync again.',
        'NAT gateways read in: eu-west-1; accounts 123456789012.',
        'Run: vpcsc ip sync --yes (exit 1).',
      ].join('\n'),
    )
  })

  it('a partial read with nothing to add: a failure, naming the sources and what was kept', () => {
    const plan = {...partialPlan, add: [], result: partialPlan.current, changed: false}
    const text = syncMessage(runNotice('c', {result: {...partialWrite, outcome: 'partial', plan, write: undefined}, error: partialReadError(plan, false)})!)
    assert.match(text, /^vpcsc failed to sync allow_nat .*\(PARTIAL_READ\): Not every NAT source could be read, so nothing removed:\n {2}- account 222222222222 \(role vpcsc-reader\)/)
    assert.match(text, /\nNot removed, as they may belong to a source not read: 203\.0\.113\.10\/32, 203\.0\.113\.41\/32\.\n/)
    assert.match(text, /\nRun: c \(exit 1\)\.$/)
  })

  it('runNotice: a write or an error is told, at the error\'s exit code; in sync, declined or a plan is not', () => {
    assert.equal(runNotice('c', {result: {...written, outcome: 'in-sync', write: undefined}}), undefined)
    assert.equal(runNotice('c', {result: {...written, outcome: 'declined', write: undefined}}), undefined)
    assert.equal(runNotice('c', {result: written})!.exitCode, 0)
    const failed = runNotice('c', {level: LEVEL, error: new Error('socket hang up')})!
    assert.deepEqual([failed.exitCode, failed.error!.code, failed.level], [1, 'ERROR', LEVEL])
  })

  it('never carries a token, whatever an error text held', () => {
    const text = syncMessage({command: 'c', exitCode: 1, error: {code: 'AUTH', message: 'got ya29.a0AfH6SMBx-secret_value and "access_token": "abc.def" with Authorization: Bearer eyJhbGciOi.x.y key ASIAABCDEFGHIJKLMNOP'}})
    for (const secret of ['ya29.a0', 'secret_value', 'abc.def', 'eyJhbGciOi', 'ASIAABCDEFGHIJKLMNOP']) assert.ok(!text.includes(secret), `${secret} in ${text}`)
    assert.equal(redact('nothing to hide 203.0.113.10/32'), 'nothing to hide 203.0.113.10/32')
  })
})
