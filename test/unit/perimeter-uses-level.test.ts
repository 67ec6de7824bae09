import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {AccessLevel, ServicePerimeter} from '../../src/lib/gcp/types.ts'
import {levelUse, perimeterUsesLevel} from '../../src/lib/perimeter/mode.ts'

const level = (short: string, required: string[] = []): AccessLevel => ({
  name: `accessPolicies/1/accessLevels/${short}`,
  title: short,
  basic: {conditions: [{ipSubnetworks: ['203.0.113.10/32'], ...(required.length > 0 ? {requiredAccessLevels: required.map((r) => `accessPolicies/1/accessLevels/${r}`)} : {})}]},
})
const name = (short: string) => `accessPolicies/1/accessLevels/${short}`
const perimeter = (fields: Partial<ServicePerimeter>): ServicePerimeter => ({name: 'accessPolicies/1/servicePerimeters/p', title: 'p', ...fields})
const levels = [level('nat'), level('office', ['nat']), level('outer', ['office']), level('a', ['b']), level('b', ['a'])]

describe('perimeterUsesLevel', () => {
  it('as an access level, an ingress or an egress source of the enforced status', () => {
    assert.ok(perimeterUsesLevel(perimeter({status: {accessLevels: [name('nat')]}}), name('nat'), levels))
    assert.ok(perimeterUsesLevel(perimeter({status: {ingressPolicies: [{ingressFrom: {sources: [{resource: 'projects/2'}, {accessLevel: name('nat')}]}}]}}), name('nat'), levels))
    assert.ok(!perimeterUsesLevel(perimeter({status: {accessLevels: [name('office')], ingressPolicies: [{ingressFrom: {sources: [{accessLevel: name('a')}]}}]}}), name('outer'), levels))
    // An egress rule's source (egressFrom.sources, newer than the discovery document).
    assert.ok(perimeterUsesLevel(perimeter({status: {egressPolicies: [{egressFrom: {identityType: 'ANY_IDENTITY', sources: [{accessLevel: name('nat')}]}}]}}), name('nat'), levels))
    assert.ok(!perimeterUsesLevel(perimeter({status: {egressPolicies: [{egressTo: {resources: ['*']}}]}}), name('nat'), levels))
  })

  it('in the dry-run spec only when the perimeter uses its spec', () => {
    const spec = {accessLevels: [name('nat')]}
    assert.ok(perimeterUsesLevel(perimeter({spec, useExplicitDryRunSpec: true}), name('nat'), levels))
    assert.ok(!perimeterUsesLevel(perimeter({spec, useExplicitDryRunSpec: false}), name('nat'), levels))
  })

  it('through levels that require it, at any depth, and a cycle of levels ends', () => {
    assert.ok(perimeterUsesLevel(perimeter({status: {accessLevels: [name('outer')]}}), name('nat'), levels))
    assert.ok(!perimeterUsesLevel(perimeter({status: {accessLevels: [name('a')]}}), name('nat'), levels))
    assert.ok(perimeterUsesLevel(perimeter({status: {accessLevels: [name('a')]}}), name('b'), levels))
  })

  it('a perimeter with no configuration uses nothing', () => {
    assert.ok(!perimeterUsesLevel(perimeter({}), name('nat'), levels))
  })
})

describe('levelUse', () => {
  it('says where the level is named, and names nothing it requires when it is named itself', () => {
    assert.deepEqual(levelUse({accessLevels: [name('nat'), name('office')]}, name('nat'), levels), {accessLevels: true, ingressSources: false, egressSources: false, requiredBy: []})
    assert.deepEqual(levelUse({ingressPolicies: [{ingressFrom: {sources: [{accessLevel: name('nat')}]}}]}, name('nat'), levels), {accessLevels: false, ingressSources: true, egressSources: false, requiredBy: []})
  })

  it('through a level that requires it, in the role of that level, naming every such level', () => {
    const config = {accessLevels: [name('outer')], ingressPolicies: [{ingressFrom: {sources: [{accessLevel: name('office')}, {accessLevel: name('a')}]}}]}
    assert.deepEqual(levelUse(config, name('nat'), levels), {accessLevels: true, ingressSources: true, egressSources: false, requiredBy: [name('outer'), name('office')]})
  })

  it('an egress source is its own role, and no configuration uses nothing', () => {
    const config = {egressPolicies: [{egressFrom: {sources: [{accessLevel: name('office')}]}}]}
    assert.deepEqual(levelUse(config, name('nat'), levels), {accessLevels: false, ingressSources: false, egressSources: true, requiredBy: [name('office')]})
    assert.deepEqual(levelUse(undefined, name('nat'), levels), {accessLevels: false, ingressSources: false, egressSources: false, requiredBy: []})
  })
})
