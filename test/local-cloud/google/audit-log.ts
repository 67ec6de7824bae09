import {randomBytes, randomInt} from 'node:crypto'
import {invalidArgument} from './google-errors.ts'
import {clone, isObject} from './json.ts'
import type {Json, JsonObject} from './json.ts'
import {PROJECT_ID, PROJECT_NUMBER} from './seed.ts'

/**
 * The project's Cloud Audit Logs "policy" log: one entry per VPC Service Controls
 * violation, enforced or dry-run, with the live entries' field names (docs/api-facts.md
 * "Audit logs of violations"). logging.ts serves it through entries:list.
 */

export const POLICY_LOG_NAME = `projects/${PROJECT_ID}/logs/cloudaudit.googleapis.com%2Fpolicy`
export const AUDIT_LOG_TYPE = 'type.googleapis.com/google.cloud.audit.AuditLog'
export const VPC_SC_METADATA_TYPE = 'type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata'

const UID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** A VPC-SC unique identifier: 32 upper-case letters and digits, fresh on every call. */
export function newViolationUid(): string {
  let uid = ''
  for (let i = 0; i < 32; i++) uid += UID_ALPHABET[randomInt(UID_ALPHABET.length)]
  return uid
}

/** RFC 3339 with milliseconds, UTC. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString()
}

export interface Violation {
  uid: string
  /** Emulator time (Clock) of the call. */
  at: number
  dryRun: boolean
  service: string
  methodName: string
  perimeter: string
  organizationId: string
  violationReason: string
  callerIp: string
  userAgent?: string
  principal: string
}

/** `serviceAccount:a@b` and `user:a@b` log as the email; other principals (principal://...) as they are. */
function principalEmail(principal: string): string {
  const match = /^(?:serviceAccount|user):(.+)$/.exec(principal)
  return match?.[1] ?? principal
}

export function violationEntry(v: Violation): JsonObject {
  const requestMetadata: JsonObject = {callerIp: v.callerIp}
  if (v.userAgent) requestMetadata.callerSuppliedUserAgent = v.userAgent
  const metadata: JsonObject = {
    '@type': VPC_SC_METADATA_TYPE,
    violationReason: v.violationReason,
    securityPolicyInfo: {servicePerimeterName: v.perimeter, organizationId: v.organizationId},
    resourceNames: [`projects/${PROJECT_NUMBER}`],
    vpcServiceControlsUniqueId: v.uid,
  }
  if (v.dryRun) metadata.dryRun = true
  return {
    logName: POLICY_LOG_NAME,
    resource: {type: 'audited_resource', labels: {service: v.service, method: v.methodName, project_id: PROJECT_ID}},
    timestamp: rfc3339(v.at),
    // Cloud Logging receives an entry a little after it is written.
    receiveTimestamp: rfc3339(v.at + randomInt(5, 200)),
    severity: 'ERROR',
    insertId: newInsertId(),
    protoPayload: {
      '@type': AUDIT_LOG_TYPE,
      status: {
        code: 7,
        details: [{'@type': 'type.googleapis.com/google.rpc.PreconditionFailure', violations: [{type: 'VPC_SERVICE_CONTROLS', description: v.uid}]}],
      },
      authenticationInfo: {principalEmail: principalEmail(v.principal)},
      requestMetadata,
      serviceName: v.service,
      methodName: v.methodName,
      resourceName: `projects/${PROJECT_NUMBER}`,
      metadata,
    },
  }
}

function newInsertId(): string {
  return `-${randomBytes(6).toString('hex')}`
}

/** An entry as kept: the entry, its time in ms (ordering, filters) and its append order (ties, page cursors). */
export interface StoredEntry {
  entry: JsonObject
  ms: number
  seq: number
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i

/** Milliseconds of an RFC 3339 timestamp, or undefined when `value` is not one. */
export function parseRfc3339(value: string): number | undefined {
  if (!RFC3339.test(value)) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

export class AuditLog {
  #entries: StoredEntry[] = []
  #nextSeq = 1

  append(entry: JsonObject): JsonObject {
    const timestamp = typeof entry.timestamp === 'string' ? parseRfc3339(entry.timestamp) : undefined
    if (timestamp === undefined) throw new Error(`log entry without a valid RFC 3339 timestamp: ${JSON.stringify(entry.timestamp)}`)
    this.#entries.push({entry: clone(entry), ms: timestamp, seq: this.#nextSeq++})
    return entry
  }

  /**
   * Raw entries from the admin API. Missing fields get defaults so that a test only writes
   * what it cares about: `logName` the policy log, `timestamp` now, `receiveTimestamp` the
   * timestamp, `insertId` a fresh one.
   */
  appendRaw(values: Json[], now: number): JsonObject[] {
    const entries = values.map((value, index) => {
      if (!isObject(value)) throw invalidArgument(`entries[${index}] must be a log entry object.`)
      const entry = clone(value)
      if (entry.timestamp === undefined) entry.timestamp = rfc3339(now)
      if (typeof entry.timestamp !== 'string' || parseRfc3339(entry.timestamp) === undefined) {
        throw invalidArgument(`entries[${index}].timestamp must be an RFC 3339 timestamp, got ${JSON.stringify(entry.timestamp)}.`)
      }
      entry.logName ??= POLICY_LOG_NAME
      entry.receiveTimestamp ??= entry.timestamp
      entry.insertId ??= newInsertId()
      return entry
    })
    for (const entry of entries) this.append(entry)
    return entries
  }

  /** Every entry in append order (copies). */
  all(): StoredEntry[] {
    return this.#entries.map((stored) => ({...stored, entry: clone(stored.entry)}))
  }

  clear(): void {
    this.#entries = []
  }
}
