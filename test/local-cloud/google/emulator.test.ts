import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {after, before, beforeEach, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {GoogleAuth} from 'google-auth-library'
import {LEVEL, ORGANIZATION, OTHER_LEVEL, PERIMETER, POLICY, PROJECT_ID, SEED_EIP} from './seed.ts'
import {startGoogleCloud} from './server.ts'
import type {GoogleCloud} from './server.ts'

// The emulated Google Cloud must behave like the live Access Context Manager wherever
// vpcsc depends on it; these tests pin the behaviour the rest of the suite relies on.

type Body = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

let cloud: GoogleCloud
let stateDir: string
let token: string

async function exchangeToken(subjectToken?: string): Promise<Response> {
  const subject = subjectToken ?? (await readFile(join(stateDir, 'subject-token'), 'utf8'))
  const credential = JSON.parse(await readFile(cloud.credentialFile, 'utf8')) as Body
  return fetch(credential.token_url as string, {
    method: 'POST',
    headers: {'content-type': 'application/x-www-form-urlencoded'},
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience: credential.audience as string,
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token: subject,
      subject_token_type: credential.subject_token_type as string,
    }),
  })
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{status: number; body: Body}> {
  const res = await fetch(`${cloud.url}/v1/${path}`, {
    method,
    headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return {status: res.status, body: (await res.json()) as Body}
}

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

/** Poll an operation as a client does (paced); returns the done operation and how many polls it took. */
async function settle(operation: Body): Promise<{done: Body; polls: number}> {
  let polls = 0
  let current = operation
  for (const deadline = Date.now() + 5000; current.done !== true; polls += 1) {
    assert.ok(Date.now() < deadline, `operation never finished: ${JSON.stringify(current)}`)
    await sleep(25)
    current = (await api('GET', current.name as string)).body
  }
  return {done: current, polls}
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

/** Wait (real time, paced) until `check` holds; nothing here polls an operation. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await sleep(25)) {
    assert.ok(Date.now() < deadline, 'condition not reached in time')
  }
}

async function policyEtag(): Promise<string> {
  return (await api('GET', POLICY)).body.etag as string
}

before(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'vpcsc-google-'))
  cloud = await startGoogleCloud({stateDir})
  const res = await exchangeToken()
  token = ((await res.json()) as Body).access_token as string
})

after(async () => {
  await cloud.close()
  await rm(stateDir, {recursive: true, force: true})
})

beforeEach(async () => {
  await admin('POST', 'reset')
})

describe('authentication', () => {
  it('writes an external_account credential file whose token_url points at the emulator', async () => {
    const credential = JSON.parse(await readFile(cloud.credentialFile, 'utf8')) as Body
    assert.equal(credential.type, 'external_account')
    assert.equal(credential.token_url, `${cloud.url}/v1/token`)
    assert.equal(credential.credential_source.file, join(stateDir, 'subject-token'))
    assert.deepEqual(credential.credential_source.format, {type: 'text'})
  })

  it('lets google-auth-library authenticate with keyFilename (STS exchange, then bearer)', async (t) => {
    t.mock.method(console, 'warn', () => undefined) // keyFilename is deprecated upstream; the warning is noise here
    const auth = new GoogleAuth({keyFilename: cloud.credentialFile, scopes: 'https://www.googleapis.com/auth/cloud-platform'})
    const client = await auth.getClient()
    const res = await client.request<Body>({url: `${cloud.url}/v1/${POLICY}`})
    assert.equal(res.status, 200)
    assert.equal(res.data.name, POLICY)
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    const sts = log.find((entry) => entry.api === 'sts')
    assert.equal(sts?.status, 200)
    assert.equal(sts?.body.subject_token, 'REDACTED')
  })

  it('authenticates through ADC (GOOGLE_APPLICATION_CREDENTIALS), the path vpcsc uses', async () => {
    // getClient() on ADC looks for a project id; without GOOGLE_CLOUD_PROJECT it would run
    // gcloud, probe the GCE metadata server and call cloudresourcemanager.googleapis.com.
    const saved = {credentials: process.env.GOOGLE_APPLICATION_CREDENTIALS, project: process.env.GOOGLE_CLOUD_PROJECT}
    process.env.GOOGLE_APPLICATION_CREDENTIALS = cloud.credentialFile
    process.env.GOOGLE_CLOUD_PROJECT = PROJECT_ID
    try {
      const client = await new GoogleAuth({scopes: 'https://www.googleapis.com/auth/cloud-platform'}).getClient()
      const res = await client.request<Body>({url: `${cloud.url}/v1/${LEVEL}`})
      assert.equal(res.data.name, LEVEL)
    } finally {
      restoreEnv('GOOGLE_APPLICATION_CREDENTIALS', saved.credentials)
      restoreEnv('GOOGLE_CLOUD_PROJECT', saved.project)
    }
  })

  it('answers 401 UNAUTHENTICATED without a token or with one it did not issue', async () => {
    const missing = await fetch(`${cloud.url}/v1/${POLICY}`)
    assert.equal(missing.status, 401)
    const body = (await missing.json()) as Body
    assert.equal(body.error.status, 'UNAUTHENTICATED')
    assert.equal(body.error.code, 401)
    const forged = await api('GET', POLICY, undefined, {authorization: 'Bearer ya29.forged'})
    assert.equal(forged.status, 401)
  })

  it('rejects a wrong subject token with an OAuth invalid_grant error', async () => {
    const res = await exchangeToken('not-the-subject-token')
    assert.equal(res.status, 400)
    const body = (await res.json()) as Body
    assert.equal(body.error, 'invalid_grant')
    assert.equal(typeof body.error_description, 'string')
  })
})

describe('reads', () => {
  it('GETs the seeded policy, level and perimeter; the perimeter carries the policy etag', async () => {
    const policy = await api('GET', POLICY)
    assert.equal(policy.status, 200)
    assert.equal(policy.body.parent, ORGANIZATION)
    assert.deepEqual(policy.body.scopes, ['projects/123456789012'])
    assert.match(policy.body.etag as string, /^[0-9a-f]{16}$/)

    const level = await api('GET', `${LEVEL}?accessLevelFormat=AS_DEFINED`)
    assert.deepEqual(level.body.basic.conditions[0], {ipSubnetworks: [`${SEED_EIP}/32`]})
    assert.equal(level.body.basic.combiningFunction, 'OR')

    const perimeter = await api('GET', PERIMETER)
    assert.equal(perimeter.body.etag, policy.body.etag)
    assert.deepEqual(perimeter.body.status.restrictedServices, ['aiplatform.googleapis.com'])
    assert.equal(perimeter.body.useExplicitDryRunSpec, undefined)
  })

  it('lists policies by parent and pages through levels', async () => {
    const policies = await api('GET', `accessPolicies?parent=${ORGANIZATION}`)
    assert.deepEqual(
      policies.body.accessPolicies.map((p: Body) => p.name),
      [POLICY],
    )
    const first = await api('GET', `${POLICY}/accessLevels?pageSize=1`)
    assert.equal(first.body.accessLevels.length, 1)
    assert.ok(first.body.nextPageToken)
    const second = await api('GET', `${POLICY}/accessLevels?pageSize=1&pageToken=${first.body.nextPageToken}`)
    assert.equal(second.body.accessLevels.length, 1)
    assert.equal(second.body.nextPageToken, undefined)
    assert.deepEqual([first.body.accessLevels[0].name, second.body.accessLevels[0].name].sort(), [LEVEL, OTHER_LEVEL].sort())
  })

  it('answers 404 in Google format for a missing level', async () => {
    const missing = `${POLICY}/accessLevels/nope`
    const res = await api('GET', missing)
    assert.equal(res.status, 404)
    assert.deepEqual(res.body, {error: {code: 404, status: 'NOT_FOUND', message: `Access Level '${missing}' not found.`}})
  })

  it('rejects unknown query parameters', async () => {
    const res = await api('GET', `${LEVEL}?foo=1`)
    assert.equal(res.status, 400)
    assert.equal(res.body.error.status, 'INVALID_ARGUMENT')
    assert.match(res.body.error.message, /Unknown name "foo": Cannot bind query parameter/)
  })
})

describe('accessLevels.patch', () => {
  it('changes only the masked fields', async () => {
    const patch = await api('PATCH', `${LEVEL}?updateMask=title`, {
      title: 'renamed',
      description: 'not in the mask',
      basic: {conditions: [{ipSubnetworks: ['198.51.100.7/32']}]},
    })
    assert.equal(patch.status, 200)
    await settle(patch.body)
    const level = (await api('GET', LEVEL)).body
    assert.equal(level.title, 'renamed')
    assert.equal(level.description, undefined)
    assert.deepEqual(level.basic.conditions[0].ipSubnetworks, [`${SEED_EIP}/32`])
  })

  it('replaces the whole conditions list under basic.conditions and keeps combiningFunction', async () => {
    const conditions = [{ipSubnetworks: ['198.51.100.7/32']}]
    const patch = await api('PATCH', `${LEVEL}?updateMask=basic.conditions`, {basic: {conditions}})
    const {done} = await settle(patch.body)
    assert.equal(done.response['@type'], 'type.googleapis.com/google.identity.accesscontextmanager.v1.AccessLevel')
    assert.deepEqual(done.response.basic.conditions, conditions)
    const level = (await api('GET', LEVEL)).body
    assert.deepEqual(level.basic, {combiningFunction: 'OR', conditions})
    assert.equal(level.title, 'vpcsc allow ec2 ip')
  })

  it('requires a non-empty updateMask', async () => {
    const res = await api('PATCH', LEVEL, {title: 'x'})
    assert.equal(res.status, 400)
    assert.match(res.body.error.message, /update_mask is required/)
  })

  it('clears a masked field the body leaves out', async () => {
    const patch = await api('PATCH', `${OTHER_LEVEL}?updateMask=description`, {})
    await settle(patch.body)
    assert.equal((await api('GET', OTHER_LEVEL)).body.description, undefined)
  })

  it('bumps the policy etag when it commits', async () => {
    await admin('POST', 'config', {operationDelayMs: 600_000})
    const before = await policyEtag()
    await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'x'})
    assert.equal(await policyEtag(), before)
    await admin('POST', 'operations/settle')
    assert.notEqual(await policyEtag(), before)
  })
})

describe('request validation', () => {
  it('rejects an unknown field with the front end message', async () => {
    const res = await api('PATCH', `${LEVEL}?updateMask=basic.conditions`, {
      basic: {conditions: [{ipSubnetworks: ['198.51.100.7/32'], foo: true}]},
    })
    assert.equal(res.status, 400)
    assert.equal(res.body.error.status, 'INVALID_ARGUMENT')
    assert.equal(
      res.body.error.message,
      `Invalid JSON payload received. Unknown name "foo" at 'access_level.basic.conditions[0]': Cannot find field.`,
    )
  })

  it('rejects wrong types and bad enum values', async () => {
    const wrongType = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 5})
    assert.equal(wrongType.status, 400)
    assert.match(wrongType.body.error.message, /Invalid value at 'access_level.title' \(TYPE_STRING\), 5/)
    const badEnum = await api('PATCH', `${LEVEL}?updateMask=basic.combiningFunction`, {basic: {combiningFunction: 'XOR'}})
    assert.equal(badEnum.status, 400)
    assert.match(badEnum.body.error.message, /access_level.basic.combining_function/)
  })

  it('rejects a CIDR with host bits set, naming the value, and private ranges', async () => {
    for (const cidr of ['192.0.2.1/24', '10.0.0.0/8', '127.0.0.1/32', 'fe80::/10', '203.0.113.10', '1.2.3.4/33']) {
      const res = await api('PATCH', `${LEVEL}?updateMask=basic.conditions`, {basic: {conditions: [{ipSubnetworks: [cidr]}]}})
      assert.equal(res.status, 400, cidr)
      assert.equal(res.body.error.status, 'INVALID_ARGUMENT')
      assert.ok((res.body.error.message as string).includes(cidr), res.body.error.message)
    }
    const v6 = await api('PATCH', `${LEVEL}?updateMask=basic.conditions`, {basic: {conditions: [{ipSubnetworks: ['2001:db8::/32']}]}})
    assert.equal(v6.status, 200)
  })

  it('accepts the live API fields (perimeter etag, vpcNetworkSources) but not vpcNetworkSources with ipSubnetworks', async () => {
    const both = await api('PATCH', `${LEVEL}?updateMask=basic.conditions`, {
      basic: {conditions: [{ipSubnetworks: ['198.51.100.7/32'], vpcNetworkSources: [{vpcSubnetwork: {network: 'n'}}]}]},
    })
    assert.equal(both.status, 400)
    assert.match(both.body.error.message, /vpcNetworkSources/)
    const withEtag = await api('PATCH', `${PERIMETER}?updateMask=title`, {title: 't', etag: await policyEtag()})
    assert.equal(withEtag.status, 200)
  })

  it('limits lists to 200 values and requires a condition', async () => {
    const many = Array.from({length: 201}, (_, i) => `198.51.${Math.floor(i / 200)}.${i % 200}/32`)
    const tooMany = await api('PATCH', `${LEVEL}?updateMask=basic.conditions`, {basic: {conditions: [{ipSubnetworks: many}]}})
    assert.equal(tooMany.status, 400)
    const none = await api('PATCH', `${LEVEL}?updateMask=basic.conditions`, {basic: {conditions: []}})
    assert.equal(none.status, 400)
  })

  it('rejects a body name that does not match the URL', async () => {
    const res = await api('PATCH', `${LEVEL}?updateMask=title`, {name: OTHER_LEVEL, title: 'x'})
    assert.equal(res.status, 400)
  })
})

describe('accessLevels.replaceAll', () => {
  it('replaces with the current etag, then refuses a stale one with 409 ABORTED', async () => {
    const etag = await policyEtag()
    const levels = (await api('GET', `${POLICY}/accessLevels`)).body.accessLevels as Body[]
    const mine = levels.find((level) => level.name === LEVEL) as Body
    mine.basic.conditions[0].ipSubnetworks = ['198.51.100.7/32']
    const replaced = await api('POST', `${POLICY}/accessLevels:replaceAll`, {accessLevels: levels, etag})
    assert.equal(replaced.status, 200)
    const {done} = await settle(replaced.body)
    assert.equal(done.response['@type'], 'type.googleapis.com/google.identity.accesscontextmanager.v1.ReplaceAccessLevelsResponse')
    assert.equal(done.response.accessLevels.length, 2)
    assert.deepEqual((await api('GET', LEVEL)).body.basic.conditions[0].ipSubnetworks, ['198.51.100.7/32'])
    const newEtag = await policyEtag()
    assert.notEqual(newEtag, etag)

    mine.basic.conditions[0].ipSubnetworks = ['198.51.100.8/32']
    const stale = await api('POST', `${POLICY}/accessLevels:replaceAll`, {accessLevels: levels, etag})
    assert.equal(stale.status, 409)
    assert.equal(stale.body.error.status, 'ABORTED')
    assert.match(stale.body.error.message, /etag/)
    assert.deepEqual((await api('GET', LEVEL)).body.basic.conditions[0].ipSubnetworks, ['198.51.100.7/32'])
    assert.equal(await policyEtag(), newEtag)
  })

  it('may not drop a level a perimeter references', async () => {
    const others = [(await api('GET', OTHER_LEVEL)).body]
    const res = await api('POST', `${POLICY}/accessLevels:replaceAll`, {accessLevels: others, etag: await policyEtag()})
    assert.equal(res.status, 400)
    assert.equal(res.body.error.status, 'FAILED_PRECONDITION')
  })
})

describe('operations', () => {
  const titleOf = async (): Promise<string> => (await api('GET', LEVEL)).body.title as string
  const pending = async (): Promise<Body[]> => (await admin('GET', 'operations')).operations as Body[]
  const stateTitle = async (): Promise<string> =>
    ((await admin('GET', 'state')).levels as Body[]).find((level) => level.name === LEVEL)?.title as string

  it('answers a not-done operation, then commits on its own with nobody polling', async () => {
    // Not the 150 ms default: the admin read below must come before the commit, even on a loaded machine.
    await admin('POST', 'config', {operationDelayMs: 800})
    const etag = await policyEtag()
    const write = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'x'})
    assert.equal(write.status, 200)
    assert.equal(write.body.done, false)
    assert.match(write.body.name as string, /^operations\/\w+$/)
    assert.equal(
      write.body.metadata['@type'],
      'type.googleapis.com/google.identity.accesscontextmanager.v1.AccessContextManagerOperationMetadata',
    )
    const [due] = await pending()
    assert.equal(due?.name, write.body.name)
    assert.equal(Date.parse(due?.dueAt as string) - Date.parse(due?.acceptedAt as string), 800)
    // Not polled at all: the test only reads the admin state until the commit shows.
    await waitFor(async () => (await stateTitle()) === 'x')
    assert.deepEqual(await pending(), [])
    assert.notEqual(await policyEtag(), etag)
    // Propagation starts at the commit, not at the write.
    assert.equal((await admin('GET', 'enforcement')).recordedAt, due?.dueAt)
    const done = (await api('GET', write.body.name as string)).body
    assert.equal(done.done, true)
    assert.equal(done.response.title, 'x')
    assert.equal(done.response['@type'], 'type.googleapis.com/google.identity.accesscontextmanager.v1.AccessLevel')
  })

  it('before the commit every read sees the old state and the old etag', async () => {
    await admin('POST', 'config', {operationDelayMs: 600_000})
    const etag = await policyEtag()
    const write = await api('PATCH', `${PERIMETER}?updateMask=title`, {title: 'new title', etag})
    assert.equal(write.status, 200)
    const poll = (await api('GET', write.body.name as string)).body
    assert.deepEqual(Object.keys(poll).sort(), ['done', 'metadata', 'name'])
    assert.equal(poll.done, false)
    const perimeter = (await api('GET', PERIMETER)).body
    assert.equal(perimeter.title, 'vertex ai perimeter')
    assert.equal(perimeter.etag, etag)
    assert.equal((await api('GET', `${POLICY}/servicePerimeters`)).body.servicePerimeters[0].title, 'vertex ai perimeter')
    assert.equal(await policyEtag(), etag)
    assert.equal(((await admin('GET', 'state')).perimeters as Body[])[0]?.title, 'vertex ai perimeter')
    assert.equal((await admin('GET', 'enforcement')).perimeters[0].title, 'vertex ai perimeter')
  })

  it('moving the clock forward commits what falls due; settle commits everything now', async () => {
    await admin('POST', 'config', {operationDelayMs: 600_000})
    const first = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'first'})
    await admin('POST', 'clock', {offsetMs: 599_000})
    assert.equal(await titleOf(), 'vpcsc allow ec2 ip')
    await admin('POST', 'clock', {offsetMs: 600_000})
    assert.equal(await titleOf(), 'first')
    assert.equal((await api('GET', first.body.name as string)).body.done, true)

    const second = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'second'})
    assert.equal((await pending()).length, 1)
    assert.deepEqual((await admin('POST', 'operations/settle')).settled, [second.body.name])
    assert.equal(await titleOf(), 'second')
    assert.deepEqual(await pending(), [])
    assert.deepEqual((await admin('POST', 'operations/settle')).settled, [])
  })

  it("refuses a write while another of the policy is pending: 409 ABORTED ('refuse', the default)", async () => {
    await admin('POST', 'config', {operationDelayMs: 600_000})
    assert.equal((await admin('GET', 'config')).pendingWrites, 'refuse')
    const etag = await policyEtag()
    const first = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'first'})
    const levels = (await api('GET', `${POLICY}/accessLevels`)).body.accessLevels as Body[]
    const refused = await api('POST', `${POLICY}/accessLevels:replaceAll`, {accessLevels: levels, etag})
    assert.equal(refused.status, 409)
    assert.equal(refused.body.error.status, 'ABORTED')
    assert.match(refused.body.error.message, /Another operation is in progress on the Access Policy 'accessPolicies\/555000111222'/)
    // Validation comes first: a bad write is still a 400.
    assert.equal((await api('PATCH', `${LEVEL}?updateMask=title`, {title: 5})).status, 400)
    assert.deepEqual((await pending()).map((op) => op.name), [first.body.name])
    await admin('POST', 'operations/settle')
    const after = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'after'})
    assert.equal(after.status, 200)
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    const writes = log.filter((entry) => entry.write)
    assert.deepEqual(
      writes.map((entry) => [entry.status, entry.operation ?? null]),
      [
        [200, first.body.name],
        [409, null],
        [400, null],
        [200, after.body.name],
      ],
    )
  })

  it("'queue': a second write is accepted and commits after the first, on the state the first left", async () => {
    // Long enough for the second write to arrive while the first is pending, even on a loaded machine.
    await admin('POST', 'config', {pendingWrites: 'queue', operationDelayMs: 1000})
    const first = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'first'})
    const second = await api('PATCH', `${LEVEL}?updateMask=description`, {description: 'second'})
    assert.equal(second.status, 200)
    const queue = await pending()
    assert.deepEqual(queue.map((op) => op.name), [first.body.name, second.body.name])
    assert.ok(Date.parse(queue[1]?.dueAt as string) >= Date.parse(queue[0]?.dueAt as string))
    const done = (await settle(second.body)).done
    assert.equal((await api('GET', first.body.name as string)).body.done, true)
    // The second PATCH's mask applied to the level the first one wrote: both changes hold.
    assert.equal(done.response.title, 'first')
    assert.equal(done.response.description, 'second')
    const level = (await api('GET', LEVEL)).body
    assert.equal(level.title, 'first')
    assert.equal(level.description, 'second')
  })

  it("'queue': a write whose etag is stale when it commits ends with error 10 ABORTED and changes nothing", async () => {
    await admin('POST', 'config', {pendingWrites: 'queue', operationDelayMs: 600_000})
    const etag = await policyEtag()
    const levels = (await api('GET', `${POLICY}/accessLevels`)).body.accessLevels as Body[]
    const first = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'first'})
    ;(levels.find((level) => level.name === LEVEL) as Body).basic.conditions[0].ipSubnetworks = ['198.51.100.7/32']
    // The etag is current when it arrives (the PATCH has not committed): accepted.
    const queued = await api('POST', `${POLICY}/accessLevels:replaceAll`, {accessLevels: levels, etag})
    assert.equal(queued.status, 200, JSON.stringify(queued.body))
    assert.equal((await pending())[1]?.etag, etag)
    await admin('POST', 'operations/settle')
    const failed = (await api('GET', queued.body.name as string)).body
    assert.equal(failed.done, true)
    assert.equal(failed.response, undefined)
    assert.equal(failed.error.code, 10)
    assert.match(failed.error.message, new RegExp(`etag '${etag}' does not match`))
    const level = (await api('GET', LEVEL)).body
    assert.equal(level.title, 'first')
    assert.deepEqual(level.basic.conditions[0].ipSubnetworks, [`${SEED_EIP}/32`])
    assert.equal((await api('GET', first.body.name as string)).body.response.title, 'first')
  })

  it('a foreign edit moves the etag at once; a pending write sent with the old etag then fails at commit', async () => {
    await admin('POST', 'config', {pendingWrites: 'queue', operationDelayMs: 600_000})
    const etag = await policyEtag()
    const commit = await api('POST', `${POLICY}/servicePerimeters:commit`, {etag})
    assert.equal(commit.status, 200)
    await admin('POST', 'foreign-edits', {trigger: 'before-next-write', name: OTHER_LEVEL, set: {title: 'theirs'}})
    await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'mine'})
    assert.notEqual(await policyEtag(), etag)
    assert.equal((await api('GET', OTHER_LEVEL)).body.title, 'theirs')
    await admin('POST', 'operations/settle')
    assert.equal((await api('GET', commit.body.name as string)).body.error.code, 10)
    assert.equal(await titleOf(), 'mine')
  })

  it('finishes with an armed error after its delay and leaves the resource unchanged', async () => {
    const before = await policyEtag()
    await admin('POST', 'operation-errors', {error: {code: 10, message: 'concurrent policy change'}})
    const write = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'x'})
    assert.equal(write.body.done, false)
    const {done} = await settle(write.body)
    assert.deepEqual(done.error, {code: 10, message: 'concurrent policy change'})
    assert.equal(done.response, undefined)
    assert.equal(await titleOf(), 'vpcsc allow ec2 ip')
    assert.equal(await policyEtag(), before)
    const next = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'y'})
    assert.equal((await settle(next.body)).done.response.title, 'y')
  })

  it('a write that no longer applies when it commits ends with that error', async () => {
    await admin('POST', 'config', {operationDelayMs: 600_000})
    const write = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'x'})
    await admin('DELETE', `resource?name=${encodeURIComponent(LEVEL)}`)
    await admin('POST', 'operations/settle')
    const failed = (await api('GET', write.body.name as string)).body
    assert.equal(failed.error.code, 5)
    assert.match(failed.error.message, /not found/)
  })

  it('answers 404 for an unknown operation', async () => {
    const res = await api('GET', 'operations/nope')
    assert.equal(res.status, 404)
    assert.equal(res.body.error.message, "Operation 'operations/nope' not found.")
  })

  it('operations.list: every operation, filtered on done, paged; unknown filters refused', async () => {
    assert.deepEqual((await api('GET', 'operations')).body, {})
    const first = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'a'})
    await settle(first.body)
    await admin('POST', 'config', {operationDelayMs: 600_000})
    const second = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'b'})
    const all = (await api('GET', 'operations')).body.operations as Body[]
    assert.deepEqual(all.map((op) => [op.name, op.done]), [
      [first.body.name, true],
      [second.body.name, false],
    ])
    assert.equal(all[0]?.response.title, 'a')
    const inFlight = await api('GET', `operations?filter=${encodeURIComponent('done=false')}`)
    assert.deepEqual((inFlight.body.operations as Body[]).map((op) => op.name), [second.body.name])
    const byName = await api('GET', `operations?filter=${encodeURIComponent(`name="${first.body.name as string}" AND done=true`)}`)
    assert.deepEqual((byName.body.operations as Body[]).map((op) => op.name), [first.body.name])
    const page = await api('GET', 'operations?pageSize=1')
    assert.equal((page.body.operations as Body[]).length, 1)
    const rest = await api('GET', `operations?pageSize=1&pageToken=${page.body.nextPageToken as string}`)
    assert.deepEqual((rest.body.operations as Body[]).map((op) => op.name), [second.body.name])
    assert.equal(rest.body.nextPageToken, undefined)
    const bad = await api('GET', `operations?filter=${encodeURIComponent('metadata.verb=update')}`)
    assert.equal(bad.status, 400)
    assert.match(bad.body.error.message, /metadata\.verb=update/)
    assert.equal((await api('GET', 'operations?orderBy=name')).status, 400)
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    assert.equal(log.find((entry) => entry.path === '/v1/operations')?.api, 'operations')
  })

  it('reset forgets pending operations: they never commit', async () => {
    await admin('POST', 'config', {operationDelayMs: 600_000})
    const write = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'lost'})
    await admin('POST', 'reset')
    assert.equal((await admin('GET', 'config')).operationDelayMs, 150)
    assert.deepEqual(await pending(), [])
    // Far past the time it was due: nothing of the old world lands.
    await admin('POST', 'clock', {offsetMs: 700_000})
    assert.deepEqual((await admin('POST', 'operations/settle')).settled, [])
    assert.equal(await titleOf(), 'vpcsc allow ec2 ip')
    assert.equal((await api('GET', write.body.name as string)).status, 404)
  })

  it('refuses bad operation settings', async () => {
    const res = await fetch(`${cloud.url}/__admin/config`, {method: 'POST', body: JSON.stringify({pendingWrites: 'wait'})})
    assert.equal(res.status, 400)
    assert.match(((await res.json()) as Body).error.message, /pendingWrites must be 'refuse' or 'queue'/)
    const polls = await fetch(`${cloud.url}/__admin/config`, {method: 'POST', body: JSON.stringify({operationPolls: 3})})
    assert.equal(polls.status, 400)
    const negative = await fetch(`${cloud.url}/__admin/config`, {method: 'POST', body: JSON.stringify({operationDelayMs: -1})})
    assert.equal(negative.status, 400)
  })
})

describe('fault injection', () => {
  it('answers an armed status `count` times, then normally', async () => {
    await admin('POST', 'faults', {match: {method: 'GET', path: 'accessLevels/'}, status: 503, count: 2})
    assert.equal((await api('GET', LEVEL)).status, 503)
    const second = await api('GET', LEVEL)
    assert.equal(second.status, 503)
    assert.equal(second.body.error.status, 'UNAVAILABLE')
    assert.equal((await api('GET', LEVEL)).status, 200)
  })

  it('does not apply a write answered with a fault', async () => {
    await admin('POST', 'faults', {match: {method: 'PATCH'}, status: 429, body: {error: {code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED'}}})
    const res = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'x'})
    assert.equal(res.status, 429)
    assert.equal(res.body.error.message, 'slow down')
    assert.equal((await api('GET', LEVEL)).body.title, 'vpcsc allow ec2 ip')
  })

  it('drops the connection', async () => {
    await admin('POST', 'faults', {match: {path: '^/v1/accessPolicies/[^/]+$'}, drop: true})
    await assert.rejects(api('GET', POLICY))
    assert.equal((await api('GET', POLICY)).status, 200)
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    assert.equal(log[0]?.fault, 'drop')
    assert.equal(log[0]?.status, null)
  })

  it('delays, then handles normally', async () => {
    await admin('POST', 'faults', {delayMs: 150})
    const started = Date.now()
    assert.equal((await api('GET', POLICY)).status, 200)
    assert.ok(Date.now() - started >= 140)
  })

  it("phase 'after' accepts the write, loses the answer, and the write commits on its own", async () => {
    await admin('POST', 'config', {operationDelayMs: 1000}) // still pending when the test looks
    await admin('POST', 'faults', {match: {method: 'PATCH'}, drop: true, phase: 'after'})
    await assert.rejects(api('PATCH', `${LEVEL}?updateMask=title`, {title: 'landed'}))
    const [logged] = (await admin('GET', 'requests')) as unknown as Body[]
    assert.equal(logged?.fault, 'drop')
    assert.match(logged?.operation as string, /^operations\/\w+$/)
    assert.deepEqual(((await admin('GET', 'operations')).operations as Body[]).map((op) => op.name), [logged?.operation])
    await waitFor(async () => (await api('GET', LEVEL)).body.title === 'landed')
    const op = (await api('GET', logged?.operation as string)).body
    assert.equal(op.done, true)
    assert.equal(op.response.title, 'landed')
  })

  it("phase 'after' with a 503: the client sees an error, the write lands all the same", async () => {
    const before = await policyEtag()
    await admin('POST', 'faults', {match: {method: 'POST', path: ':replaceAll$'}, status: 503, phase: 'after'})
    const levels = (await api('GET', `${POLICY}/accessLevels`)).body.accessLevels as Body[]
    ;(levels.find((level) => level.name === LEVEL) as Body).basic.conditions[0].ipSubnetworks = ['198.51.100.7/32']
    const res = await api('POST', `${POLICY}/accessLevels:replaceAll`, {accessLevels: levels, etag: before})
    assert.equal(res.status, 503)
    assert.equal(res.body.error.status, 'UNAVAILABLE')
    await waitFor(async () => (await policyEtag()) !== before)
    assert.deepEqual((await api('GET', LEVEL)).body.basic.conditions[0].ipSubnetworks, ['198.51.100.7/32'])
    // A blind retry with the etag it read before now meets the moved etag.
    const retry = await api('POST', `${POLICY}/accessLevels:replaceAll`, {accessLevels: levels, etag: before})
    assert.equal(retry.status, 409)
  })
})

describe('foreign edits', () => {
  it('before-next-write makes a replaceAll with the old etag fail', async () => {
    const etag = await policyEtag()
    const levels = (await api('GET', `${POLICY}/accessLevels`)).body.accessLevels as Body[]
    await admin('POST', 'foreign-edits', {
      trigger: 'before-next-write',
      name: LEVEL,
      set: {basic: {conditions: [{ipSubnetworks: ['198.51.100.99/32']}]}},
    })
    const res = await api('POST', `${POLICY}/accessLevels:replaceAll`, {accessLevels: levels, etag})
    assert.equal(res.status, 409)
    assert.equal(res.body.error.status, 'ABORTED')
    assert.deepEqual((await api('GET', LEVEL)).body.basic.conditions, [{ipSubnetworks: ['198.51.100.99/32']}])
  })

  it('after-next-read changes the resource right after the matching read', async () => {
    await admin('POST', 'foreign-edits', {trigger: 'after-next-read', name: LEVEL, set: {title: 'theirs'}, readPath: 'vpcsc_allow_ec2_ip$'})
    assert.equal((await api('GET', OTHER_LEVEL)).body.title, 'office')
    assert.equal((await api('GET', LEVEL)).body.title, 'vpcsc allow ec2 ip')
    assert.equal((await api('GET', LEVEL)).body.title, 'theirs')
  })
})

describe('service perimeters', () => {
  const dryRunSpec = {resources: ['projects/123456789012'], restrictedServices: ['aiplatform.googleapis.com', 'storage.googleapis.com']}

  it('commits a dry-run spec: status becomes the spec, spec and flag go', async () => {
    const patch = await api('PATCH', `${PERIMETER}?updateMask=spec,useExplicitDryRunSpec`, {spec: dryRunSpec, useExplicitDryRunSpec: true})
    assert.equal(patch.status, 200, JSON.stringify(patch.body))
    const {done} = await settle(patch.body)
    assert.equal(done.response['@type'], 'type.googleapis.com/google.identity.accesscontextmanager.v1.ServicePerimeter')
    assert.equal(done.response.useExplicitDryRunSpec, true)

    const stale = await api('POST', `${POLICY}/servicePerimeters:commit`, {etag: 'stale'})
    assert.equal(stale.status, 409)

    const commit = await api('POST', `${POLICY}/servicePerimeters:commit`, {etag: await policyEtag()})
    const committed = (await settle(commit.body)).done
    assert.equal(committed.response['@type'], 'type.googleapis.com/google.identity.accesscontextmanager.v1.CommitServicePerimetersResponse')
    assert.equal(committed.response.servicePerimeters.length, 1)
    const perimeter = (await api('GET', PERIMETER)).body
    assert.deepEqual(perimeter.status, dryRunSpec)
    assert.equal(perimeter.spec, undefined)
    assert.equal(perimeter.useExplicitDryRunSpec, undefined)
  })

  it('applies gcloud dry-run enforce (spec in the mask but absent is cleared)', async () => {
    await settle((await api('PATCH', `${PERIMETER}?updateMask=spec,useExplicitDryRunSpec`, {spec: dryRunSpec, useExplicitDryRunSpec: true})).body)
    const enforce = await api('PATCH', `${PERIMETER}?updateMask=spec,status,useExplicitDryRunSpec`, {status: dryRunSpec, useExplicitDryRunSpec: false})
    assert.equal(enforce.status, 200, JSON.stringify(enforce.body))
    await settle(enforce.body)
    const perimeter = (await api('GET', PERIMETER)).body
    assert.deepEqual(perimeter.status, dryRunSpec)
    assert.equal(perimeter.spec, undefined)
  })

  it('refuses a PATCH whose etag is stale, and a spec without the dry-run flag', async () => {
    const stale = await api('PATCH', `${PERIMETER}?updateMask=title`, {title: 'x', etag: 'stale'})
    assert.equal(stale.status, 409)
    assert.equal(stale.body.error.status, 'ABORTED')
    const noFlag = await api('PATCH', `${PERIMETER}?updateMask=spec`, {spec: dryRunSpec})
    assert.equal(noFlag.status, 400)
  })

  it('accepts sub-paths of status in the mask', async () => {
    const res = await api('PATCH', `${PERIMETER}?updateMask=status.restrictedServices`, {status: {restrictedServices: ['storage.googleapis.com']}})
    await settle(res.body)
    const perimeter = (await api('GET', PERIMETER)).body
    assert.deepEqual(perimeter.status.restrictedServices, ['storage.googleapis.com'])
    assert.deepEqual(perimeter.status.resources, ['projects/123456789012'])
  })
})

describe('admin', () => {
  it('logs every non-admin request with write flags and clears the log', async () => {
    await admin('DELETE', 'requests')
    await api('GET', LEVEL)
    const write = await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'x'})
    await api('GET', write.body.name as string)
    const log = (await admin('GET', 'requests')) as unknown as Body[]
    assert.deepEqual(
      log.map((entry) => [entry.method, entry.api, entry.write, entry.status]),
      [
        ['GET', 'acm', false, 200],
        ['PATCH', 'acm', true, 200],
        ['GET', 'operations', false, 200],
      ],
    )
    assert.deepEqual(log[1]?.query, {updateMask: 'title'})
    assert.deepEqual(log[1]?.body, {title: 'x'})
    assert.ok(Date.parse(log[0]?.at as string) > 0)
    assert.ok((log[1]?.seq as number) > (log[0]?.seq as number))
    await admin('DELETE', 'requests')
    assert.deepEqual(await admin('GET', 'requests'), [])
  })

  it('resets to the seed and clears requests, faults and edits', async () => {
    await api('PATCH', `${LEVEL}?updateMask=title`, {title: 'x'})
    await admin('POST', 'faults', {status: 500, count: 5})
    await admin('POST', 'reset')
    assert.deepEqual(await admin('GET', 'requests'), [])
    const state = await admin('GET', 'state')
    assert.equal(state.levels.find((level: Body) => level.name === LEVEL).title, 'vpcsc allow ec2 ip')
    assert.equal((await api('GET', LEVEL)).status, 200)
  })

  it('upserts and removes resources raw, moving the etag', async () => {
    const before = await policyEtag()
    const name = `${POLICY}/accessLevels/raw_level`
    await admin('PUT', 'resource', {name, value: {title: 'raw', basic: {conditions: [{ipSubnetworks: []}]}}})
    assert.equal((await api('GET', name)).body.title, 'raw')
    assert.notEqual(await policyEtag(), before)
    await admin('DELETE', `resource?name=${encodeURIComponent(name)}`)
    assert.equal((await api('GET', name)).status, 404)
  })
})

describe('main.ts', () => {
  it('prints one JSON line, serves, and exits cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpcsc-google-main-'))
    const child = spawn(process.execPath, [join(import.meta.dirname, 'main.ts'), '--port', '0', '--state-dir', dir, '--operation-delay-ms', '20', '--pending-writes', 'queue'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({input: child.stdout}).once('line', resolve)
        child.once('exit', (code) => reject(new Error(`main.ts exited early with ${code}`)))
      })
      const info = JSON.parse(line) as Body
      assert.equal(info.credentialFile, join(dir, 'google-credentials.json'))
      const state = (await (await fetch(`${info.url}/__admin/state`)).json()) as Body
      assert.equal(state.policies[0].name, POLICY)
      const config = (await (await fetch(`${info.url}/__admin/config`)).json()) as Body
      assert.equal(config.operationDelayMs, 20)
      assert.equal(config.pendingWrites, 'queue')
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      assert.equal(await exited, 0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
      await rm(dir, {recursive: true, force: true})
    }
  })
})
