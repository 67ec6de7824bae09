// The Lambda handler, as the runtime calls it: dist/lambda.js imported IN this process and
// invoked with recorded EventBridge events (test/fixtures/eventbridge/), against the local
// cloud. Its outcomes must be those of `vpcsc ip sync --yes`, through the same code.
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {after, before, beforeEach, describe, it} from 'node:test'

import {NAT_EVENT_NAMES, type Trigger} from '../../src/lib/reconciler/event.ts'
import type {SkippedResult} from '../../src/lib/reconciler/reconcile.ts'
import type {LevelSyncResult} from '../../src/lib/level/sync.ts'
import {assertJsonContract} from './json-contract.ts'
import {LEVEL, show, spawnCli, storedLevel, useWorld, vpcsc, writes} from './helpers.ts'
import {deadUrl, startSink, type Sink} from './notify-sink.ts'
import {MODULE, parseModule, shippedConfig} from './terraform-module.ts'

const REPO = new URL('../../', import.meta.url)
const FIXTURES = new URL('../fixtures/eventbridge/', import.meta.url)
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'))
const CONTEXT = {functionName: 'vpcsc-reconciler', awsRequestId: '8f0e6a52-0000-4000-8000-000000000001'}

/** Either shape of the handler's result, every field optional (tests read what they expect). */
type Result = Partial<LevelSyncResult> & Partial<Omit<SkippedResult, 'event'>> & {event: Trigger & {eventName?: string}; warnings: string[]}
type Handler = (event: unknown, context?: unknown) => Promise<Result>

interface LogLine {
  outcome: string
  requestId?: string
  event: {kind: string; eventName?: string}
  added?: string[]
  removed?: string[]
  calls: Record<string, number>
  durationsMs: Record<string, number>
  warnings: string[]
  partial?: {unreadable: {account: {id?: string; roleName?: string}; code: string}[]; notRemoved: string[]}
  error?: {code: string; message: string; exitCode: number}
}

interface Invocation {
  result?: Result
  error?: Error & {code?: string}
  /** The JSON lines the handler logged to stdout. */
  logs: LogLine[]
  raw: string
}

/** Invokes the handler as Lambda does, catching the lines it logs to stdout. */
async function invoke(handler: Handler, event: unknown): Promise<Invocation> {
  const write = process.stdout.write
  let raw = ''
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk)
    if (text.startsWith('{"vpcsc":')) {
      raw += text
      return true
    }
    return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest)
  }) as typeof process.stdout.write
  const done: Invocation = {logs: [], raw: ''}
  try {
    done.result = await handler(event, CONTEXT)
    // The same contract as a command's --json: schemas/lambda.json, from the result type.
    assertJsonContract(['lambda', '--json'], JSON.stringify(done.result))
  } catch (error) {
    done.error = error as Error
  } finally {
    process.stdout.write = write
  }
  done.raw = raw
  done.logs = raw.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogLine)
  return done
}

/** A proxy to moto whose first `count` DescribeNatGateways answers show available gateways as pending. */
async function pendingProxy(target: string, count: number): Promise<{url: string; describes(): number; close(): Promise<void>}> {
  const {createServer} = await import('node:http')
  let describes = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const body = Buffer.concat(chunks)
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>
      const answer = await fetch(`${target}${req.url}`, {method: req.method, headers, body: req.method === 'GET' ? undefined : body})
      let text = await answer.text()
      if (/Action=DescribeNatGateways/.test(body.toString()) && describes++ < count) text = text.replaceAll('<state>available</state>', '<state>pending</state>')
      res.writeHead(answer.status, {'content-type': answer.headers.get('content-type') ?? 'text/xml'}).end(text)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as import('node:net').AddressInfo
  return {url: `http://127.0.0.1:${port}`, describes: () => describes, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve())))}
}

describe('the Lambda handler (dist/lambda.js, in-process)', () => {
  const ctx = useWorld()
  let handler: Handler
  let sink: Sink
  let secrets: string[]

  before(async () => {
    Object.assign(process.env, ctx.world.env)
    process.chdir(join(ctx.world.dir, 'work'))
    ;({handler} = (await import(pathToFileURL(join(REPO.pathname, 'dist', 'lambda.js')).href)) as {handler: Handler})
    sink = await startSink()
    const credentials = JSON.parse(readFileSync(ctx.world.env.GOOGLE_APPLICATION_CREDENTIALS!, 'utf8')) as {credential_source: {file: string}}
    secrets = [readFileSync(credentials.credential_source.file, 'utf8').trim()]
  })
  beforeEach(() => {
    sink.clear()
    sink.silent = false
    process.env.VPCSC_NOTIFY_URL = sink.url
  })
  after(async () => {
    await sink.close()
  })

  const noSecrets = (text: string) => {
    assert.doesNotMatch(text, /ya29\./, 'no access token')
    for (const secret of secrets) assert.ok(!text.includes(secret), 'no subject token')
  }

  for (const eventName of NAT_EVENT_NAMES) {
    it(`${eventName}: a replaced NAT gateway is written, as ip sync --yes would`, async () => {
      const replaced = await ctx.world.aws.replaceNatGateway()
      const planned = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--json'])
      assert.equal(planned.code, 3, show(planned))
      const plan = JSON.parse(planned.stdout).plan
      await ctx.world.admin.clearRequests()

      const run = await invoke(handler, fixture(eventName))
      assert.equal(run.error, undefined, String(run.error?.stack))
      const result = run.result!
      assert.equal(result.outcome, 'written')
      assert.deepEqual(result.event, {
        kind: 'nat-change',
        eventName,
        eventId: (fixture(eventName) as {detail: {eventID: string}}).detail.eventID,
        account: '111122223333',
        region: 'us-east-1',
        time: (fixture(eventName) as {time: string}).time,
      })
      assert.deepEqual(result.plan!.add, plan.add)
      assert.deepEqual(result.plan!.remove, plan.remove)
      assert.deepEqual(result.write!.written, [`${replaced.newIp}/32`])
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, [`${replaced.newIp}/32`])
      assert.deepEqual((await writes(ctx.world)).map((w) => `${w.method} ${w.path}`), ['POST /v1/accessPolicies/555000111222/accessLevels:replaceAll'])

      assert.equal(run.logs.length, 1, `one JSON line per run:\n${run.raw}`)
      const [line] = run.logs
      assert.equal(line!.outcome, 'written')
      assert.equal(line!.event.eventName, eventName)
      assert.deepEqual(line!.added, [`${replaced.newIp}/32`])
      assert.deepEqual(line!.removed, ['203.0.113.10/32'])
      assert.equal(line!.requestId, CONTEXT.awsRequestId)
      // Counted from the HTTP calls actually made: the emulated Google logged the same ACM calls.
      const acm = (await ctx.world.admin.requests()).filter((r) => r.api === 'acm' || r.api === 'operations').length
      const counted = Object.entries(line!.calls as Record<string, number>).filter(([k]) => k.startsWith('accesscontextmanager ')).reduce((n, [, v]) => n + v, 0)
      assert.equal(counted, acm, JSON.stringify(line!.calls))
      assert.ok((line!.calls['aws:ec2 POST'] ?? 0) >= 1, JSON.stringify(line!.calls))
      for (const key of ['read', 'write', 'total']) assert.equal(typeof line!.durationsMs[key], 'number', key)
      noSecrets(run.raw)

      assert.equal(sink.texts.length, 1, sink.texts.join('\n---\n'))
      const text = sink.texts[0]!
      assert.match(text, new RegExp(`wrote vpcsc_allow_ec2_ip \\(${LEVEL}\\), condition 0: 1 added, 1 removed`))
      assert.ok(text.includes(`+ ${replaced.newIp}/32`) && text.includes('- 203.0.113.10/32'), text)
      assert.match(text, /NAT gateways read in: us-east-1; accounts \d{12}\./)
      assert.match(text, new RegExp(`Run: Lambda vpcsc-reconciler, event ${eventName} in us-east-1 \\(account 111122223333\\) \\(vpcsc ip sync --yes\\) \\(exit 0\\)\\.`))
      assert.deepEqual(Object.keys(JSON.parse(sink.bodies[0]!)), ['text'], 'the Slack incoming-webhook body')
      noSecrets(sink.bodies[0]!)
    })
  }

  it('the scheduled sweep, in sync: no write, no notification, the same answer as ip sync', async () => {
    await ctx.world.admin.clearRequests()
    const run = await invoke(handler, fixture('ScheduledEvent'))
    assert.equal(run.error, undefined, String(run.error?.stack))
    assert.equal(run.result!.outcome, 'in-sync')
    assert.deepEqual(run.result!.event, {kind: 'schedule', rule: 'arn:aws:events:us-east-1:111122223333:rule/vpcsc-reconciler-sweep', time: '2026-11-28T10:15:00Z'})
    assert.deepEqual(run.result!.plan!.result, ['203.0.113.10/32'])
    assert.deepEqual(await writes(ctx.world), [])
    assert.deepEqual(sink.texts, [])
    assert.equal(run.logs.length, 1)
    assert.equal(run.logs[0]!.outcome, 'in-sync')
    const cli = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json'])
    assert.equal(JSON.parse(cli.stdout).outcome, 'in-sync')
  })

  it('an unknown event is reconciled too, with a warning naming it', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const run = await invoke(handler, {source: 'aws.ec2', 'detail-type': 'AWS API Call via CloudTrail', detail: {eventName: 'ModifyVpcAttribute'}})
    assert.equal(run.error, undefined, String(run.error?.stack))
    assert.equal(run.result!.outcome, 'written')
    assert.deepEqual(run.result!.event, {kind: 'unknown', source: 'aws.ec2', detailType: 'AWS API Call via CloudTrail', eventName: 'ModifyVpcAttribute'})
    assert.match(run.result!.warnings.join('\n'), /unrecognised event "AWS API Call via CloudTrail" ModifyVpcAttribute.*whole selection was synced/)
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, [`${replaced.newIp}/32`])
    // A console test invoke ({}): the same.
    const empty = await invoke(handler, {})
    assert.equal(empty.result!.outcome, 'in-sync')
    assert.equal(empty.result!.event.kind, 'unknown')
  })

  it('a warm invocation reuses the token: no second token exchange', async () => {
    await invoke(handler, fixture('ScheduledEvent'))
    await ctx.world.admin.clearRequests()
    const run = await invoke(handler, fixture('ScheduledEvent'))
    assert.equal(run.result!.outcome, 'in-sync')
    const sts = (await ctx.world.admin.requests()).filter((r) => r.api === 'sts')
    assert.equal(sts.length, 0)
    assert.equal(run.logs[0]!.calls['sts POST'], undefined)
  })

  it('a failed token exchange is not kept by a warm Lambda: the next invocation exchanges again', async () => {
    // Other endpoints, so that the handler builds new clients (it keeps them per endpoints):
    // one it reads, which no call goes to without impersonation.
    process.env.VPCSC_IAMCREDENTIALS_ENDPOINT = 'http://127.0.0.1:1'
    try {
      // What Google's STS answers a refused exchange: an OAuth error, not retried.
      await ctx.world.admin.fault({match: {method: 'POST', path: '/v1/token'}, status: 400, body: {error: 'invalid_grant', error_description: 'The subject token is invalid.'}, count: 1})
      const failed = await invoke(handler, fixture('ScheduledEvent'))
      assert.match(failed.error?.message ?? '', /Google authentication failed/, failed.raw)
      const next = await invoke(handler, fixture('ScheduledEvent'))
      assert.equal(next.error, undefined, next.raw)
      assert.equal(next.result!.outcome, 'in-sync')
    } finally {
      delete process.env.VPCSC_IAMCREDENTIALS_ENDPOINT
    }
  })

  for (const [how, code, exitCode] of [
    ['running', 'TEST_RUNNING', 5],
    ['interrupted (kill -9)', 'RESTORE_NEEDED', 6],
  ] as const) {
    it(`skips, writes nothing and notifies while a deny test holds the level (${how})`, async () => {
      // A real deny test, waiting for a denial that the emulator's propagation delay holds back.
      await ctx.world.admin.config({propagationDelayMs: 600_000})
      const test = spawnCli(ctx.world, ['deny-test', '--yes', '--probe-interval', '1s', '--probe-timeout', '20s', '--timeout', '5m'])
      try {
        await test.waitFor(/deny-wait\s+#1/)
        if (code === 'RESTORE_NEEDED') {
          test.child.kill('SIGKILL')
          await test.result
        }
        await ctx.world.aws.replaceNatGateway()
        const swapped = JSON.stringify(await storedLevel(ctx.world))
        await ctx.world.admin.clearRequests()

        const run = await invoke(handler, fixture('CreateNatGateway'))
        assert.equal(run.error, undefined, `no throw: ${String(run.error?.stack)}`)
        assert.equal(run.result!.skipped, 'deny test in progress')
        assert.equal(run.result!.refusal!.code, code)
        assert.equal(run.result!.refusal!.exitCode, exitCode)
        assert.equal(run.result!.event.eventName, 'CreateNatGateway')
        assert.deepEqual(await writes(ctx.world), [])
        assert.equal(JSON.stringify(await storedLevel(ctx.world)), swapped)
        assert.equal(run.logs.length, 1)
        assert.equal(run.logs[0]!.outcome, 'skipped')

        // As the Lambda sees it, on another machine with an empty state dir: the deny test's
        // marker in the access policy alone holds the level.
        process.env.VPCSC_STATE_DIR = mkdtempSync(join(tmpdir(), 'vpcsc-lambda-state-'))
        try {
          const remote = await invoke(handler, fixture('ScheduledEvent'))
          assert.equal(remote.error, undefined, String(remote.error?.stack))
          assert.equal(remote.result!.skipped, 'deny test in progress')
          assert.equal(remote.result!.refusal!.code, code)
        } finally {
          rmSync(process.env.VPCSC_STATE_DIR, {recursive: true, force: true})
          delete process.env.VPCSC_STATE_DIR
        }
        assert.deepEqual(await writes(ctx.world), [])
        assert.equal(sink.texts.length, 2, 'each skip is told')
        sink.texts.splice(1)

        // ip sync refuses the same way, with the same code.
        const cli = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json'], {env: {VPCSC_NOTIFY_URL: ''}})
        assert.equal(cli.code, exitCode, show(cli))
        assert.equal(JSON.parse(cli.stdout).error.code, code)

        assert.equal(sink.texts.length, 1, sink.texts.join('\n---\n'))
        assert.match(sink.texts[0]!, /vpcsc skipped vpcsc_allow_ec2_ip .*: deny test in progress\. Nothing was written\./)
        assert.match(sink.texts[0]!, code === 'TEST_RUNNING' ? /A deny test is running/ : /interrupted deny test.*vpcsc restore/s)
        assert.match(sink.texts[0]!, new RegExp(`Run: Lambda vpcsc-reconciler, event CreateNatGateway.*\\(exit ${exitCode}\\)`))
      } finally {
        if (test.child.exitCode === null && test.child.signalCode === null) test.child.kill('SIGTERM')
        await test.result
        await ctx.world.admin.config({propagationDelayMs: 0})
      }
    })
  }

  it('a failed reconcile throws (Lambda retries), logs it and notifies', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, status: 503, count: 20})
    const run = await invoke(handler, fixture('DeleteNatGateway'))
    assert.ok(run.error, 'the handler threw')
    assert.match(run.error.message, /503/)
    assert.equal(run.logs.length, 1)
    assert.equal(run.logs[0]!.outcome, 'failed')
    assert.equal(run.logs[0]!.error!.exitCode, 1)
    assert.equal(sink.texts.length, 1)
    assert.match(sink.texts[0]!, /vpcsc failed to sync vpcsc_allow_ec2_ip .*503/)
    assert.match(sink.texts[0]!, /\(exit 1\)\.$/)
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32'])
  })

  it('a member account not read: the additions written, nothing removed; one notice and one log line say both, then a throw (Lambda retries)', async () => {
    const A = '111111111111'
    const B = '222222222222'
    const {roleArn: roleA} = await ctx.world.aws.seedAccount(A, {eips: {'us-east-1': '203.0.113.31'}})
    const {roleArn: roleB} = await ctx.world.aws.seedAccount(B, {eips: {'us-east-1': '203.0.113.41'}})
    process.env.VPCSC_ASSUME_ROLES = `${roleA},${roleB}`
    try {
      const first = await invoke(handler, fixture('ScheduledEvent'))
      assert.equal(first.error, undefined, first.raw)
      assert.deepEqual([...(await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks!].sort(), ['203.0.113.10/32', '203.0.113.31/32', '203.0.113.41/32'])

      // A's NAT gets a new address (its old one would go on a complete read); B can no longer be read.
      const replaced = await ctx.world.aws.replaceNatGateway({accountId: A, region: 'us-east-1', eip: '203.0.113.88'})
      await ctx.world.aws.deleteRole(B)
      await ctx.world.admin.clearRequests()
      sink.clear()
      const run = await invoke(handler, fixture('DeleteNatGateway'))
      assert.equal(run.error?.code, 'PARTIAL_READ', run.raw)
      assert.match(run.error!.message, /additions written \(1\), nothing removed/)
      assert.match(run.error!.message, /account 222222222222 \(role vpcsc-reader\)/)
      assert.equal((await writes(ctx.world)).length, 1)
      assert.deepEqual([...(await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks!].sort(), ['203.0.113.10/32', `${replaced.oldIp}/32`, '203.0.113.41/32', '203.0.113.88/32'].sort())

      // One line: what was written, what was held back and why, and that the run failed.
      assert.equal(run.logs.length, 1, run.raw)
      const [line] = run.logs
      assert.equal(line!.outcome, 'written')
      assert.deepEqual(line!.added, ['203.0.113.88/32'])
      assert.deepEqual(line!.removed, [])
      assert.deepEqual(line!.partial!.unreadable.map((u) => [u.account, u.code]), [[{id: B, roleName: 'vpcsc-reader'}, 'AWS_ASSUME_ROLE_DENIED']])
      assert.deepEqual([...line!.partial!.notRemoved].sort(), [`${replaced.oldIp}/32`, '203.0.113.41/32'])
      assert.equal(line!.error!.code, 'PARTIAL_READ')
      assert.equal(line!.error!.exitCode, 1)
      assert.equal(line!.error!.message, run.error!.message)

      // One notice: the addition written and the failed read, at the CLI's exit code.
      assert.equal(sink.texts.length, 1, sink.texts.join('\n---\n'))
      const [text] = sink.texts
      assert.match(text!, /^vpcsc wrote vpcsc_allow_ec2_ip .*: 1 added, 0 removed, now 4 CIDRs\.\n\+ 203\.0\.113\.88\/32\nNot complete \(PARTIAL_READ\): Not every NAT source could be read, so additions written \(1\), nothing removed:\n {2}- account 222222222222 \(role vpcsc-reader\)/)
      assert.match(text!, /\nNot removed, as they may belong to a source not read: /)
      assert.match(text!, /\(vpcsc ip sync --yes\) \(exit 1\)\.$/)
      assert.doesNotMatch(text!, /exit 0/)
      noSecrets(run.raw + sink.texts.join('\n'))

      // The retry finds nothing left to add: a failed read alone, told and logged once.
      sink.clear()
      const retry = await invoke(handler, fixture('DeleteNatGateway'))
      assert.equal(retry.error?.code, 'PARTIAL_READ', retry.raw)
      assert.equal(retry.logs.length, 1, retry.raw)
      assert.equal(retry.logs[0]!.outcome, 'partial')
      assert.deepEqual(retry.logs[0]!.added, [])
      assert.equal(retry.logs[0]!.error!.code, 'PARTIAL_READ')
      assert.equal(sink.texts.length, 1, sink.texts.join('\n---\n'))
      assert.match(sink.texts[0]!, /^vpcsc failed to sync vpcsc_allow_ec2_ip .*\(PARTIAL_READ\): Not every NAT source could be read, so nothing removed/)
    } finally {
      delete process.env.VPCSC_ASSUME_ROLES
    }
  })

  it('member accounts as the Terraform module ships them: the external id reaches AssumeRole, an account\'s own selection the plan', async () => {
    const A = '111111111111'
    const B = '222222222222'
    const {roleArn: roleA} = await ctx.world.aws.seedAccount(A, {eips: {'us-east-1': '203.0.113.31'}, externalId: 'vpcsc-7f3a'})
    const {roleArn: roleB} = await ctx.world.aws.seedAccount(B, {eips: {'us-east-1': '203.0.113.41'}})
    // The role ARN alone (VPCSC_ASSUME_ROLES) carries no external id: A's trust policy denies
    // it, the run is partial, and nothing could ever be removed.
    process.env.VPCSC_ASSUME_ROLES = roleA
    try {
      const denied = await invoke(handler, fixture('ScheduledEvent'))
      assert.equal(denied.error?.code, 'PARTIAL_READ', denied.raw)
      assert.match(denied.error!.message, /account 111111111111 \(role vpcsc-reader\): AWS denied sts:AssumeRole/)
    } finally {
      delete process.env.VPCSC_ASSUME_ROLES
    }

    // The module's member_accounts, as its package carries them (vpcsc.config.json, VPCSC_CONFIG).
    const config = shippedConfig((await parseModule(MODULE)).json, {
      member_accounts: [
        {role_arn: roleA, external_id: 'vpcsc-7f3a'},
        // B's own selection replaces the top-level one: its gateway is not tagged so.
        {role_arn: roleB, nat_tags: ['vpcsc=elsewhere']},
      ],
    })
    const task = mkdtempSync(join(tmpdir(), 'vpcsc-lambda-task-'))
    process.env.VPCSC_CONFIG = join(task, 'vpcsc.config.json')
    writeFileSync(process.env.VPCSC_CONFIG, JSON.stringify(config))
    try {
      ctx.world.awsGate.clearRequests()
      const run = await invoke(handler, fixture('ScheduledEvent'))
      assert.equal(run.error, undefined, run.raw)
      assert.equal(run.result!.outcome, 'written')
      assert.deepEqual(run.result!.plan!.add, ['203.0.113.31/32'])
      assert.equal(run.result!.plan!.partial, undefined)
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32', '203.0.113.31/32'])
      const assumed = ctx.world.awsGate.requests().filter((r) => r.action === 'AssumeRole').map((r) => [r.roleArn, r.externalId ?? null, r.denied ?? false])
      assert.deepEqual(assumed.sort(), [[roleA, 'vpcsc-7f3a', false], [roleB, null, false]])
    } finally {
      delete process.env.VPCSC_CONFIG
      rmSync(task, {recursive: true, force: true})
    }
  })

  it('a refusal for safety throws too (an empty list is never written)', async () => {
    process.env.VPCSC_NAT_TAGS = 'vpcsc=no-such-gateway'
    try {
      const run = await invoke(handler, fixture('ScheduledEvent'))
      assert.equal(run.error?.code, 'EMPTY_LIST')
      assert.match(sink.texts[0]!, /vpcsc refused to sync .*\(EMPTY_LIST\).*\n.*\n?.*\(exit 5\)\./s)
      assert.deepEqual(await writes(ctx.world), [])
    } finally {
      delete process.env.VPCSC_NAT_TAGS
    }
  })

  it('a bad setting throws a usage error before any call; one the reconciler does not use is not checked', async () => {
    process.env.VPCSC_LEVEL = '9bad'
    // The deny test's wait, and the tfvars file's variable (the reconciler writes no file).
    Object.assign(process.env, {VPCSC_TIMEOUT: 'abc', VPCSC_TFVARS_VAR: 'allowed cidrs'})
    try {
      await ctx.world.admin.clearRequests()
      const run = await invoke(handler, fixture('ScheduledEvent'))
      assert.match(run.error!.message, /^VPCSC_LEVEL "9bad": expected an id such as my_allow_level/)
      assert.doesNotMatch(run.error!.message, /VPCSC_TIMEOUT|VPCSC_TFVARS_VAR/)
      assert.deepEqual(await ctx.world.admin.requests(), [])
      process.env.VPCSC_LEVEL = ctx.world.env.VPCSC_LEVEL
      const unused = await invoke(handler, fixture('ScheduledEvent'))
      assert.equal(unused.error, undefined, String(unused.error?.stack))
      assert.equal(unused.result!.outcome, 'in-sync')
    } finally {
      process.env.VPCSC_LEVEL = ctx.world.env.VPCSC_LEVEL
      delete process.env.VPCSC_TIMEOUT
      delete process.env.VPCSC_TFVARS_VAR
    }
  })

  it('reads an optional config file from VPCSC_CONFIG, as the CLI does', async () => {
    const file = join(ctx.world.dir, 'lambda.config.json')
    writeFileSync(file, JSON.stringify({keep: ['198.51.100.0/24']}))
    process.env.VPCSC_CONFIG = file
    try {
      const run = await invoke(handler, fixture('ScheduledEvent'))
      assert.equal(run.error, undefined, String(run.error?.stack))
      assert.deepEqual(run.result!.plan!.add, ['198.51.100.0/24'])
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32', '198.51.100.0/24'])
      process.env.VPCSC_CONFIG = join(ctx.world.dir, 'missing.json')
      const missing = await invoke(handler, fixture('ScheduledEvent'))
      assert.match(missing.error!.message, /Cannot read config file .*missing\.json: ENOENT/)
    } finally {
      delete process.env.VPCSC_CONFIG
    }
  })

  it('a dead notification sink is only a warning: the write stands', async () => {
    process.env.VPCSC_NOTIFY_URL = await deadUrl()
    const replaced = await ctx.world.aws.replaceNatGateway()
    const run = await invoke(handler, fixture('AssociateAddress'))
    assert.equal(run.error, undefined, String(run.error?.stack))
    assert.equal(run.result!.outcome, 'written')
    assert.match(run.result!.warnings.join('\n'), /The notification to 127\.0\.0\.1:\d+ failed \(ECONNREFUSED\); the sync itself is unaffected\./)
    assert.deepEqual(run.logs[0]!.warnings, run.result!.warnings)
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, [`${replaced.newIp}/32`])
  })

  it('a NAT gateway still pending is waited for, then written', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    // moto makes gateways available at once: a proxy in front of it reports the first
    // DescribeNatGateways answer with the gateways pending, as AWS does for a minute or so.
    const proxy = await pendingProxy(ctx.world.awsEndpoint, 1)
    process.env.AWS_ENDPOINT_URL_EC2 = proxy.url
    try {
      const run = await invoke(handler, fixture('CreateNatGateway'))
      assert.equal(run.error, undefined, String(run.error?.stack))
      assert.equal(run.result!.outcome, 'written')
      assert.deepEqual(run.result!.pending?.gateways, [replaced.newNatGatewayId])
      assert.deepEqual(run.result!.pending?.stillPending, [])
      assert.equal(run.result!.pending?.polls, 1)
      assert.equal(proxy.describes(), 3, 'the first read, one poll, the fresh plan')
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, [`${replaced.newIp}/32`])
      assert.equal(typeof run.logs[0]!.durationsMs.pendingWait, 'number')
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EC2
      await proxy.close()
    }
  })

  it('a NAT gateway pending past the bound, the only one: nothing written, a refusal that says so (Lambda retries)', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const proxy = await pendingProxy(ctx.world.awsEndpoint, 1000)
    process.env.AWS_ENDPOINT_URL_EC2 = proxy.url
    try {
      await ctx.world.admin.clearRequests()
      const run = await invoke(handler, fixture('CreateNatGateway'))
      assert.equal(run.error?.code, 'NAT_PENDING')
      assert.match(run.error!.message, new RegExp(`${replaced.newNatGatewayId} still pending after 20 s, and no other egress IP was found: nothing written`))
      assert.ok(proxy.describes() >= 5, `polled: ${proxy.describes()}`)
      assert.deepEqual(await writes(ctx.world), [])
      assert.match(sink.texts[0]!, /refused to sync .*\(NAT_PENDING\).*\nNext: Left to the next event or the scheduled sweep/s)
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EC2
      await proxy.close()
    }
  })

  it('the packaged zip runs on its own: extracted outside the repo, no node_modules', async () => {
    const {unzipSync} = await import('fflate')
    const packaged = await import('node:child_process').then(({execFileSync}) => execFileSync(process.execPath, [join(REPO.pathname, 'scripts', 'package-lambda.ts')], {encoding: 'utf8'}))
    assert.match(packaged, /dist\/vpcsc-lambda\.zip: \d+ files, [\d.]+ MB/)
    const entries = unzipSync(readFileSync(join(REPO.pathname, 'dist', 'vpcsc-lambda.zip')))
    const names = Object.keys(entries).sort()
    assert.ok(names.includes('lambda.js') && names.includes('package.json'), names.join(', '))
    assert.ok(!names.some((n) => n.includes('node_modules')), names.join(', '))
    assert.deepEqual(names.filter((n) => n !== 'lambda.js' && n !== 'package.json' && !n.startsWith('lambda-chunks/')), [])
    assert.deepEqual(names.filter((n) => n.startsWith('lambda-chunks/')).map((n) => n.slice('lambda-chunks/'.length)), readdirSync(join(REPO.pathname, 'dist', 'lambda-chunks')).sort())
    assert.equal(JSON.parse(new TextDecoder().decode(entries['package.json'])).type, 'module')

    const task = mkdtempSync(join(tmpdir(), 'vpcsc-lambda-task-'))
    try {
      const {mkdirSync, writeFileSync} = await import('node:fs')
      for (const [name, bytes] of Object.entries(entries)) {
        mkdirSync(join(task, name, '..'), {recursive: true})
        writeFileSync(join(task, name), bytes)
      }
      const extracted = (await import(pathToFileURL(join(task, 'lambda.js')).href)) as {handler: Handler}
      const run = await invoke(extracted.handler, fixture('ScheduledEvent'))
      assert.equal(run.error, undefined, String(run.error?.stack))
      assert.equal(run.result!.outcome, 'in-sync')
    } finally {
      rmSync(task, {recursive: true, force: true})
    }
  })
})
