import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {assertSafeSubnetworks, ipCondition, withIpSubnetworks} from '../../src/lib/level/condition.ts'
import {ExitCode, VpcscError} from '../../src/lib/core/errors.ts'
import type {AccessLevel} from '../../src/lib/gcp/types.ts'
import type {SettingSource, Sourced} from '../../src/lib/core/config.ts'

const NAME = 'accessPolicies/123/accessLevels/test_allow_ec2_ip'

/** A level like the seed's, plus conditions and fields that must survive untouched. */
function richLevel(): AccessLevel {
  return {
    name: NAME,
    title: 'test allow ec2 ip',
    description: 'Callers egressing through the NAT gateway.',
    basic: {
      combiningFunction: 'OR',
      conditions: [
        {
          members: ['serviceAccount:ci@example-project.iam.gserviceaccount.com', 'user:ops@example.com'],
          regions: ['DE', 'FR'],
          devicePolicy: {requireScreenlock: true, osConstraints: [{osType: 'DESKTOP_MAC', minimumVersion: '10.15.0'}], allowedEncryptionStatuses: ['ENCRYPTED']},
        },
        {ipSubnetworks: ['203.0.113.10/32', '2001:DB8::/32'], negate: false, requiredAccessLevels: ['accessPolicies/123/accessLevels/base']},
        {regions: ['US'], negate: true},
      ],
    },
  }
}

/** The condition index as `--condition N` gives it (or another source). */
const asked = (value: number, source: SettingSource = {kind: 'flag', name: 'condition'}): Sourced<number> => ({value, source})

function usage(message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof VpcscError, `expected a VpcscError, got ${String(error)}`)
    assert.equal(error.exitCode, ExitCode.usage)
    assert.equal(error.exitCode, 2)
    assert.match(error.message, message)
    assert.ok(error.hint, 'a usage error says what to do')
    return true
  }
}

describe('ipCondition', () => {
  it('picks the only condition holding ipSubnetworks', () => {
    const level = richLevel()
    const found = ipCondition(level)
    assert.equal(found.index, 1)
    assert.deepEqual(found.ipSubnetworks, ['203.0.113.10/32', '2001:DB8::/32'])
    assert.equal(found.condition, level.basic?.conditions[1])
  })

  it("finds the seed's single condition", () => {
    const level: AccessLevel = {name: NAME, basic: {conditions: [{ipSubnetworks: ['203.0.113.10/32']}]}}
    assert.equal(ipCondition(level).index, 0)
  })

  it('ignores a condition with an empty ipSubnetworks list', () => {
    const level: AccessLevel = {name: NAME, basic: {conditions: [{ipSubnetworks: []}, {ipSubnetworks: ['203.0.113.10/32']}]}}
    assert.equal(ipCondition(level).index, 1)
  })

  it('several conditions holding ipSubnetworks: usage error listing their indexes', () => {
    const level: AccessLevel = {
      name: NAME,
      basic: {conditions: [{ipSubnetworks: ['203.0.113.10/32']}, {members: ['user:a@example.com']}, {ipSubnetworks: ['198.51.100.0/24']}]},
    }
    assert.throws(() => ipCondition(level), usage(/2 conditions holding ipSubnetworks \(0, 2\)/))
    assert.throws(() => ipCondition(level), (error: unknown) => error instanceof VpcscError && /--condition N/.test(error.hint ?? ''))
  })

  it('several: --condition picks one', () => {
    const level: AccessLevel = {name: NAME, basic: {conditions: [{ipSubnetworks: ['203.0.113.10/32']}, {ipSubnetworks: ['198.51.100.0/24']}]}}
    const found = ipCondition(level, asked(1))
    assert.equal(found.index, 1)
    assert.deepEqual(found.ipSubnetworks, ['198.51.100.0/24'])
  })

  it('none holding ipSubnetworks: usage error', () => {
    const level: AccessLevel = {name: NAME, basic: {conditions: [{members: ['user:a@example.com']}]}}
    assert.throws(() => ipCondition(level), usage(/no condition holding ipSubnetworks/))
  })

  it('a basic level with no conditions: usage error', () => {
    assert.throws(() => ipCondition({name: NAME, basic: {conditions: []}}), usage(/no condition holding ipSubnetworks/))
  })

  it('--condition N on a condition of members/regions/devicePolicy without IPs: refused, naming the condition that holds them', () => {
    // The IP list would be ANDed into condition 0: only its members, from DE or FR, on a locked Mac.
    assert.throws(() => ipCondition(richLevel(), asked(0)), usage(/--condition 0 holds no ipSubnetworks .*: it holds members, regions and devicePolicy, and IPs written there would be ANDed with them/))
    assert.throws(() => ipCondition(richLevel(), asked(2)), usage(/--condition 2 holds no ipSubnetworks/))
    assert.throws(() => ipCondition(richLevel(), asked(2)), (error: unknown) => error instanceof VpcscError && /condition 1: use --condition 1, or leave --condition out/.test(error.hint ?? ''))
  })

  it('--condition N when no condition holds IPs: refused, saying none does', () => {
    const level: AccessLevel = {name: NAME, basic: {conditions: [{members: ['user:a@example.com']}, {}]}}
    assert.throws(() => ipCondition(level, asked(0)), (error: unknown) => error instanceof VpcscError && error.exitCode === 2 && /No condition of the level holds an IP list/.test(error.hint ?? ''))
    assert.throws(() => ipCondition(level, asked(1)), usage(/--condition 1 holds no ipSubnetworks .*: it holds no IP list/))
  })

  it('--condition N on the condition that holds IPs: that one', () => {
    const found = ipCondition(richLevel(), asked(1))
    assert.equal(found.index, 1)
    assert.deepEqual(found.ipSubnetworks, ['203.0.113.10/32', '2001:DB8::/32'])
  })

  it('--condition N out of range: usage error naming the count', () => {
    assert.throws(() => ipCondition(richLevel(), asked(3)), usage(/--condition 3 does not exist: .* has 3 conditions \(0 to 2\)/))
    assert.throws(() => ipCondition(richLevel(), asked(40)), usage(/--condition 40 does not exist/))
  })

  it('every refusal names where the index came from: the flag, the variable or the config file field', () => {
    const env: SettingSource = {kind: 'env', name: 'VPCSC_CONDITION'}
    const file: SettingSource = {kind: 'file', name: 'condition', file: '/etc/vpcsc/vpcsc.config.json'}
    const hint = (pattern: RegExp) => (error: unknown) => error instanceof VpcscError && pattern.test(error.hint ?? '')
    assert.throws(() => ipCondition(richLevel(), asked(2, env)), usage(/^VPCSC_CONDITION 2 holds no ipSubnetworks in .*: it holds regions/))
    assert.throws(() => ipCondition(richLevel(), asked(2, env)), hint(/condition 1: use VPCSC_CONDITION=1, or leave VPCSC_CONDITION out\.$/))
    assert.throws(() => ipCondition(richLevel(), asked(0, file)), usage(/^\/etc\/vpcsc\/vpcsc\.config\.json: field "condition" 0 holds no ipSubnetworks in /))
    assert.throws(() => ipCondition(richLevel(), asked(0, file)), hint(/condition 1: use "condition": 1 in \/etc\/vpcsc\/vpcsc\.config\.json, or leave "condition" out\.$/))
    assert.throws(() => ipCondition(richLevel(), asked(3, env)), usage(/^VPCSC_CONDITION 3 does not exist: /))
    const vpc: AccessLevel = {name: NAME, basic: {conditions: [{vpcNetworkSources: [{vpcSubnetwork: {network: 'n'}}]}]}}
    assert.throws(() => ipCondition(vpc, asked(0, file)), usage(/^\/etc\/vpcsc\/vpcsc\.config\.json: field "condition" 0 names a condition of .* that holds vpcNetworkSources/))
    for (const source of [env, file]) assert.throws(() => ipCondition(richLevel(), asked(0, source)), (error: unknown) => error instanceof VpcscError && !/--condition/.test(`${error.message} ${error.hint}`))
  })

  it('--condition N on a condition holding vpcNetworkSources: usage error', () => {
    const level: AccessLevel = {name: NAME, basic: {conditions: [{vpcNetworkSources: [{vpcSubnetwork: {network: 'n'}}]}]}}
    assert.throws(() => ipCondition(level, asked(0)), usage(/vpcNetworkSources/))
  })

  it('a custom level: refused with exit code 5', () => {
    const level: AccessLevel = {name: NAME, custom: {expr: {expression: "origin.ip == '203.0.113.10'"}}}
    assert.throws(
      () => ipCondition(level),
      (error: unknown) => error instanceof VpcscError && error.exitCode === ExitCode.refused && error.code === 'CUSTOM_LEVEL' && error.message.includes(NAME),
    )
    assert.throws(() => ipCondition(level, asked(0)), (error: unknown) => error instanceof VpcscError && error.exitCode === 5)
  })

  it('a level with neither basic nor custom: refused with exit code 5', () => {
    assert.throws(() => ipCondition({name: NAME}), (error: unknown) => error instanceof VpcscError && error.exitCode === 5)
  })
})

describe('withIpSubnetworks', () => {
  const NEW = ['198.51.100.20/32', '2600:1f18::ab/128']

  it('replaces the list of that condition', () => {
    const updated = withIpSubnetworks(richLevel(), 1, NEW)
    assert.deepEqual(updated.basic?.conditions[1]?.ipSubnetworks, NEW)
  })

  it('leaves every other condition deep-equal and JSON-byte-identical', () => {
    const before = richLevel()
    const updated = withIpSubnetworks(before, 1, NEW)
    assert.equal(updated.basic?.conditions.length, 3)
    for (const i of [0, 2]) {
      assert.deepEqual(updated.basic?.conditions[i], before.basic?.conditions[i])
      assert.equal(JSON.stringify(updated.basic?.conditions[i]), JSON.stringify(before.basic?.conditions[i]))
    }
  })

  it('leaves the level minus that list JSON-byte-identical (field order too)', () => {
    const before = richLevel()
    const updated = withIpSubnetworks(before, 1, NEW)
    const minusList = (level: AccessLevel) => JSON.stringify(level, (key, value: unknown) => (key === 'ipSubnetworks' ? undefined : value))
    assert.equal(minusList(updated), minusList(before))
    assert.deepEqual(Object.keys(updated), Object.keys(before))
    assert.deepEqual(Object.keys(updated.basic?.conditions[1] ?? {}), Object.keys(before.basic?.conditions[1] ?? {}))
    // And the only difference in the whole document is the list itself.
    const swapped = JSON.parse(JSON.stringify(before)) as AccessLevel
    swapped.basic!.conditions[1]!.ipSubnetworks = NEW
    assert.equal(JSON.stringify(updated), JSON.stringify(swapped))
  })

  it('does not mutate its input, nor share the new list with the caller', () => {
    const before = richLevel()
    const snapshot = JSON.stringify(before)
    const list = [...NEW]
    const updated = withIpSubnetworks(before, 1, list)
    assert.equal(JSON.stringify(before), snapshot)
    assert.notEqual(updated, before)
    assert.notEqual(updated.basic?.conditions[0], before.basic?.conditions[0])
    list.push('8.8.8.8/32')
    assert.deepEqual(updated.basic?.conditions[1]?.ipSubnetworks, NEW)
  })

  it('can give a condition its first list', () => {
    const updated = withIpSubnetworks(richLevel(), 2, ['203.0.113.10/32'])
    assert.deepEqual(updated.basic?.conditions[2], {regions: ['US'], negate: true, ipSubnetworks: ['203.0.113.10/32']})
  })

  it('throws on a condition that does not exist', () => {
    assert.throws(() => withIpSubnetworks(richLevel(), 5, NEW), /condition 5/)
  })
})

describe('assertSafeSubnetworks', () => {
  it('refuses an empty list with exit code 5', () => {
    const level = withIpSubnetworks(richLevel(), 1, [])
    assert.throws(
      () => assertSafeSubnetworks(level, 1),
      (error: unknown) => error instanceof VpcscError && error.exitCode === ExitCode.refused && error.code === 'EMPTY_LIST' && /admits every IP/.test(error.message),
    )
  })

  it('refuses a condition without the list, or a missing condition', () => {
    assert.throws(() => assertSafeSubnetworks(richLevel(), 0), (error: unknown) => error instanceof VpcscError && error.code === 'EMPTY_LIST')
    assert.throws(() => assertSafeSubnetworks(richLevel(), 9), (error: unknown) => error instanceof VpcscError && error.code === 'EMPTY_LIST')
  })

  it('passes a non-empty list', () => {
    assert.doesNotThrow(() => assertSafeSubnetworks(richLevel(), 1))
  })
})
