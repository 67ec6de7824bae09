import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {World} from '../local-cloud/world.ts'
import {googleAdmin, LEVEL, PERIMETER, perimeterThatNeverDenies, show, spawnCli, useWorld, vertexCall, vpcsc, writes} from './helpers.ts'

interface AuditEntry {
  timestamp: string
  protoPayload: {requestMetadata: {callerIp: string}; metadata: {vpcServiceControlsUniqueId: string; dryRun?: boolean}}
}

async function auditLog(world: World): Promise<AuditEntry[]> {
  return (await googleAdmin(world, 'GET', 'audit-log')) as AuditEntry[]
}

/** A Vertex AI call from `ip` that VPC-SC denies: its audit entry's unique id. */
async function deniedCall(world: World, ip: string): Promise<string> {
  assert.equal(await vertexCall(world, ip), 403, `the call from ${ip} is denied`)
  const entry = (await auditLog(world)).filter((e) => e.protoPayload.requestMetadata.callerIp === ip).at(-1)
  assert.ok(entry, 'the denial wrote an audit entry')
  return entry.protoPayload.metadata.vpcServiceControlsUniqueId
}

/** An audit entry as Cloud Logging holds it, written straight into the emulated log. */
async function logEntry(world: World, opts: {id: string; callerIp: string; dryRun?: boolean; at?: string; perimeter?: string}): Promise<void> {
  await googleAdmin(world, 'POST', 'log-entries', {
    entries: [
      {
        timestamp: opts.at ?? new Date().toISOString(),
        protoPayload: {
          '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
          serviceName: 'aiplatform.googleapis.com',
          methodName: 'google.cloud.aiplatform.v1.PredictionService.GenerateContent',
          authenticationInfo: {principalEmail: 'workload@vpcsc-demo.iam.gserviceaccount.com'},
          requestMetadata: {callerIp: opts.callerIp},
          metadata: {
            '@type': 'type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata',
            violationReason: 'NO_MATCHING_ACCESS_LEVEL',
            securityPolicyInfo: {servicePerimeterName: opts.perimeter ?? PERIMETER, organizationId: '987654321098'},
            vpcServiceControlsUniqueId: opts.id,
            ...(opts.dryRun ? {dryRun: true} : {}),
          },
        },
      },
    ],
  })
}

describe('vpcsc explain', () => {
  const ctx = useWorld()

  it('a denial of an unsynced new NAT IP: names the gateway, says the level lacks it, suggests ip sync', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const uid = await deniedCall(ctx.world, replaced.newIp)
    await ctx.world.admin.clearRequests()

    const result = await vpcsc(ctx.world, ['explain', uid, '--json'])
    assert.equal(result.code, 0, show(result))
    const out = JSON.parse(result.stdout)
    assert.equal(out.kind, 'id')
    assert.equal(out.denial.uniqueId, uid)
    assert.equal(out.denial.callerIp, replaced.newIp)
    assert.equal(out.denial.dryRun, false)
    assert.equal(out.denial.service, 'aiplatform.googleapis.com')
    assert.match(out.denial.method, /ListModels/)
    assert.match(out.denial.principal, /workloadIdentityPools\/vpcsc-pool/)
    assert.equal(out.denial.perimeter, PERIMETER)
    assert.deepEqual(
      {natGatewayId: out.gateway.natGatewayId, region: out.gateway.region, vpcId: out.gateway.vpcId, state: out.gateway.state, egress: out.gateway.egress},
      {natGatewayId: replaced.newNatGatewayId, region: 'us-east-1', vpcId: ctx.world.aws.ids.vpcId, state: 'available', egress: true},
    )
    assert.match(out.gateway.account, /^\d{12}$/)
    assert.deepEqual(out.admission, {level: LEVEL, admits: false, combiningFunction: 'OR'})
    assert.equal(out.perimeter.call, 'enforced')
    assert.equal(out.perimeter.mode, 'enforced')
    assert.equal(out.perimeter.ingressAdmitsPrincipal, true)
    assert.equal(out.denyTest.inProgress, false)
    assert.deepEqual(out.fixes.map((f: {kind: string; command?: string}) => [f.kind, f.command]), [['ip-sync', 'vpcsc ip sync']])
    assert.deepEqual(await writes(ctx.world), [], 'explain is read-only')
    // The lookup is one filtered, bounded query on the unique id.
    const lookups = (await ctx.world.admin.requests()).filter((r) => r.api === 'logging')
    assert.equal(lookups.length, 1)
    assert.match(JSON.stringify(lookups[0]!.body), new RegExp(`vpcServiceControlsUniqueId=\\\\"${uid}\\\\"`))
    assert.match(JSON.stringify(lookups[0]!.body), /timestamp>=/)

    const human = await vpcsc(ctx.world, ['explain', uid])
    assert.equal(human.code, 0, show(human))
    assert.match(human.stdout, new RegExp(`NAT gateway\\s+${replaced.newNatGatewayId}.*us-east-1`))
    assert.match(human.stdout, /vpcsc_allow_ec2_ip does not admit it now/)
    assert.match(human.stdout, /ENFORCED: the call was blocked/)
    assert.match(human.stdout, /→ vpcsc ip sync\s+The level lacks/)

    // Once synced, the same id explains itself as fixed.
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes'])).code, 0)
    const after = JSON.parse((await vpcsc(ctx.world, ['explain', uid, '--json'])).stdout)
    assert.equal(after.admission.admits, true)
    assert.equal(after.admission.condition, 0)
    assert.equal(after.admission.cidr, `${replaced.newIp}/32`)
    assert.equal(after.fixes[0].kind, 'none')
  })

  it("deny-test's evidence: the NAT IP is admitted again, the denial was the test's swap", async () => {
    const test = await vpcsc(ctx.world, ['deny-test', '--yes', '--probe-interval', '1s', '--probe-timeout', '20s', '--json'], {timeoutMs: 120_000})
    assert.equal(test.code, 0, show(test))
    const evidence = JSON.parse(test.stdout).evidence as string
    const out = JSON.parse((await vpcsc(ctx.world, ['explain', evidence, '--json'])).stdout)
    assert.equal(out.denial.uniqueId, evidence)
    assert.equal(out.denial.callerIp, '203.0.113.10')
    assert.equal(out.gateway.natGatewayId, ctx.world.aws.ids.natGatewayId)
    assert.equal(out.admission.admits, true)
    // The test's marker and journal go with its restore, so a finished test is not tied to the denial.
    assert.equal(out.denyTest.inProgress, false)
    assert.equal(out.fixes[0].kind, 'none')
    assert.match(out.fixes[0].text, /Nothing to fix now/)
  })

  it('an IP of no gateway: no audit entry needed, the fix is a --keep; a NAT IP is admitted through its condition', async () => {
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['explain', '198.51.100.99', '--json'])
    assert.equal(result.code, 0, show(result))
    const out = JSON.parse(result.stdout)
    assert.equal(out.kind, 'ip')
    assert.equal(out.denial, undefined)
    assert.equal(out.gateway, undefined)
    assert.equal(out.admission.admits, false)
    assert.equal(out.perimeter.call, 'enforced')
    assert.deepEqual(out.fixes.map((f: {kind: string; command?: string}) => [f.kind, f.command]), [['keep', 'vpcsc ip sync --keep 198.51.100.99/32']])
    assert.equal((await ctx.world.admin.requests()).filter((r) => r.api === 'logging').length, 0, 'an IP needs no log read')
    const human = await vpcsc(ctx.world, ['explain', '198.51.100.99'])
    assert.match(human.stdout, /none of the selected NAT gateways owns it/)
    assert.match(human.stdout, /→ vpcsc ip sync --keep 198\.51\.100\.99\/32/)

    // With CIDRs kept already (VPCSC_KEEP), the command keeps them too: run as given, it removes nothing.
    const env = {VPCSC_KEEP: '198.51.100.0/25'}
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes'], {env})).code, 0)
    const kept = JSON.parse((await vpcsc(ctx.world, ['explain', '198.51.100.200', '--json'], {env})).stdout)
    assert.equal(kept.fixes[0].command, 'vpcsc ip sync --keep 198.51.100.0/25 --keep 198.51.100.200/32')
    assert.match(kept.fixes[0].text, /add 198\.51\.100\.200\/32 to the kept CIDRs/)
    const asGiven = await vpcsc(ctx.world, [...kept.fixes[0].command.split(' ').slice(1), '--plan', '--json'], {env})
    assert.equal(asGiven.code, 3, show(asGiven))
    assert.deepEqual([JSON.parse(asGiven.stdout).plan.add, JSON.parse(asGiven.stdout).plan.remove], [['198.51.100.200/32'], []])

    const nat = JSON.parse((await vpcsc(ctx.world, ['explain', '203.0.113.10', '--json'])).stdout)
    assert.equal(nat.gateway.natGatewayId, ctx.world.aws.ids.natGatewayId)
    assert.deepEqual(nat.admission, {level: LEVEL, admits: true, condition: 0, cidr: '203.0.113.10/32', combiningFunction: 'OR'})
    assert.equal(nat.fixes[0].kind, 'none')

    const privateIp = JSON.parse((await vpcsc(ctx.world, ['explain', '10.0.2.15', '--json'])).stdout)
    assert.equal(privateIp.fixes[0].kind, 'none', 'a private address cannot be kept')
    assert.match(privateIp.fixes[0].text, /cannot hold it/)
  })

  it('an id not found within the window exits 1, whatever its format; --since widens the window', async () => {
    await logEntry(ctx.world, {id: 'OLDDENIAL0000000000000000000000A', callerIp: '198.51.100.99', at: new Date(Date.now() - 3 * 86_400_000).toISOString()})
    for (const id of ['ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ', 'Xv-3_abcdEFGH', 'OLDDENIAL0000000000000000000000A']) {
      const result = await vpcsc(ctx.world, ['explain', id, '--since', '2d'])
      assert.equal(result.code, 1, show(result))
      assert.match(result.stderr, new RegExp(`No VPC Service Controls audit entry with id ${id} in the last 2 days`))
      assert.match(result.stderr, /--since/)
    }
    // The hint looks further back than the window searched, never the same window again;
    // from 30 days on, it says that an entry older than the logs' default retention is gone.
    assert.match((await vpcsc(ctx.world, ['explain', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ', '--since', '2d'])).stderr, /^→ Check the id; look further back, e\.g\. --since 30d;/m)
    const month = await vpcsc(ctx.world, ['explain', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ', '--since', '30d'])
    assert.equal(month.code, 1, show(month))
    assert.doesNotMatch(month.stderr, /--since 30d/)
    assert.match(month.stderr, /Denials are kept 30 days by default \(the _Default log bucket's retention\): an older one is gone, unless the bucket keeps them longer \(then --since 60d\)\./)
    const json = await vpcsc(ctx.world, ['explain', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ', '--json'])
    assert.equal(json.code, 1)
    assert.equal(JSON.parse(json.stdout).error.code, 'NOT_FOUND')
    const wider = await vpcsc(ctx.world, ['explain', 'OLDDENIAL0000000000000000000000A'])
    assert.equal(wider.code, 0, `the default window is 7 days\n${show(wider)}`)
    // A timestamp is said as such; --freshness, the flag's first name, still works.
    const since = new Date(Date.now() - 2 * 86_400_000 - 1234).toISOString()
    const stamped = await vpcsc(ctx.world, ['explain', 'OLDDENIAL0000000000000000000000A', '--since', since])
    assert.equal(stamped.code, 1, show(stamped))
    assert.ok(stamped.stderr.includes(`with id OLDDENIAL0000000000000000000000A since ${since}`), stamped.stderr)
    const oldName = await vpcsc(ctx.world, ['explain', 'OLDDENIAL0000000000000000000000A', '--freshness', '4d'])
    assert.equal(oldName.code, 0, show(oldName))
    assert.match(oldName.stderr, /"--freshness" flag has been deprecated\. Use "--since"/)
  })

  it('input that is neither an IP nor an id exits 2 before any call', async () => {
    await ctx.world.admin.clearRequests()
    for (const input of ['not an id!', '1.2.3', '203.0.113.0/24', '010.1.2.3', 'short', '']) {
      const result = await vpcsc(ctx.world, ['explain', input])
      assert.equal(result.code, 2, `${JSON.stringify(input)}\n${show(result)}`)
      assert.ok(result.stderr.trim().split('\n').length <= 2, result.stderr)
    }
    const bad = await vpcsc(ctx.world, ['explain', 'abc.def'])
    assert.match(bad.stderr, /"abc\.def" is neither an IP address nor a vpcServiceControlsUniqueIdentifier/)
    const badSpan = await vpcsc(ctx.world, ['explain', '198.51.100.99', '--since', 'soon'])
    assert.equal(badSpan.code, 2, show(badSpan))
    assert.deepEqual((await ctx.world.admin.requests()).filter((r) => r.api !== 'sts'), [])
  })

  it('a dry-run violation: logged, not blocked', async () => {
    await logEntry(ctx.world, {id: 'DRYRUN00000000000000000000000001', callerIp: '198.51.100.99', dryRun: true})
    const out = JSON.parse((await vpcsc(ctx.world, ['explain', 'DRYRUN00000000000000000000000001', '--json'])).stdout)
    assert.equal(out.denial.dryRun, true)
    assert.equal(out.perimeter.call, 'dry-run')
    const human = await vpcsc(ctx.world, ['explain', 'DRYRUN00000000000000000000000001'])
    assert.match(human.stdout, /DRY-RUN: logged as a violation, not blocked/)
  })

  it('a denial by a perimeter that is gone since: the rest is still explained, with a warning', async () => {
    await logEntry(ctx.world, {id: 'GONEPERIMETER0000000000000000001', callerIp: '203.0.113.10', perimeter: 'accessPolicies/555000111222/servicePerimeters/gone'})
    const result = await vpcsc(ctx.world, ['explain', 'GONEPERIMETER0000000000000000001', '--json'])
    assert.equal(result.code, 0, show(result))
    const out = JSON.parse(result.stdout)
    assert.equal(out.perimeter, undefined)
    assert.equal(out.admission.admits, true)
    assert.match(out.warnings.join('\n'), /servicePerimeters\/gone of the denial cannot be read now/)
  })

  it('a principal question: the IP is admitted, but no ingress rule admits the caller: an ingress rule', async () => {
    const state = await ctx.world.admin.state()
    const perimeter = structuredClone(state.perimeters.find((p) => p.name === PERIMETER)!) as unknown as {status: {ingressPolicies: {ingressFrom: {identityType?: string; identities?: string[]}}[]}}
    delete perimeter.status.ingressPolicies[0]!.ingressFrom.identityType
    perimeter.status.ingressPolicies[0]!.ingressFrom.identities = ['serviceAccount:someone-else@vpcsc-demo.iam.gserviceaccount.com']
    await ctx.world.admin.putResource(PERIMETER, perimeter)
    const uid = await deniedCall(ctx.world, '203.0.113.10')
    const out = JSON.parse((await vpcsc(ctx.world, ['explain', uid, '--json'])).stdout)
    assert.equal(out.admission.admits, true)
    assert.equal(out.perimeter.ingressAdmitsPrincipal, false)
    assert.equal(out.fixes[0].kind, 'ingress-rule')
    assert.match(out.fixes[0].text, /no ingress rule from vpcsc_allow_ec2_ip lets .*vpcsc-pool.* reach aiplatform\.googleapis\.com/)
  })

  it('says when a deny test holds the level, and then suggests no sync', async () => {
    await perimeterThatNeverDenies(ctx.world)
    const run = spawnCli(ctx.world, ['deny-test', '--yes', '--probe-interval', '1s', '--probe-timeout', '20s', '--timeout', '5m'])
    try {
      await run.waitFor(/deny-wait\s+#1/)
      await logEntry(ctx.world, {id: 'DURINGTEST0000000000000000000001', callerIp: '203.0.113.10'})
      // The second run has a state dir of its own, as another host would: it sees the marker.
      for (const [target, env] of [['203.0.113.10', {}], ['DURINGTEST0000000000000000000001', {VPCSC_STATE_DIR: join(ctx.world.dir, 'elsewhere')}]] as const) {
        const result = await vpcsc(ctx.world, ['explain', target, '--json'], {env})
        assert.equal(result.code, 0, show(result))
        const out = JSON.parse(result.stdout)
        assert.equal(out.denyTest.inProgress, true)
        assert.equal(out.denyTest.denyCidr, '192.0.2.1/32')
        assert.equal(out.denyTest.basis, 'policy marker', 'read from the access policy, as any host would')
        assert.equal(out.denyTest.state, 'running')
        assert.equal(out.admission.admits, false, 'the level holds the deny CIDR')
        assert.deepEqual(out.fixes.map((f: {kind: string}) => f.kind), ['deny-test'])
      }
    } finally {
      run.child.kill('SIGINT')
      assert.equal((await run.result).code, 130)
    }
    const before = await vpcsc(ctx.world, ['explain', 'DURINGTEST0000000000000000000001', '--json'])
    assert.equal(JSON.parse(before.stdout).denyTest.inProgress, false, 'the test is over: no marker, no journal')
    // ...which does not mean no test held the level then: the human output does not claim it.
    const human = await vpcsc(ctx.world, ['explain', 'DURINGTEST0000000000000000000001'])
    assert.match(human.stdout, /deny test\s+no trace of one at that time \(no marker in the policy, no journal here: a finished deny test leaves neither\)/)
    assert.doesNotMatch(human.stdout, /none holding/)
  })
})
