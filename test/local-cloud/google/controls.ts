import ipaddr from 'ipaddr.js'
import {invalidArgument} from './google-errors.ts'
import {isObject} from './json.ts'
import type {Json, JsonObject} from './json.ts'
import {kindOf} from './store.ts'
import type {ResourceKind} from './store.ts'

/**
 * What tests arm through the admin API and the server consumes: injected faults,
 * failing operations, foreign edits and settings. Each armed item is used up once per
 * count, so a test states exactly how many requests misbehave.
 */

export interface Fault {
  method?: string
  path?: RegExp
  status?: number
  body?: JsonObject
  delayMs: number
  drop: boolean
  /** 'before' (default): the request is not handled. 'after': it is handled, then the answer is replaced or lost. */
  phase: 'before' | 'after'
  remaining: number
}

export interface ForeignEdit {
  trigger: 'before-next-write' | 'after-next-read'
  name: string
  kind: ResourceKind
  set: JsonObject
  readPath?: RegExp
}

interface OperationErrorSpec {
  error: JsonObject
  remaining: number
}

function optionalNumber(spec: JsonObject, key: string, min: number): number | undefined {
  const value = spec[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidArgument(`${key} must be an integer >= ${min}.`)
  }
  return value
}

function regex(source: Json | undefined, key: string): RegExp | undefined {
  if (source === undefined || source === null) return undefined
  if (typeof source !== 'string') throw invalidArgument(`${key} must be a regular expression source string.`)
  try {
    return new RegExp(source)
  } catch (error) {
    throw invalidArgument(`${key} is not a valid regular expression: ${(error as Error).message}`)
  }
}

/** The caller IP of requests that carry no x-vpcsc-egress-ip header: the operator's own machine (TEST-NET-2). */
export const DEFAULT_OPERATOR_IP = '198.51.100.250'

/** How long the service takes to commit a write by default: short, so the suite stays fast, but never instant. */
export const DEFAULT_OPERATION_DELAY_MS = 150

/** What a write meets while another write of the same policy is still in progress. */
export type PendingWrites = 'refuse' | 'queue'
const PENDING_WRITES: PendingWrites[] = ['refuse', 'queue']

/** Settings of POST /__admin/config; reset puts the defaults given at start back. */
export interface Settings {
  /** Emulator time from a write's acceptance to its commit. */
  operationDelayMs: number
  /** 'refuse': 409 ABORTED; 'queue': accepted, commits after the pending one(s). */
  pendingWrites: PendingWrites
  propagationDelayMs: number
  operatorIp: string
}

export class Controls {
  faults: Fault[] = []
  operationErrors: OperationErrorSpec[] = []
  foreignEdits: ForeignEdit[] = []
  operationDelayMs: number
  pendingWrites: PendingWrites
  propagationDelayMs: number
  operatorIp: string
  readonly #defaults: Settings

  constructor(defaults: Partial<Settings> = {}) {
    this.#defaults = {
      operationDelayMs: defaults.operationDelayMs ?? DEFAULT_OPERATION_DELAY_MS,
      pendingWrites: defaults.pendingWrites ?? 'refuse',
      propagationDelayMs: defaults.propagationDelayMs ?? 0,
      operatorIp: defaults.operatorIp ?? DEFAULT_OPERATOR_IP,
    }
    this.operationDelayMs = this.#defaults.operationDelayMs
    this.pendingWrites = this.#defaults.pendingWrites
    this.propagationDelayMs = this.#defaults.propagationDelayMs
    this.operatorIp = this.#defaults.operatorIp
  }

  reset(): void {
    this.faults = []
    this.operationErrors = []
    this.foreignEdits = []
    this.operationDelayMs = this.#defaults.operationDelayMs
    this.pendingWrites = this.#defaults.pendingWrites
    this.propagationDelayMs = this.#defaults.propagationDelayMs
    this.operatorIp = this.#defaults.operatorIp
  }

  settings(): Settings {
    return {
      operationDelayMs: this.operationDelayMs,
      pendingWrites: this.pendingWrites,
      propagationDelayMs: this.propagationDelayMs,
      operatorIp: this.operatorIp,
    }
  }

  addFault(spec: JsonObject): void {
    const match = spec.match
    if (match !== undefined && match !== null && !isObject(match)) throw invalidArgument('match must be an object.')
    const method = match?.method
    if (method !== undefined && method !== null && typeof method !== 'string') throw invalidArgument('match.method must be a string.')
    const status = optionalNumber(spec, 'status', 100)
    const body = spec.body
    if (body !== undefined && body !== null && !isObject(body)) throw invalidArgument('body must be an object.')
    const phase = spec.phase ?? 'before'
    if (phase !== 'before' && phase !== 'after') throw invalidArgument("phase must be 'before' or 'after'.")
    const drop = spec.drop === true
    const delayMs = optionalNumber(spec, 'delayMs', 0) ?? 0
    if (status === undefined && !drop && delayMs === 0) throw invalidArgument('A fault needs a status, drop: true, or a delayMs.')
    const fault: Fault = {delayMs, drop, phase, remaining: optionalNumber(spec, 'count', 1) ?? 1}
    if (typeof method === 'string') fault.method = method.toUpperCase()
    const path = regex(match?.path, 'match.path')
    if (path) fault.path = path
    if (status !== undefined) fault.status = status
    if (isObject(body)) fault.body = body
    this.faults.push(fault)
  }

  /** The first armed fault matching this request, used up by one. */
  takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(path)),
    )
    if (!fault) return undefined
    fault.remaining -= 1
    this.faults = this.faults.filter((f) => f.remaining > 0)
    return fault
  }

  addOperationError(spec: JsonObject): void {
    const error = spec.error
    if (!isObject(error) || typeof error.code !== 'number' || typeof error.message !== 'string') {
      throw invalidArgument('error must be {code: number, message: string, details?: []}.')
    }
    this.operationErrors.push({error, remaining: optionalNumber(spec, 'count', 1) ?? 1})
  }

  /** The error the next write's operation must end with, if one is armed. */
  takeOperationError(): JsonObject | undefined {
    const spec = this.operationErrors[0]
    if (!spec) return undefined
    spec.remaining -= 1
    if (spec.remaining <= 0) this.operationErrors.shift()
    return spec.error
  }

  addForeignEdit(spec: JsonObject): void {
    const {trigger, name, set} = spec
    if (trigger !== 'before-next-write' && trigger !== 'after-next-read') {
      throw invalidArgument("trigger must be 'before-next-write' or 'after-next-read'.")
    }
    const kind = typeof name === 'string' ? kindOf(name) : undefined
    if (typeof name !== 'string' || (kind !== 'level' && kind !== 'perimeter')) {
      throw invalidArgument('name must be an access level or service perimeter resource name.')
    }
    if (!isObject(set)) throw invalidArgument('set must be an object of fields to set.')
    const edit: ForeignEdit = {trigger, name, kind, set}
    const readPath = regex(spec.readPath, 'readPath')
    if (readPath) edit.readPath = readPath
    this.foreignEdits.push(edit)
  }

  /** Foreign edits due now; each fires once. `path` and `isResourceRead` describe the read (after-next-read). */
  takeForeignEdits(trigger: ForeignEdit['trigger'], path: string, isResourceRead: boolean): ForeignEdit[] {
    const due = this.foreignEdits.filter((edit) => {
      if (edit.trigger !== trigger) return false
      if (trigger === 'before-next-write') return true
      return edit.readPath ? edit.readPath.test(path) : isResourceRead
    })
    this.foreignEdits = this.foreignEdits.filter((edit) => !due.includes(edit))
    return due
  }

  configure(spec: JsonObject): void {
    const known = ['operationDelayMs', 'pendingWrites', 'propagationDelayMs', 'operatorIp']
    const unknown = Object.keys(spec).filter((key) => !known.includes(key))
    if (unknown.length > 0) throw invalidArgument(`Unknown config setting(s) ${unknown.join(', ')}; known: ${known.join(', ')}.`)
    const operationDelay = optionalNumber(spec, 'operationDelayMs', 0)
    const pending = spec.pendingWrites
    if (pending !== undefined && pending !== null && !PENDING_WRITES.includes(pending as PendingWrites)) {
      throw invalidArgument(`pendingWrites must be 'refuse' or 'queue', got ${JSON.stringify(pending)}.`)
    }
    const delay = optionalNumber(spec, 'propagationDelayMs', 0)
    const ip = spec.operatorIp
    if (ip !== undefined && ip !== null && (typeof ip !== 'string' || !ipaddr.isValid(ip))) {
      throw invalidArgument(`operatorIp must be an IPv4 or IPv6 address, got ${JSON.stringify(ip)}.`)
    }
    if (operationDelay !== undefined) this.operationDelayMs = operationDelay
    if (typeof pending === 'string') this.pendingWrites = pending as PendingWrites
    if (delay !== undefined) this.propagationDelayMs = delay
    if (typeof ip === 'string') this.operatorIp = ipaddr.process(ip).toString()
  }
}
