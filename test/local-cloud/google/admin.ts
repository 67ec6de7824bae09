import ipaddr from 'ipaddr.js'
import {rfc3339} from './audit-log.ts'
import type {CloudContext} from './context.ts'
import {ApiError, invalidArgument} from './google-errors.ts'
import type {Reply} from './http-util.ts'
import {isObject} from './json.ts'
import type {JsonObject} from './json.ts'
import {decisionsNow} from './perimeter-guard.ts'
import {PROJECT_NUMBER, seedState} from './seed.ts'
import {kindOf} from './store.ts'
import type {ResourceKind} from './store.ts'
import {VERTEX_SERVICE} from './vertex.ts'

/**
 * The test-only admin API under /__admin/ (no auth): the request log, fault injection,
 * failing operations, foreign edits, settings, raw state access, the clock, the audit
 * log, what VPC-SC enforces, and reset. It is how a test arranges a situation and checks
 * what vpcsc did, without going through the emulated APIs.
 */

const done: Reply = {status: 200, body: {ok: true}}

function parseBody(raw: string): JsonObject {
  if (raw.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw invalidArgument('The admin request body is not valid JSON.')
  }
  if (!isObject(parsed)) throw invalidArgument('The admin request body must be a JSON object.')
  return parsed
}

function resourceKind(name: unknown): ResourceKind {
  const kind = typeof name === 'string' ? kindOf(name) : undefined
  if (!kind) throw invalidArgument('name must be a policy, access level or service perimeter resource name.')
  return kind
}

/** Put the seed back and forget everything tests armed or observed. Issued tokens stay valid. */
export function resetCloud(ctx: CloudContext): void {
  // Pending writes are forgotten, not committed: nothing of the old world lands later.
  ctx.operations.clear()
  ctx.store.load(seedState())
  ctx.log.clear()
  ctx.controls.reset()
  ctx.clock.offsetMs = 0
  ctx.auditLog.clear()
  // The seed is in force at once: a reset is a fresh world, not a change to propagate.
  ctx.enforcement.reset(ctx.store.acmState(), ctx.clock.now())
}

function clockBody(ctx: CloudContext): JsonObject {
  return {offsetMs: ctx.clock.offsetMs, now: rfc3339(ctx.clock.now())}
}

function setClock(ctx: CloudContext, spec: JsonObject): void {
  const {offsetMs} = spec
  if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs) || !Number.isInteger(offsetMs)) {
    throw invalidArgument('offsetMs must be an integer number of milliseconds (negative: the past).')
  }
  const delta = offsetMs - ctx.clock.offsetMs
  ctx.clock.offsetMs = offsetMs
  ctx.enforcement.clockMoved(delta)
  // Emulator time drives commits: moving forward commits what is due by the new now.
  ctx.operations.clockMoved(delta)
}

function enforcementBody(ctx: CloudContext): JsonObject {
  const now = ctx.clock.now()
  const delay = ctx.controls.propagationDelayMs
  const state = ctx.enforcement.effective(now, delay)
  return {
    recordedAt: rfc3339(state.at),
    pendingChanges: ctx.enforcement.pending(now, delay),
    propagationDelayMs: delay,
    levels: state.levels,
    perimeters: state.perimeters,
  }
}

function decisionBody(ctx: CloudContext, spec: JsonObject): JsonObject {
  const ip = spec.callerIp ?? ctx.controls.operatorIp
  if (typeof ip !== 'string' || !ipaddr.isValid(ip)) throw invalidArgument('callerIp must be an IP address.')
  const text = (key: string, fallback: string): string => {
    const value = spec[key] ?? fallback
    if (typeof value !== 'string') throw invalidArgument(`${key} must be a string.`)
    return value
  }
  const decisions = decisionsNow(ctx, {
    service: text('service', VERTEX_SERVICE),
    projectNumber: text('projectNumber', PROJECT_NUMBER),
    callerIp: ipaddr.process(ip).toString(),
    principal: text('principal', ''),
  })
  return decisions as unknown as JsonObject
}

export function handleAdmin(ctx: CloudContext, method: string, path: string, query: Record<string, string>, raw: string): Reply {
  const route = `${method} ${path.replace(/\/+$/, '')}`
  switch (route) {
    case 'GET /__admin/requests':
      return {status: 200, body: ctx.log.list() as unknown as JsonObject[]}
    case 'DELETE /__admin/requests':
      ctx.log.clear()
      return done
    case 'POST /__admin/faults':
      ctx.controls.addFault(parseBody(raw))
      return done
    case 'DELETE /__admin/faults':
      ctx.controls.faults = []
      return done
    case 'POST /__admin/operation-errors':
      ctx.controls.addOperationError(parseBody(raw))
      return done
    case 'DELETE /__admin/operation-errors':
      ctx.controls.operationErrors = []
      return done
    case 'POST /__admin/foreign-edits':
      ctx.controls.addForeignEdit(parseBody(raw))
      return done
    case 'DELETE /__admin/foreign-edits':
      ctx.controls.foreignEdits = []
      return done
    case 'POST /__admin/config':
      ctx.controls.configure(parseBody(raw))
      return {status: 200, body: {...ctx.controls.settings()}}
    case 'GET /__admin/config':
      return {status: 200, body: {...ctx.controls.settings()}}
    case 'GET /__admin/clock':
      return {status: 200, body: clockBody(ctx)}
    case 'POST /__admin/clock':
      setClock(ctx, parseBody(raw))
      return {status: 200, body: clockBody(ctx)}
    case 'GET /__admin/audit-log':
      return {status: 200, body: ctx.auditLog.all().map((stored) => stored.entry)}
    case 'DELETE /__admin/audit-log':
      ctx.auditLog.clear()
      return done
    case 'POST /__admin/log-entries': {
      const {entries} = parseBody(raw)
      if (!Array.isArray(entries)) throw invalidArgument('entries must be a list of log entries.')
      const appended = ctx.auditLog.appendRaw(entries, ctx.clock.now())
      return {status: 200, body: {insertIds: appended.map((entry) => entry.insertId ?? null)}}
    }
    case 'GET /__admin/enforcement':
      return {status: 200, body: enforcementBody(ctx)}
    case 'POST /__admin/decide':
      return {status: 200, body: decisionBody(ctx, parseBody(raw))}
    case 'GET /__admin/operations':
      return {status: 200, body: {operations: ctx.operations.describePending()}}
    case 'POST /__admin/operations/settle':
      return {status: 200, body: {settled: ctx.operations.settleAll()}}
    case 'GET /__admin/state':
      return {status: 200, body: {...ctx.store.snapshot()}}
    case 'PUT /__admin/resource': {
      const {name, value} = parseBody(raw)
      const kind = resourceKind(name)
      if (!isObject(value)) throw invalidArgument('value must be the resource as a JSON object.')
      ctx.store.upsert(String(name), kind, value)
      return done
    }
    case 'DELETE /__admin/resource': {
      const name = query.name
      if (!ctx.store.remove(String(name), resourceKind(name))) {
        throw new ApiError(404, 'NOT_FOUND', `No resource named '${String(name)}'.`)
      }
      return done
    }
    case 'POST /__admin/reset':
      resetCloud(ctx)
      return done
    default:
      throw new ApiError(404, 'NOT_FOUND', `No admin endpoint ${route}.`)
  }
}
