import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {admissionOf, decideFixes, findOwner, ingressAdmits, notFoundHint, parseExplainInput, type Admission, type GatewayOwner} from '../../src/lib/report/explain.ts'
import type {AccessLevel} from '../../src/lib/gcp/types.ts'

const LEVEL = 'accessPolicies/1/accessLevels/allow'

describe('parseExplainInput', () => {
  it('reads IPs (v4 in four parts, v6, v4-mapped) and plausible ids', () => {
    assert.deepEqual(parseExplainInput('203.0.113.10'), {kind: 'ip', ip: '203.0.113.10'})
    assert.deepEqual(parseExplainInput(' 2001:DB8::1 '), {kind: 'ip', ip: '2001:db8::1'})
    assert.deepEqual(parseExplainInput('::ffff:203.0.113.10'), {kind: 'ip', ip: '203.0.113.10'})
    assert.deepEqual(parseExplainInput('Kx3N0QF7W2EXAMPLE_UID-8RM1'), {kind: 'id', id: 'Kx3N0QF7W2EXAMPLE_UID-8RM1'})
  })
  it('refuses everything else with a usage error', () => {
    for (const bad of ['', 'abc', '1.2.3', '010.0.0.1', '203.0.113.0/24', 'fe80::1%eth0', 'has space in it', 'x'.repeat(129), '12345678.9']) {
      assert.throws(() => parseExplainInput(bad), (e: {exitCode: number}) => e.exitCode === 2, bad)
    }
  })
})

describe('admissionOf', () => {
  const level: AccessLevel = {
    name: LEVEL,
    basic: {combiningFunction: 'OR', conditions: [{members: ['user:a@b.c']}, {ipSubnetworks: ['198.51.100.0/24', '203.0.113.10/32']}, {ipSubnetworks: ['203.0.113.0/24'], negate: true}]},
  }
  it('names the condition and the CIDR that hold the IP', () => {
    assert.deepEqual(admissionOf(level, '203.0.113.10'), {level: LEVEL, admits: true, condition: 1, cidr: '203.0.113.10/32', combiningFunction: 'OR'})
    assert.equal(admissionOf(level, '198.51.100.9').cidr, '198.51.100.0/24')
  })
  it('a negated condition never admits; AND is the default combining function', () => {
    assert.deepEqual(admissionOf(level, '203.0.113.11'), {level: LEVEL, admits: false, combiningFunction: 'OR'})
    assert.equal(admissionOf({name: LEVEL, basic: {conditions: []}}, '203.0.113.11').combiningFunction, 'AND')
  })
})

describe('findOwner', () => {
  it('finds the gateway holding the address, usable or not', () => {
    const nat = {
      regions: ['us-east-1'],
      gateways: [
        {id: 'nat-old', account: {id: '123456789012'}, region: 'us-east-1', vpcId: 'vpc-1', state: 'deleted', connectivityType: 'public', addresses: [{publicIp: '203.0.113.10', isPrimary: true}]},
        {id: 'nat-new', account: {id: '123456789012'}, region: 'us-east-1', vpcId: 'vpc-1', state: 'available', connectivityType: 'public', addresses: [{publicIp: '203.0.113.77', isPrimary: true}]},
      ],
      egressIps: [{ip: '203.0.113.77', natGatewayId: 'nat-new', account: {id: '123456789012'}, region: 'us-east-1', primary: true}],
      warnings: [],
      missingGatewayIds: [],
      accounts: [{account: {id: '123456789012'}, regions: ['us-east-1']}],
      unreadable: [],
    }
    assert.equal(findOwner(nat, '203.0.113.77')?.egress, true)
    assert.deepEqual(findOwner(nat, '203.0.113.10'), {natGatewayId: 'nat-old', account: '123456789012', region: 'us-east-1', vpcId: 'vpc-1', name: undefined, state: 'deleted', egress: false})
    // A member account's gateway: its account and the role it was read through.
    nat.gateways[0]!.account = {id: '111111111111', roleName: 'vpcsc-reader'} as {id: string}
    assert.deepEqual([findOwner(nat, '203.0.113.10')?.account, findOwner(nat, '203.0.113.10')?.roleName], ['111111111111', 'vpcsc-reader'])
    assert.equal(findOwner(nat, '198.51.100.1'), undefined)
  })
})

describe('ingressAdmits', () => {
  const rule = (ingressFrom: object, service = 'aiplatform.googleapis.com') => ({ingressPolicies: [{ingressFrom: {sources: [{accessLevel: LEVEL}], ...ingressFrom}, ingressTo: {operations: [{serviceName: service}]}}]})
  const sa = 'w@p.iam.gserviceaccount.com'
  it('matches identity types, listed identities, the service and the source level', () => {
    assert.equal(ingressAdmits(rule({identityType: 'ANY_IDENTITY'}), LEVEL, [], sa, 'aiplatform.googleapis.com'), true)
    assert.equal(ingressAdmits(rule({identityType: 'ANY_SERVICE_ACCOUNT'}), LEVEL, [], sa, 'aiplatform.googleapis.com'), true)
    assert.equal(ingressAdmits(rule({identityType: 'ANY_USER_ACCOUNT'}), LEVEL, [], sa, 'aiplatform.googleapis.com'), false)
    assert.equal(ingressAdmits(rule({identities: [`serviceAccount:${sa}`]}), LEVEL, [], sa, 'aiplatform.googleapis.com'), true)
    assert.equal(ingressAdmits(rule({identities: ['serviceAccount:other@p.iam.gserviceaccount.com']}), LEVEL, [], sa, 'aiplatform.googleapis.com'), false)
    assert.equal(ingressAdmits(rule({identityType: 'ANY_IDENTITY'}, 'storage.googleapis.com'), LEVEL, [], sa, 'aiplatform.googleapis.com'), false)
    assert.equal(ingressAdmits(rule({identityType: 'ANY_IDENTITY'}, '*'), LEVEL, [], sa, 'aiplatform.googleapis.com'), true)
    assert.equal(ingressAdmits(rule({identityType: 'ANY_IDENTITY'}), 'accessPolicies/1/accessLevels/other', [], sa, 'aiplatform.googleapis.com'), false)
  })
  it('a source that requires the level is one from it (a nested level)', () => {
    const nested = 'accessPolicies/1/accessLevels/nested'
    const levels = [{name: LEVEL, title: 'l', basic: {conditions: [{requiredAccessLevels: [nested]}]}}]
    assert.equal(ingressAdmits(rule({identityType: 'ANY_IDENTITY'}), nested, levels, sa, 'aiplatform.googleapis.com'), true)
    assert.equal(ingressAdmits(rule({identityType: 'ANY_IDENTITY'}), nested, [], sa, 'aiplatform.googleapis.com'), false)
  })
})

describe('decideFixes', () => {
  const notAdmitted: Admission = {level: LEVEL, admits: false, combiningFunction: 'OR'}
  const admitted: Admission = {level: LEVEL, admits: true, condition: 0, cidr: '203.0.113.77/32', combiningFunction: 'OR'}
  const gateway: GatewayOwner = {natGatewayId: 'nat-new', region: 'us-east-1', state: 'available', egress: true}
  const none = {inProgress: false}
  const base = {address: '203.0.113.77', denyTest: none, keep: [], keepCovers: false}
  const kinds = (facts: Parameters<typeof decideFixes>[0]) => decideFixes(facts).map((f) => f.kind)
  const perimeter = {name: 'accessPolicies/1/servicePerimeters/p', mode: 'enforced' as const, call: 'enforced' as const, levelInAccessLevels: false, levelInIngressSources: true, levelInEgressSources: false, levelRequiredBy: []}

  it('a selected gateway the level lacks: ip sync; a kept range: ip sync; no gateway: --keep; a deleted gateway: nothing to add', () => {
    assert.deepEqual(kinds({...base, gateway, admission: notAdmitted}), ['ip-sync'])
    assert.deepEqual(kinds({...base, admission: notAdmitted, keepCovers: true}), ['ip-sync'])
    assert.deepEqual(decideFixes({...base, admission: notAdmitted}).map((f) => f.command), ['vpcsc ip sync --keep 203.0.113.77/32'])
    // A --keep replaces the kept list from VPCSC_KEEP or the file: the command repeats it, or it would remove those.
    assert.deepEqual(decideFixes({...base, admission: notAdmitted, keep: ['198.51.100.0/24']}).map((f) => f.command), ['vpcsc ip sync --keep 198.51.100.0/24 --keep 203.0.113.77/32'])
    assert.deepEqual(kinds({...base, gateway: {...gateway, state: 'deleted', egress: false}, admission: notAdmitted}), ['none'])
  })
  it('admitted: the perimeter not using the level, or no ingress rule for the principal, is an ingress rule', () => {
    assert.deepEqual(kinds({...base, admission: admitted, perimeter: {...perimeter, levelInIngressSources: false}}), ['ingress-rule'])
    const egressOnly = decideFixes({...base, admission: admitted, perimeter: {...perimeter, levelInIngressSources: false, levelInEgressSources: true}})
    assert.match(egressOnly[0]!.text, /uses allow only as an egress rule's source, which admits nobody into it: add it/)
    const denial = {uniqueId: 'U', timestamp: 't', dryRun: false, principal: 'p@x', service: 'aiplatform.googleapis.com'}
    assert.deepEqual(kinds({...base, admission: admitted, denial, perimeter: {...perimeter, ingressAdmitsPrincipal: false}}), ['ingress-rule'])
    assert.deepEqual(kinds({...base, admission: admitted, denial, perimeter: {...perimeter, ingressAdmitsPrincipal: true}}), ['none'])
  })
  it('a deny test in progress is the only answer: no sync while it holds the level', () => {
    assert.deepEqual(kinds({...base, gateway, admission: notAdmitted, denyTest: {inProgress: true, state: 'running', denyCidr: '192.0.2.1/32'}}), ['deny-test'])
    const interrupted = decideFixes({...base, gateway, admission: notAdmitted, denyTest: {inProgress: true, state: 'gone', denyCidr: '192.0.2.1/32'}})
    assert.match(interrupted[0]!.text, /interrupted deny test .* vpcsc restore/)
  })
  it('a caller IP that is not an address: an ingress rule', () => {
    assert.deepEqual(kinds({...base, address: undefined}), ['ingress-rule'])
  })
})

describe('notFoundHint', () => {
  const now = new Date('2026-12-01T00:00:00Z')
  const back = (days: number) => new Date(now.getTime() - days * 86_400_000)

  it('a window shorter than the default retention: look further back, to 30 days', () => {
    assert.match(notFoundHint(back(7), now), /look further back, e\.g\. --since 30d;/)
    assert.match(notFoundHint(back(0.5), now), /--since 30d/)
  })

  it('from 30 days on: never the window already searched; an older entry is gone unless the bucket keeps it longer', () => {
    for (const days of [30, 45]) {
      const hint = notFoundHint(back(days), now)
      assert.doesNotMatch(hint, new RegExp(`--since ${days}d`), hint)
      assert.match(hint, new RegExp(`an older one is gone, unless the bucket keeps them longer \\(then --since ${days * 2}d\\)`), hint)
    }
  })
})
