import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseCidr} from '../../src/lib/level/cidr.ts'
import {computeDrift} from '../../src/lib/level/drift.ts'

describe('computeDrift', () => {
  it('is in sync when each NAT IP is held and nothing else is', () => {
    const drift = computeDrift(['203.0.113.10/32', '2600:1f18::ab/128'], ['203.0.113.10', '2600:1f18::ab'], [])
    assert.deepEqual(drift, {missing: [], stale: [], testNet: [], unkept: [], inSync: true})
  })

  it('reports a NAT IP that no CIDR admits as missing', () => {
    const drift = computeDrift(['203.0.113.10/32'], ['203.0.113.10', '8.8.8.8'], [])
    assert.deepEqual(drift.missing, ['8.8.8.8'])
    assert.deepEqual(drift.stale, [])
    assert.equal(drift.inSync, false)
  })

  it('reports a CIDR that matches no NAT IP as stale', () => {
    const drift = computeDrift(['203.0.113.10/32', '8.8.4.4/32'], ['203.0.113.10'], [])
    assert.deepEqual(drift.missing, [])
    assert.deepEqual(drift.stale, ['8.8.4.4/32'])
    assert.deepEqual(drift.testNet, [])
    assert.equal(drift.inSync, false)
  })

  it('after a new NAT gateway: the old EIP is stale and the new one missing', () => {
    const drift = computeDrift(['203.0.113.10/32'], ['198.51.100.20'], [])
    assert.deepEqual(drift.missing, ['198.51.100.20'])
    assert.deepEqual(drift.stale, ['203.0.113.10/32'])
    assert.equal(drift.inSync, false)
  })

  it('an empty level misses every NAT IP', () => {
    const drift = computeDrift([], ['203.0.113.10'], [])
    assert.deepEqual(drift.missing, ['203.0.113.10'])
    assert.equal(drift.inSync, false)
  })

  it('no NAT IP: every unkept CIDR is stale', () => {
    const drift = computeDrift(['8.8.8.8/32'], [], [])
    assert.deepEqual(drift.stale, ['8.8.8.8/32'])
    assert.deepEqual(drift.missing, [])
    assert.equal(drift.inSync, false)
  })

  it('does not report kept CIDRs as stale', () => {
    const keep = [parseCidr('198.51.100.0/24'), parseCidr('2001:db8::/32')]
    const drift = computeDrift(['203.0.113.10/32', '198.51.100.0/24', '2001:db8::/32'], ['203.0.113.10'], keep)
    assert.deepEqual(drift.stale, [])
    assert.deepEqual(drift.testNet, [])
    assert.equal(drift.inSync, true)
  })

  it('reports a kept CIDR the level does not hold: ip sync would add it, so the level drifts', () => {
    const keep = [parseCidr('198.51.100.0/24'), parseCidr('2001:db8::/32')]
    const drift = computeDrift(['203.0.113.10/32', '2001:db8::/32', '198.51.0.0/16'], ['203.0.113.10'], keep)
    assert.deepEqual(drift.unkept, ['198.51.100.0/24'], 'a wider CIDR that contains it is not the kept CIDR')
    assert.deepEqual(drift.stale, ['198.51.0.0/16'])
    assert.equal(drift.inSync, false)
    assert.equal(computeDrift(['203.0.113.10/32'], ['203.0.113.10'], [parseCidr('198.51.100.0/24')]).inSync, false)
  })

  it('recognises a kept CIDR spelled differently in the level', () => {
    const drift = computeDrift(['2001:DB8:0::/32', '203.0.113.10/32'], ['203.0.113.10'], [parseCidr('2001:db8::/32')])
    assert.deepEqual(drift.stale, [])
    assert.deepEqual(drift.unkept, [])
    assert.deepEqual(drift.testNet, [])
    assert.equal(drift.inSync, true)
  })

  it('a kept CIDR must match exactly: a narrower CIDR inside a kept range is still stale', () => {
    const drift = computeDrift(['198.51.100.0/25', '203.0.113.10/32'], ['203.0.113.10'], [parseCidr('198.51.100.0/24')])
    assert.deepEqual(drift.stale, ['198.51.100.0/25'])
  })

  it('a CIDR wider than /32 that covers a NAT IP is not stale, and the IP is not missing', () => {
    const drift = computeDrift(['8.8.8.0/24'], ['8.8.8.8'], [])
    assert.deepEqual(drift.stale, [])
    assert.deepEqual(drift.missing, [])
    assert.equal(drift.inSync, true)
  })

  it('an IPv6 range covering an IPv6 NAT IP is not stale; an IPv4 IP is not covered by it', () => {
    const drift = computeDrift(['2600:1f18::/32'], ['2600:1f18::5', '203.0.113.10'], [])
    assert.deepEqual(drift.stale, [])
    assert.deepEqual(drift.missing, ['203.0.113.10'])
  })

  it('reports TEST-NET 192.0.2.1/32 left by a deny test in testNet (and as stale)', () => {
    const drift = computeDrift(['192.0.2.1/32'], ['203.0.113.10'], [], ['192.0.2.1/32'])
    assert.deepEqual(drift.testNet, ['192.0.2.1/32'])
    assert.deepEqual(drift.stale, ['192.0.2.1/32'])
    assert.deepEqual(drift.missing, ['203.0.113.10'])
    assert.equal(drift.inSync, false)
  })

  it('reports only the deny CIDR of a known test in testNet: other TEST-NET ranges are only stale', () => {
    const drift = computeDrift(['198.51.100.0/24', '2001:db8::1/128', '8.8.8.8/32', '192.0.2.1/32'], ['9.9.9.9'], [], ['192.0.2.1/32', '2001:db8::1/128'])
    assert.deepEqual(drift.testNet, ['2001:db8::1/128', '192.0.2.1/32'])
    assert.deepEqual(drift.stale, ['198.51.100.0/24', '2001:db8::1/128', '8.8.8.8/32', '192.0.2.1/32'])
  })

  it("does not take a seed-style TEST-NET NAT address left in the level for a deny test's", () => {
    const drift = computeDrift(['203.0.113.10/32'], ['203.0.113.77'], [], ['192.0.2.1/32'])
    assert.deepEqual(drift.stale, ['203.0.113.10/32'])
    assert.deepEqual(drift.testNet, [])
  })

  it("does NOT report the seed's 203.0.113.10/32 (TEST-NET-3) as testNet when a NAT holds that IP", () => {
    const drift = computeDrift(['203.0.113.10/32'], ['203.0.113.10'], [])
    assert.deepEqual(drift.testNet, [])
    assert.deepEqual(drift.stale, [])
    assert.equal(drift.inSync, true)
  })

  it('does not report a kept documentation range as testNet', () => {
    const drift = computeDrift(['203.0.113.10/32', '198.51.100.0/24'], ['203.0.113.10'], [parseCidr('198.51.100.0/24')])
    assert.deepEqual(drift.testNet, [])
    assert.deepEqual(drift.stale, [])
  })

  it('counts an unparsable CIDR in the level as stale without throwing', () => {
    let drift: ReturnType<typeof computeDrift> | undefined
    assert.doesNotThrow(() => {
      drift = computeDrift(['not-a-cidr', '203.0.113.10/32', '1.2.3.4/33'], ['203.0.113.10'], [])
    })
    assert.deepEqual(drift?.stale, ['not-a-cidr', '1.2.3.4/33'])
    assert.deepEqual(drift?.testNet, [])
    assert.deepEqual(drift?.missing, [])
    assert.equal(drift?.inSync, false)
  })

  it('keeps the level text as written in the lists', () => {
    const drift = computeDrift(['2001:DB8::1/128'], [], [], ['2001:db8::1/128'])
    assert.deepEqual(drift.stale, ['2001:DB8::1/128'])
    assert.deepEqual(drift.testNet, ['2001:DB8::1/128'])
  })
})
