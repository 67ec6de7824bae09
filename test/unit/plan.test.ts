import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseCidr} from '../../src/lib/level/cidr.ts'
import {ExitCode, VpcscError} from '../../src/lib/core/errors.ts'
import {checkWritable, desiredSubnetworks, planSync, type SyncPlan} from '../../src/lib/level/plan.ts'

const LEVEL = 'accessPolicies/123/accessLevels/test_allow_ec2_ip'

const nat = (ip: string, natGatewayId = 'nat-0aaa') => ({ip, natGatewayId})

function isRefused(code: string, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof VpcscError, `expected a VpcscError, got ${String(error)}`)
    assert.equal(error.exitCode, ExitCode.refused)
    assert.equal(error.exitCode, 5)
    assert.equal(error.code, code)
    if (message) assert.match(error.message, message)
    assert.ok(error.hint && error.hint.length > 0, 'a refusal says what to do next')
    return true
  }
}

describe('desiredSubnetworks', () => {
  it('turns IPv4 egress IPs into /32 and IPv6 into /128', () => {
    assert.deepEqual(desiredSubnetworks([nat('203.0.113.10'), nat('2600:1F18::AB', 'nat-0bbb')], []), ['203.0.113.10/32', '2600:1f18::ab/128'])
  })

  it('puts kept CIDRs first, in their order, then the NAT hosts in egress order', () => {
    const keep = [parseCidr('198.51.100.0/24'), parseCidr('2001:db8::/32')]
    assert.deepEqual(desiredSubnetworks([nat('8.8.8.8'), nat('203.0.113.10')], keep), ['198.51.100.0/24', '2001:db8::/32', '8.8.8.8/32', '203.0.113.10/32'])
  })

  it('drops a NAT host that a kept range already covers', () => {
    const keep = [parseCidr('198.51.100.0/24')]
    assert.deepEqual(desiredSubnetworks([nat('198.51.100.7'), nat('203.0.113.10')], keep), ['198.51.100.0/24', '203.0.113.10/32'])
  })

  it('drops an IPv6 host covered by a kept IPv6 range, and not across families', () => {
    const keep = [parseCidr('2600:1f18::/32')]
    assert.deepEqual(desiredSubnetworks([nat('2600:1f18::5'), nat('203.0.113.10')], keep), ['2600:1f18::/32', '203.0.113.10/32'])
  })

  it('removes duplicates (the same IP twice, a kept host equal to a NAT IP)', () => {
    assert.deepEqual(desiredSubnetworks([nat('203.0.113.10'), nat('203.0.113.10', 'nat-0bbb')], []), ['203.0.113.10/32'])
    assert.deepEqual(desiredSubnetworks([nat('203.0.113.10')], [parseCidr('203.0.113.10/32')]), ['203.0.113.10/32'])
    assert.deepEqual(desiredSubnetworks([nat('2600:1f18::ab'), nat('2600:1F18:0::AB')], []), ['2600:1f18::ab/128'])
  })

  it('keeps the kept CIDRs when no NAT IP is found', () => {
    assert.deepEqual(desiredSubnetworks([], [parseCidr('198.51.100.0/24')]), ['198.51.100.0/24'])
    assert.deepEqual(desiredSubnetworks([], []), [])
  })

  it('accepts a TEST-NET egress IP (the seed uses 203.0.113.10)', () => {
    assert.deepEqual(desiredSubnetworks([nat('203.0.113.10')], []), ['203.0.113.10/32'])
  })

  for (const ip of ['127.0.0.1', '10.0.1.25', '192.168.0.9', '100.64.0.1', '::1', 'fd00::1']) {
    it(`refuses the non-public egress address ${ip} naming the gateway`, () => {
      assert.throws(() => desiredSubnetworks([nat('203.0.113.10'), nat(ip, 'nat-0bad')], []), isRefused('BAD_EGRESS_IP', /nat-0bad/))
      assert.throws(() => desiredSubnetworks([nat(ip, 'nat-0bad')], []), (error: unknown) => error instanceof VpcscError && error.message.includes(ip))
    })
  }
})

describe('planSync, replace mode', () => {
  it('adds the missing, removes the stale, keeps the rest', () => {
    const plan = planSync(['203.0.113.10/32', '192.0.2.1/32'], ['203.0.113.10/32', '8.8.8.8/32'], {addOnly: false})
    assert.deepEqual(plan.add, ['8.8.8.8/32'])
    assert.deepEqual(plan.remove, ['192.0.2.1/32'])
    assert.deepEqual(plan.unchanged, ['203.0.113.10/32'])
    assert.deepEqual(plan.result, ['203.0.113.10/32', '8.8.8.8/32'])
    assert.equal(plan.changed, true)
    assert.deepEqual(plan.current, ['203.0.113.10/32', '192.0.2.1/32'])
    assert.deepEqual(plan.desired, ['203.0.113.10/32', '8.8.8.8/32'])
  })

  it('writes unchanged entries in their current order, then the additions in desired order', () => {
    const plan = planSync(['8.8.4.4/32', '198.51.100.0/24', '1.1.1.1/32'], ['1.1.1.1/32', '9.9.9.9/32', '198.51.100.0/24', '149.112.112.112/32'], {addOnly: false})
    assert.deepEqual(plan.unchanged, ['198.51.100.0/24', '1.1.1.1/32'])
    assert.deepEqual(plan.add, ['9.9.9.9/32', '149.112.112.112/32'])
    assert.deepEqual(plan.remove, ['8.8.4.4/32'])
    assert.deepEqual(plan.result, ['198.51.100.0/24', '1.1.1.1/32', '9.9.9.9/32', '149.112.112.112/32'])
  })

  it('compares canonically: 2001:DB8::/32 held equals 2001:db8::/32 desired, and stays as written', () => {
    const plan = planSync(['2001:DB8::/32', '203.0.113.10/32'], ['2001:db8::/32', '203.0.113.10/32'], {addOnly: false})
    assert.deepEqual(plan.add, [])
    assert.deepEqual(plan.remove, [])
    assert.deepEqual(plan.unchanged, ['2001:DB8::/32', '203.0.113.10/32'])
    assert.deepEqual(plan.result, ['2001:DB8::/32', '203.0.113.10/32'])
    assert.equal(plan.changed, false)
  })

  it('compares an uncompressed IPv6 host equal to its compressed form', () => {
    const plan = planSync(['2600:1f18:0:0:0:0:0:ab/128'], ['2600:1f18::ab/128'], {addOnly: false})
    assert.equal(plan.changed, false)
  })

  it('in sync: nothing to add or remove, changed false, result equals current', () => {
    const current = ['203.0.113.10/32', '198.51.100.0/24']
    const plan = planSync(current, ['198.51.100.0/24', '203.0.113.10/32'], {addOnly: false})
    assert.equal(plan.changed, false)
    assert.deepEqual(plan.add, [])
    assert.deepEqual(plan.remove, [])
    assert.deepEqual(plan.result, current)
  })

  it('replaces everything when nothing matches (deny-test leftovers)', () => {
    const plan = planSync(['192.0.2.1/32'], ['203.0.113.10/32'], {addOnly: false})
    assert.deepEqual(plan.remove, ['192.0.2.1/32'])
    assert.deepEqual(plan.add, ['203.0.113.10/32'])
    assert.deepEqual(plan.result, ['203.0.113.10/32'])
    assert.equal(plan.changed, true)
  })

  it('an empty current list gets every desired entry', () => {
    const plan = planSync([], ['203.0.113.10/32'], {addOnly: false})
    assert.deepEqual(plan.add, ['203.0.113.10/32'])
    assert.deepEqual(plan.result, ['203.0.113.10/32'])
    assert.equal(plan.changed, true)
  })

  it('does not add the same desired entry twice', () => {
    const plan = planSync([], ['203.0.113.10/32', '203.0.113.10/32'], {addOnly: false})
    assert.deepEqual(plan.add, ['203.0.113.10/32'])
  })

  it('does not mutate its inputs', () => {
    const current = ['192.0.2.1/32']
    const desired = ['203.0.113.10/32']
    planSync(current, desired, {addOnly: false})
    assert.deepEqual(current, ['192.0.2.1/32'])
    assert.deepEqual(desired, ['203.0.113.10/32'])
  })
})

describe('planSync, add-only mode', () => {
  it('adds the missing and removes nothing', () => {
    const plan = planSync(['192.0.2.1/32', '203.0.113.10/32'], ['203.0.113.10/32', '8.8.8.8/32'], {addOnly: true})
    assert.deepEqual(plan.add, ['8.8.8.8/32'])
    assert.deepEqual(plan.remove, [])
    assert.deepEqual(plan.unchanged, ['192.0.2.1/32', '203.0.113.10/32'])
    assert.deepEqual(plan.result, ['192.0.2.1/32', '203.0.113.10/32', '8.8.8.8/32'])
    assert.equal(plan.changed, true)
  })

  it('reports no change when every desired entry is held (extras stay)', () => {
    const plan = planSync(['192.0.2.1/32', '2001:DB8::/32'], ['2001:db8::/32'], {addOnly: true})
    assert.deepEqual(plan.add, [])
    assert.deepEqual(plan.remove, [])
    assert.deepEqual(plan.result, ['192.0.2.1/32', '2001:DB8::/32'])
    assert.equal(plan.changed, false)
  })
})

describe('checkWritable', () => {
  const plan = (current: string[], desired: string[], addOnly = false): SyncPlan => planSync(current, desired, {addOnly})

  it('passes a normal plan', () => {
    assert.doesNotThrow(() => checkWritable(plan(['192.0.2.1/32'], ['203.0.113.10/32']), LEVEL))
  })

  it('refuses an empty desired list (it would write an empty ipSubnetworks)', () => {
    assert.throws(() => checkWritable(plan(['203.0.113.10/32'], []), LEVEL), isRefused('EMPTY_LIST', /empty ipSubnetworks admits every IP/))
    assert.throws(() => checkWritable(plan(['203.0.113.10/32'], []), LEVEL), new RegExp(LEVEL))
  })

  it('refuses an empty desired list in add-only mode too, although the result would not be empty, and says so', () => {
    assert.throws(() => checkWritable(plan(['203.0.113.10/32'], [], true), LEVEL), isRefused('EMPTY_LIST', /no NAT egress IP was found and no CIDR is kept; with --add-only the level would keep its list, but a selection that finds nothing is most likely wrong\./))
    assert.throws(() => checkWritable(plan(['203.0.113.10/32'], [], true), LEVEL), (error: Error) => !/admits every IP/.test(error.message))
  })

  it('refuses when both lists are empty', () => {
    assert.throws(() => checkWritable(plan([], []), LEVEL), isRefused('EMPTY_LIST'))
  })

  it('refuses a hand-made plan whose result is empty', () => {
    const bad: SyncPlan = {current: ['203.0.113.10/32'], desired: ['203.0.113.10/32'], add: [], remove: ['203.0.113.10/32'], unchanged: [], result: [], changed: true}
    assert.throws(() => checkWritable(bad, LEVEL), isRefused('EMPTY_LIST'))
  })

  const hosts = (n: number) => Array.from({length: n}, (_, i) => `8.8.${Math.floor(i / 256)}.${i % 256}/32`)

  it('accepts exactly 200 CIDRs', () => {
    assert.doesNotThrow(() => checkWritable(plan([], hosts(200)), LEVEL))
  })

  it('refuses more than 200 CIDRs with exit code 5', () => {
    assert.throws(() => checkWritable(plan([], hosts(201)), LEVEL), isRefused('TOO_MANY', /201/))
  })

  it('counts what add-only keeps: 150 held + 60 new is over the limit', () => {
    const all = hosts(210)
    assert.throws(() => checkWritable(plan(all.slice(0, 150), all.slice(150), true), LEVEL), isRefused('TOO_MANY', /210/))
  })
})

describe('planSync with unreadable sources (docs/safety.md, rule 10: fail closed)', () => {
  const denied = {account: {id: '111111111111', roleName: 'vpcsc-reader'}, code: 'AWS_ASSUME_ROLE_DENIED', message: 'AWS denied sts:AssumeRole'}
  const throttled = {account: {id: '123456789012'}, region: 'eu-west-1', code: 'AWS', message: 'RequestLimitExceeded'}

  it('adds what was read, removes nothing, and names what it did not remove', () => {
    const plan = planSync(['203.0.113.10/32', '198.51.100.7/32'], ['203.0.113.10/32', '203.0.113.77/32'], {addOnly: false, unreadable: [denied]})
    assert.deepEqual(plan.add, ['203.0.113.77/32'])
    assert.deepEqual(plan.remove, [])
    assert.deepEqual(plan.unchanged, ['203.0.113.10/32', '198.51.100.7/32'])
    assert.deepEqual(plan.result, ['203.0.113.10/32', '198.51.100.7/32', '203.0.113.77/32'])
    assert.equal(plan.changed, true)
    assert.deepEqual(plan.partial, {unreadable: [denied], notRemoved: ['198.51.100.7/32']})
  })

  it('with nothing to add, changes nothing but stays partial', () => {
    const plan = planSync(['203.0.113.10/32', '198.51.100.7/32'], ['203.0.113.10/32'], {addOnly: false, unreadable: [denied, throttled]})
    assert.equal(plan.changed, false)
    assert.deepEqual(plan.result, ['203.0.113.10/32', '198.51.100.7/32'])
    assert.deepEqual(plan.partial?.unreadable, [denied, throttled])
    assert.deepEqual(plan.partial?.notRemoved, ['198.51.100.7/32'])
  })

  it('when nothing at all was read, keeps every CIDR and may be checked as writable', () => {
    const plan = planSync(['203.0.113.10/32'], [], {addOnly: false, unreadable: [throttled]})
    assert.deepEqual(plan.result, ['203.0.113.10/32'])
    assert.deepEqual(plan.remove, [])
    assert.doesNotThrow(() => checkWritable(plan, LEVEL))
  })

  it('a complete read (no unreadable source) is not partial and removes the stale CIDR', () => {
    const plan = planSync(['203.0.113.10/32', '198.51.100.7/32'], ['203.0.113.10/32'], {addOnly: false, unreadable: []})
    assert.equal(plan.partial, undefined)
    assert.deepEqual(plan.remove, ['198.51.100.7/32'])
  })

  it('with --add-only, nothing would have been removed anyway', () => {
    const plan = planSync(['198.51.100.7/32'], ['203.0.113.10/32'], {addOnly: true, unreadable: [denied]})
    assert.deepEqual(plan.partial?.notRemoved, [])
    assert.deepEqual(plan.remove, [])
  })
})
