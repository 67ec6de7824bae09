import type {NatDiscovery} from './nat.ts'
import {sleep} from '../core/sleep.ts'

/**
 * A NAT gateway that was just created is `pending` for a while (a minute or more in AWS)
 * and its address is not yet egress. The reconciler, woken by CreateNatGateway, waits for it
 * briefly, re-reading only the gateways (DescribeNatGateways), and otherwise leaves it to the
 * next event or the scheduled sweep: a Lambda should not sleep for minutes.
 */

export interface PendingWait {
  /** Gateways that were pending at the first read. */
  gateways: string[]
  /** Of those, the ones still pending when the wait ended (left to the next event or sweep). */
  stillPending: string[]
  waitedMs: number
  polls: number
}

export function pendingGateways(nat: NatDiscovery): string[] {
  return nat.gateways.filter((g) => g.state === 'pending').map((g) => g.id)
}

/**
 * Polls `read` until no selected gateway is pending or `maxMs` has passed; returns the last
 * discovery, and the wait (undefined when nothing was pending: no wait, no extra call).
 */
export async function waitWhilePending(
  first: NatDiscovery,
  read: () => Promise<NatDiscovery>,
  options: {maxMs: number; intervalMs: number; now?: () => number; pause?: (ms: number) => Promise<void>},
): Promise<{nat: NatDiscovery; wait?: PendingWait}> {
  const now = options.now ?? Date.now
  const pause = options.pause ?? sleep
  const gateways = pendingGateways(first)
  if (gateways.length === 0) return {nat: first}
  const started = now()
  let nat = first
  let stillPending = gateways
  let polls = 0
  while (stillPending.length > 0) {
    const left = started + options.maxMs - now()
    if (left <= 0) break
    await pause(Math.min(options.intervalMs, left))
    polls++
    nat = await read()
    const pending = new Set(pendingGateways(nat))
    stillPending = gateways.filter((id) => pending.has(id))
  }
  return {nat, wait: {gateways, stillPending, waitedMs: now() - started, polls}}
}
