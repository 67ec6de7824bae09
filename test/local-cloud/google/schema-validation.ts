import {readFileSync} from 'node:fs'
import {invalidArgument} from './google-errors.ts'
import {isObject} from './json.ts'
import type {Json, JsonObject} from './json.ts'

/**
 * Request validation against the discovery document, the way Google's front end does it
 * before the request reaches the service: unknown fields, wrong JSON types and bad enum
 * values are 400 INVALID_ARGUMENT with the front end's wording, so vpcsc's request
 * building is checked as strictly as the live API would check it.
 */

interface PropertySchema {
  type?: string
  $ref?: string
  items?: PropertySchema
  enum?: string[]
  format?: string
  additionalProperties?: PropertySchema
  location?: string
}

interface MessageSchema {
  properties?: Record<string, PropertySchema>
}

interface DiscoveryMethod {
  id: string
  parameters?: Record<string, PropertySchema>
}

interface DiscoveryResource {
  methods?: Record<string, DiscoveryMethod>
  resources?: Record<string, DiscoveryResource>
}

interface Discovery {
  schemas: Record<string, MessageSchema>
  parameters: Record<string, PropertySchema>
  resources: Record<string, DiscoveryResource>
}

const discovery = JSON.parse(
  readFileSync(new URL('./accesscontextmanager-v1.json', import.meta.url), 'utf8'),
) as Discovery

/**
 * The live API is newer than the copied document (revision 20220402): ServicePerimeter
 * has an optional etag and Condition has vpcNetworkSources. Clients built against the
 * live API may send them, so they are accepted here too.
 */
function withLiveAdditions(schemas: Record<string, MessageSchema>): Record<string, MessageSchema> {
  const copy = structuredClone(schemas)
  const add = (schema: string, field: string, property: PropertySchema): void => {
    const target = copy[schema]
    if (!target) throw new Error(`discovery document lacks schema ${schema}`)
    target.properties = {...target.properties, [field]: property}
  }
  add('ServicePerimeter', 'etag', {type: 'string'})
  add('Condition', 'vpcNetworkSources', {type: 'array', items: {$ref: 'VpcNetworkSource'}})
  copy.VpcNetworkSource = {properties: {vpcSubnetwork: {$ref: 'VpcSubNetwork'}}}
  copy.VpcSubNetwork = {properties: {network: {type: 'string'}, vpcIpSubnetworks: {type: 'array', items: {type: 'string'}}}}
  return copy
}

const schemas = withLiveAdditions(discovery.schemas)

const methods = new Map<string, DiscoveryMethod>()
function indexMethods(resources: Record<string, DiscoveryResource>): void {
  for (const resource of Object.values(resources)) {
    for (const method of Object.values(resource.methods ?? {})) methods.set(method.id, method)
    indexMethods(resource.resources ?? {})
  }
}
indexMethods(discovery.resources)

export interface FieldViolation extends JsonObject {
  field: string
  description: string
}

/** Error paths use the proto field names, as the front end reports them. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

const MESSAGE_TYPE_PREFIX = 'type.googleapis.com/google.identity.accesscontextmanager.v1.'

function typeLabel(property: PropertySchema): string {
  if (property.$ref) return MESSAGE_TYPE_PREFIX + property.$ref
  if (property.enum) return 'TYPE_ENUM'
  switch (property.type) {
    case 'string':
      return 'TYPE_STRING'
    case 'boolean':
      return 'TYPE_BOOL'
    case 'integer':
      return property.format === 'int64' ? 'TYPE_INT64' : 'TYPE_INT32'
    case 'number':
      return 'TYPE_DOUBLE'
    default:
      return `TYPE_${String(property.type).toUpperCase()}`
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${snakeCase(key)}` : snakeCase(key)
}

function invalidValue(path: string, property: PropertySchema, value: Json): FieldViolation {
  const shown = isObject(value) ? 'Starting an object on a scalar field' : JSON.stringify(value)
  return {field: path, description: `Invalid value at '${path}' (${typeLabel(property)}), ${shown}`}
}

function checkMessage(value: Json, schemaName: string, path: string, out: FieldViolation[]): void {
  const schema = schemas[schemaName]
  if (!schema) throw new Error(`unknown schema ${schemaName}`)
  if (!isObject(value)) {
    out.push(invalidValue(path, {$ref: schemaName}, value))
    return
  }
  for (const [key, child] of Object.entries(value)) {
    const property = schema.properties?.[key]
    if (!property) {
      const at = path ? ` at '${path}'` : ''
      out.push({field: path, description: `Invalid JSON payload received. Unknown name "${key}"${at}: Cannot find field.`})
      continue
    }
    // proto3 JSON: null means "not set" for every field type.
    if (child === null) continue
    const childPath = join(path, key)
    if (property.type === 'array') {
      if (!Array.isArray(child)) {
        out.push(invalidValue(childPath, property.items ?? {}, child))
        continue
      }
      child.forEach((item, index) => checkValue(item, property.items ?? {}, `${childPath}[${index}]`, out))
    } else if (Array.isArray(child)) {
      const at = path ? ` at '${path}'` : ''
      out.push({
        field: childPath,
        description: `Invalid JSON payload received. Unknown name "${key}"${at}: Proto field is not repeating, cannot start list.`,
      })
    } else {
      checkValue(child, property, childPath, out)
    }
  }
}

function checkValue(value: Json, property: PropertySchema, path: string, out: FieldViolation[]): void {
  if (property.$ref) {
    checkMessage(value, property.$ref, path, out)
    return
  }
  const ok = (() => {
    switch (property.type) {
      case 'string':
        return typeof value === 'string' && (!property.enum || property.enum.includes(value))
      case 'boolean':
        return typeof value === 'boolean'
      case 'integer':
        return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value))
      case 'number':
        return typeof value === 'number'
      case 'object':
        return isObject(value)
      default:
        return true
    }
  })()
  if (!ok) out.push(invalidValue(path, property, value))
}

function reject(violations: FieldViolation[]): never {
  throw invalidArgument(violations.map((v) => v.description).join('\n'), [
    {'@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations},
  ])
}

/**
 * Validate a request body against a discovery schema. `bodyField` is the request
 * message field the body binds to (`access_level` for accessLevels.patch), or '' when
 * the body is the whole request message (replaceAll, commit): it prefixes error paths.
 */
export function validateBody(body: Json, schemaName: string, bodyField: string): void {
  const violations: FieldViolation[] = []
  checkMessage(body, schemaName, bodyField, violations)
  if (violations.length > 0) reject(violations)
}

/**
 * Query parameters of a discovery method plus the system parameters every Google API
 * takes (alt, fields, prettyPrint...). Anything else is rejected, as the front end does.
 */
export function validateQuery(methodId: string, query: Record<string, string>): void {
  const method = methods.get(methodId)
  if (!method) throw new Error(`unknown discovery method ${methodId}`)
  const violations: FieldViolation[] = []
  for (const [key, value] of Object.entries(query)) {
    const own = method.parameters?.[key]
    const property = own?.location === 'query' ? own : discovery.parameters[key]
    if (!property) {
      violations.push({
        field: key,
        description: `Invalid JSON payload received. Unknown name "${key}": Cannot bind query parameter. Field '${key}' could not be found in request message.`,
      })
      continue
    }
    const ok =
      property.type === 'integer'
        ? /^-?\d+$/.test(value)
        : property.type === 'boolean'
          ? value === 'true' || value === 'false'
          : !property.enum || property.enum.includes(value)
    if (!ok) violations.push(invalidValue(snakeCase(key), property, value))
  }
  if (violations.length > 0) reject(violations)
}

/** The discovery schema of a message, for field-mask path checks. */
export function schemaProperties(schemaName: string): Record<string, PropertySchema> {
  return schemas[schemaName]?.properties ?? {}
}

/**
 * proto3 has no presence for scalars and lists: a false, "", [] or null field is "not
 * set" and the API never returns it. Stored values are normalised the same way so that
 * what vpcsc reads back is what the live API would answer.
 */
export function toProto3(value: Json): Json {
  if (Array.isArray(value)) return value.map((item) => toProto3(item))
  if (!isObject(value)) return value
  const result: JsonObject = {}
  for (const [key, child] of Object.entries(value)) {
    if (child === null || child === false || child === '') continue
    if (Array.isArray(child) && child.length === 0) continue
    result[key] = toProto3(child)
  }
  return result
}
