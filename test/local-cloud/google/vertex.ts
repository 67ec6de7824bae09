import type {CloudContext, ServiceRequest} from './context.ts'
import {ApiError, invalidArgument, notFound} from './google-errors.ts'
import type {Reply} from './http-util.ts'
import {arrayAt} from './json.ts'
import {guard} from './perimeter-guard.ts'
import {PROJECT_ID, PROJECT_NUMBER} from './seed.ts'
import {authenticate, callerOf, checkQuery, jsonBody} from './service-util.ts'

/**
 * Vertex AI (aiplatform.googleapis.com), the service the perimeter protects: the two calls
 * a probe makes (list models, generate content), answered when VPC-SC lets the caller in
 * and denied with the exact VPC-SC 403 otherwise. v1beta1 (google-genai's default) too.
 * Order of checks, as on the live front end: authentication (401), VPC-SC (403 with
 * SECURITY_POLICY_VIOLATED), then IAM / project existence (a plain 403).
 */

export const VERTEX_SERVICE = 'aiplatform.googleapis.com'
const LOCATION = /^[a-z]+(-[a-z0-9]+)*$/

interface VertexCall {
  version: string
  project: string
  location: string
}

/** The project number behind a project id or number; undefined for a project the emulator does not know by id. */
function projectNumberOf(project: string): string | undefined {
  if (project === PROJECT_ID || project === PROJECT_NUMBER) return PROJECT_NUMBER
  return /^\d+$/.test(project) ? project : undefined
}

/** Authenticate, check location, apply VPC-SC, then IAM: only the seed project exists for the caller. */
function admit(ctx: CloudContext, req: ServiceRequest, call: VertexCall, methodName: string, permission: string): void {
  const principal = authenticate(ctx, req, VERTEX_SERVICE)
  if (!LOCATION.test(call.location)) throw invalidArgument(`Invalid location '${call.location}'.`)
  const projectNumber = projectNumberOf(call.project)
  if (projectNumber !== undefined) {
    guard(ctx, {
      service: VERTEX_SERVICE,
      methodName: `google.cloud.aiplatform.${call.version}.${methodName}`,
      projectNumber,
      principal,
      ...callerOf(req),
    })
  }
  if (projectNumber !== PROJECT_NUMBER) {
    const resource = `//aiplatform.googleapis.com/projects/${call.project}/locations/${call.location}`
    throw new ApiError(403, 'PERMISSION_DENIED', `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'aiplatform.googleapis.com',
        metadata: {permission, resource},
      },
    ])
  }
}

function listModels(ctx: CloudContext, req: ServiceRequest, call: VertexCall): Reply {
  checkQuery(req.query, ['pageSize', 'pageToken', 'filter', 'readMask', 'orderBy'], ['pageSize'])
  admit(ctx, req, call, 'ModelService.ListModels', 'aiplatform.models.list')
  if (Number(req.query.pageSize ?? 0) < 0) throw invalidArgument('page_size must not be negative.')
  if (req.query.pageToken) throw invalidArgument(`Invalid page token '${req.query.pageToken}'.`)
  return {status: 200, body: {models: []}}
}

function generateContent(ctx: CloudContext, req: ServiceRequest, call: VertexCall): Reply {
  checkQuery(req.query, [])
  const body = jsonBody(req.rawBody, ['contents', 'systemInstruction', 'tools', 'toolConfig', 'labels', 'safetySettings', 'generationConfig', 'cachedContent', 'model'])
  admit(ctx, req, call, 'PredictionService.GenerateContent', 'aiplatform.endpoints.predict')
  if (arrayAt(body, 'contents').length === 0) {
    throw invalidArgument('Unable to submit request because it must include at least one parts field, which describes the prompt input.')
  }
  return {status: 200, body: {candidates: [{content: {parts: [{text: 'ok'}]}}]}}
}

const ROUTES: {pattern: RegExp; method: string; handler: (ctx: CloudContext, req: ServiceRequest, call: VertexCall) => Reply}[] = [
  {pattern: /^\/(v1|v1beta1)\/projects\/([^/:]+)\/locations\/([^/:]+)\/models$/, method: 'GET', handler: listModels},
  {
    pattern: /^\/(v1|v1beta1)\/projects\/([^/:]+)\/locations\/([^/:]+)\/publishers\/google\/models\/[^/:]+:generateContent$/,
    method: 'POST',
    handler: generateContent,
  },
]

export function handleVertex(ctx: CloudContext, req: ServiceRequest): Reply {
  for (const route of ROUTES) {
    const match = route.pattern.exec(req.path)
    if (!match) continue
    if (req.method !== route.method) {
      throw new ApiError(501, 'UNIMPLEMENTED', `The local Google Cloud does not implement ${req.method} ${req.path}.`)
    }
    const [, version = 'v1', project = '', location = ''] = match
    return route.handler(ctx, req, {version, project, location})
  }
  throw notFound('Resource', req.path.slice(1))
}
