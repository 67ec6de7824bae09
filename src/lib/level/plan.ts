import {canonicalCidrText, CidrError, cidrContains, hostCidr, MAX_SUBNETWORKS, type Cidr} from './cidr.ts'
import type {UnreadableSource} from '../aws/nat.ts'
import {RefusedError} from '../core/errors.ts'

/**
 * The sync plan: what the IP condition holds now against what it should hold, as
 * add / remove / unchanged. Pure, so the whole decision is unit-tested.
 */

export interface SyncPlan {
  current: string[]
  desired: string[]
  add: string[]
  remove: string[]
  unchanged: string[]
  /** The list that would be written: current entries that stay, in their order, then additions. */
  result: string[]
  changed: boolean
  /**
   * Present when some source (account, region) could not be read: a CIDR that matches no
   * NAT gateway read may belong to one nobody saw, so nothing is removed (docs/safety.md, rule 10).
   */
  partial?: {
    unreadable: UnreadableSource[]
    /** What a complete read would have removed: kept, because it cannot be proven stale. */
    notRemoved: string[]
  }
}

/**
 * NAT egress IPs as host CIDRs, plus CIDRs kept on purpose; a host that a kept range
 * already covers is left out. An egress address that is not public is refused: it would
 * never be the source address Google sees.
 */
export function desiredSubnetworks(egress: {ip: string; natGatewayId: string}[], keep: Cidr[]): string[] {
  const hosts: string[] = []
  for (const {ip, natGatewayId} of egress) {
    let host: Cidr
    try {
      host = hostCidr(ip)
    } catch (error) {
      if (!(error instanceof CidrError)) throw error
      throw new RefusedError({code: 'BAD_EGRESS_IP', message: `NAT gateway ${natGatewayId} reports the egress address ${error.message}.`, hint: 'Check the gateway in AWS, or narrow the NAT selection (--nat-gateway, --nat-tag, --vpc).'})
    }
    if (!keep.some((range) => cidrContains(range, host.address.toString()))) hosts.push(host.text)
  }
  return [...new Set([...keep.map((c) => c.text), ...hosts])]
}

/**
 * `unreadable` lists the sources that could not be read; with any, the plan may add what
 * was read but removes nothing (an addition prevents an outage and admits only our own
 * gateways; a removal might cut off a gateway nobody saw).
 */
export function planSync(current: string[], desired: string[], options: {addOnly: boolean; unreadable?: UnreadableSource[]}): SyncPlan {
  const wanted = new Set(desired.map(canonicalCidrText))
  const held = new Set(current.map(canonicalCidrText))
  const partial = (options.unreadable?.length ?? 0) > 0
  const stale = (c: string) => !wanted.has(canonicalCidrText(c))
  const stays = (c: string) => options.addOnly || partial || !stale(c)
  const unchanged = current.filter(stays)
  const remove = current.filter((c) => !stays(c))
  const add = [...new Set(desired.filter((d) => !held.has(canonicalCidrText(d))))]
  const plan: SyncPlan = {current, desired, add, remove, unchanged, result: [...unchanged, ...add], changed: add.length > 0 || remove.length > 0}
  if (partial) plan.partial = {unreadable: options.unreadable ?? [], notRemoved: options.addOnly ? [] : current.filter(stale)}
  return plan
}

/** Checks that the planned list can be written: never empty (docs/safety.md, rule 1), within the API limit. */
export function checkWritable(plan: SyncPlan, levelName: string): void {
  // A partial read keeps every CIDR: its list is never emptier than what the level holds.
  if (!plan.partial && (plan.desired.length === 0 || plan.result.length === 0)) {
    // With --add-only the level would keep its list (nothing is removed), but a selection
    // that finds nothing is almost surely wrong: refused all the same, and said as it is.
    const why = plan.result.length > 0 ? '; with --add-only the level would keep its list, but a selection that finds nothing is most likely wrong' : ', and an empty ipSubnetworks admits every IP address'
    throw new RefusedError({
      code: 'EMPTY_LIST',
      message: `Refusing to sync ${levelName}: no NAT egress IP was found and no CIDR is kept${why}.`,
      hint: 'Check the NAT selection and regions (vpcsc status), or keep a CIDR on purpose with --keep.',
    })
  }
  if (plan.result.length > MAX_SUBNETWORKS) {
    throw new RefusedError({code: 'TOO_MANY', message: `The IP list for ${levelName} would hold ${plan.result.length} CIDRs; Access Context Manager accepts at most ${MAX_SUBNETWORKS} per condition.`, hint: 'Narrow the NAT selection, or keep wider CIDRs.'})
  }
}
