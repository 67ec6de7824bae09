import {arrayAt, isObject, objectAt, stringAt} from './json.ts'
import type {JsonObject} from './json.ts'

/**
 * accessLevelFormat=CEL: the live API answers basic levels rewritten as custom levels
 * with an equivalent CEL expression. This rendering covers the condition fields the
 * seed uses (IPs, regions, members, required levels); it is close to, not byte-equal
 * with, Google's output. Its point is that a client asking for CEL by mistake gets a
 * different shape (custom instead of basic), as it would live.
 */

const quote = (value: unknown): string => JSON.stringify(String(value))

function conditionExpression(condition: JsonObject): string {
  const parts: string[] = []
  const ips = arrayAt(condition, 'ipSubnetworks')
  if (ips.length > 0) parts.push(`(${ips.map((ip) => `inIpRange(origin.ip, ${quote(ip)})`).join(' || ')})`)
  const regions = arrayAt(condition, 'regions')
  if (regions.length > 0) parts.push(`origin.region_code in [${regions.map(quote).join(', ')}]`)
  const members = arrayAt(condition, 'members')
  if (members.length > 0) parts.push(`request.auth.principal in [${members.map(quote).join(', ')}]`)
  for (const level of arrayAt(condition, 'requiredAccessLevels')) parts.push(`${quote(level)} in request.auth.access_levels`)
  const expression = parts.length > 0 ? parts.join(' && ') : 'true'
  return condition.negate === true ? `!(${expression})` : `(${expression})`
}

export function asCel(level: JsonObject): JsonObject {
  const basic = objectAt(level, 'basic')
  if (!basic) return level
  const joiner = stringAt(basic, 'combiningFunction') === 'OR' ? ' || ' : ' && '
  const expression = arrayAt(basic, 'conditions').filter(isObject).map(conditionExpression).join(joiner)
  const {basic: _basic, ...rest} = level
  return {...rest, custom: {expr: {expression}}}
}
