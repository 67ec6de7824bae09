import type {CloudContext} from './context.ts'
import {ApiError, invalidArgument} from './google-errors.ts'
import type {Reply} from './http-util.ts'
import {isObject} from './json.ts'
import type {JsonObject} from './json.ts'
import {seedState} from './seed.ts'
import {kindOf} from './store.ts'
import type {ResourceKind} from './store.ts'

/**
 * The test-only admin API under /__admin/ (no auth): the request log, fault injection,
 * failing operations, foreign edits, settings, raw state access and reset. It is how a
 * test arranges a situation and checks what vpcsc did, without going through ACM.
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
  ctx.store.load(seedState())
  ctx.log.clear()
  ctx.controls.reset()
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
      return {status: 200, body: {operationPolls: ctx.controls.operationPolls}}
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
