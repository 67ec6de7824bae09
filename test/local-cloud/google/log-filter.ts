import {parseRfc3339} from './audit-log.ts'
import {invalidArgument} from './google-errors.ts'
import {isObject} from './json.ts'
import type {Json, JsonObject} from './json.ts'

/**
 * The part of the Logging query language vpcsc needs, and nothing silently more: terms
 * joined by AND (a space or the keyword), each optionally negated with NOT (or `-`):
 *   FIELD = "value"      exact match (quotes optional for values without spaces)
 *   FIELD : "value"      substring, case-insensitive (the "has" operator)
 *   timestamp >= "RFC3339"  (also >, <=, <, =)
 *   protoPayload.metadata.dryRun = true|false
 * A term on a field that is missing from an entry does not match (so NOT matches it).
 * Anything else (OR, parentheses, other fields or operators, bare words) is rejected with
 * 400 INVALID_ARGUMENT naming the term: a filter the emulator would misread must fail.
 */

export const MAX_FILTER_LENGTH = 20000

const STRING_FIELDS = new Set([
  'logName',
  'insertId',
  'resource.type',
  'resource.labels.service',
  'resource.labels.method',
  'resource.labels.project_id',
  'protoPayload.@type',
  'protoPayload.serviceName',
  'protoPayload.methodName',
  'protoPayload.resourceName',
  'protoPayload.authenticationInfo.principalEmail',
  'protoPayload.requestMetadata.callerIp',
  'protoPayload.metadata.@type',
  'protoPayload.metadata.violationReason',
  'protoPayload.metadata.vpcServiceControlsUniqueId',
  'protoPayload.metadata.securityPolicyInfo.servicePerimeterName',
  'protoPayload.metadata.securityPolicyInfo.organizationId',
])
const BOOLEAN_FIELDS = new Set(['protoPayload.metadata.dryRun'])
const TIMESTAMP_OPS = ['>=', '>', '<=', '<', '=']

/** An entry with its timestamp in ms (filters compare times, not strings). */
export interface FilterTarget {
  entry: JsonObject
  ms: number
}

export type EntryFilter = (target: FilterTarget) => boolean

function unsupported(term: string, why: string): never {
  throw invalidArgument(`Unsupported filter term '${term}': ${why}. The local Cloud Logging supports AND-joined (optionally NOT) terms on ${[...STRING_FIELDS, ...BOOLEAN_FIELDS, 'timestamp'].join(', ')}.`)
}

function valueAt(entry: JsonObject, field: string): Json | undefined {
  let current: Json | undefined = entry
  for (const key of field.split('.')) {
    if (!isObject(current)) return undefined
    current = current[key]
  }
  return current
}

/** One comparison: field, operator, value (unquoted), and its source text for messages. */
function termFilter(field: string, op: string, value: string, text: string): EntryFilter {
  if (field === 'timestamp') {
    if (!TIMESTAMP_OPS.includes(op)) unsupported(text, `timestamp takes ${TIMESTAMP_OPS.join(' ')}`)
    const ms = parseRfc3339(value)
    if (ms === undefined) throw invalidArgument(`Invalid filter term '${text}': '${value}' is not an RFC 3339 timestamp.`)
    switch (op) {
      case '>=':
        return (t) => t.ms >= ms
      case '>':
        return (t) => t.ms > ms
      case '<=':
        return (t) => t.ms <= ms
      case '<':
        return (t) => t.ms < ms
      default:
        return (t) => t.ms === ms
    }
  }
  if (BOOLEAN_FIELDS.has(field)) {
    if (op !== '=' || (value !== 'true' && value !== 'false')) unsupported(text, `${field} takes only = true or = false`)
    const wanted = value === 'true'
    return (t) => valueAt(t.entry, field) === wanted
  }
  if (STRING_FIELDS.has(field)) {
    if (op === '=') return (t) => valueAt(t.entry, field) === value
    if (op === ':') {
      const needle = value.toLowerCase()
      return (t) => {
        const got = valueAt(t.entry, field)
        return typeof got === 'string' && got.toLowerCase().includes(needle)
      }
    }
    unsupported(text, `${field} takes only = or :`)
  }
  unsupported(text, `the field '${field}' is not supported`)
}

const FIELD = /[A-Za-z_@][A-Za-z0-9_.@]*/y
const OPERATOR = /\s*(>=|<=|!=|=~|!~|=|:|>|<)\s*/y
const BARE_VALUE = /[^\s()"]+/y

/** Parse a filter into a predicate; throws 400 INVALID_ARGUMENT for anything outside the supported subset. */
export function parseFilter(filter: string): EntryFilter {
  if (filter.length > MAX_FILTER_LENGTH) throw invalidArgument(`The filter is ${filter.length} characters long; at most ${MAX_FILTER_LENGTH} are allowed.`)
  const terms: EntryFilter[] = []
  let pos = 0
  let expectTerm = true // at the start and after AND
  const skipSpace = (): void => {
    while (pos < filter.length && /\s/.test(filter[pos] as string)) pos++
  }
  const keyword = (word: string): boolean => {
    if (!filter.startsWith(word, pos)) return false
    const next = filter[pos + word.length]
    return next === undefined || /\s/.test(next) || next === '('
  }
  const restOfWord = (): string => /^\S*/.exec(filter.slice(pos))?.[0] ?? ''
  for (;;) {
    skipSpace()
    if (pos >= filter.length) break
    const start = pos
    if (keyword('AND')) {
      if (expectTerm) throw invalidArgument(`Invalid filter: 'AND' at position ${pos} does not follow a term.`)
      pos += 3
      expectTerm = true
      continue
    }
    if (keyword('OR')) unsupported('OR', 'OR is not supported (only AND)')
    let negate = false
    if (keyword('NOT')) {
      negate = true
      pos += 3
      skipSpace()
    } else if (filter[pos] === '-') {
      negate = true
      pos += 1
    }
    if (filter[pos] === '(' || filter[pos] === ')') unsupported(filter.slice(start, pos + 1), 'parentheses are not supported')
    FIELD.lastIndex = pos
    const field = FIELD.exec(filter)?.[0]
    if (!field) unsupported(filter.slice(start, pos) + restOfWord(), 'expected FIELD OPERATOR VALUE')
    pos += field.length
    OPERATOR.lastIndex = pos
    const opMatch = OPERATOR.exec(filter)
    if (!opMatch) unsupported(filter.slice(start, pos) + restOfWord(), 'a bare word (global search) is not supported; expected FIELD OPERATOR VALUE')
    const op = opMatch[1] as string
    pos += opMatch[0].length
    let value: string
    if (filter[pos] === '"') {
      let out = ''
      let i = pos + 1
      for (; i < filter.length && filter[i] !== '"'; i++) {
        if (filter[i] === '\\' && i + 1 < filter.length) i++
        out += filter[i]
      }
      if (i >= filter.length) throw invalidArgument(`Invalid filter: unterminated string starting at position ${pos}.`)
      value = out
      pos = i + 1
    } else {
      BARE_VALUE.lastIndex = pos
      const bare = BARE_VALUE.exec(filter)?.[0]
      if (!bare) unsupported(filter.slice(start, pos + 1), 'expected a value after the operator')
      value = bare
      pos += bare.length
    }
    const text = filter.slice(start, pos)
    // Terms separated by whitespace alone are an implicit AND.
    const predicate = termFilter(field, op, value, text)
    terms.push(negate ? (t) => !predicate(t) : predicate)
    expectTerm = false
  }
  if (expectTerm && terms.length > 0) throw invalidArgument("Invalid filter: it ends with 'AND'.")
  return (target) => terms.every((term) => term(target))
}
