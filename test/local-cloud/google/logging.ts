import {createHash} from 'node:crypto'
import type {StoredEntry} from './audit-log.ts'
import type {CloudContext, ServiceRequest} from './context.ts'
import {ApiError, invalidArgument, notFound} from './google-errors.ts'
import type {Reply} from './http-util.ts'
import type {Json, JsonObject} from './json.ts'
import {parseFilter} from './log-filter.ts'
import {guard} from './perimeter-guard.ts'
import {PROJECT_ID, PROJECT_NUMBER} from './seed.ts'
import {authenticate, callerOf, checkQuery, jsonBody} from './service-util.ts'

/**
 * Cloud Logging v2 (logging.googleapis.com): `POST /v2/entries:list` over the audit log,
 * with the live API's resource names, filter subset (log-filter.ts), ordering and paging.
 * As on the live API, an empty answer is `{}` (no `entries` key). Page tokens are
 * cursors (timestamp + position), so entries appended between pages do not shift them,
 * and a token only works with the query that produced it.
 */

export const LOGGING_SERVICE = 'logging.googleapis.com'
const DEFAULT_PAGE_SIZE = 50
const MAX_PAGE_SIZE = 1000
const BODY_FIELDS = ['resourceNames', 'projectIds', 'filter', 'orderBy', 'pageSize', 'pageToken']

interface Cursor {
  q: string
  ms: number
  seq: number
}

/** The project of a resource name: only the seed project exists here (by id or number). */
function projectOfResource(name: Json, index: number): string {
  if (typeof name !== 'string' || !/^(projects|organizations|folders|billingAccounts)\/[^/]+(\/locations\/[^/]+\/buckets\/[^/]+\/views\/[^/]+)?$/.test(name)) {
    throw invalidArgument(`resource_names[${index}] '${String(name)}' is not a valid resource name (projects/PROJECT_ID, organizations/ID, folders/ID, billingAccounts/ID).`)
  }
  const [kind, id] = name.split('/')
  if (kind !== 'projects' || (id !== PROJECT_ID && id !== PROJECT_NUMBER)) {
    throw new ApiError(403, 'PERMISSION_DENIED', `The caller does not have permission to read logs of '${name}' (the local Cloud Logging knows only projects/${PROJECT_ID}).`)
  }
  return PROJECT_ID
}

function pageSizeOf(value: Json | undefined): number {
  if (value === undefined || value === null) return DEFAULT_PAGE_SIZE
  const size = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value
  if (typeof size !== 'number' || !Number.isInteger(size)) throw invalidArgument(`Invalid value at 'page_size' (TYPE_INT32), ${JSON.stringify(value)}`)
  if (size < 0) throw invalidArgument('page_size must not be negative.')
  if (size > MAX_PAGE_SIZE) throw invalidArgument(`page_size ${size} is larger than the maximum of ${MAX_PAGE_SIZE}.`)
  return size === 0 ? DEFAULT_PAGE_SIZE : size
}

function directionOf(orderBy: Json | undefined): 'asc' | 'desc' {
  if (orderBy === undefined || orderBy === null || orderBy === '') return 'asc'
  const match = typeof orderBy === 'string' ? /^\s*timestamp(?:\s+(asc|desc))?\s*$/i.exec(orderBy) : null
  if (!match) throw invalidArgument(`Invalid order_by '${String(orderBy)}': only "timestamp asc" and "timestamp desc" are supported.`)
  return (match[1] ?? 'asc').toLowerCase() as 'asc' | 'desc'
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url')
}

function decodeCursor(token: string, queryHash: string): Cursor {
  let cursor: unknown
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
  } catch {
    cursor = undefined
  }
  const c = cursor as Partial<Cursor> | undefined
  if (!c || typeof c.ms !== 'number' || typeof c.seq !== 'number' || typeof c.q !== 'string') {
    throw invalidArgument(`Invalid page token '${token}'.`)
  }
  if (c.q !== queryHash) throw invalidArgument(`The page token '${token}' belongs to a different query (resource names, filter and order must not change between pages).`)
  return c as Cursor
}

function listEntries(ctx: CloudContext, req: ServiceRequest): Reply {
  checkQuery(req.query, [])
  const principal = authenticate(ctx, req, LOGGING_SERVICE)
  const body = jsonBody(req.rawBody, BODY_FIELDS)
  const names = Array.isArray(body.resourceNames) ? body.resourceNames : []
  if (body.resourceNames !== undefined && !Array.isArray(body.resourceNames)) throw invalidArgument("resource_names must be a list of resource names.")
  if (body.projectIds !== undefined) throw invalidArgument('project_ids is deprecated and not supported by the local Cloud Logging; use resourceNames.')
  if (names.length === 0) throw invalidArgument('resource_names is required: e.g. ["projects/PROJECT_ID"].')
  const projects = new Set(names.map((name, index) => projectOfResource(name, index)))
  if (projects.has(PROJECT_ID)) {
    guard(ctx, {
      service: LOGGING_SERVICE,
      methodName: 'google.logging.v2.LoggingServiceV2.ListLogEntries',
      projectNumber: PROJECT_NUMBER,
      principal,
      ...callerOf(req),
    })
  }
  const filterText = body.filter ?? ''
  if (typeof filterText !== 'string') throw invalidArgument('filter must be a string.')
  const matches = parseFilter(filterText)
  const direction = directionOf(body.orderBy)
  const size = pageSizeOf(body.pageSize)
  const queryHash = createHash('sha256')
    .update(JSON.stringify([[...new Set(names)].sort(), filterText, direction]))
    .digest('base64url')
    .slice(0, 16)
  const sign = direction === 'asc' ? 1 : -1
  const compare = (a: {ms: number; seq: number}, b: {ms: number; seq: number}): number => sign * (a.ms - b.ms || a.seq - b.seq)

  let entries: StoredEntry[] = ctx.auditLog
    .all()
    .filter((stored) => [...projects].some((project) => String(stored.entry.logName ?? '').startsWith(`projects/${project}/`)))
    .filter((stored) => matches(stored))
    .sort(compare)
  if (typeof body.pageToken === 'string' && body.pageToken !== '') {
    const cursor = decodeCursor(body.pageToken, queryHash)
    entries = entries.filter((stored) => compare(stored, cursor) > 0)
  } else if (body.pageToken !== undefined && body.pageToken !== null && body.pageToken !== '') {
    throw invalidArgument('page_token must be a string.')
  }
  const page = entries.slice(0, size)
  const result: JsonObject = {}
  if (page.length > 0) result.entries = page.map((stored) => stored.entry)
  const last = page[page.length - 1]
  if (entries.length > size && last) result.nextPageToken = encodeCursor({q: queryHash, ms: last.ms, seq: last.seq})
  return {status: 200, body: result}
}

export function handleLogging(ctx: CloudContext, req: ServiceRequest): Reply {
  if (req.path === '/v2/entries:list') {
    if (req.method !== 'POST') throw new ApiError(501, 'UNIMPLEMENTED', `The local Google Cloud does not implement ${req.method} ${req.path}.`)
    return listEntries(ctx, req)
  }
  throw notFound('Resource', req.path.slice(1))
}
