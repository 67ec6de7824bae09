import ipaddr from 'ipaddr.js'
import {invalidArgument} from './google-errors.ts'
import {arrayAt, isObject, objectAt, stringAt} from './json.ts'
import type {Json, JsonObject} from './json.ts'

/**
 * The semantic checks the live Access Context Manager applies after the JSON parses:
 * CIDR syntax, forbidden ranges, list limits, ids, name/URL agreement. Each failure is
 * 400 INVALID_ARGUMENT naming the offending value, so a test can see which one.
 */

const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,49}$/
/** Quota: 200 values per list attribute of a condition. */
export const MAX_LIST_VALUES = 200
/** Private, loopback and link-local addresses never reach Google as a caller's IP. */
const FORBIDDEN_RANGES = new Set(['private', 'loopback', 'linkLocal', 'uniqueLocal'])
const CONDITION_LISTS = ['ipSubnetworks', 'members', 'regions', 'requiredAccessLevels', 'vpcNetworkSources']

/** The id (last segment) of a level or perimeter name must be a valid identifier. */
export function checkId(kind: string, name: string): void {
  const id = name.split('/').pop() ?? ''
  if (!ID_PATTERN.test(id)) {
    throw invalidArgument(
      `Invalid ${kind} name '${name}': the id must start with a letter and contain only letters, digits and underscores (at most 50 characters).`,
    )
  }
}

/** A name sent in the body must be the one in the URL (or be left out). */
export function checkBodyName(body: JsonObject, urlName: string): void {
  const sent = body.name
  if (sent !== undefined && sent !== null && sent !== '' && sent !== urlName) {
    throw invalidArgument(`The name in the request body '${String(sent)}' does not match the resource name in the URL '${urlName}'.`)
  }
}

/** Why `cidr` is not an acceptable ipSubnetworks value, or undefined when it is. */
export function cidrProblem(cidr: string): string | undefined {
  const slash = cidr.indexOf('/')
  if (slash < 0) return 'it is not in CIDR notation (address/prefix)'
  const isV4 = ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)
  const isV6 = !isV4 && cidr.includes(':') && ipaddr.IPv6.isValidCIDR(cidr)
  if (!isV4 && !isV6) return 'it is not a valid IPv4 or IPv6 CIDR block'
  const [address] = ipaddr.parseCIDR(cidr)
  const network = isV4 ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr)
  if (network.toString() !== address.toString()) {
    return `the host bits must be zero (did you mean ${network.toString()}${cidr.slice(slash)}?)`
  }
  const range = address.range()
  if (FORBIDDEN_RANGES.has(range)) return `${range} address ranges are not allowed`
  return undefined
}

function checkCondition(condition: Json, path: string): void {
  if (!isObject(condition)) throw invalidArgument(`${path} must be an object.`)
  for (const list of CONDITION_LISTS) {
    const values = arrayAt(condition, list)
    if (values.length > MAX_LIST_VALUES) {
      throw invalidArgument(`${path}.${list} has ${values.length} values; at most ${MAX_LIST_VALUES} are allowed.`)
    }
  }
  if (arrayAt(condition, 'ipSubnetworks').length > 0 && arrayAt(condition, 'vpcNetworkSources').length > 0) {
    throw invalidArgument(`${path}: ipSubnetworks and vpcNetworkSources cannot be set in the same condition.`)
  }
  for (const cidr of arrayAt(condition, 'ipSubnetworks')) {
    const problem = cidrProblem(String(cidr))
    if (problem) throw invalidArgument(`Invalid IP subnetwork '${String(cidr)}' in ${path}.ipSubnetworks: ${problem}.`)
  }
  for (const member of arrayAt(condition, 'members')) {
    if (!/^(user|serviceAccount):[^@\s]+@[^@\s]+$/.test(String(member))) {
      throw invalidArgument(`Invalid member '${String(member)}' in ${path}.members: only user: and serviceAccount: members are allowed.`)
    }
  }
  for (const region of arrayAt(condition, 'regions')) {
    if (!/^[A-Z]{2}$/.test(String(region))) {
      throw invalidArgument(`Invalid region '${String(region)}' in ${path}.regions: expected an ISO 3166-1 alpha-2 code.`)
    }
  }
  for (const level of arrayAt(condition, 'requiredAccessLevels')) {
    if (!/^accessPolicies\/[^/]+\/accessLevels\/[^/]+$/.test(String(level))) {
      throw invalidArgument(`Invalid access level name '${String(level)}' in ${path}.requiredAccessLevels.`)
    }
  }
}

/** A stored access level must be exactly one of basic or custom, and well formed. */
export function checkLevel(level: JsonObject, label = 'access_level'): void {
  const name = String(level.name ?? '')
  checkId('access level', name)
  const basic = objectAt(level, 'basic')
  const custom = objectAt(level, 'custom')
  if (basic && custom) throw invalidArgument(`Access level '${name}' cannot have both a basic and a custom level.`)
  if (!basic && !custom) throw invalidArgument(`Access level '${name}' must have a basic or a custom level.`)
  if (basic) {
    const conditions = arrayAt(basic, 'conditions')
    if (conditions.length === 0) throw invalidArgument(`Access level '${name}': a basic level needs at least one condition.`)
    conditions.forEach((condition, index) => checkCondition(condition, `${label}.basic.conditions[${index}]`))
  }
  if (custom && !stringAt(objectAt(custom, 'expr'), 'expression')) {
    throw invalidArgument(`Access level '${name}': a custom level needs an expression.`)
  }
}

/** The access levels a perimeter's config refers to (accessLevels and ingress sources). */
export function referencedLevels(config: JsonObject | undefined): string[] {
  const names = arrayAt(config, 'accessLevels').map(String)
  for (const policy of arrayAt(config, 'ingressPolicies')) {
    const from = isObject(policy) ? objectAt(policy, 'ingressFrom') : undefined
    for (const source of arrayAt(from, 'sources')) {
      const level = isObject(source) ? stringAt(source, 'accessLevel') : undefined
      if (level && level !== '*') names.push(level)
    }
  }
  return names
}

function checkConfig(config: JsonObject | undefined, path: string, levelExists: (name: string) => boolean): void {
  if (!config) return
  for (const resource of arrayAt(config, 'resources')) {
    if (!/^projects\/[0-9]+$/.test(String(resource)) && !String(resource).startsWith('//')) {
      throw invalidArgument(`Invalid resource '${String(resource)}' in ${path}.resources: expected projects/PROJECT_NUMBER.`)
    }
  }
  for (const level of referencedLevels(config)) {
    if (!levelExists(level)) throw invalidArgument(`${path} refers to access level '${level}', which does not exist.`)
  }
}

/** A perimeter as it would be stored: ids, config references, the dry-run flag rule. */
export function checkPerimeter(perimeter: JsonObject, levelExists: (name: string) => boolean): void {
  const name = String(perimeter.name ?? '')
  checkId('service perimeter', name)
  if (perimeter.spec !== undefined && perimeter.useExplicitDryRunSpec !== true) {
    throw invalidArgument(
      `Service perimeter '${name}': spec can only be set when useExplicitDryRunSpec is true.`,
    )
  }
  checkConfig(objectAt(perimeter, 'status'), 'service_perimeter.status', levelExists)
  checkConfig(objectAt(perimeter, 'spec'), 'service_perimeter.spec', levelExists)
}
