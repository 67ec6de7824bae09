import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {NatDiscovery, NatGatewayInfo} from '../../src/lib/aws/nat.ts'
import {pendingGateways, waitWhilePending} from '../../src/lib/aws/pending-nat.ts'

const gateway = (id: string, state: string): NatGatewayInfo => ({id, account: {id: '123456789012'}, region: 'us-east-1', state, connectivityType: 'public', addresses: []})
const discovery = (...gateways: NatGatewayInfo[]): NatDiscovery => ({regions: ['us-east-1'], accounts: [], unreadable: [], gateways, egressIps: [], warnings: [], missingGatewayIds: []})

/** A fake clock: pauses advance it, reads do not. */
function clock() {
  let t = 0
  return {now: () => t, pause: async (ms: number) => void (t += ms)}
}

describe('waitWhilePending', () => {
  it('nothing pending: no wait and no read', async () => {
    let reads = 0
    const first = discovery(gateway('nat-1', 'available'))
    const settled = await waitWhilePending(first, async () => (reads++, discovery()), {maxMs: 20_000, intervalMs: 4000, ...clock()})
    assert.equal(settled.wait, undefined)
    assert.equal(settled.nat, first)
    assert.equal(reads, 0)
  })

  it('polls until the gateway is available', async () => {
    const last = discovery(gateway('nat-2', 'available'))
    const answers = [discovery(gateway('nat-2', 'pending')), last]
    const settled = await waitWhilePending(discovery(gateway('nat-1', 'available'), gateway('nat-2', 'pending')), async () => answers.shift()!, {maxMs: 20_000, intervalMs: 4000, ...clock()})
    assert.deepEqual(settled.wait, {gateways: ['nat-2'], stillPending: [], waitedMs: 8000, polls: 2})
    assert.equal(settled.nat, last, 'the plan is made from the last read')
  })

  it('is bounded: still pending at the bound is left to the next event or sweep', async () => {
    let reads = 0
    const {wait} = await waitWhilePending(discovery(gateway('nat-2', 'pending')), async () => (reads++, discovery(gateway('nat-2', 'pending'))), {maxMs: 20_000, intervalMs: 6000, ...clock()})
    assert.deepEqual(wait, {gateways: ['nat-2'], stillPending: ['nat-2'], waitedMs: 20_000, polls: 4})
    assert.equal(reads, 4, 'pauses of 6, 6, 6 and the 2 s left')
  })

  it('a gateway that fails or is deleted meanwhile is no longer pending', async () => {
    const {wait} = await waitWhilePending(discovery(gateway('nat-2', 'pending')), async () => discovery(gateway('nat-2', 'failed')), {maxMs: 20_000, intervalMs: 4000, ...clock()})
    assert.deepEqual(wait?.stillPending, [])
  })

  it('pendingGateways lists the pending ones only', () => {
    assert.deepEqual(pendingGateways(discovery(gateway('a', 'pending'), gateway('b', 'available'), gateway('c', 'deleting'), gateway('d', 'pending'))), ['a', 'd'])
  })
})
