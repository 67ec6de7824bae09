import {checkBodyName, checkId, checkLevel, checkPerimeter, referencedLevels} from './acm-rules.ts'
import {asCel} from './cel-format.ts'
import type {CloudContext} from './context.ts'
import {applyMask, parseMask} from './field-mask.ts'
import {ApiError, etagMismatch, failedPrecondition, invalidArgument, notFound, operationInProgress} from './google-errors.ts'
import type {Reply} from './http-util.ts'
import {arrayAt, clone, isObject, objectAt} from './json.ts'
import type {Json, JsonObject} from './json.ts'
import {TYPE_PREFIX} from './operations.ts'
import {schemaProperties, toProto3, validateBody, validateQuery} from './schema-validation.ts'
import {parseJsonBody} from './service-util.ts'
import {kindOf, policyOf} from './store.ts'

/**
 * Access Context Manager v1 over REST: the methods vpcsc uses (docs/api-facts.md "Methods
 * used"), with the live API's validation, etag rules and long-running operations.
 */

export interface ApiRequest {
  method: string
  path: string
  query: Record<string, string>
  rawBody: string
}

type Handler = (ctx: CloudContext, params: string[], req: ApiRequest) => Reply

interface Route {
  pattern: RegExp
  /** HTTP method -> [discovery method id (for query checks), handler]. */
  methods: Record<string, [string, Handler]>
}

const ok = (body: Json): Reply => ({status: 200, body})

const LEVEL_MASK_PATHS = ['title', 'description', 'basic', 'basic.conditions', 'basic.combiningFunction', 'custom']
const PERIMETER_MASK_PATHS = ['title', 'description', 'perimeterType', 'status', 'spec', 'useExplicitDryRunSpec']
const DEFAULT_PAGE_SIZE = 100

/** A perimeter mask path: a top-level field, or a field path inside status/spec. */
function isPerimeterMaskPath(path: string): boolean {
  if (PERIMETER_MASK_PATHS.includes(path)) return true
  const [head, ...rest] = path.split('.')
  if ((head !== 'status' && head !== 'spec') || rest.length === 0) return false
  let schema = 'ServicePerimeterConfig'
  for (const [index, segment] of rest.entries()) {
    const property = schemaProperties(schema)[segment]
    if (!property) return false
    if (index === rest.length - 1) return true
    if (!property.$ref) return false
    schema = property.$ref
  }
  return false
}

function requirePolicy(ctx: CloudContext, policy: string): JsonObject {
  const stored = ctx.store.policies.get(policy)
  if (!stored) throw notFound('Access Policy', policy)
  return stored
}

/** replaceAll and commit: the only compare-and-swap the API has. An absent etag means "unconditional". */
function checkEtag(ctx: CloudContext, policy: string, sent: Json | undefined): void {
  const current = ctx.store.etag(policy)
  if (typeof sent === 'string' && sent !== '' && sent !== current) throw etagMismatch(sent, current)
}

/** Opaque page tokens that still say where they point, so a forged one is rejected. */
function paginate(items: JsonObject[], query: Record<string, string>, key: string): JsonObject {
  const requested = Number(query.pageSize ?? 0)
  if (requested < 0) throw invalidArgument('page_size must not be negative.')
  const size = requested === 0 ? DEFAULT_PAGE_SIZE : requested
  let offset = 0
  if (query.pageToken) {
    const decoded = /^(\w+):(\d+)$/.exec(Buffer.from(query.pageToken, 'base64url').toString('utf8'))
    if (!decoded || decoded[1] !== key) throw invalidArgument(`Invalid page token '${query.pageToken}'.`)
    offset = Number(decoded[2])
  }
  const page = items.slice(offset, offset + size)
  // proto3 JSON: an empty list is left out, so an empty page is {}.
  const result: JsonObject = {}
  if (page.length > 0) result[key] = page.map((item) => clone(item))
  if (offset + size < items.length) result.nextPageToken = Buffer.from(`${key}:${offset + size}`).toString('base64url')
  return result
}

/**
 * What a write would do to the state as it is now: `plan` validates against the current
 * state (throwing the API's error) and returns how to apply it and what the operation
 * answers. It runs when the write arrives (errors are the HTTP answer) and again when
 * the service commits it (errors end the operation), so a write queued behind another
 * sees the state that other one left.
 */
interface Planned {
  apply(): void
  response(): JsonObject
}

interface WriteSpec {
  policy: string
  /** The discovery method id without the service prefix. */
  method: string
  target: string
  responseType: string
  /** The etag sent with the write (replaceAll, commit, perimeter PATCH), if any. */
  etag: Json | undefined
  plan(): Planned
}

/**
 * Accept a write: validate it now (400 and etag 409 answered at once), refuse it when
 * another write of the policy is in progress (unless tests set pendingWrites 'queue'),
 * and answer a not-done operation. The change is committed operationDelayMs later (after
 * any write queued before it), with the etag checked again against the one then.
 */
function write(ctx: CloudContext, spec: WriteSpec): Reply {
  const {policy} = spec
  checkEtag(ctx, policy, spec.etag)
  spec.plan()
  const queuedAfter = ctx.operations.lastDueAt(policy)
  if (queuedAfter !== undefined && ctx.controls.pendingWrites === 'refuse') throw operationInProgress(policy)
  const armedError = ctx.controls.takeOperationError()
  const now = ctx.clock.now()
  const operation = ctx.operations.create({
    policy,
    method: spec.method,
    target: spec.target,
    ...(typeof spec.etag === 'string' && spec.etag !== '' ? {etag: spec.etag} : {}),
    acceptedAt: now,
    dueAt: Math.max(now + ctx.controls.operationDelayMs, queuedAfter ?? now),
    commit: (at) => {
      if (armedError) return {error: clone(armedError)}
      checkEtag(ctx, policy, spec.etag)
      const planned = spec.plan()
      planned.apply()
      ctx.store.bumpEtag(policy, at)
      return {response: {'@type': `${TYPE_PREFIX}${spec.responseType}`, ...planned.response()}}
    },
  })
  return ok(operation)
}

function levelFormat(level: JsonObject, query: Record<string, string>): JsonObject {
  return query.accessLevelFormat === 'CEL' ? asCel(clone(level)) : clone(level)
}

// --- handlers -------------------------------------------------------------------

const listPolicies: Handler = (ctx, _params, req) => {
  const parent = req.query.parent
  if (!parent) throw invalidArgument('parent is required: organizations/ORGANIZATION_ID.')
  if (!/^organizations\/[0-9]+$/.test(parent)) throw invalidArgument(`Invalid parent '${parent}': expected organizations/ORGANIZATION_ID.`)
  const policies = [...ctx.store.policies.values()]
    .filter((policy) => policy.parent === parent)
    .sort((a, b) => String(a.name).localeCompare(String(b.name)))
  return ok(paginate(policies, req.query, 'accessPolicies'))
}

const getPolicy: Handler = (ctx, [policy = '']) => ok(clone(requirePolicy(ctx, policy)))

const listLevels: Handler = (ctx, [policy = ''], req) => {
  requirePolicy(ctx, policy)
  const levels = ctx.store.levelsOf(policy).map((level) => levelFormat(level, req.query))
  return ok(paginate(levels, req.query, 'accessLevels'))
}

const getLevel: Handler = (ctx, [policy = '', id = ''], req) => {
  const name = `${policy}/accessLevels/${id}`
  checkId('access level', name)
  const level = ctx.store.levels.get(name)
  if (!level) throw notFound('Access Level', name)
  return ok(levelFormat(level, req.query))
}

const patchLevel: Handler = (ctx, [policy = '', id = ''], req) => {
  const name = `${policy}/accessLevels/${id}`
  const body = parseJsonBody(req.rawBody)
  validateBody(body, 'AccessLevel', 'access_level')
  const paths = parseMask(req.query.updateMask, (path) => LEVEL_MASK_PATHS.includes(path), LEVEL_MASK_PATHS.join(', '))
  checkBodyName(body, name)
  checkId('access level', name)
  return write(ctx, {
    policy,
    method: 'accessPolicies.accessLevels.patch',
    target: name,
    responseType: 'AccessLevel',
    etag: undefined,
    plan: () => {
      // The mask applies to the level as it is when the write commits: last write wins.
      const current = ctx.store.levels.get(name)
      if (!current) throw notFound('Access Level', name)
      const next = toProto3(applyMask(current, toProto3(body) as JsonObject, paths)) as JsonObject
      next.name = name
      checkLevel(next)
      return {apply: () => ctx.store.levels.set(name, next), response: () => clone(next)}
    },
  })
}

const replaceAllLevels: Handler = (ctx, [policy = ''], req) => {
  const body = parseJsonBody(req.rawBody)
  validateBody(body, 'ReplaceAccessLevelsRequest', '')
  requirePolicy(ctx, policy)
  const levels = arrayAt(body, 'accessLevels').map((level) => toProto3(level) as JsonObject)
  return write(ctx, {
    policy,
    method: 'accessPolicies.accessLevels.replaceAll',
    target: policy,
    responseType: 'ReplaceAccessLevelsResponse',
    etag: body.etag,
    plan: () => {
      const names = new Set<string>()
      levels.forEach((level, index) => {
        const name = typeof level.name === 'string' ? level.name : ''
        if (kindOf(name) !== 'level' || policyOf(name) !== policy) {
          throw invalidArgument(`access_levels[${index}].name '${name}' must be an access level of ${policy} (${policy}/accessLevels/ID).`)
        }
        if (names.has(name)) throw invalidArgument(`access_levels[${index}]: access level '${name}' appears more than once.`)
        names.add(name)
        checkLevel(level, `access_levels[${index}]`)
      })
      // A level in use by a perimeter cannot disappear (the API protects perimeters' references).
      for (const perimeter of ctx.store.perimetersOf(policy)) {
        for (const config of [objectAt(perimeter, 'status'), objectAt(perimeter, 'spec')]) {
          for (const level of referencedLevels(config)) {
            if (!names.has(level)) {
              throw failedPrecondition(
                `Access Level '${level}' is referenced by Service Perimeter '${String(perimeter.name)}' and cannot be removed by accessLevels.replaceAll.`,
              )
            }
          }
        }
      }
      return {
        apply: () => {
          for (const old of ctx.store.levelsOf(policy)) ctx.store.levels.delete(String(old.name))
          for (const level of levels) ctx.store.levels.set(String(level.name), clone(level))
        },
        response: (): JsonObject => (levels.length > 0 ? {accessLevels: clone(levels)} : {}),
      }
    },
  })
}

const listPerimeters: Handler = (ctx, [policy = ''], req) => {
  requirePolicy(ctx, policy)
  const perimeters = ctx.store.perimetersOf(policy).map((perimeter) => ctx.store.perimeterView(perimeter))
  return ok(paginate(perimeters, req.query, 'servicePerimeters'))
}

const getPerimeter: Handler = (ctx, [policy = '', id = '']) => {
  const name = `${policy}/servicePerimeters/${id}`
  checkId('service perimeter', name)
  const perimeter = ctx.store.perimeters.get(name)
  if (!perimeter) throw notFound('Service Perimeter', name)
  return ok(ctx.store.perimeterView(perimeter))
}

const patchPerimeter: Handler = (ctx, [policy = '', id = ''], req) => {
  const name = `${policy}/servicePerimeters/${id}`
  const body = parseJsonBody(req.rawBody)
  validateBody(body, 'ServicePerimeter', 'service_perimeter')
  const paths = parseMask(
    req.query.updateMask,
    isPerimeterMaskPath,
    `${PERIMETER_MASK_PATHS.join(', ')} and field paths inside status and spec (e.g. status.resources)`,
  )
  checkBodyName(body, name)
  checkId('service perimeter', name)
  if (!ctx.store.perimeters.has(name)) throw notFound('Service Perimeter', name)
  const {etag: _etag, ...fields} = toProto3(body) as JsonObject
  return write(ctx, {
    policy,
    method: 'accessPolicies.servicePerimeters.patch',
    target: name,
    responseType: 'ServicePerimeter',
    // The perimeter etag is the policy's; when sent it must be current.
    etag: body.etag,
    plan: () => {
      const current = ctx.store.perimeters.get(name)
      if (!current) throw notFound('Service Perimeter', name)
      const next = toProto3(applyMask(current, fields, paths)) as JsonObject
      next.name = name
      checkPerimeter(next, (level) => policyOf(level) === policy && ctx.store.levels.has(level))
      return {apply: () => ctx.store.perimeters.set(name, next), response: () => ctx.store.perimeterView(next)}
    },
  })
}

const commitPerimeters: Handler = (ctx, [policy = ''], req) => {
  const body = parseJsonBody(req.rawBody)
  validateBody(body, 'CommitServicePerimetersRequest', '')
  requirePolicy(ctx, policy)
  return write(ctx, {
    policy,
    method: 'accessPolicies.servicePerimeters.commit',
    target: policy,
    responseType: 'CommitServicePerimetersResponse',
    etag: body.etag,
    plan: () => ({
      apply: () => {
        // Promotes EVERY dry-run perimeter of the policy at once, as the live API does.
        for (const perimeter of ctx.store.perimetersOf(policy)) {
          if (perimeter.useExplicitDryRunSpec !== true) continue
          if (isObject(perimeter.spec)) perimeter.status = perimeter.spec
          else delete perimeter.status
          delete perimeter.spec
          delete perimeter.useExplicitDryRunSpec
        }
      },
      response: (): JsonObject => {
        const perimeters = ctx.store.perimetersOf(policy).map((perimeter) => ctx.store.perimeterView(perimeter))
        return perimeters.length > 0 ? {servicePerimeters: perimeters} : {}
      },
    }),
  })
}

const getOperation: Handler = (ctx, [id = '']) => ok(ctx.operations.get(`operations/${id}`))

/**
 * The standard list filter, as far as operations have fields to filter on: `done=true`,
 * `done=false` and `name="operations/ID"`, joined by AND (or spaces). Anything else is
 * refused naming the term, so a filter the emulator cannot honour never passes silently.
 */
function operationFilter(filter: string | undefined): (operation: JsonObject) => boolean {
  const terms = (filter ?? '').split(/\s+AND\s+|\s+/).filter((term) => term !== '')
  const tests = terms.map((term): ((operation: JsonObject) => boolean) => {
    const match = /^(done|name)\s*=\s*"?([^"]*)"?$/.exec(term)
    if (match?.[1] === 'done' && (match[2] === 'true' || match[2] === 'false')) {
      const done = match[2] === 'true'
      return (operation) => operation.done === done
    }
    if (match?.[1] === 'name' && match[2]) {
      const name = match[2]
      return (operation) => operation.name === name
    }
    throw invalidArgument(`Invalid filter term '${term}': the local Google Cloud filters operations on done=true|false and name="operations/ID".`)
  })
  return (operation) => tests.every((test) => test(operation))
}

const listOperations: Handler = (ctx, _params, req) => {
  const keep = operationFilter(req.query.filter)
  return ok(paginate(ctx.operations.all().filter(keep), req.query, 'operations'))
}

const POLICY = '(accessPolicies/[^/:]+)'
const ID = '([^/:]+)'
const M = 'accesscontextmanager.'
const ROUTES: Route[] = [
  {pattern: /^\/v1\/accessPolicies$/, methods: {GET: [`${M}accessPolicies.list`, listPolicies]}},
  {pattern: new RegExp(`^/v1/${POLICY}$`), methods: {GET: [`${M}accessPolicies.get`, getPolicy]}},
  {pattern: new RegExp(`^/v1/${POLICY}/accessLevels$`), methods: {GET: [`${M}accessPolicies.accessLevels.list`, listLevels]}},
  {
    pattern: new RegExp(`^/v1/${POLICY}/accessLevels:replaceAll$`),
    methods: {POST: [`${M}accessPolicies.accessLevels.replaceAll`, replaceAllLevels]},
  },
  {
    pattern: new RegExp(`^/v1/${POLICY}/accessLevels/${ID}$`),
    methods: {
      GET: [`${M}accessPolicies.accessLevels.get`, getLevel],
      PATCH: [`${M}accessPolicies.accessLevels.patch`, patchLevel],
    },
  },
  {
    pattern: new RegExp(`^/v1/${POLICY}/servicePerimeters$`),
    methods: {GET: [`${M}accessPolicies.servicePerimeters.list`, listPerimeters]},
  },
  {
    pattern: new RegExp(`^/v1/${POLICY}/servicePerimeters:commit$`),
    methods: {POST: [`${M}accessPolicies.servicePerimeters.commit`, commitPerimeters]},
  },
  {
    pattern: new RegExp(`^/v1/${POLICY}/servicePerimeters/${ID}$`),
    methods: {
      GET: [`${M}accessPolicies.servicePerimeters.get`, getPerimeter],
      PATCH: [`${M}accessPolicies.servicePerimeters.patch`, patchPerimeter],
    },
  },
  {pattern: /^\/v1\/operations$/, methods: {GET: [`${M}operations.list`, listOperations]}},
  {pattern: /^\/v1\/operations\/(.+)$/, methods: {GET: [`${M}operations.get`, getOperation]}},
]

/**
 * One ACM or operations request, already authenticated. Foreign edits armed by tests
 * fire here: before a write is looked at, or after a read has been answered.
 */
export function handleAcm(ctx: CloudContext, req: ApiRequest): Reply {
  const route = ROUTES.map((r) => ({route: r, match: r.pattern.exec(req.path)})).find((r) => r.match)
  if (!route?.match) throw notFound('Resource', req.path.slice(1))
  const entry = route.route.methods[req.method]
  if (!entry) {
    throw new ApiError(501, 'UNIMPLEMENTED', `The local Google Cloud does not implement ${req.method} ${req.path}.`)
  }
  const [methodId, handler] = entry
  validateQuery(methodId, req.query)
  const params = route.match.slice(1).map((p) => p ?? '')
  if (req.method !== 'GET') applyForeignEdits(ctx, 'before-next-write', req.path)
  const reply = handler(ctx, params, req)
  if (req.method === 'GET' && reply.status === 200) applyForeignEdits(ctx, 'after-next-read', req.path)
  return reply
}

function applyForeignEdits(ctx: CloudContext, trigger: 'before-next-write' | 'after-next-read', path: string): void {
  const isResourceRead = path !== '/v1/operations' && !path.startsWith('/v1/operations/')
  for (const edit of ctx.controls.takeForeignEdits(trigger, path, isResourceRead)) {
    ctx.store.edit(edit.name, edit.kind, edit.set)
  }
}
