import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, beforeEach, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {DeleteNatGatewayCommand} from '@aws-sdk/client-ec2'
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  type SendCommandCommandInput,
  SSMClient,
} from '@aws-sdk/client-ssm'
import {REPLACEMENT_EIP} from '../aws-seed.ts'
import {SEED_EIP} from '../google/seed.ts'
import {isAlive} from '../moto.ts'
import {startWorld, type World} from '../world.ts'
import {STDERR_LIMIT, STDOUT_LIMIT, TRUNCATE_FILLER_CHARS} from './executor.ts'

const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled'])

interface Polled {
  result: GetCommandInvocationCommandOutput
  /** How many polls answered InvocationDoesNotExist. */
  notFound: number
  /** Every status seen, in order, repeats collapsed. */
  statuses: string[]
}

describe('SSM Run Command executor', () => {
  let world: World
  let echo: Server
  let echoUrl: string
  let scratch: string
  const clients = new Map<string, SSMClient>()
  const ssm = (region = 'us-east-1') => {
    let client = clients.get(region)
    if (!client) {
      client = new SSMClient({region, endpoint: world.ssm.url, credentials: {accessKeyId: 'test', secretAccessKey: 'test'}, maxAttempts: 1})
      clients.set(region, client)
    }
    return client
  }
  const instanceId = () => world.env.VPCSC_INSTANCE_ID as string

  async function send(commands: string[], extra: Partial<SendCommandCommandInput> = {}, region?: string): Promise<string> {
    const out = await ssm(region).send(
      new SendCommandCommand({InstanceIds: [instanceId()], DocumentName: 'AWS-RunShellScript', Parameters: {commands}, ...extra}),
    )
    assert.equal(out.Command?.Status, 'Pending')
    return out.Command?.CommandId as string
  }

  async function poll(commandId: string, opts: {timeoutMs?: number; instance?: string; region?: string; until?: (s: string) => boolean} = {}): Promise<Polled> {
    const until = opts.until ?? ((s: string) => TERMINAL.has(s))
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000)
    let notFound = 0
    const statuses: string[] = []
    for (;;) {
      try {
        const result = await ssm(opts.region).send(new GetCommandInvocationCommand({CommandId: commandId, InstanceId: opts.instance ?? instanceId()}))
        const status = result.Status as string
        if (statuses.at(-1) !== status) statuses.push(status)
        if (until(status)) return {result, notFound, statuses}
      } catch (error) {
        if ((error as Error).name !== 'InvocationDoesNotExist') throw error
        notFound += 1
      }
      if (Date.now() > deadline) throw new Error(`command ${commandId} still ${statuses.at(-1)} after ${opts.timeoutMs ?? 15_000} ms`)
      await sleep(40)
    }
  }

  const run = async (commands: string[], extra: Partial<SendCommandCommandInput> = {}) => (await poll(await send(commands, extra))).result

  before(async () => {
    world = await startWorld()
    scratch = mkdtempSync(join(tmpdir(), 'vpcsc-ssm-test-'))
    // Answers with the caller address the egress stamped on the request.
    echo = createServer((req, res) => res.end(`egress=${String(req.headers['x-vpcsc-egress-ip'] ?? 'none')}\n`))
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/whoami`
  })
  after(async () => {
    for (const c of clients.values()) c.destroy()
    await new Promise<void>((resolve) => echo?.close(() => resolve()))
    await world?.stop()
    rmSync(scratch, {recursive: true, force: true})
  })
  beforeEach(async () => {
    await world.ssm.admin.clearFaults()
  })

  it('runs `echo hello`: InvocationDoesNotExist once, then Pending/InProgress, then Success', async () => {
    const commandId = await send(['echo hello'], {Comment: 'greeting'})
    const {result, notFound, statuses} = await poll(commandId)
    assert.equal(notFound, 1)
    assert.deepEqual(statuses.filter((s) => s !== 'Pending'), ['InProgress', 'Success'])
    assert.equal(result.StandardOutputContent, 'hello\n')
    assert.equal(result.StandardErrorContent, '')
    assert.equal(result.ResponseCode, 0)
    assert.equal(result.StatusDetails, 'Success')
    assert.equal(result.DocumentName, 'AWS-RunShellScript')
    assert.equal(result.Comment, 'greeting')
    assert.equal(result.InstanceId, instanceId())
    const ran = Date.parse(result.ExecutionEndDateTime as string) - Date.parse(result.ExecutionStartDateTime as string)
    assert.ok(ran >= 150, `InProgress for ${ran} ms`)
    // Later polls keep answering (only the first one misses).
    assert.equal((await poll(commandId)).notFound, 0)
  })

  it('SendCommand answers the command as AWS does', async () => {
    const out = await ssm().send(
      new SendCommandCommand({InstanceIds: [instanceId()], DocumentName: 'AWS-RunShellScript', Parameters: {commands: ['true']}, TimeoutSeconds: 60}),
    )
    const c = out.Command
    assert.match(c?.CommandId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    assert.deepEqual(c?.InstanceIds, [instanceId()])
    assert.deepEqual(c?.Parameters, {commands: ['true']})
    assert.equal(c?.Status, 'Pending')
    assert.equal(c?.TimeoutSeconds, 60)
    assert.ok(c?.RequestedDateTime instanceof Date && Math.abs(c.RequestedDateTime.getTime() - Date.now()) < 5000)
    await poll(c?.CommandId as string)
  })

  it('runs the script in a temp dir with an environment made for the instance', async () => {
    process.env.VPCSC_SSM_TEST_LEAK = 'leaked'
    try {
      const r = await run(['pwd', 'env | sort', 'command -v gcloud'])
      const out = r.StandardOutputContent as string
      const [cwd] = out.split('\n')
      const env = Object.fromEntries(out.split('\n').filter((l) => /^[A-Za-z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
      assert.equal(env.HOME, cwd)
      assert.equal(env.TMPDIR, cwd)
      assert.match(env.PATH ?? '', /^\/.+:\/usr\/local\/bin:\/usr\/bin:\/bin$/)
      assert.equal(env.http_proxy, await world.egressProxyFor(SEED_EIP))
      assert.equal(env.HTTP_PROXY, env.http_proxy)
      assert.equal(env.AWS_SSM_INSTANCE_ID, instanceId())
      // Nothing of the test process: not its variables, not the world's AWS settings.
      for (const k of ['VPCSC_SSM_TEST_LEAK', 'AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL', 'GOOGLE_APPLICATION_CREDENTIALS', 'NODE_TEST_CONTEXT']) {
        assert.equal(env[k], undefined, k)
      }
      assert.match(out, /\/gcloud\n$/)
    } finally {
      delete process.env.VPCSC_SSM_TEST_LEAK
    }
  })

  it("sends the script's HTTP traffic out through the instance's NAT gateway, and follows a replaced one", async () => {
    const first = await run([`curl -sS ${echoUrl}`])
    assert.equal(first.StandardOutputContent, `egress=${SEED_EIP}\n`)
    // A header the script sets itself cannot choose the address.
    const spoofed = await run([`curl -sS -H 'x-vpcsc-egress-ip: 198.51.100.1' ${echoUrl}`])
    assert.equal(spoofed.StandardOutputContent, `egress=${SEED_EIP}\n`)

    await world.aws.replaceNatGateway()
    const second = await run([`curl -sS ${echoUrl}`])
    assert.equal(second.StandardOutputContent, `egress=${REPLACEMENT_EIP}\n`)
    assert.equal(await world.egressProxyFor(SEED_EIP), await world.egressProxyFor(SEED_EIP), 'one proxy per EIP, reused')
    assert.notEqual(await world.egressProxyFor(SEED_EIP), await world.egressProxyFor(REPLACEMENT_EIP))
    await world.reset()
  })

  it('has no egress when the NAT gateway is gone (route left to a deleted gateway)', async () => {
    await world.aws.ec2().send(new DeleteNatGatewayCommand({NatGatewayId: world.aws.ids.natGatewayId}))
    try {
      const r = await run([`curl -sS --max-time 5 ${echoUrl}`])
      assert.equal(r.Status, 'Failed')
      assert.equal(r.ResponseCode, 7) // curl: could not connect
      assert.match(r.StandardErrorContent as string, /Failed to connect/)
      const token = await run([`gcloud auth login --cred-file=${world.env.VPCSC_PROBE_CRED_FILE} --quiet`, 'gcloud auth print-access-token'])
      assert.equal(token.Status, 'Failed')
      assert.match(token.StandardErrorContent as string, /^ERROR: \(gcloud\.auth\.print-access-token\) There was a problem refreshing your current auth tokens: /m)
    } finally {
      await world.reset()
    }
  })

  it('reports a non-zero exit as Failed with its code, and the agent line on stderr', async () => {
    const r = await run(['echo partial', 'echo oops >&2', 'exit 3'])
    assert.equal(r.Status, 'Failed')
    assert.equal(r.StatusDetails, 'Failed')
    assert.equal(r.ResponseCode, 3)
    assert.equal(r.StandardOutputContent, 'partial\n')
    assert.equal(r.StandardErrorContent, 'oops\nfailed to run commands: exit status 3')
  })

  it('kills a script that outlives its executionTimeout: TimedOut, ResponseCode -1', async () => {
    const pidFile = join(scratch, 'sleeper.pid')
    const started = Date.now()
    const r = await run([], {Parameters: {commands: ['echo started', `sleep 30 & echo $! > ${pidFile}`, 'wait'], executionTimeout: ['1']}})
    assert.equal(r.Status, 'TimedOut')
    assert.equal(r.StatusDetails, 'ExecutionTimedOut')
    assert.equal(r.ResponseCode, -1)
    assert.equal(r.StandardOutputContent, 'started\n')
    assert.ok(Date.now() - started < 10_000)
    const sleeper = Number(readFileSync(pidFile, 'utf8'))
    for (let i = 0; i < 20 && isAlive(sleeper); i++) await sleep(50)
    assert.equal(isAlive(sleeper), false, 'the background job of the script was killed too')
  })

  it("runs a script under SSM's longest timeouts (delivery 30 days, execution 48 hours) to its end: no timer of the emulator overflows", async () => {
    const r = await run([], {TimeoutSeconds: 2_592_000, Parameters: {commands: ['sleep 0.3', 'echo ok'], executionTimeout: ['172800']}})
    assert.equal(r.Status, 'Success')
    assert.equal(r.StandardOutputContent, 'ok\n')
  })

  it('TimeoutSeconds is the delivery timeout, not a bound on the run: a script longer than it runs to its end', async () => {
    const r = await run([], {TimeoutSeconds: 1, Parameters: {commands: ['sleep 1.5', 'echo ok']}})
    assert.equal(r.Status, 'Success')
    assert.equal(r.StandardOutputContent, 'ok\n')
  })

  it('refuses an executionTimeout that is not 1 to 172800 seconds', async () => {
    for (const executionTimeout of [['0'], ['172801'], ['1h'], ['1', '2']]) {
      await assert.rejects(send([], {Parameters: {commands: ['echo x'], executionTimeout}}), (error: Error) => error.name === 'InvalidParameters', JSON.stringify(executionTimeout))
    }
  })

  it('cuts stdout at 24,000 characters and stderr at 8,000', async () => {
    const r = await run([`head -c 30000 /dev/zero | tr '\\0' a`, `head -c 10000 /dev/zero | tr '\\0' b >&2`])
    assert.equal(r.Status, 'Success')
    assert.equal(r.StandardOutputContent, 'a'.repeat(STDOUT_LIMIT))
    assert.equal(r.StandardErrorContent, 'b'.repeat(STDERR_LIMIT))
  })

  describe('faults', () => {
    it('never-delivered: stays Pending, the script never runs; the next command runs', async () => {
      const marker = join(scratch, 'never-delivered')
      await world.ssm.admin.fault({kind: 'never-delivered'})
      const stuck = await send([`touch ${marker}`])
      const next = await send(['echo next'])
      await sleep(800)
      const {result} = await poll(stuck, {until: () => true})
      assert.equal(result.Status, 'Pending')
      assert.equal(result.ResponseCode, -1)
      assert.equal(result.ExecutionStartDateTime, '')
      assert.equal(existsSync(marker), false)
      assert.equal((await poll(next)).result.StandardOutputContent, 'next\n')
    })

    it('timed-out: TimedOut, ResponseCode -1, no output', async () => {
      await world.ssm.admin.fault({kind: 'timed-out'})
      const r = await run(['echo should not show'])
      assert.deepEqual([r.Status, r.ResponseCode, r.StandardOutputContent, r.StandardErrorContent], ['TimedOut', -1, '', ''])
    })

    it('failed: Failed, ResponseCode 1, the agent error, the script not run; count applies to that many commands', async () => {
      const marker = join(scratch, 'failed')
      await world.ssm.admin.fault({kind: 'failed', count: 2})
      for (let i = 0; i < 2; i++) {
        const r = await run([`touch ${marker}`])
        assert.deepEqual([r.Status, r.ResponseCode, r.StandardOutputContent, r.StandardErrorContent], ['Failed', 1, '', 'failed to run commands: exit status 1'])
      }
      assert.equal(existsSync(marker), false)
      assert.equal((await run(['echo fine'])).Status, 'Success')
    })

    it("truncate: filler before the script's output pushes it past the 24,000 cut", async () => {
      await world.ssm.admin.fault({kind: 'truncate'})
      const r = await run(['echo RESULT-LINE', 'echo RESULT-ERR >&2'])
      assert.equal(r.Status, 'Success')
      const out = r.StandardOutputContent as string
      assert.equal(out.length, STDOUT_LIMIT)
      assert.ok(TRUNCATE_FILLER_CHARS > STDOUT_LIMIT)
      assert.equal(out.includes('RESULT-LINE'), false)
      assert.equal(r.StandardErrorContent, 'RESULT-ERR\n')
    })

    it('delay: InProgress for delayMs longer', async () => {
      await world.ssm.admin.fault({kind: 'delay', delayMs: 700})
      const started = Date.now()
      const {result, statuses} = await poll(await send(['echo late']))
      assert.ok(Date.now() - started >= 700)
      assert.ok(statuses.includes('InProgress'))
      assert.equal(result.StandardOutputContent, 'late\n')
      const ran = Date.parse(result.ExecutionEndDateTime as string) - Date.parse(result.ExecutionStartDateTime as string)
      assert.ok(ran >= 850, `InProgress for ${ran} ms`)
    })

    it('rejects a fault it does not know; clearFaults drops queued ones', async () => {
      await assert.rejects(world.ssm.admin.fault({kind: 'explode'} as never), /HTTP 400 .*fault kind must be one of/)
      await world.ssm.admin.fault({kind: 'failed', count: 5})
      await world.ssm.admin.clearFaults()
      assert.equal((await run(['true'])).Status, 'Success')
    })
  })

  describe('errors, listing and the rest of the API', () => {
    it('unknown instance -> InvalidInstanceId; another document -> InvalidDocument; unknown invocation -> InvocationDoesNotExist', async () => {
      await assert.rejects(
        ssm().send(new SendCommandCommand({InstanceIds: ['i-0123456789abcdef0'], DocumentName: 'AWS-RunShellScript', Parameters: {commands: ['true']}})),
        (e: Error) => e.name === 'InvalidInstanceId',
      )
      await assert.rejects(
        ssm().send(new SendCommandCommand({InstanceIds: [instanceId()], DocumentName: 'AWS-RunPowerShellScript', Parameters: {commands: ['true']}})),
        (e: Error) => e.name === 'InvalidDocument',
      )
      await assert.rejects(
        ssm().send(new GetCommandInvocationCommand({CommandId: '00000000-0000-4000-8000-000000000000', InstanceId: instanceId()})),
        (e: Error) => e.name === 'InvocationDoesNotExist',
      )
      const raw = await fetch(world.ssm.url, {
        method: 'POST',
        headers: {'x-amz-target': 'AmazonSSM.GetCommandInvocation', 'content-type': 'application/x-amz-json-1.1'},
        body: JSON.stringify({CommandId: 'nope', InstanceId: instanceId()}),
      })
      assert.equal(raw.status, 400)
      assert.equal(((await raw.json()) as {__type: string}).__type, 'InvocationDoesNotExist')
    })

    it('finds the instance in the region of the request signature', async () => {
      const west = await world.aws.seedRegion('eu-west-1', {eip: '203.0.113.21'})
      try {
        const out = await ssm('eu-west-1').send(
          new SendCommandCommand({InstanceIds: [west.instanceId], DocumentName: 'AWS-RunShellScript', Parameters: {commands: [`curl -sS ${echoUrl}`]}}),
        )
        const {result} = await poll(out.Command?.CommandId as string, {instance: west.instanceId, region: 'eu-west-1'})
        assert.equal(result.StandardOutputContent, 'egress=203.0.113.21\n')
        await assert.rejects(
          ssm('us-east-1').send(new SendCommandCommand({InstanceIds: [west.instanceId], DocumentName: 'AWS-RunShellScript', Parameters: {commands: ['true']}})),
          (e: Error) => e.name === 'InvalidInstanceId',
        )
      } finally {
        await world.reset()
      }
    })

    it('ListCommandInvocations lists invocations, with the plugin output when Details', async () => {
      await poll(await send(['echo older']))
      const commandId = await send(['echo listed', 'echo warn >&2'])
      const listedEarly = await ssm().send(new ListCommandInvocationsCommand({CommandId: commandId}))
      assert.equal(listedEarly.CommandInvocations?.length, 1)
      await poll(commandId)
      const plain = await ssm().send(new ListCommandInvocationsCommand({CommandId: commandId}))
      assert.equal(plain.CommandInvocations?.[0]?.Status, 'Success')
      assert.deepEqual(plain.CommandInvocations?.[0]?.CommandPlugins, [])
      const detailed = await ssm().send(new ListCommandInvocationsCommand({CommandId: commandId, InstanceId: instanceId(), Details: true}))
      const plugin = detailed.CommandInvocations?.[0]?.CommandPlugins?.[0]
      assert.equal(plugin?.Name, 'aws:runShellScript')
      assert.equal(plugin?.ResponseCode, 0)
      assert.equal(plugin?.Output, 'listed\n\n----------ERROR-------\nwarn\n')
      const all = await ssm().send(new ListCommandInvocationsCommand({InstanceId: instanceId()}))
      assert.ok((all.CommandInvocations?.length ?? 0) > 1)
      assert.equal(all.CommandInvocations?.[0]?.CommandId, commandId, 'newest first')
    })

    it('CancelCommand stops a running script; DescribeInstanceInformation shows the instance online', async () => {
      const commandId = await send(['sleep 20'])
      await poll(commandId, {until: (s) => s === 'InProgress'})
      await ssm().send(new CancelCommandCommand({CommandId: commandId}))
      const {result} = await poll(commandId)
      assert.equal(result.Status, 'Cancelled')
      const info = await ssm().send(new DescribeInstanceInformationCommand({Filters: [{Key: 'InstanceIds', Values: [instanceId()]}]}))
      assert.deepEqual(info.InstanceInformationList?.map((i) => [i.InstanceId, i.PingStatus, i.PlatformType]), [[instanceId(), 'Online', 'Linux']])
    })

    it('logs every SSM call for tests; reset forgets commands, faults and the log', async () => {
      await world.ssm.admin.clearRequests()
      const commandId = await send(['echo logged'])
      await poll(commandId)
      const log = await world.ssm.admin.requests()
      assert.equal(log[0]?.target, 'AmazonSSM.SendCommand')
      assert.deepEqual((log[0]?.body as {Parameters: unknown}).Parameters, {commands: ['echo logged']})
      assert.equal(log[0]?.status, 200)
      assert.equal(log[1]?.target, 'AmazonSSM.GetCommandInvocation')
      assert.equal(log[1]?.error, 'InvocationDoesNotExist')
      assert.ok(log.every((r, i) => i === 0 || r.seq > (log[i - 1]?.seq ?? 0)))
      await world.ssm.admin.fault({kind: 'failed', count: 3})
      await world.ssm.admin.reset()
      assert.deepEqual(await world.ssm.admin.requests(), [])
      await assert.rejects(
        ssm().send(new GetCommandInvocationCommand({CommandId: commandId, InstanceId: instanceId()})),
        (e: Error) => e.name === 'InvocationDoesNotExist',
      )
      assert.equal((await run(['true'])).Status, 'Success', 'the fault was dropped')
    })
  })

  describe('the stand-in gcloud', () => {
    it('gets a real token from the emulated Google through the NAT, and no token travels through SSM', async () => {
      await world.admin.clearRequests()
      await world.ssm.admin.clearRequests()
      const r = await run([
        'set -e',
        `gcloud auth login --cred-file=${world.env.VPCSC_PROBE_CRED_FILE} --quiet`,
        'token="$(gcloud auth print-access-token)"',
        'echo "token-length=${#token}"',
        `printf 'Authorization: Bearer %s\\n' "$token" | curl -sS -o /dev/null -w 'policy-http=%{http_code}\\n' -H @- ${world.googleUrl}/v1/accessPolicies/555000111222`,
      ])
      assert.equal(r.Status, 'Success', r.StandardErrorContent)
      assert.match(r.StandardOutputContent as string, /^token-length=[1-9]\d*\npolicy-http=200\n$/)
      assert.match(r.StandardErrorContent as string, /^Authenticated with external account credentials for: \[/)

      const googleLog = (await world.admin.requests()) as unknown as Array<Record<string, unknown>>
      const exchange = googleLog.find((e) => e.path === '/v1/token')
      assert.ok(exchange, 'the token exchange reached the emulated Google')
      assert.equal(exchange.status, 200)
      const form = exchange.body as Record<string, string>
      assert.equal(form.grant_type, 'urn:ietf:params:oauth:grant-type:token-exchange')
      assert.equal(form.requested_token_type, 'urn:ietf:params:oauth:token-type:access_token')
      assert.equal(form.scope, 'https://www.googleapis.com/auth/cloud-platform')
      assert.equal(form.subject_token, 'REDACTED')
      const policyRead = googleLog.find((e) => e.path === '/v1/accessPolicies/555000111222')
      assert.equal(policyRead?.status, 200)
      // The emulated Google logs the caller's address where it keeps one.
      for (const entry of [exchange, policyRead]) {
        const seen = entry?.callerIp ?? (entry?.headers as Record<string, string> | undefined)?.['x-vpcsc-egress-ip']
        if (seen !== undefined) assert.equal(seen, SEED_EIP)
      }

      const ssmLog = JSON.stringify(await world.ssm.admin.requests())
      assert.equal(/ya29\.|Bearer [A-Za-z0-9]/.test(ssmLog.replace('Bearer %s', '')), false, 'no access token in any SSM call')
    })

    it('prints gcloud errors: not logged in, an unreadable file, an STS error answer', async () => {
      const notLoggedIn = await run(['gcloud auth print-access-token'])
      assert.equal(notLoggedIn.ResponseCode, 1)
      assert.match(notLoggedIn.StandardErrorContent as string, /^ERROR: \(gcloud\.auth\.print-access-token\) You do not currently have an active account selected\./)

      const missing = await run(['gcloud auth login --cred-file=/nonexistent/cred.json'])
      assert.equal(missing.ResponseCode, 1)
      assert.match(missing.StandardErrorContent as string, /^ERROR: \(gcloud\.auth\.login\) Unable to read file \[\/nonexistent\/cred\.json\]/)

      const wrongAudience = join(scratch, 'wrong-audience.json')
      const cred = JSON.parse(readFileSync(world.env.VPCSC_PROBE_CRED_FILE as string, 'utf8')) as Record<string, unknown>
      writeFileSync(wrongAudience, JSON.stringify({...cred, audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/x/providers/y'}))
      const sts = await run([`gcloud auth login --cred-file=${wrongAudience}`, 'gcloud auth print-access-token'])
      assert.equal(sts.Status, 'Failed')
      assert.equal(sts.ResponseCode, 1)
      const line = (sts.StandardErrorContent as string).split('\n').find((l) => l.startsWith('ERROR:'))
      assert.match(line ?? '', /^ERROR: \(gcloud\.auth\.print-access-token\) \("Error code invalid_target: [^"]+", '\{.*"error":"invalid_target".*\}'\)$/)
    })
  })
})
