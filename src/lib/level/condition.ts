import {RefusedError, UsageError} from '../core/errors.ts'
import type {AccessLevel, Condition} from '../gcp/types.ts'
import {sourceAssignment, sourceLabel, sourceName, type Sourced} from '../core/config.ts'

/**
 * Which condition of a basic access level holds the IP subnetworks vpcsc manages, and how
 * to change that one list while every other field and condition stays byte for byte.
 */

export interface IpCondition {
  index: number
  condition: Condition
  ipSubnetworks: string[]
}

/**
 * The condition whose ipSubnetworks vpcsc manages: exactly one, or the one the settings ask
 * for. Whether the one asked for may hold the list is known only once the level is read;
 * the errors name where it was asked for (`--condition`, VPCSC_CONDITION or the file).
 */
export function ipCondition(level: AccessLevel, requested?: Sourced<number>): IpCondition {
  if (level.custom || !level.basic) {
    throw new RefusedError({code: 'CUSTOM_LEVEL', message: `${level.name} is a custom (CEL) access level; vpcsc manages the IP subnetworks of basic levels only.`, hint: 'Use a basic access level with an ipSubnetworks condition.'})
  }
  const conditions = level.basic.conditions ?? []
  if (requested !== undefined) {
    const index = requested.value
    const asked = `${sourceLabel(requested.source)} ${index}`
    const condition = conditions[index]
    if (!condition) {
      throw new UsageError({message: `${asked} does not exist: ${level.name} has ${conditions.length} condition${conditions.length === 1 ? '' : 's'} (0 to ${conditions.length - 1}).`, hint: 'Run vpcsc status to see each condition.'})
    }
    if (condition.vpcNetworkSources?.length) {
      throw new UsageError({message: `${asked} names a condition of ${level.name} that holds vpcNetworkSources, which cannot be combined with ipSubnetworks.`, hint: `Give ${sourceName(requested.source)} the condition that holds the IP subnetworks (vpcsc status shows each).`})
    }
    if ((condition.ipSubnetworks?.length ?? 0) === 0) throw notHoldingIps(level, requested, conditions)
    return {index, condition, ipSubnetworks: condition.ipSubnetworks ?? []}
  }
  const holding = holdingIps(conditions)
  if (holding.length === 1) {
    const {index, condition} = holding[0]!
    return {index, condition, ipSubnetworks: condition.ipSubnetworks ?? []}
  }
  if (holding.length === 0) {
    throw new UsageError({message: `${level.name} has no condition holding ipSubnetworks.`, hint: 'Add a condition holding the IP list (e.g. with Terraform), then run again.'})
  }
  throw new UsageError({
    message: `${level.name} has ${holding.length} conditions holding ipSubnetworks (${holding.map((h) => h.index).join(', ')}).`,
    hint: 'Choose the one vpcsc manages with --condition N (or "condition" in vpcsc.config.json).',
  })
}

function holdingIps(conditions: Condition[]): {index: number; condition: Condition}[] {
  return conditions.map((condition, index) => ({index, condition})).filter(({condition}) => (condition.ipSubnetworks?.length ?? 0) > 0)
}

/**
 * A condition's attributes are ANDed: IPs written into a condition of members or regions
 * would admit only callers that match both, a silent narrowing nobody asked for. So
 * --condition may only name a condition that already holds the IP list.
 */
function notHoldingIps(level: AccessLevel, requested: Sourced<number>, conditions: Condition[]): Error {
  const condition = conditions[requested.value]!
  const fields = (['members', 'regions', 'devicePolicy', 'requiredAccessLevels'] as const).filter((field) => {
    const value = condition[field]
    return Array.isArray(value) ? value.length > 0 : value !== undefined
  })
  const holding = holdingIps(conditions).map((h) => h.index)
  const named = fields.length > 1 ? `${fields.slice(0, -1).join(', ')} and ${fields.at(-1)}` : fields[0]
  const what = fields.length > 0 ? `it holds ${named}, and IPs written there would be ANDed with them` : 'it holds no IP list'
  return new UsageError({
    message: `${sourceLabel(requested.source)} ${requested.value} holds no ipSubnetworks in ${level.name}: ${what}.`,
    hint: holding.length === 0
      ? 'No condition of the level holds an IP list: add one (e.g. with Terraform), then run again.'
      : `The IP list is in condition ${holding.join(', ')}: use ${sourceAssignment(requested.source, holding[0]!)}${holding.length === 1 ? `, or leave ${sourceName(requested.source)} out` : ''}.`,
  })
}

/** A copy of the level with one condition's ipSubnetworks replaced; nothing else moves. */
export function withIpSubnetworks(level: AccessLevel, index: number, ipSubnetworks: string[]): AccessLevel {
  const copy = structuredClone(level)
  const condition = copy.basic?.conditions[index]
  if (!condition) throw new Error(`BUG: condition ${index} vanished from ${level.name}`)
  condition.ipSubnetworks = [...ipSubnetworks]
  return copy
}

/**
 * The last line of defence before any write (docs/safety.md, rule 1): an empty ipSubnetworks
 * admits every address, so no code path may send one.
 */
export function assertSafeSubnetworks(level: AccessLevel, index: number): void {
  const list = level.basic?.conditions[index]?.ipSubnetworks ?? []
  if (list.length === 0) {
    throw new RefusedError({code: 'EMPTY_LIST', message: `Refusing to write an empty ipSubnetworks to ${level.name}: an empty list admits every IP address.`, hint: 'Check the NAT selection (vpcsc status), or keep a CIDR on purpose with --keep.'})
  }
}
