import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {Enforcement} from './enforcement.ts'
import type {JsonObject} from './json.ts'
import {parseFilter} from './log-filter.ts'
import {LEVEL, OTHER_LEVEL, PERIMETER, POLICY, PROJECT_NUMBER, SEED_EIP, seedState} from './seed.ts'
import {decide, ipInCidr, levelAdmits} from './vpc-sc.ts'
import type {AcmState, Caller} from './vpc-sc.ts'

// The pure parts: the VPC-SC decision, propagation snapshots, the Logging filter subset.

const OPERATOR_IP = '198.51.100.250'
const WIF = 'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/vpcsc-pool/subject/local'
const VERTEX = 'aiplatform.googleapis.com'

function caller(over: Partial<Caller> = {}): Caller {
  return {projectNumber: PROJECT_NUMBER, service: VERTEX, ip: OPERATOR_IP, principal: WIF, ...over}
}

function seed(): AcmState {
  const {levels, perimeters} = seedState()
  return {levels, perimeters}
}

/** The seed with the perimeter's status (and optionally spec/flag) replaced. */
function withPerimeter(fields: JsonObject, levels: JsonObject[] = seed().levels): AcmState {
  const perimeter = {...(seed().perimeters[0] as JsonObject), ...fields}
  return {levels, perimeters: [perimeter]}
}

const levelMap = (levels: JsonObject[]): Map<string, JsonObject> => new Map(levels.map((l) => [String(l.name), l]))

describe('decide: the seed', () => {
  it('admits the seed EIP through the ingress policy and denies the operator IP', () => {
    assert.deepEqual(decide(seed(), caller({ip: SEED_EIP})).enforced, {allowed: true, perimeter: PERIMETER})
    assert.deepEqual(decide(seed(), caller()).enforced, {allowed: false, perimeter: PERIMETER, violationReason: 'NO_MATCHING_ACCESS_LEVEL'})
  })

  it('leaves unrestricted services, other projects and bridges alone', () => {
    assert.deepEqual(decide(seed(), caller({service: 'logging.googleapis.com'})).enforced, {allowed: true})
    assert.deepEqual(decide(seed(), caller({projectNumber: '999'})).enforced, {allowed: true})
    const all = withPerimeter({status: {resources: [`projects/${PROJECT_NUMBER}`], restrictedServices: ['RESTRICTED-SERVICES']}})
    assert.equal(decide(all, caller({service: 'logging.googleapis.com'})).enforced.allowed, false)
    const bridge = withPerimeter({perimeterType: 'PERIMETER_TYPE_BRIDGE'})
    assert.equal(decide(bridge, caller()).enforced.allowed, true)
  })

  it('has no dry-run config unless useExplicitDryRunSpec', () => {
    assert.deepEqual(decide(seed(), caller()).dryRun, {allowed: true})
    const specOnly = withPerimeter({spec: {resources: [`projects/${PROJECT_NUMBER}`], restrictedServices: [VERTEX]}})
    assert.deepEqual(decide(specOnly, caller({ip: SEED_EIP})).dryRun, {allowed: true})
  })
})

describe('decide: admission paths', () => {
  const restricted = {resources: [`projects/${PROJECT_NUMBER}`], restrictedServices: [VERTEX]}

  it('admits through accessLevels', () => {
    const state = withPerimeter({status: {...restricted, accessLevels: [OTHER_LEVEL]}})
    assert.equal(decide(state, caller()).enforced.allowed, true) // 198.51.100.0/24 holds the operator IP
    assert.equal(decide(state, caller({ip: SEED_EIP})).enforced.allowed, false)
  })

  it("admits through an ingress source '*', and checks identities, services and resources", () => {
    const ingress = (from: JsonObject, to: JsonObject = {operations: [{serviceName: VERTEX}]}): AcmState =>
      withPerimeter({status: {...restricted, ingressPolicies: [{ingressFrom: from, ingressTo: to}]}})
    assert.equal(decide(ingress({sources: [{accessLevel: '*'}], identityType: 'ANY_IDENTITY'}), caller()).enforced.allowed, true)
    assert.equal(decide(ingress({sources: [{accessLevel: '*'}], identities: [WIF]}), caller()).enforced.allowed, true)
    assert.equal(decide(ingress({sources: [{accessLevel: '*'}], identities: ['user:a@example.com']}), caller()).enforced.allowed, false)
    assert.equal(decide(ingress({sources: [{accessLevel: '*'}], identityType: 'ANY_SERVICE_ACCOUNT'}), caller()).enforced.allowed, false)
    assert.equal(
      decide(ingress({sources: [{accessLevel: '*'}], identityType: 'ANY_SERVICE_ACCOUNT'}), caller({principal: 'serviceAccount:x@p.iam.gserviceaccount.com'})).enforced.allowed,
      true,
    )
    const star = {sources: [{accessLevel: '*'}], identityType: 'ANY_IDENTITY'}
    assert.equal(decide(ingress(star, {operations: [{serviceName: '*'}]}), caller()).enforced.allowed, true)
    assert.equal(decide(ingress(star, {operations: [{serviceName: 'storage.googleapis.com'}]}), caller()).enforced.allowed, false)
    assert.equal(decide(ingress(star, {resources: ['projects/1'], operations: [{serviceName: '*'}]}), caller()).enforced.allowed, false)
    assert.equal(decide(ingress({sources: [{resource: 'projects/1'}], identityType: 'ANY_IDENTITY'}), caller()).enforced.allowed, false)
    assert.equal(decide(ingress({sources: [{accessLevel: LEVEL}], identityType: 'ANY_IDENTITY'}), caller({ip: SEED_EIP})).enforced.allowed, true)
  })

  it('decides the dry-run spec separately from the status', () => {
    const state = withPerimeter({useExplicitDryRunSpec: true, spec: {...restricted, accessLevels: [OTHER_LEVEL]}})
    const fromEip = decide(state, caller({ip: SEED_EIP}))
    assert.deepEqual(fromEip.enforced, {allowed: true, perimeter: PERIMETER})
    assert.deepEqual(fromEip.dryRun, {allowed: false, perimeter: PERIMETER, violationReason: 'NO_MATCHING_ACCESS_LEVEL'})
    const fromOperator = decide(state, caller())
    assert.equal(fromOperator.enforced.allowed, false)
    assert.equal(fromOperator.dryRun.allowed, true)
    const emptySpec = withPerimeter({useExplicitDryRunSpec: true})
    assert.deepEqual(decide(emptySpec, caller()).dryRun, {allowed: true})
  })
})

describe('levelAdmits', () => {
  const name = `${POLICY}/accessLevels/test`
  const admits = (basic: JsonObject | undefined, who: Partial<Caller> = {}, extra: JsonObject[] = []): boolean => {
    const level: JsonObject = basic ? {name, basic} : {name, custom: {expr: {expression: 'true'}}}
    return levelAdmits(name, levelMap([level, ...extra]), caller(who))
  }

  it('combines conditions with AND by default, OR when asked', () => {
    const conditions: JsonObject[] = [{ipSubnetworks: ['198.51.100.0/24']}, {members: ['user:a@example.com']}]
    assert.equal(admits({conditions}), false)
    assert.equal(admits({conditions}, {principal: 'user:a@example.com'}), true)
    assert.equal(admits({conditions, combiningFunction: 'OR'}), true)
    assert.equal(admits({conditions, combiningFunction: 'OR'}, {ip: '192.0.2.1'}), false)
  })

  it('needs every attribute of a condition; regions, devices and VPC networks never match', () => {
    assert.equal(admits({conditions: [{ipSubnetworks: ['198.51.100.0/24'], members: [WIF]}]}), true)
    assert.equal(admits({conditions: [{ipSubnetworks: ['198.51.100.0/24'], regions: ['US']}]}), false)
    assert.equal(admits({conditions: [{devicePolicy: {requireScreenlock: true}}]}), false)
    assert.equal(admits({conditions: [{vpcNetworkSources: [{vpcSubnetwork: {network: 'n'}}]}]}), false)
  })

  it('negates, follows requiredAccessLevels, survives cycles; custom and empty levels never admit', () => {
    assert.equal(admits({conditions: [{ipSubnetworks: ['192.0.2.1/32'], negate: true}]}), true)
    assert.equal(admits({conditions: [{ipSubnetworks: ['198.51.100.0/24'], negate: true}]}), false)
    const other = {name: OTHER_LEVEL, basic: {conditions: [{ipSubnetworks: ['198.51.100.0/24']}]}}
    assert.equal(admits({conditions: [{requiredAccessLevels: [OTHER_LEVEL]}]}, {}, [other]), true)
    assert.equal(admits({conditions: [{requiredAccessLevels: [OTHER_LEVEL]}]}, {ip: SEED_EIP}, [other]), false)
    assert.equal(admits({conditions: [{requiredAccessLevels: [name]}]}), false)
    assert.equal(admits(undefined), false)
    assert.equal(admits({conditions: []}), false)
    assert.equal(levelAdmits(`${POLICY}/accessLevels/missing`, new Map(), caller()), false)
  })

  it('treats an empty ipSubnetworks as no IP constraint (the live API admits every IP)', () => {
    assert.equal(admits({conditions: [{ipSubnetworks: []}]}, {ip: '192.0.2.77'}), true)
  })

  it('matches IPv4, IPv6 and IPv4-mapped callers with ipaddr.js', () => {
    assert.equal(ipInCidr('203.0.113.10', '203.0.113.10/32'), true)
    assert.equal(ipInCidr('203.0.113.11', '203.0.113.10/32'), false)
    assert.equal(ipInCidr('2001:db8::1', '2001:db8::/32'), true)
    assert.equal(ipInCidr('203.0.113.10', '2001:db8::/32'), false)
    assert.equal(ipInCidr('::ffff:203.0.113.10', '203.0.113.0/24'), true)
    assert.equal(ipInCidr('not-an-ip', '203.0.113.0/24'), false)
    assert.equal(ipInCidr('203.0.113.10', 'garbage'), false)
  })
})

describe('Enforcement (propagation)', () => {
  const state = (tag: string): AcmState => ({levels: [{name: tag}], perimeters: []})
  const tagAt = (e: Enforcement, now: number, delay: number): string => String(e.effective(now, delay).levels[0]?.name)

  it('uses the newest snapshot at least delay old, the base one before any is', () => {
    const e = new Enforcement()
    e.reset(state('base'), 1000)
    e.record(state('one'), 2000)
    e.record(state('two'), 3000)
    assert.equal(tagAt(e, 3000, 0), 'two')
    assert.equal(tagAt(e, 3000, 1000), 'one')
    assert.equal(tagAt(e, 3000, 5000), 'base')
    assert.equal(e.pending(3000, 1000), 1)
  })

  it('keeps copies, and keeps what is enforced when the clock moves back', () => {
    const e = new Enforcement()
    const live = state('base')
    e.reset(live, 1000)
    ;(live.levels[0] as JsonObject).name = 'mutated'
    assert.equal(tagAt(e, 1000, 0), 'base')
    e.record(state('new'), 2000)
    e.clockMoved(-10_000)
    assert.equal(tagAt(e, 2000 - 10_000, 0), 'new')
    e.clockMoved(+10_000)
    assert.equal(tagAt(e, 2000, 500), 'new')
  })
})

describe('parseFilter', () => {
  const entry = (over: JsonObject = {}): {entry: JsonObject; ms: number} => ({
    entry: {
      logName: 'projects/vpcsc-demo/logs/cloudaudit.googleapis.com%2Fpolicy',
      resource: {type: 'audited_resource'},
      protoPayload: {
        serviceName: VERTEX,
        metadata: {
          '@type': 'type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata',
          securityPolicyInfo: {servicePerimeterName: PERIMETER},
          ...over,
        },
      },
    },
    ms: Date.parse('2025-01-02T03:04:05.678Z'),
  })
  const matches = (filter: string, target = entry()): boolean => parseFilter(filter)(target)

  it('matches AND-joined terms, quoted or not, with NOT on a missing field', () => {
    assert.equal(matches(''), true)
    assert.equal(matches('logName="projects/vpcsc-demo/logs/cloudaudit.googleapis.com%2Fpolicy" resource.type=audited_resource'), true)
    assert.equal(matches(`protoPayload.metadata.@type="type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata" AND protoPayload.serviceName="${VERTEX}"`), true)
    assert.equal(matches('protoPayload.metadata.dryRun=true'), false)
    assert.equal(matches('NOT protoPayload.metadata.dryRun=true'), true)
    assert.equal(matches('-protoPayload.metadata.dryRun=true'), true)
    assert.equal(matches('protoPayload.metadata.dryRun=true', entry({dryRun: true})), true)
    assert.equal(matches('NOT protoPayload.metadata.dryRun=true', entry({dryRun: true})), false)
    assert.equal(matches('protoPayload.metadata.securityPolicyInfo.servicePerimeterName:"VPCSC_VERTEX"'), true)
    assert.equal(matches(`protoPayload.metadata.securityPolicyInfo.servicePerimeterName="${PERIMETER}"`), true)
    assert.equal(matches('protoPayload.metadata.securityPolicyInfo.servicePerimeterName="accessPolicies/1/servicePerimeters/x"'), false)
  })

  it('compares timestamps as times', () => {
    assert.equal(matches('timestamp>="2025-01-02T03:04:05.678Z"'), true)
    assert.equal(matches('timestamp>"2025-01-02T03:04:05.678Z"'), false)
    assert.equal(matches('timestamp >= "2025-01-02T04:00:00+01:00"'), true)
    assert.equal(matches('timestamp<="2025-01-02T03:04:05Z"'), false)
    assert.equal(matches('timestamp<2025-01-03T00:00:00Z AND timestamp>="2025-01-01T00:00:00.000000001Z"'), true)
  })

  it('rejects what it does not support, naming the term', () => {
    const rejects = (filter: string, pattern: RegExp): void => {
      assert.throws(() => parseFilter(filter), (error: Error & {code?: number}) => {
        assert.equal(error.code, 400)
        assert.match(error.message, pattern)
        return true
      })
    }
    rejects('severity>=ERROR', /Unsupported filter term 'severity>=ERROR'/)
    rejects('protoPayload.serviceName="a" OR protoPayload.serviceName="b"', /'OR'/)
    rejects('(logName="x")', /parentheses/)
    rejects('vpcsc', /Unsupported filter term 'vpcsc'/)
    rejects('protoPayload.serviceName!="a"', /protoPayload.serviceName!="a"/)
    rejects('protoPayload.metadata.dryRun:true', /dryRun/)
    rejects('timestamp>="yesterday"', /RFC 3339/)
    rejects('logName="x" AND', /ends with 'AND'/)
    rejects('logName="unterminated', /unterminated/)
  })
})
