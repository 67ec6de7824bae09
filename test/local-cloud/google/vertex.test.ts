import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, before, beforeEach, describe, it} from 'node:test'
import {ExternalAccountClient, Impersonated} from 'google-auth-library'
import type {BaseExternalAccountClient} from 'google-auth-library'
import {LEVEL, OTHER_LEVEL, PERIMETER, POLICY, PROJECT_ID, PROJECT_NUMBER, SEED_EIP} from './seed.ts'
import {startGoogleCloud} from './server.ts'
import type {GoogleCloud} from './server.ts'

// Vertex AI, STS, IAM Credentials and Cloud Logging behind the emulated VPC Service
// Controls: the decision by caller IP and principal, propagation, the exact denial
// bodies, and the audit entries vpcsc's `violations` reads back.

type Body = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const OPERATOR_IP = '198.51.100.250'
const WIF_PRINCIPAL = `principal://iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/vpcsc-pool/subject/local`
const SA_EMAIL = `vertex-caller@${PROJECT_ID}.iam.gserviceaccount.com`
const POLICY_LOG = `projects/${PROJECT_ID}/logs/cloudaudit.googleapis.com%2Fpolicy`
const VPC_SC_TYPE = 'type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata'
const RESTRICTED = {resources: [`projects/${PROJECT_NUMBER}`], restrictedServices: ['aiplatform.googleapis.com']}
const UID = /^[A-Z0-9]{32}$/
const DAY = 24 * 3600 * 1000

let cloud: GoogleCloud
let stateDir: string
let token: string

async function call(method: string, path: string, opts: {body?: unknown; token?: string | null; ip?: string; headers?: Record<string, string>} = {}): Promise<{status: number; body: Body}> {
  const headers: Record<string, string> = {'content-type': 'application/json', ...opts.headers}
  const bearer = opts.token === undefined ? token : opts.token
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`
  if (opts.ip) headers['x-vpcsc-egress-ip'] = opts.ip
  const res = await fetch(`${cloud.url}/${path}`, {method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body)})
  return {status: res.status, body: (await res.json()) as Body}
}

const listModels = (opts: {ip?: string; token?: string | null; project?: string; headers?: Record<string, string>} = {}) =>
  call('GET', `v1/projects/${opts.project ?? PROJECT_ID}/locations/us-central1/models?pageSize=1`, opts)

const generate = (opts: {ip?: string; token?: string | null} = {}) =>
  call('POST', `v1/projects/${PROJECT_NUMBER}/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:generateContent`, {
    ...opts,
    body: {contents: [{role: 'user', parts: [{text: 'ping'}]}]},
  })

const entries = (body: Body, opts: {ip?: string; token?: string | null} = {}) => call('POST', 'v2/entries:list', {...opts, body})

async function admin(method: string, path: string, body?: unknown): Promise<Body> {
  const res = await fetch(`${cloud.url}/__admin/${path}`, {
    method,
    headers: {'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const parsed = (await res.json()) as Body
  assert.equal(res.status, 200, JSON.stringify(parsed))
  return parsed
}

const auditLog = async (): Promise<Body[]> => (await admin('GET', 'audit-log')) as unknown as Body[]

/** An ACM write, settled (operations finish after one poll by default). */
async function acmWrite(method: string, path: string, body: unknown): Promise<void> {
  let op = await call(method, `v1/${path}`, {body})
  assert.equal(op.status, 200, JSON.stringify(op.body))
  // The service commits on its own a moment later; poll paced, as a client does.
  while (op.body.done !== true) {
    await sleep(20)
    op = await call('GET', `v1/${op.body.name as string}`)
  }
  assert.equal(op.body.error, undefined, JSON.stringify(op.body.error))
}

const patchPerimeter = (mask: string, body: Body) => acmWrite('PATCH', `${PERIMETER}?updateMask=${mask}`, body)

async function exchange(headers: Record<string, string> = {}): Promise<Response> {
  const credential = JSON.parse(await readFile(cloud.credentialFile, 'utf8')) as Body
  return fetch(credential.token_url as string, {
    method: 'POST',
    headers: {'content-type': 'application/x-www-form-urlencoded', ...headers},
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience: credential.audience as string,
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token: await readFile(join(stateDir, 'subject-token'), 'utf8'),
      subject_token_type: credential.subject_token_type as string,
    }),
  })
}

function expectedDenial(uid: string, service = 'aiplatform.googleapis.com'): Body {
  return {
    error: {
      code: 403,
      message: `Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: ${uid}`,
      status: 'PERMISSION_DENIED',
      details: [
        {'@type': 'type.googleapis.com/google.rpc.PreconditionFailure', violations: [{type: 'VPC_SERVICE_CONTROLS', description: uid}]},
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'SECURITY_POLICY_VIOLATED',
          domain: 'googleapis.com',
          metadata: {consumer: `projects/${PROJECT_NUMBER}`, service, uid},
        },
      ],
    },
  }
}

/** The uid of a VPC-SC denial, after checking the body is exactly the live one. */
function denialUid(res: {status: number; body: Body}, service?: string): string {
  assert.equal(res.status, 403, JSON.stringify(res.body))
  const uid = res.body.error?.details?.[1]?.metadata?.uid as string
  assert.match(uid, UID)
  assert.deepEqual(res.body, expectedDenial(uid, service))
  return uid
}

async function sourceClient(): Promise<BaseExternalAccountClient> {
  const json = JSON.parse(await readFile(cloud.credentialFile, 'utf8')) as Body
  const client = ExternalAccountClient.fromJSON(json as Parameters<typeof ExternalAccountClient.fromJSON>[0])
  assert.ok(client)
  client.scopes = ['https://www.googleapis.com/auth/cloud-platform']
  return client
}

async function impersonatedToken(email = SA_EMAIL): Promise<string> {
  const impersonated = new Impersonated({
    sourceClient: await sourceClient(),
    targetPrincipal: email,
    targetScopes: ['https://www.googleapis.com/auth/cloud-platform'],
    lifetime: 600,
    delegates: [],
    endpoint: cloud.url,
  })
  const {token: accessToken} = await impersonated.getAccessToken()
  assert.ok(accessToken)
  return accessToken
}

before(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'vpcsc-google-vertex-'))
  cloud = await startGoogleCloud({stateDir})
  token = ((await (await exchange()).json()) as Body).access_token as string
  assert.ok(token)
})

after(async () => {
  await cloud.close()
  await rm(stateDir, {recursive: true, force: true})
})

beforeEach(async () => {
  await admin('POST', 'reset')
})

describe('Vertex AI behind the seed perimeter', () => {
  it('answers allowed calls from the seed EIP (x-vpcsc-egress-ip)', async () => {
    assert.deepEqual(await listModels({ip: SEED_EIP}), {status: 200, body: {models: []}})
    assert.deepEqual(await listModels({ip: SEED_EIP, project: PROJECT_NUMBER}), {status: 200, body: {models: []}})
    assert.deepEqual(await generate({ip: SEED_EIP}), {status: 200, body: {candidates: [{content: {parts: [{text: 'ok'}]}}]}})
    assert.deepEqual(await auditLog(), [])
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    assert.deepEqual(
      log.map((r) => [r.api, r.write, r.status, r.callerIp]),
      [
        ['vertex', false, 200, SEED_EIP],
        ['vertex', false, 200, SEED_EIP],
        ['vertex', false, 200, SEED_EIP],
      ],
    )
  })

  it('denies the operator IP with the exact VPC-SC body and a fresh uid each time', async () => {
    const first = denialUid(await listModels())
    const second = denialUid(await generate())
    assert.notEqual(first, second)
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    assert.deepEqual(log.map((r) => [r.api, r.status, r.callerIp]), [
      ['vertex', 403, OPERATOR_IP],
      ['vertex', 403, OPERATOR_IP],
    ])
  })

  it('writes an enforced audit entry with the real field names', async () => {
    const uid = denialUid(await listModels({headers: {'user-agent': 'vpcsc-probe/1.0'}}))
    const [entry, ...rest] = await auditLog()
    assert.equal(rest.length, 0)
    assert.ok(entry)
    assert.match(entry.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    assert.ok(Date.parse(entry.receiveTimestamp) >= Date.parse(entry.timestamp))
    assert.ok(Math.abs(Date.parse(entry.timestamp) - Date.now()) < 5000)
    assert.equal(typeof entry.insertId, 'string')
    const {timestamp: _t, receiveTimestamp: _r, insertId: _i, ...fields} = entry
    assert.deepEqual(fields, {
      logName: POLICY_LOG,
      resource: {type: 'audited_resource', labels: {service: 'aiplatform.googleapis.com', method: 'google.cloud.aiplatform.v1.ModelService.ListModels', project_id: PROJECT_ID}},
      severity: 'ERROR',
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        status: {code: 7, details: [{'@type': 'type.googleapis.com/google.rpc.PreconditionFailure', violations: [{type: 'VPC_SERVICE_CONTROLS', description: uid}]}]},
        authenticationInfo: {principalEmail: WIF_PRINCIPAL},
        requestMetadata: {callerIp: OPERATOR_IP, callerSuppliedUserAgent: 'vpcsc-probe/1.0'},
        serviceName: 'aiplatform.googleapis.com',
        methodName: 'google.cloud.aiplatform.v1.ModelService.ListModels',
        resourceName: `projects/${PROJECT_NUMBER}`,
        metadata: {
          '@type': VPC_SC_TYPE,
          violationReason: 'NO_MATCHING_ACCESS_LEVEL',
          securityPolicyInfo: {servicePerimeterName: PERIMETER, organizationId: '987654321098'},
          resourceNames: [`projects/${PROJECT_NUMBER}`],
          vpcServiceControlsUniqueId: uid,
        },
      },
    })
    await generate({ip: '192.0.2.55'})
    const second = (await auditLog())[1]
    assert.equal(second?.protoPayload.methodName, 'google.cloud.aiplatform.v1.PredictionService.GenerateContent')
    assert.equal(second?.protoPayload.requestMetadata.callerIp, '192.0.2.55')
  })

  it('authenticates first (401), and answers an unknown project with a plain IAM 403', async () => {
    const missing = await listModels({token: null, ip: SEED_EIP})
    assert.equal(missing.status, 401)
    assert.equal(missing.body.error.status, 'UNAUTHENTICATED')
    assert.equal(missing.body.error.details[0].metadata.service, 'aiplatform.googleapis.com')
    assert.equal((await generate({token: 'ya29.forged'})).status, 401)
    const other = await listModels({project: 'someone-else', ip: SEED_EIP})
    assert.equal(other.status, 403)
    assert.equal(other.body.error.details[0].reason, 'IAM_PERMISSION_DENIED')
    assert.doesNotMatch(JSON.stringify(other.body), /SECURITY_POLICY_VIOLATED|vpcServiceControls/)
    assert.deepEqual(await auditLog(), [])
  })

  it('validates requests like the front end', async () => {
    assert.equal((await call('GET', `v1/projects/${PROJECT_ID}/locations/us-central1/models?bogus=1`, {ip: SEED_EIP})).status, 400)
    const empty = await call('POST', `v1/projects/${PROJECT_ID}/locations/us-central1/publishers/google/models/m:generateContent`, {ip: SEED_EIP, body: {contents: []}})
    assert.equal(empty.status, 400)
    const bad = await listModels({ip: 'not-an-ip'})
    assert.equal(bad.status, 400)
    assert.match(bad.body.error.message, /x-vpcsc-egress-ip/)
    assert.equal((await call('GET', `v1beta1/projects/${PROJECT_ID}/locations/us-central1/models`, {ip: SEED_EIP})).status, 200)
  })

  it('takes the operator IP from the admin config', async () => {
    assert.deepEqual(await admin('POST', 'config', {operatorIp: SEED_EIP}), {operationDelayMs: 150, pendingWrites: 'refuse', propagationDelayMs: 0, operatorIp: SEED_EIP})
    assert.equal((await listModels()).status, 200)
    const res = await fetch(`${cloud.url}/__admin/config`, {method: 'POST', body: JSON.stringify({propagationDelay: 5})})
    assert.equal(res.status, 400)
    await admin('POST', 'reset')
    assert.equal((await admin('GET', 'config')).operatorIp, OPERATOR_IP)
  })
})

describe('admission paths', () => {
  it('admits through the perimeter accessLevels', async () => {
    await patchPerimeter('status.accessLevels', {status: {accessLevels: [OTHER_LEVEL]}})
    assert.equal((await listModels()).status, 200) // the office level 198.51.100.0/24 holds the operator IP
    assert.equal((await listModels({ip: SEED_EIP})).status, 200) // still through the ingress policy
    assert.equal((await listModels({ip: '192.0.2.9'})).status, 403)
  })

  it('admits through an ingress policy by identity, and only to its services', async () => {
    await patchPerimeter('status.ingressPolicies', {
      status: {
        ingressPolicies: [
          {
            ingressFrom: {sources: [{accessLevel: '*'}], identities: [`serviceAccount:${SA_EMAIL}`]},
            ingressTo: {resources: ['*'], operations: [{serviceName: 'aiplatform.googleapis.com', methodSelectors: [{method: '*'}]}]},
          },
        ],
      },
    })
    const saToken = await impersonatedToken()
    assert.equal((await listModels({token: saToken, ip: '192.0.2.200'})).status, 200)
    denialUid(await listModels({ip: SEED_EIP})) // the level's ingress policy is gone; the WIF principal is not listed
    const [entry] = await auditLog()
    assert.equal(entry?.protoPayload.authenticationInfo.principalEmail, WIF_PRINCIPAL)
    const decision = await admin('POST', 'decide', {callerIp: '192.0.2.200', principal: `serviceAccount:${SA_EMAIL}`})
    assert.deepEqual(decision.enforced, {allowed: true, perimeter: PERIMETER})
  })
})

describe('propagation', () => {
  it('enforces a level change only after propagationDelayMs', async () => {
    await admin('POST', 'config', {propagationDelayMs: 1500})
    const started = Date.now()
    await acmWrite('PATCH', `${LEVEL}?updateMask=basic.conditions`, {basic: {conditions: [{ipSubnetworks: ['192.0.2.1/32']}]}})
    assert.equal((await listModels({ip: SEED_EIP})).status, 200, 'the old level is still enforced')
    assert.equal((await admin('GET', 'enforcement')).pendingChanges, 1)
    let denied = false
    while (!denied && Date.now() - started < 5000) {
      await sleep(100)
      denied = (await listModels({ip: SEED_EIP})).status === 403
    }
    assert.ok(denied, 'the new level never took effect')
    assert.ok(Date.now() - started >= 1500, `denied after only ${Date.now() - started} ms`)
    assert.equal((await listModels({ip: '192.0.2.1'})).status, 200)
  })

  it('follows replaceAll too, and a clock moved forward ages pending changes', async () => {
    await admin('POST', 'config', {propagationDelayMs: 60_000})
    const policy = await call('GET', `v1/${POLICY}`)
    const levels = (await call('GET', `v1/${POLICY}/accessLevels`)).body.accessLevels as Body[]
    const changed = levels.map((level) => (level.name === LEVEL ? {...level, basic: {conditions: [{ipSubnetworks: ['192.0.2.1/32']}]}} : level))
    await acmWrite('POST', `${POLICY}/accessLevels:replaceAll`, {accessLevels: changed, etag: policy.body.etag})
    assert.equal((await listModels({ip: SEED_EIP})).status, 200)
    await admin('POST', 'clock', {offsetMs: 59_000})
    assert.equal((await listModels({ip: SEED_EIP})).status, 200)
    await admin('POST', 'clock', {offsetMs: 61_000})
    denialUid(await listModels({ip: SEED_EIP}))
    // Moving the clock back does not undo what is enforced.
    await admin('POST', 'clock', {offsetMs: -DAY})
    assert.equal((await listModels({ip: SEED_EIP})).status, 403)
  })

  it('applies admin upserts and foreign edits with the delay; reset is immediate', async () => {
    await admin('POST', 'config', {propagationDelayMs: 60_000})
    await admin('PUT', 'resource', {name: LEVEL, value: {title: 'raw', basic: {conditions: [{ipSubnetworks: ['192.0.2.1/32']}]}}})
    assert.equal((await listModels({ip: SEED_EIP})).status, 200)
    assert.equal((await admin('GET', 'enforcement')).pendingChanges, 1)
    await admin('POST', 'clock', {offsetMs: 60_000})
    assert.equal((await listModels({ip: SEED_EIP})).status, 403)
    await admin('POST', 'reset')
    assert.equal((await listModels({ip: SEED_EIP})).status, 200)
    assert.equal((await admin('GET', 'clock')).offsetMs, 0)
  })
})

describe('dry run', () => {
  it('logs a dry-run violation while the call is allowed', async () => {
    await patchPerimeter('spec,useExplicitDryRunSpec', {useExplicitDryRunSpec: true, spec: {...RESTRICTED, accessLevels: [OTHER_LEVEL]}})
    assert.equal((await listModels({ip: SEED_EIP})).status, 200)
    const [entry, ...rest] = await auditLog()
    assert.equal(rest.length, 0)
    assert.equal(entry?.protoPayload.metadata.dryRun, true)
    assert.match(entry?.protoPayload.metadata.vpcServiceControlsUniqueId, UID)
    assert.equal(entry?.protoPayload.requestMetadata.callerIp, SEED_EIP)
    // The operator IP is admitted by the spec (office level) but not by the status.
    denialUid(await listModels())
    const log = await auditLog()
    assert.equal(log.length, 2)
    assert.equal(log[1]?.protoPayload.metadata.dryRun, undefined)
  })

  it('writes both entries when the status and the spec deny', async () => {
    await patchPerimeter('spec,useExplicitDryRunSpec', {useExplicitDryRunSpec: true, spec: RESTRICTED})
    const uid = denialUid(await generate())
    const log = await auditLog()
    assert.equal(log.length, 2)
    const enforced = log.find((e) => e.protoPayload.metadata.dryRun !== true)
    const dryRun = log.find((e) => e.protoPayload.metadata.dryRun === true)
    assert.equal(enforced?.protoPayload.metadata.vpcServiceControlsUniqueId, uid)
    assert.match(dryRun?.protoPayload.metadata.vpcServiceControlsUniqueId, UID)
    assert.notEqual(dryRun?.protoPayload.metadata.vpcServiceControlsUniqueId, uid)
    assert.equal(dryRun?.protoPayload.methodName, 'google.cloud.aiplatform.v1.PredictionService.GenerateContent')
  })
})

describe('Cloud Logging entries:list', () => {
  const vpcSc = `protoPayload.metadata.@type="${VPC_SC_TYPE}"`

  it('filters enforced and dry-run violations, by perimeter, service and log', async () => {
    await patchPerimeter('spec,useExplicitDryRunSpec', {useExplicitDryRunSpec: true, spec: RESTRICTED})
    await listModels() // enforced + dry-run
    await listModels({ip: SEED_EIP}) // dry-run only
    const list = async (filter: string): Promise<Body[]> => {
      const res = await entries({resourceNames: [`projects/${PROJECT_ID}`], filter, orderBy: 'timestamp desc'})
      assert.equal(res.status, 200, JSON.stringify(res.body))
      return (res.body.entries ?? []) as Body[]
    }
    assert.equal((await list(vpcSc)).length, 3)
    assert.equal((await list(`${vpcSc} AND protoPayload.metadata.dryRun=true`)).length, 2)
    const enforced = await list(`${vpcSc} NOT protoPayload.metadata.dryRun=true`)
    assert.equal(enforced.length, 1)
    assert.equal(enforced[0]?.protoPayload.requestMetadata.callerIp, OPERATOR_IP)
    assert.equal((await list(`logName="${POLICY_LOG}" resource.type="audited_resource"`)).length, 3)
    assert.equal((await list(`protoPayload.metadata.securityPolicyInfo.servicePerimeterName="${PERIMETER}"`)).length, 3)
    assert.equal((await list('protoPayload.metadata.securityPolicyInfo.servicePerimeterName:"vertex_ai"')).length, 3)
    assert.equal((await list('protoPayload.metadata.securityPolicyInfo.servicePerimeterName="accessPolicies/1/servicePerimeters/x"')).length, 0)
    assert.equal((await list('protoPayload.serviceName="aiplatform.googleapis.com"')).length, 3)
    assert.equal((await list('protoPayload.serviceName="sts.googleapis.com"')).length, 0)
    // By project number too; an empty answer has no entries key, as on the live API.
    const byNumber = await entries({resourceNames: [`projects/${PROJECT_NUMBER}`], filter: 'protoPayload.serviceName="x"'})
    assert.deepEqual(byNumber, {status: 200, body: {}})
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    assert.ok(log.filter((r) => r.path === '/v2/entries:list').every((r) => r.api === 'logging' && r.write === false))
  })

  it('orders by timestamp and pages with cursors that survive new entries', async () => {
    const base = Date.parse('2025-03-01T00:00:00.000Z')
    const raw = Array.from({length: 120}, (_, i) => ({
      timestamp: new Date(base + i * 1000).toISOString(),
      insertId: `raw-${String(i).padStart(3, '0')}`,
      protoPayload: {serviceName: 'aiplatform.googleapis.com', metadata: {'@type': VPC_SC_TYPE}},
    }))
    // Out of order on purpose: the answer is sorted by timestamp, not by arrival.
    await admin('POST', 'log-entries', {entries: raw.slice(60)})
    await admin('POST', 'log-entries', {entries: raw.slice(0, 60)})
    const pages = async (orderBy: string, pageSize?: number): Promise<string[][]> => {
      const result: string[][] = []
      let pageToken: string | undefined
      do {
        const res = await entries({resourceNames: [`projects/${PROJECT_ID}`], filter: vpcSc, orderBy, pageSize, pageToken})
        assert.equal(res.status, 200, JSON.stringify(res.body))
        result.push((res.body.entries as Body[]).map((e) => e.insertId as string))
        pageToken = res.body.nextPageToken
        if (result.length === 1) {
          // A new, newer entry between pages must not shift the next page.
          await admin('POST', 'log-entries', {entries: [{timestamp: '2025-03-02T00:00:00Z', insertId: 'late', protoPayload: {metadata: {'@type': 'other'}}}]})
        }
      } while (pageToken)
      return result
    }
    const desc = await pages('timestamp desc')
    assert.deepEqual(desc.map((p) => p.length), [50, 50, 20])
    assert.equal(desc[0]?.[0], 'raw-119')
    assert.deepEqual(desc.flat(), raw.map((e) => e.insertId).reverse())
    const asc = await pages('timestamp asc', 100)
    assert.deepEqual(asc.map((p) => p.length), [100, 20])
    assert.deepEqual(asc.flat(), raw.map((e) => e.insertId))
    const all = await entries({resourceNames: [`projects/${PROJECT_ID}`], pageSize: 1000})
    assert.equal(all.body.entries.length, 122)
    assert.equal(all.body.entries[0].logName, POLICY_LOG)
  })

  it('filters by timestamp against the emulated clock', async () => {
    await admin('POST', 'clock', {offsetMs: -8 * DAY})
    denialUid(await listModels())
    await admin('POST', 'clock', {offsetMs: 0})
    denialUid(await listModels())
    const log = await auditLog()
    const ages = log.map((e) => Date.now() - Date.parse(e.timestamp))
    assert.ok((ages[0] as number) > 8 * DAY - 60_000 && (ages[0] as number) < 8 * DAY + 60_000)
    assert.ok((ages[1] as number) < 60_000)
    const weekAgo = new Date(Date.now() - 7 * DAY).toISOString()
    const recent = await entries({resourceNames: [`projects/${PROJECT_ID}`], filter: `${vpcSc} timestamp>="${weekAgo}"`})
    assert.equal(recent.body.entries.length, 1)
    const old = await entries({resourceNames: [`projects/${PROJECT_ID}`], filter: `timestamp<"${weekAgo}"`})
    assert.equal(old.body.entries.length, 1)
    const clock = await admin('GET', 'clock')
    assert.equal(clock.offsetMs, 0)
  })

  it('rejects unsupported filters, bad paging and foreign projects; requires a token', async () => {
    const names = [`projects/${PROJECT_ID}`]
    const bad = await entries({resourceNames: names, filter: `${vpcSc} AND severity>=ERROR`})
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error.status, 'INVALID_ARGUMENT')
    assert.match(bad.body.error.message, /severity>=ERROR/)
    assert.equal((await entries({resourceNames: names, filter: 'a OR b'})).status, 400)
    assert.equal((await entries({resourceNames: names, orderBy: 'insertId'})).status, 400)
    assert.equal((await entries({resourceNames: names, pageSize: 1001})).status, 400)
    assert.equal((await entries({resourceNames: names, pageToken: 'garbage'})).status, 400)
    assert.equal((await entries({resourceNames: names, unknownField: 1})).status, 400)
    assert.equal((await entries({})).status, 400)
    assert.equal((await entries({resourceNames: ['projects/someone-else']})).status, 403)
    assert.equal((await entries({resourceNames: names}, {token: null})).status, 401)
    await admin('POST', 'log-entries', {entries: Array.from({length: 3}, () => ({}))})
    const first = await entries({resourceNames: names, pageSize: 1})
    const other = await entries({resourceNames: names, pageSize: 1, filter: vpcSc, pageToken: first.body.nextPageToken})
    assert.equal(other.status, 400)
    assert.match(other.body.error.message, /different query/)
  })

  it('is behind VPC-SC when the perimeter restricts logging.googleapis.com', async () => {
    await patchPerimeter('status.restrictedServices', {status: {restrictedServices: ['aiplatform.googleapis.com', 'logging.googleapis.com']}})
    denialUid(await entries({resourceNames: [`projects/${PROJECT_ID}`]}), 'logging.googleapis.com')
    const [entry] = await auditLog()
    assert.equal(entry?.protoPayload.methodName, 'google.logging.v2.LoggingServiceV2.ListLogEntries')
  })
})

describe('STS under VPC-SC', () => {
  const restrictSts = (operations: Body[]) =>
    patchPerimeter('status.restrictedServices,status.ingressPolicies', {
      status: {
        restrictedServices: ['aiplatform.googleapis.com', 'sts.googleapis.com'],
        ingressPolicies: [{ingressFrom: {sources: [{accessLevel: LEVEL}], identityType: 'ANY_IDENTITY'}, ingressTo: {resources: ['*'], operations}}],
      },
    })

  it('refuses the token exchange with the OAuth-style 403 and logs it', async () => {
    await restrictSts([{serviceName: 'aiplatform.googleapis.com'}, {serviceName: 'sts.googleapis.com'}])
    const denied = await exchange()
    assert.equal(denied.status, 403)
    const body = (await denied.json()) as Body
    assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'])
    assert.equal(body.error, 'access_denied')
    const uid = /^Request is prohibited by organization's policy\. vpcServiceControlsUniqueIdentifier: ([A-Z0-9]{32})$/.exec(body.error_description)?.[1]
    assert.ok(uid, body.error_description)
    const [entry, ...rest] = await auditLog()
    assert.equal(rest.length, 0)
    assert.equal(entry?.protoPayload.serviceName, 'sts.googleapis.com')
    assert.equal(entry?.protoPayload.methodName, 'google.identity.sts.v1.SecurityTokenService.ExchangeToken')
    assert.equal(entry?.resource.labels.service, 'sts.googleapis.com')
    assert.equal(entry?.protoPayload.metadata.vpcServiceControlsUniqueId, uid)
    assert.equal(entry?.protoPayload.requestMetadata.callerIp, OPERATOR_IP)
    // From the NAT's EIP the exchange goes through (the ingress policy names sts).
    const allowed = await exchange({'x-vpcsc-egress-ip': SEED_EIP})
    assert.equal(allowed.status, 200)
    // Tokens issued before the restriction keep working where the caller is admitted.
    assert.equal((await listModels({ip: SEED_EIP})).status, 200)
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    assert.deepEqual(log.filter((r) => r.api === 'sts').map((r) => r.status), [403, 200])
  })

  it('surfaces the denial through google-auth-library', async () => {
    await restrictSts([{serviceName: 'aiplatform.googleapis.com'}])
    const client = await sourceClient()
    await assert.rejects(client.getAccessToken(), /vpcServiceControlsUniqueIdentifier: [A-Z0-9]{32}/)
    // The ingress policy covers only aiplatform: even the EIP is refused a token.
    assert.equal((await exchange({'x-vpcsc-egress-ip': SEED_EIP})).status, 403)
  })
})

describe('IAM Credentials (impersonation)', () => {
  it("issues a token through google-auth-library's Impersonated client, bound to the service account", async () => {
    const saToken = await impersonatedToken()
    assert.equal((await listModels({token: saToken, ip: SEED_EIP})).status, 200)
    denialUid(await listModels({token: saToken}))
    const [entry] = await auditLog()
    assert.equal(entry?.protoPayload.authenticationInfo.principalEmail, SA_EMAIL)
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    const iam = log.find((r) => r.api === 'iamcredentials')
    assert.equal(iam?.path, `/v1/projects/-/serviceAccounts/${SA_EMAIL}:generateAccessToken`)
    assert.deepEqual(iam?.body, {delegates: [], scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '600s'})
    assert.equal(iam?.status, 200)
  })

  it('answers {accessToken, expireTime} and validates the request', async () => {
    const path = `v1/projects/-/serviceAccounts/${SA_EMAIL}:generateAccessToken`
    const ok = await call('POST', path, {body: {scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '300s'}})
    assert.equal(ok.status, 200)
    assert.deepEqual(Object.keys(ok.body).sort(), ['accessToken', 'expireTime'])
    const ttl = Date.parse(ok.body.expireTime) - Date.now()
    assert.ok(ttl > 290_000 && ttl <= 300_000, String(ttl))
    assert.equal((await call('POST', path, {body: {scope: ['x']}, token: null})).status, 401)
    assert.equal((await call('POST', path, {body: {}})).status, 400)
    assert.equal((await call('POST', path, {body: {scope: ['x'], lifetime: '7200s'}})).status, 400)
    assert.equal((await call('POST', `v1/projects/${PROJECT_ID}/serviceAccounts/${SA_EMAIL}:generateAccessToken`, {body: {scope: ['x']}})).status, 400)
  })

  it('is behind VPC-SC for the project’s service accounts when iamcredentials is restricted', async () => {
    await patchPerimeter('status.restrictedServices', {status: {restrictedServices: ['aiplatform.googleapis.com', 'iamcredentials.googleapis.com']}})
    const path = `v1/projects/-/serviceAccounts/${SA_EMAIL}:generateAccessToken`
    denialUid(await call('POST', path, {body: {scope: ['x']}}), 'iamcredentials.googleapis.com')
    assert.equal((await call('POST', `v1/projects/-/serviceAccounts/sa@elsewhere.iam.gserviceaccount.com:generateAccessToken`, {body: {scope: ['x']}})).status, 200)
  })
})

describe('admin: clock and audit log', () => {
  it('shifts now, dates audit entries with it, and clears on reset', async () => {
    const set = await admin('POST', 'clock', {offsetMs: -8 * DAY})
    assert.equal(set.offsetMs, -8 * DAY)
    assert.ok(Math.abs(Date.parse(set.now) - (Date.now() - 8 * DAY)) < 5000)
    denialUid(await listModels())
    const [entry] = await auditLog()
    assert.ok(Math.abs(Date.parse(entry?.timestamp) - (Date.now() - 8 * DAY)) < 5000)
    const bad = await fetch(`${cloud.url}/__admin/clock`, {method: 'POST', body: JSON.stringify({offsetMs: 'soon'})})
    assert.equal(bad.status, 400)
    await admin('POST', 'reset')
    assert.deepEqual(await auditLog(), [])
    assert.equal((await admin('GET', 'clock')).offsetMs, 0)
  })

  it('appends raw entries with defaults, and clears the audit log alone', async () => {
    const {insertIds} = await admin('POST', 'log-entries', {entries: [{protoPayload: {serviceName: 'x'}}]})
    assert.equal(insertIds.length, 1)
    const [entry] = await auditLog()
    assert.equal(entry?.logName, POLICY_LOG)
    assert.equal(entry?.insertId, insertIds[0])
    assert.ok(Date.parse(entry?.timestamp) > 0)
    const bad = await fetch(`${cloud.url}/__admin/log-entries`, {method: 'POST', body: JSON.stringify({entries: [{timestamp: 'yesterday'}]})})
    assert.equal(bad.status, 400)
    await admin('DELETE', 'audit-log')
    assert.deepEqual(await auditLog(), [])
  })
})
