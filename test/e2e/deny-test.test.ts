import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {journals, LEVEL, OTHER_LEVEL, PERIMETER, perimeterThatNeverDenies, show, spawnCli, storedLevel, useWorld, vpcsc, writes} from './helpers.ts'

/** Fast polling: the emulated propagation delay is seconds, not the real 30 minutes. */
const FAST = ['--probe-interval', '1s', '--probe-timeout', '20s', '--yes']


describe('vpcsc deny-test', () => {
  const ctx = useWorld()

  it('passes: denied after the propagation delay, restored exactly, recovered, journal gone', async () => {
    await ctx.world.admin.config({propagationDelayMs: 2000})
    const before = JSON.stringify(await storedLevel(ctx.world))
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--json'], {timeoutMs: 120_000})
    assert.equal(result.code, 0, show(result))
    const out = JSON.parse(result.stdout)
    assert.equal(out.outcome, 'pass')
    assert.equal(out.baseline.verdict, 'ALLOWED')
    assert.equal(out.denial.last.verdict, 'DENIED_VPCSC')
    assert.equal(out.denial.last.service, 'aiplatform.googleapis.com')
    assert.match(out.evidence, /^[A-Za-z0-9_-]{8,}$/)
    assert.ok(out.timingsMs.toDeny >= 2000, `denied after ${out.timingsMs.toDeny} ms, before the 2 s propagation`)
    assert.equal(out.recovery.reached, true)
    assert.deepEqual(out.warnings, [])
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
    assert.deepEqual(journals(ctx.world), [])

    // The audit log has the denial, under the same unique id.
    const entries = (await (await fetch(`${ctx.world.googleUrl}/__admin/audit-log`)).json()) as {protoPayload: {metadata: {vpcServiceControlsUniqueId: string}}}[]
    assert.ok(entries.some((e) => e.protoPayload.metadata.vpcServiceControlsUniqueId === out.evidence))
  })

  it("the SSM probe takes SSM's longest run, 48 hours: sent as the run's executionTimeout and the delivery's TimeoutSeconds, and the test passes", async () => {
    await ctx.world.ssm.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['deny-test', '--probe-interval', '1s', '--probe-timeout', '48h', '--yes', '--no-recovery-wait', '--json'], {timeoutMs: 120_000})
    assert.equal(result.code, 0, show(result))
    assert.equal(JSON.parse(result.stdout).outcome, 'pass')
    const sent = (await ctx.world.ssm.admin.requests()).filter((r: {target: string}) => r.target.endsWith('SendCommand'))
    assert.ok(sent.length >= 2)
    for (const request of sent) {
      const body = request.body as {TimeoutSeconds: number; Parameters: {executionTimeout: string[]}}
      assert.equal(body.TimeoutSeconds, 172_800)
      assert.deepEqual(body.Parameters.executionTimeout, ['172800'])
    }
  })

  it('human output: PASS with time to deny, time to recover and the evidence; progress on stderr', async () => {
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST], {timeoutMs: 120_000})
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /^PASS/m)
    assert.match(result.stdout, /time to deny\s+\d/)
    assert.match(result.stdout, /time to recover\s+\d/)
    assert.match(result.stdout, /vpcServiceControlsUniqueIdentifier \S+/)
    assert.match(result.stderr, /baseline\s+#1.*ALLOWED/)
    assert.match(result.stderr, /deny-wait\s+#\d+\s+[\d.]+ m?s\s+DENIED_VPCSC/)
  })

  it('never puts a token in the SSM command', async () => {
    await ctx.world.ssm.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--no-recovery-wait', '--json'], {timeoutMs: 120_000})
    assert.equal(result.code, 0, show(result))
    assert.deepEqual(JSON.parse(result.stdout).warnings, ['The recovery was not waited for (--no-recovery-wait): callers may be denied until the restore has propagated (up to 30 minutes).'])
    const sent = (await ctx.world.ssm.admin.requests()).filter((r: {target: string}) => r.target.endsWith('SendCommand'))
    assert.ok(sent.length >= 2)
    const subjectToken = (await import('node:fs')).readFileSync(join(ctx.world.dir, 'google', 'subject-token'), 'utf8').trim()
    for (const request of sent) {
      const text = JSON.stringify(request.body)
      assert.doesNotMatch(text, /Bearer [A-Za-z0-9._-]{10,}/)
      assert.ok(!text.includes(subjectToken), 'the subject token travelled in the command')
    }
  })

  it('asks before the swap: with no terminal and no --yes, refuses at once (no baseline probe) and changes nothing', async () => {
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['deny-test', '--probe-interval', '1s'], {timeoutMs: 60_000})
    assert.equal(result.code, 2, show(result))
    assert.doesNotMatch(result.stderr, /baseline/)
    assert.match(result.stderr, /confirmation needs a terminal.*\n.*--yes/)
    assert.deepEqual(await ctx.world.admin.requests(), [], 'nothing was called: no probe, no read')
    assert.deepEqual(await writes(ctx.world), [])
    assert.deepEqual(journals(ctx.world), [])
  })

  it('a perimeter that never denies: exit 4, level restored', async () => {
    await perimeterThatNeverDenies(ctx.world)
    const before = JSON.stringify(await storedLevel(ctx.world))
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--timeout', '5s'], {timeoutMs: 120_000})
    assert.equal(result.code, 4, show(result))
    assert.match(result.stdout, /FAIL.*did not deny/)
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
    assert.deepEqual(journals(ctx.world), [])
  })

  it('a baseline that is not allowed: exit 4 before any write', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST], {timeoutMs: 60_000})
    assert.equal(result.code, 4, show(result))
    assert.match(result.stderr, /baseline probe was not allowed \(DENIED_VPCSC/)
    assert.match(result.stderr, /does not admit the NAT egress IP 203\.0\.113\.\d+/)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('a denial of the token exchange (STS) is reported as such, not a pass', async () => {
    const state = (await ctx.world.admin.state()) as unknown as {perimeters: {name: string; status: {restrictedServices: string[]; accessLevels?: string[]}}[]}
    const perimeter = structuredClone(state.perimeters.find((p) => p.name === PERIMETER)!)
    perimeter.status.restrictedServices.push('sts.googleapis.com')
    // Access levels cover every restricted service (the ingress rule covers Vertex AI only):
    // ours admits the instance's NAT, the office level the operator's own IP (198.51.100.250),
    // so that vpcsc itself still gets tokens.
    perimeter.status.accessLevels = [LEVEL, OTHER_LEVEL]
    await ctx.world.admin.putResource(PERIMETER, perimeter)
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--json'], {timeoutMs: 120_000})
    assert.equal(result.code, 4, show(result))
    const out = JSON.parse(result.stdout)
    assert.equal(out.outcome, 'denied-otherwise')
    assert.equal(out.denial.last.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
    assert.equal(out.denial.last.service, 'sts.googleapis.com')
    assert.deepEqual(journals(ctx.world), [])
  })

  it('an IAM-only 403 is never a pass', async () => {
    // The operator's own probe command: allowed first, then an IAM denial.
    const script = join(ctx.world.dir, 'probe.sh')
    const counter = join(ctx.world.dir, 'probe.count')
    writeFileSync(
      script,
      `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}\n` +
        `if [ "$n" = 0 ]; then echo '{"models": []}'; exit 0; fi\n` +
        `echo "403 PERMISSION_DENIED. {'error': {'code': 403, 'message': \\"Permission 'aiplatform.models.list' denied on resource '//aiplatform.googleapis.com/projects/vpcsc-demo'\\", 'status': 'PERMISSION_DENIED', 'details': [{'reason': 'IAM_PERMISSION_DENIED'}]}}"; exit 1\n`,
    )
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--probe', 'local', '--probe-command', `sh ${script}`, '--json'], {timeoutMs: 120_000})
    assert.equal(result.code, 4, show(result))
    const out = JSON.parse(result.stdout)
    assert.equal(out.outcome, 'denied-otherwise')
    assert.equal(out.denial.last.verdict, 'DENIED_OTHER')
  })

  it('vpcsc itself denied a token by VPC-SC: an authentication error that says so', async () => {
    const state = (await ctx.world.admin.state()) as unknown as {perimeters: {name: string; status: {restrictedServices: string[]}}[]}
    const perimeter = structuredClone(state.perimeters.find((p) => p.name === PERIMETER)!)
    perimeter.status.restrictedServices.push('sts.googleapis.com')
    await ctx.world.admin.putResource(PERIMETER, perimeter)
    const result = await vpcsc(ctx.world, ['status'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /authentication failed.*prohibited by organization's policy/)
    assert.match(result.stderr, /VPC Service Controls denied the token exchange/)
  })

  it('--probe local passes when this machine egresses through the admitted address', async () => {
    await ctx.world.admin.config({operatorIp: '203.0.113.10'})
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--probe', 'local'], {timeoutMs: 120_000})
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /^PASS/m)
  })

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during the wait: restored, journal gone, exit ${signal === 'SIGINT' ? 130 : 143}`, async () => {
      await perimeterThatNeverDenies(ctx.world)
      const before = JSON.stringify(await storedLevel(ctx.world))
      const run = spawnCli(ctx.world, ['deny-test', ...FAST, '--timeout', '5m'])
      await run.waitFor(/deny-wait\s+#1/)
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['192.0.2.1/32'])
      assert.equal(journals(ctx.world).length, 1)
      run.child.kill(signal)
      const result = await run.result
      assert.equal(result.code, signal === 'SIGINT' ? 130 : 143, show(result))
      assert.match(result.stderr, new RegExp(`${signal}: stopping the test and restoring`))
      assert.match(result.stdout, /INTERRUPTED.*restored/)
      assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
      assert.deepEqual(journals(ctx.world), [])
    })
  }

  it('a second Ctrl-C while restoring only warns; the level is still restored', async () => {
    await perimeterThatNeverDenies(ctx.world)
    const before = JSON.stringify(await storedLevel(ctx.world))
    // A slow restore: the emulator delays the restore's writes, so the second signal lands during it.
    const run = spawnCli(ctx.world, ['deny-test', ...FAST, '--timeout', '5m'])
    await run.waitFor(/deny-wait\s+#1/)
    await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, delayMs: 1500, count: 1})
    run.child.kill('SIGINT')
    await run.waitFor(/Restoring/)
    run.child.kill('SIGINT')
    const result = await run.result
    assert.equal(result.code, 130, show(result))
    assert.match(result.stderr, /Still restoring the access level/)
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
    assert.deepEqual(journals(ctx.world), [])
  })

  it('SIGKILL during the wait: journal kept, status shows it, ip sync refuses, restore repairs it exactly', async () => {
    await perimeterThatNeverDenies(ctx.world)
    const before = JSON.stringify(await storedLevel(ctx.world))
    const run = spawnCli(ctx.world, ['deny-test', ...FAST, '--timeout', '5m'])
    await run.waitFor(/deny-wait\s+#1/)
    run.child.kill('SIGKILL')
    await run.result
    assert.equal(journals(ctx.world).length, 1)

    const check = await vpcsc(ctx.world, ['status', '--check'])
    assert.equal(check.code, 6, `an interrupted deny test needs vpcsc restore\n${show(check)}`)
    const status = await vpcsc(ctx.world, ['status', '--json'])
    const report = JSON.parse(status.stdout)
    assert.equal(report.denyTest.running, false)
    assert.equal(report.denyTest.denyCidr, '192.0.2.1/32')
    assert.deepEqual(report.drift.testNet, ['192.0.2.1/32'])
    const human = await vpcsc(ctx.world, ['status'])
    assert.match(human.stdout, /deny test was interrupted.*vpcsc restore/s)

    const plan = await vpcsc(ctx.world, ['ip', 'sync', '--plan'])
    assert.equal(plan.code, 3, `a plan writes nothing: shown, with a warning\n${show(plan)}`)
    assert.match(plan.stdout, /- 192\.0\.2\.1\/32/)
    assert.match(plan.stderr, /! An interrupted deny test.*vpcsc restore/)
    const sync = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(sync.code, 6, show(sync))
    assert.match(sync.stderr, /interrupted deny test.*not syncing/)
    assert.match(sync.stderr, /vpcsc restore/)

    const again = await vpcsc(ctx.world, ['deny-test', ...FAST])
    assert.equal(again.code, 6, show(again))
    assert.match(again.stderr, /vpcsc restore/)

    const noTerminal = await vpcsc(ctx.world, ['restore'])
    assert.equal(noTerminal.code, 2, show(noTerminal))
    const restore = await vpcsc(ctx.world, ['restore', '--yes'])
    assert.equal(restore.code, 0, show(restore))
    assert.match(restore.stdout, /restored/)
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
    assert.deepEqual(journals(ctx.world), [])

    const idempotent = await vpcsc(ctx.world, ['restore', '--yes'])
    assert.equal(idempotent.code, 0, show(idempotent))
    assert.match(idempotent.stdout, /Nothing to restore/)
  })

  it('restore --discard while the level still holds the swap: refused (exit 6), marker and journal kept, as the only record of the list; --force discards', async () => {
    await perimeterThatNeverDenies(ctx.world)
    const before = await storedLevel(ctx.world)
    const run = spawnCli(ctx.world, ['deny-test', ...FAST, '--timeout', '5m'])
    await run.waitFor(/deny-wait\s+#1/)
    run.child.kill('SIGKILL')
    await run.result
    const swapped = JSON.stringify(await storedLevel(ctx.world))
    await ctx.world.admin.clearRequests()
    const refused = await vpcsc(ctx.world, ['restore', '--yes', '--discard', '--json'])
    assert.equal(refused.code, 6, show(refused))
    const error = JSON.parse(refused.stdout).error
    assert.equal(error.code, 'RESTORE_NEEDED')
    assert.match(error.message, /^Not discarded: \S*vpcsc_allow_ec2_ip still holds the deny test's swap \(192\.0\.2\.1\/32 only\), and the marker and the journal are the only record of its list before the test\.$/)
    assert.match(error.hint, /vpcsc restore puts that list back/)
    assert.deepEqual(await writes(ctx.world), [], 'nothing written')
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), swapped)
    assert.equal(journals(ctx.world).length, 1)
    // Once the level is fixed by hand, --discard drops them without --force.
    await ctx.world.admin.putResource(LEVEL, before)
    const discarded = await vpcsc(ctx.world, ['restore', '--yes', '--discard'])
    assert.equal(discarded.code, 0, show(discarded))
    assert.deepEqual(journals(ctx.world), [])
    assert.deepEqual(await storedLevel(ctx.world), before)
  })

  it('restore --discard --force drops the marker and the journal even while the level holds the swap', async () => {
    await perimeterThatNeverDenies(ctx.world)
    const run = spawnCli(ctx.world, ['deny-test', ...FAST, '--timeout', '5m'])
    await run.waitFor(/deny-wait\s+#1/)
    run.child.kill('SIGKILL')
    await run.result
    const swapped = JSON.stringify(await storedLevel(ctx.world))
    const forced = await vpcsc(ctx.world, ['restore', '--yes', '--discard', '--force'])
    assert.equal(forced.code, 0, show(forced))
    assert.deepEqual(journals(ctx.world), [])
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), swapped, 'the level is not written')
    const status = await vpcsc(ctx.world, ['status', '--json'])
    assert.equal(JSON.parse(status.stdout).denyTest, undefined, 'no marker left')
  })

  it('a foreign edit during the test: not overwritten, journal kept, exit 6', async () => {
    await perimeterThatNeverDenies(ctx.world)
    const run = spawnCli(ctx.world, ['deny-test', ...FAST, '--timeout', '4s'])
    await run.waitFor(/deny-wait\s+#1/)
    const level = await storedLevel(ctx.world)
    level.basic!.conditions[0]!.ipSubnetworks = ['198.51.100.9/32']
    await ctx.world.admin.putResource(LEVEL, level)
    const result = await run.result
    assert.equal(result.code, 6, show(result))
    assert.match(result.stderr, /changed by someone else after the deny test swapped it.*198\.51\.100\.9\/32/)
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['198.51.100.9/32'])
    assert.equal(journals(ctx.world).length, 1)
    // restore refuses the same way, and --discard drops the journal without writing.
    const restore = await vpcsc(ctx.world, ['restore', '--yes'])
    assert.equal(restore.code, 6, show(restore))
    const discard = await vpcsc(ctx.world, ['restore', '--yes', '--discard'])
    assert.equal(discard.code, 0, show(discard))
    assert.deepEqual(journals(ctx.world), [])
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['198.51.100.9/32'])
  })

  it('two deny tests at once: the second is refused (exit 5) and the first is unharmed', async () => {
    await perimeterThatNeverDenies(ctx.world)
    const first = spawnCli(ctx.world, ['deny-test', ...FAST, '--timeout', '5m'])
    await first.waitFor(/deny-wait\s+#1/)
    const second = await vpcsc(ctx.world, ['deny-test', ...FAST])
    assert.equal(second.code, 5, show(second))
    assert.match(second.stderr, /A deny test is running on .*not starting another/)
    const restore = await vpcsc(ctx.world, ['restore', '--yes'])
    assert.equal(restore.code, 5, show(restore))
    first.child.kill('SIGINT')
    assert.equal((await first.result).code, 130)
    assert.deepEqual(journals(ctx.world), [])
  })

  /** The seed perimeter, its Vertex AI ingress rule's source replaced by `source`. */
  async function ingressFrom(source: string, extra: Record<string, unknown> = {}): Promise<void> {
    const state = (await ctx.world.admin.state()) as unknown as {perimeters: {name: string; status: {ingressPolicies: {ingressFrom: {sources: {accessLevel?: string}[]}}[]} & Record<string, unknown>}[]}
    const perimeter = structuredClone(state.perimeters.find((p) => p.name === PERIMETER)!)
    perimeter.status.ingressPolicies[0]!.ingressFrom.sources = [{accessLevel: source}]
    Object.assign(perimeter.status, extra)
    await ctx.world.admin.putResource(PERIMETER, perimeter)
  }

  it('tests a level the perimeter uses only through a level that requires it: denied through that one, restored', async () => {
    // The ingress rule's source requires the NAT level: swapping the NAT level denies through it.
    const parent = LEVEL.replace(/[^/]+$/, 'vpcsc_requires_nat')
    await ctx.world.admin.putResource(parent, {name: parent, title: 'requires the NAT level', basic: {conditions: [{requiredAccessLevels: [LEVEL]}]}})
    await ingressFrom(parent)
    const status = JSON.parse((await vpcsc(ctx.world, ['status', '--json'])).stdout)
    assert.equal(status.perimeter.levelInIngressSources, true)
    assert.deepEqual(status.perimeter.levelRequiredBy, [parent])
    assert.match((await vpcsc(ctx.world, ['status'])).stdout, /uses the level\s+in ingress sources \(required by vpcsc_requires_nat\)/)

    const before = JSON.stringify(await storedLevel(ctx.world))
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--json'], {timeoutMs: 120_000})
    assert.equal(result.code, 0, show(result))
    assert.equal(JSON.parse(result.stdout).outcome, 'pass')
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
    assert.deepEqual(journals(ctx.world), [])
  })

  for (const [what, setUp, message] of [
    ['another level as the only source', () => ingressFrom(OTHER_LEVEL), /neither in its access levels nor in an ingress source, nor through a level that requires it/],
    // An egress rule's source (egressFrom.sources, newer than the discovery document).
    [
      'the level only as an egress source',
      () => ingressFrom(OTHER_LEVEL, {egressPolicies: [{egressFrom: {identityType: 'ANY_IDENTITY', sources: [{accessLevel: LEVEL}]}, egressTo: {resources: ['*']}}]}),
      /only as an egress rule's source, which admits nobody into it/,
    ],
  ] as const) {
    it(`refuses a perimeter that admits nobody through the level (${what}): exit 5, nothing written`, async () => {
      await setUp()
      await ctx.world.admin.clearRequests()
      const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--json'])
      assert.equal(result.code, 5, show(result))
      const error = JSON.parse(result.stdout).error
      assert.equal(error.code, 'LEVEL_UNUSED')
      assert.match(error.message, message)
      assert.deepEqual(await writes(ctx.world), [])
      assert.deepEqual(journals(ctx.world), [])
    })
  }

  it('refuses a dry-run-only perimeter (exit 5)', async () => {
    const state = (await ctx.world.admin.state()) as unknown as {perimeters: {name: string; status?: unknown; spec?: unknown; useExplicitDryRunSpec?: boolean}[]}
    const perimeter = structuredClone(state.perimeters.find((p) => p.name === PERIMETER)!)
    perimeter.spec = perimeter.status
    perimeter.useExplicitDryRunSpec = true
    delete perimeter.status
    await ctx.world.admin.putResource(PERIMETER, perimeter)
    const result = await vpcsc(ctx.world, ['deny-test', ...FAST])
    assert.equal(result.code, 5, show(result))
    assert.match(result.stderr, /dry-run mode only.*never denies/)
    assert.match(result.stderr, /vpcsc promote/)
  })

  for (const [cidr, pattern] of [
    ['8.8.8.8/32', /not in a TEST-NET range/],
    ['192.0.2.1/24', /host bits/],
    ['nonsense', /not an IPv4/],
  ] as const) {
    it(`refuses --deny-cidr ${cidr} (exit 2)`, async () => {
      const result = await vpcsc(ctx.world, ['deny-test', '--deny-cidr', cidr])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, pattern)
    })
  }

  describe('SSM faults', () => {
    for (const [kind, pattern] of [
      ['never-delivered', /no result from i-\S+ within 3 s/],
      ['timed-out', /timed out/],
      ['failed', /failed on the instance/],
    ] as const) {
      it(`${kind} at the baseline: a clear error, nothing written`, async () => {
        await ctx.world.ssm.admin.fault({kind, count: 1})
        await ctx.world.admin.clearRequests()
        const result = await vpcsc(ctx.world, ['deny-test', '--yes', '--probe-interval', '1s', '--probe-timeout', '3s'], {timeoutMs: 60_000})
        assert.equal(result.code, 1, show(result))
        assert.match(result.stderr, pattern)
        assert.deepEqual(await writes(ctx.world), [])
      })
    }

    it('truncated output still gives the verdict (the result line is on stderr too)', async () => {
      await ctx.world.ssm.admin.fault({kind: 'truncate', count: 20})
      const result = await vpcsc(ctx.world, ['deny-test', ...FAST], {timeoutMs: 120_000})
      assert.equal(result.code, 0, show(result))
    })

    it('a probe that keeps failing during the wait: exit 1, level restored', async () => {
      await perimeterThatNeverDenies(ctx.world)
      const before = JSON.stringify(await storedLevel(ctx.world))
      const run = spawnCli(ctx.world, ['deny-test', '--yes', '--probe-interval', '1s', '--probe-timeout', '3s', '--timeout', '5m'])
      await run.waitFor(/deny-wait\s+#1/)
      await ctx.world.ssm.admin.fault({kind: 'failed', count: 10})
      const result = await run.result
      assert.equal(result.code, 1, show(result))
      assert.match(result.stderr, /probe failed 3 times in a row/)
      assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
      assert.deepEqual(journals(ctx.world), [])
    })
  })
})
