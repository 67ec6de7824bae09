// Credentials problems are named as credentials problems: the token host, the credential
// file's path and the next step, exit 1; never a byte of the file, a key or a token, with
// DEBUG=vpcsc* too.
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer as createHttpServer} from 'node:http'
import {createServer, type Socket} from 'node:net'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {show, useWorld, vpcsc} from './helpers.ts'

/** The world's external-account credential file, as JSON. */
function worldCredential(file: string): {token_url: string; credential_source: {file: string}} & Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8'))
}

/** Asserts that no secret (nor its first 10 characters, JSON.parse's excerpt) is in the output. */
function assertNoSecrets(output: string, secrets: string[]): void {
  for (const secret of secrets) {
    for (const part of [secret, secret.slice(0, 10)]) assert.ok(!output.includes(part), `the output shows ${JSON.stringify(part)}:\n${output}`)
  }
}

const HINT = /gcloud auth application-default login.*GOOGLE_APPLICATION_CREDENTIALS/

describe('Google credentials problems', () => {
  const ctx = useWorld()
  const subjectToken = () => readFileSync(worldCredential(ctx.world.env.GOOGLE_APPLICATION_CREDENTIALS!).credential_source.file, 'utf8').trim()

  /** Runs `status` with the credential file, without and with DEBUG=vpcsc*; both must fail alike. */
  async function bothWays(file: string): Promise<string[]> {
    const outputs: string[] = []
    for (const debug of ['', 'vpcsc*']) {
      const result = await vpcsc(ctx.world, ['status'], {env: {GOOGLE_APPLICATION_CREDENTIALS: file, DEBUG: debug}})
      assert.equal(result.code, 1, show(result))
      assert.match(result.stderr, /Error: Google authentication failed/)
      assert.ok(result.stderr.includes(`credential file ${file}`), `names the file:\n${result.stderr}`)
      assert.match(result.stderr, HINT)
      assert.doesNotMatch(result.stderr, /Access Context Manager|Check the network or proxy/)
      outputs.push(result.stdout + result.stderr)
    }
    return outputs
  }

  it('a token_url on a closed port: authentication failed at that host, not "no answer from Access Context Manager"', async () => {
    const file = join(ctx.world.dir, 'closed-port.json')
    writeFileSync(file, JSON.stringify({...worldCredential(ctx.world.env.GOOGLE_APPLICATION_CREDENTIALS!), token_url: 'http://127.0.0.1:9/v1/token'}))
    for (const output of await bothWays(file)) {
      assert.match(output, /Google authentication failed at 127\.0\.0\.1:9 \(.*\): no answer \(ECONNREFUSED\)/)
      assertNoSecrets(output, [subjectToken()])
    }
  })

  it("a token_url behind a proxy that answers 200 with an HTML page: authentication failed at that host, not the API", async () => {
    const proxy = createHttpServer((_req, res) => {
      res.writeHead(200, {'content-type': 'text/html'})
      res.end('<html>proxy login</html>')
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const port = (proxy.address() as {port: number}).port
    const file = join(ctx.world.dir, 'html-proxy.json')
    writeFileSync(file, JSON.stringify({...worldCredential(ctx.world.env.GOOGLE_APPLICATION_CREDENTIALS!), token_url: `http://127.0.0.1:${port}/v1/token`}))
    try {
      for (const output of await bothWays(file)) {
        assert.match(output, new RegExp(`Google authentication failed at 127\\.0\\.0\\.1:${port} \\(`))
        assertNoSecrets(output, [subjectToken()])
      }
    } finally {
      proxy.close()
    }
  })

  it('a token_url that accepts and never answers: authentication failed at that host, within the request timeout', async () => {
    // A black hole: connections are accepted and never answered. The STS exchange runs
    // through google-auth-library's own HTTP client, which --request-timeout must bound too.
    const sockets = new Set<Socket>()
    const hole = createServer((socket) => void sockets.add(socket))
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve))
    const port = (hole.address() as {port: number}).port
    const file = join(ctx.world.dir, 'black-hole.json')
    writeFileSync(file, JSON.stringify({...worldCredential(ctx.world.env.GOOGLE_APPLICATION_CREDENTIALS!), token_url: `http://127.0.0.1:${port}/v1/token`}))
    try {
      const result = await vpcsc(ctx.world, ['status', '--request-timeout', '1s'], {env: {GOOGLE_APPLICATION_CREDENTIALS: file, DEBUG: 'vpcsc*'}})
      assert.equal(result.code, 1, show(result))
      assert.ok(sockets.size > 0, 'the token call reached the black hole')
      // One token exchange (google-auth-library's own retries in it), shared by the three
      // concurrent reads: none of them fetches the token again after it failed.
      assert.ok(sockets.size <= 3, `${sockets.size} connections to the token endpoint`)
      const path = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      assert.match(result.stderr, new RegExp(`Google authentication failed at 127\\.0\\.0\\.1:${port} \\(credential file ${path} from GOOGLE_APPLICATION_CREDENTIALS\\): no answer within 1s`))
      assert.match(result.stderr, HINT)
      assert.doesNotMatch(result.stderr, /Access Context Manager/)
      assertNoSecrets(result.stdout + result.stderr, [subjectToken()])
    } finally {
      hole.close()
      for (const socket of sockets) socket.destroy()
    }
  })

  it('a service-account key whose private key is garbage: authentication failed, no byte of the key shown', async () => {
    const privateKey = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDgarbageGARBAGEgarbage0123\n-----END PRIVATE KEY-----\n'
    const keyId = '9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6'
    const file = join(ctx.world.dir, 'bad-key.json')
    writeFileSync(
      file,
      JSON.stringify({
        type: 'service_account',
        project_id: 'vpcsc-demo',
        private_key_id: keyId,
        private_key: privateKey,
        client_email: 'vpcsc-operator@vpcsc-demo.iam.gserviceaccount.com',
        client_id: '100000000000000000001',
        token_uri: `${ctx.world.googleUrl}/token`,
      }),
    )
    for (const output of await bothWays(file)) {
      assert.match(output, new RegExp(`Google authentication failed at ${new URL(ctx.world.googleUrl).host.replaceAll('.', '\\.')} \\(.*\\): the private key cannot be used to sign`))
      assertNoSecrets(output, [keyId, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDgarbageGARBAGEgarbage0123', 'garbageGARBAGE'])
    }
  })

  it('GOOGLE_APPLICATION_CREDENTIALS naming a directory: said as a directory, a missing file as missing', async () => {
    const dir = join(ctx.world.dir, 'credentials-dir')
    mkdirSync(dir, {recursive: true})
    for (const output of await bothWays(dir)) assert.match(output, /Google authentication failed \(credential file .*credentials-dir from GOOGLE_APPLICATION_CREDENTIALS\): it is a directory, not a file\./)
    for (const output of await bothWays(join(ctx.world.dir, 'absent.json'))) assert.match(output, /\(credential file .*absent\.json from GOOGLE_APPLICATION_CREDENTIALS\): the file does not exist\./)
  })

  it('a credential file that is not JSON: named as such, its content never echoed', async () => {
    const file = join(ctx.world.dir, 'not-json.json')
    const keyId = 'AKIAFAKEKEYID0123456'
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
    writeFileSync(file, `${keyId} ${secret}\n`)
    for (const output of await bothWays(file)) {
      assert.match(output, /Google authentication failed \(credential file .*not-json\.json from GOOGLE_APPLICATION_CREDENTIALS\): the file is not valid JSON\./)
      assertNoSecrets(output, [keyId, secret, 'AKIAFAKEKE'])
    }
  })

  it('a subject token the token endpoint refuses: its answer is named, no token shown, DEBUG included', async () => {
    const tokenFile = join(ctx.world.dir, 'wrong-subject-token')
    const wrong = 'eyJhbGciOiJSUzI1NiJ9.c3ViamVjdC10b2tlbi10aGF0LWlzLXdyb25n.c2lnbmF0dXJlLXRoYXQtaXMtd3Jvbmc'
    writeFileSync(tokenFile, wrong)
    const file = join(ctx.world.dir, 'wrong-token.json')
    writeFileSync(file, JSON.stringify({...worldCredential(ctx.world.env.GOOGLE_APPLICATION_CREDENTIALS!), credential_source: {file: tokenFile, format: {type: 'text'}}}))
    for (const output of await bothWays(file)) {
      assert.match(output, /Google authentication failed at 127\.0\.0\.1:\d+ \(.*\): The subject token is invalid/)
      assertNoSecrets(output, [wrong, ...wrong.split('.'), subjectToken()])
    }
  })

  it("a token exchange refused in Google's error shape on the API's own host: still named as authentication, not as the API", async () => {
    // The emulator serves STS and Access Context Manager on one host, as a proxy or a
    // Private Service Connect endpoint would; google-auth-library retries nothing here.
    await ctx.world.admin.fault({match: {method: 'POST', path: '/v1/token'}, status: 400, body: {error: {code: 400, message: 'Invalid value for "audience".', status: 'INVALID_ARGUMENT'}}, count: 5})
    for (const debug of ['', 'vpcsc*']) {
      const result = await vpcsc(ctx.world, ['status'], {env: {DEBUG: debug}})
      assert.equal(result.code, 1, show(result))
      assert.match(result.stderr, /Error: Google authentication failed at 127\.0\.0\.1:\d+ \(credential file .*\): Invalid value for "audience"\./)
      assert.match(result.stderr, HINT)
      assert.doesNotMatch(result.stderr, /Access Context Manager (refused|answered)|accessPolicies/)
    }
  })

  it('a working run with DEBUG=vpcsc* shows no token', async () => {
    const result = await vpcsc(ctx.world, ['status'], {env: {DEBUG: 'vpcsc*'}})
    assert.equal(result.code, 0, show(result))
    assert.match(result.stderr, /vpcsc:http GET /, 'DEBUG is on')
    assertNoSecrets(result.stdout + result.stderr, [subjectToken()])
    assert.doesNotMatch(result.stdout + result.stderr, /ya29\./)
  })

  it("google-auth-library's MetadataLookupWarning does not reach the user (DEBUG shows it)", async () => {
    // No credential file anywhere: ADC asks the metadata server, here a local one answering
    // 403 as a proxy might, which google-auth-library reports as a process warning.
    const metadata = createHttpServer((_req, res) => res.writeHead(403).end('forbidden'))
    await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve))
    const env = {GOOGLE_APPLICATION_CREDENTIALS: '', GCE_METADATA_HOST: `127.0.0.1:${(metadata.address() as {port: number}).port}`}
    try {
      const quiet = await vpcsc(ctx.world, ['status'], {env})
      assert.equal(quiet.code, 1, show(quiet))
      assert.match(quiet.stderr, /No Google credentials found/)
      assert.match(quiet.stderr, HINT)
      assert.doesNotMatch(quiet.stderr, /MetadataLookupWarning|--trace-warnings/)
      const debug = await vpcsc(ctx.world, ['status'], {env: {...env, DEBUG: 'vpcsc*'}})
      assert.match(debug.stderr, /vpcsc:auth metadata server lookup: received unexpected error/, 'the warning was raised, and DEBUG shows it')
      assert.doesNotMatch(debug.stderr, /\(node:\d+\) MetadataLookupWarning/)
    } finally {
      metadata.close()
    }
  })
})
