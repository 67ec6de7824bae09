import ipaddr from 'ipaddr.js'
import {arrayAt, isObject, objectAt, stringAt} from './json.ts'
import type {Json, JsonObject} from './json.ts'

/**
 * The VPC Service Controls access decision, as a pure function of the ACM state: is a
 * caller (IP address and principal) let through to a service of a project, by the
 * enforced configuration (`status`) and by the dry-run one (`spec`, when
 * `useExplicitDryRunSpec`)? No I/O, no clock: the caller picks which state applies
 * (see enforcement.ts for the propagation delay).
 *
 * What the emulator knows of a caller is its IP and its principal, so:
 * - `regions` never match (no geolocation), `devicePolicy` never matches (no device),
 *   `vpcNetworkSources` never match (callers come from the internet, not a VPC network),
 *   ingress sources given as `resource` never match; a custom (CEL) level never admits.
 * - `ingressTo.operations[].methodSelectors` are not looked at: a matching serviceName
 *   (or `*`) is enough. Egress policies do not matter (calls come from outside).
 * - An empty list counts as an absent attribute (proto3): `ipSubnetworks: []` puts no
 *   constraint on the IP, which is why the live API's "an empty list admits every IP" holds here too.
 */

export interface AcmState {
  levels: JsonObject[]
  perimeters: JsonObject[]
}

export interface Caller {
  /** `projects/NUMBER` is what perimeters list; the number alone here. */
  projectNumber: string
  /** e.g. aiplatform.googleapis.com */
  service: string
  ip: string
  /** e.g. serviceAccount:sa@p.iam.gserviceaccount.com, user:a@b.c, principal://iam.googleapis.com/... */
  principal: string
}

export interface Decision {
  allowed: boolean
  /** The perimeter that denied, or (when allowed) the first one the request was subject to. */
  perimeter?: string
  violationReason?: string
}

export interface Decisions {
  /** By the perimeters' `status`. */
  enforced: Decision
  /** By the perimeters' `spec`, for those with `useExplicitDryRunSpec`; others have no dry-run config. */
  dryRun: Decision
}

export const NO_MATCHING_ACCESS_LEVEL = 'NO_MATCHING_ACCESS_LEVEL'

export function decide(state: AcmState, caller: Caller): Decisions {
  const levels = new Map<string, JsonObject>()
  for (const level of state.levels) if (typeof level.name === 'string') levels.set(level.name, level)
  const perimeters = [...state.perimeters]
    .filter((perimeter) => perimeter.perimeterType !== 'PERIMETER_TYPE_BRIDGE')
    .sort((a, b) => String(a.name).localeCompare(String(b.name)))
  const enforced = perimeters.map((p): [string, JsonObject | undefined] => [String(p.name), objectAt(p, 'status')])
  const dryRun = perimeters
    .filter((p) => p.useExplicitDryRunSpec === true)
    .map((p): [string, JsonObject | undefined] => [String(p.name), objectAt(p, 'spec')])
  return {enforced: decideConfigs(enforced, levels, caller), dryRun: decideConfigs(dryRun, levels, caller)}
}

function decideConfigs(configs: [string, JsonObject | undefined][], levels: Map<string, JsonObject>, caller: Caller): Decision {
  let subjectTo: string | undefined
  for (const [name, config] of configs) {
    if (!config || !subjects(config, caller)) continue
    subjectTo ??= name
    if (!admittedByConfig(config, levels, caller)) {
      return {allowed: false, perimeter: name, violationReason: NO_MATCHING_ACCESS_LEVEL}
    }
  }
  return subjectTo === undefined ? {allowed: true} : {allowed: true, perimeter: subjectTo}
}

/** The request is subject to this config: the project is inside and the service restricted ('RESTRICTED-SERVICES': all of them). */
function subjects(config: JsonObject, caller: Caller): boolean {
  const restricted = arrayAt(config, 'restrictedServices')
  return (
    arrayAt(config, 'resources').includes(`projects/${caller.projectNumber}`) &&
    (restricted.includes(caller.service) || restricted.includes('RESTRICTED-SERVICES'))
  )
}

function admittedByConfig(config: JsonObject, levels: Map<string, JsonObject>, caller: Caller): boolean {
  for (const name of arrayAt(config, 'accessLevels')) {
    if (typeof name === 'string' && levelAdmits(name, levels, caller)) return true
  }
  return arrayAt(config, 'ingressPolicies').some((policy) => isObject(policy) && ingressAdmits(policy, levels, caller))
}

function ingressAdmits(policy: JsonObject, levels: Map<string, JsonObject>, caller: Caller): boolean {
  const from = objectAt(policy, 'ingressFrom')
  const to = objectAt(policy, 'ingressTo')
  if (!from || !to) return false
  if (!identityMatches(from, caller.principal)) return false
  const sourceOk = arrayAt(from, 'sources').some((source) => {
    if (!isObject(source)) return false
    const level = stringAt(source, 'accessLevel')
    if (level === undefined) return false // a `resource` source: a project or VPC network, never the internet
    return level === '*' || levelAdmits(level, levels, caller)
  })
  if (!sourceOk) return false
  const resources = arrayAt(to, 'resources')
  if (resources.length > 0 && !resources.includes('*') && !resources.includes(`projects/${caller.projectNumber}`)) return false
  return arrayAt(to, 'operations').some((operation) => {
    const service = isObject(operation) ? stringAt(operation, 'serviceName') : undefined
    return service === '*' || service === caller.service
  })
}

function identityMatches(from: JsonObject, principal: string): boolean {
  switch (stringAt(from, 'identityType')) {
    case 'ANY_IDENTITY':
      return true
    case 'ANY_USER_ACCOUNT':
      return principal.startsWith('user:')
    case 'ANY_SERVICE_ACCOUNT':
      return principal.startsWith('serviceAccount:')
    default:
      return arrayAt(from, 'identities').includes(principal)
  }
}

/** Does the access level `name` admit the caller? Unknown levels and custom levels do not. */
export function levelAdmits(name: string, levels: Map<string, JsonObject>, caller: Pick<Caller, 'ip' | 'principal'>, seen: Set<string> = new Set()): boolean {
  if (seen.has(name)) return false // a requiredAccessLevels cycle admits nothing
  const level = levels.get(name)
  const basic = objectAt(level, 'basic')
  if (!basic) return false
  const conditions = arrayAt(basic, 'conditions')
  if (conditions.length === 0) return false
  const inner = new Set(seen).add(name)
  const holds = (condition: Json): boolean => isObject(condition) && conditionHolds(condition, levels, caller, inner)
  return stringAt(basic, 'combiningFunction') === 'OR' ? conditions.some(holds) : conditions.every(holds)
}

function conditionHolds(condition: JsonObject, levels: Map<string, JsonObject>, caller: Pick<Caller, 'ip' | 'principal'>, seen: Set<string>): boolean {
  let holds = true
  const cidrs = arrayAt(condition, 'ipSubnetworks')
  if (cidrs.length > 0 && !cidrs.some((cidr) => typeof cidr === 'string' && ipInCidr(caller.ip, cidr))) holds = false
  const members = arrayAt(condition, 'members')
  if (members.length > 0 && !members.includes(caller.principal)) holds = false
  if (arrayAt(condition, 'regions').length > 0) holds = false
  if (arrayAt(condition, 'vpcNetworkSources').length > 0) holds = false
  if (condition.devicePolicy !== undefined && condition.devicePolicy !== null) holds = false
  const required = arrayAt(condition, 'requiredAccessLevels')
  if (required.length > 0 && !required.every((name) => typeof name === 'string' && levelAdmits(name, levels, caller, seen))) holds = false
  return condition.negate === true ? !holds : holds
}

/** IP containment through ipaddr.js; IPv4-mapped IPv6 callers count as IPv4. Invalid values never match. */
export function ipInCidr(ip: string, cidr: string): boolean {
  try {
    const address = ipaddr.process(ip)
    const [network, bits] = ipaddr.parseCIDR(cidr)
    return address.kind() === network.kind() && address.match(network, bits)
  } catch {
    return false
  }
}
