// Google credentials in Lambda: the Terraform module's credential configuration (Workload
// Identity Federation, AWS provider) through vpcsc's own ADC path (src/lib/gcp/client.ts).
// Lambda puts the function role's credentials in AWS_*; google-auth-library must sign the
// token exchange with them and send no key, reaching neither the metadata server nor AWS.
// The token endpoint here is a local stand-in that records what it is sent.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {after, before, describe, it} from 'node:test'

import {parse} from '@cdktf/hcl2json'

import {GoogleRestClient} from '../../src/lib/gcp/client.ts'

const MAIN_TF = fileURLToPath(new URL('../../deploy/terraform/main.tf', import.meta.url))
const POOL = 'projects/123456789012/locations/global/workloadIdentityPools/vpcsc-aws-pool'
const ROLE_KEY = {id: 'ASIAZZEXAMPLEROLEKEY', secret: 'lambda-role-secret-never-sent', session: 'lambda-role-session-token'}

describe('Workload Identity Federation as the function\'s role (the module\'s credential config)', () => {
  const requests: {method: string; path: string; body: string; authorization?: string}[] = []
  let url: string
  let dir: string
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (c: string) => (body += c))
    req.on('end', () => {
      requests.push({method: req.method!, path: req.url!, body, authorization: req.headers.authorization})
      if (req.url === '/v1/token') {
        res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({access_token: 'ya29.local-wif-token', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 3600}))
      } else {
        res.writeHead(200, {'content-type': 'application/json'}).end('{}')
      }
    })
  })

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const hcl = (await parse('main.tf', readFileSync(MAIN_TF, 'utf8'))) as {locals: Record<string, unknown>[]}
    const config = Object.assign({}, ...hcl.locals).google_credential_config as Record<string, unknown>
    // The module's literal configuration, its two interpolations filled in, the token
    // endpoint local. Nothing else is changed: no metadata URLs, environment_id aws1.
    const audience = String(config.audience).replace('${local.pool_name}', POOL).replace('${var.workload_identity_provider_id}', 'vpcsc-reconciler')
    dir = mkdtempSync(join(tmpdir(), 'vpcsc-wif-'))
    const file = join(dir, 'google-wif.json')
    writeFileSync(file, JSON.stringify({...config, audience, token_url: `${url}/v1/token`}))
    // What Lambda sets for the function (and nothing of the developer's machine).
    Object.assign(process.env, {
      GOOGLE_APPLICATION_CREDENTIALS: file,
      AWS_ACCESS_KEY_ID: ROLE_KEY.id,
      AWS_SECRET_ACCESS_KEY: ROLE_KEY.secret,
      AWS_SESSION_TOKEN: ROLE_KEY.session,
      AWS_REGION: 'eu-west-1',
    })
  })
  after(async () => {
    rmSync(dir, {recursive: true, force: true})
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('exchanges a GetCallerIdentity request signed with the role for a token, then calls with it', async () => {
    const client = new GoogleRestClient()
    const answer = await client.raw(`${url}/v1/accessPolicies/555000111222`)
    assert.deepEqual(answer, {kind: 'http', status: 200, body: '{}'})

    assert.deepEqual(requests.map((r) => `${r.method} ${r.path}`), ['POST /v1/token', 'GET /v1/accessPolicies/555000111222'], 'no metadata server, no AWS call')
    const exchange = new URLSearchParams(requests[0]!.body)
    assert.equal(exchange.get('grant_type'), 'urn:ietf:params:oauth:grant-type:token-exchange')
    assert.equal(exchange.get('audience'), `//iam.googleapis.com/${POOL}/providers/vpcsc-reconciler`)
    assert.equal(exchange.get('subject_token_type'), 'urn:ietf:params:aws:token-type:aws4_request')
    const subject = JSON.parse(decodeURIComponent(exchange.get('subject_token')!)) as {url: string; method: string; headers: {key: string; value: string}[]}
    assert.equal(subject.url, 'https://sts.eu-west-1.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15')
    assert.equal(subject.method, 'POST')
    const header = (name: string) => subject.headers.find((h) => h.key.toLowerCase() === name)?.value
    assert.match(header('authorization') ?? '', new RegExp(`^AWS4-HMAC-SHA256 Credential=${ROLE_KEY.id}/\\d{8}/eu-west-1/sts/aws4_request`))
    assert.equal(header('x-amz-security-token'), ROLE_KEY.session)
    assert.equal(header('x-goog-cloud-target-resource'), `//iam.googleapis.com/${POOL}/providers/vpcsc-reconciler`)
    assert.ok(!requests.some((r) => r.body.includes(ROLE_KEY.secret)), 'the secret key signs, it is never sent')
    assert.equal(requests[1]!.authorization, 'Bearer ya29.local-wif-token')
  })
})
