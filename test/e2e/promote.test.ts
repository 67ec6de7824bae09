import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {World} from '../local-cloud/world.ts'
import {googleAdmin, PERIMETER, show, useWorld, vertexCall, vpcsc, writes} from './helpers.ts'

interface StoredPerimeter {
  name: string
  status?: {resources?: string[]; restrictedServices?: string[]; ingressPolicies?: unknown[]; accessLevels?: string[]}
  spec?: StoredPerimeter['status']
  useExplicitDryRunSpec?: boolean
  etag?: string
}

async function storedPerimeter(world: World): Promise<StoredPerimeter> {
  const state = (await world.admin.state()) as unknown as {perimeters: StoredPerimeter[]}
  return state.perimeters.find((p) => p.name === PERIMETER)!
}

/** The seed's perimeter with a dry-run spec that also restricts Cloud Storage. */
async function withDryRunSpec(world: World): Promise<StoredPerimeter> {
  const perimeter = structuredClone(await storedPerimeter(world))
  perimeter.spec = {...structuredClone(perimeter.status!), restrictedServices: ['aiplatform.googleapis.com', 'storage.googleapis.com']}
  perimeter.useExplicitDryRunSpec = true
  await world.admin.putResource(PERIMETER, perimeter)
  return perimeter
}

function auditEntry(opts: {dryRun: boolean; callerIp: string; at: string; method?: string}) {
  return {
    timestamp: opts.at,
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      serviceName: 'aiplatform.googleapis.com',
      methodName: opts.method ?? 'google.cloud.aiplatform.v1.ModelService.ListModels',
      authenticationInfo: {principalEmail: 'workload@vpcsc-demo.iam.gserviceaccount.com'},
      requestMetadata: {callerIp: opts.callerIp},
      resourceName: 'projects/123456789012',
      metadata: {
        '@type': 'type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata',
        violationReason: 'NO_MATCHING_ACCESS_LEVEL',
        securityPolicyInfo: {servicePerimeterName: PERIMETER, organizationId: '987654321098'},
        vpcServiceControlsUniqueId: `UID${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
        ...(opts.dryRun ? {dryRun: true} : {}),
      },
    },
  }
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString()

describe('vpcsc violations', () => {
  const ctx = useWorld()

  it("the audit entries of real denied calls pass the schema, whatever fields Cloud Logging adds (the caller's user agent)", async () => {
    assert.equal(await vertexCall(ctx.world, '198.51.100.7'), 403, 'the perimeter denies the call')
    const result = await vpcsc(ctx.world, ['violations', '--json'])
    assert.equal(result.code, 0, show(result))
    const entry = JSON.parse(result.stdout).enforced.entries.find((e: {protoPayload: {requestMetadata: {callerIp: string}}}) => e.protoPayload.requestMetadata.callerIp === '198.51.100.7')
    assert.ok(entry, 'the denied call is listed')
    assert.ok(entry.protoPayload.requestMetadata.callerSuppliedUserAgent, 'the entry carries the user agent, as Cloud Logging does')
  })

  it('groups dry-run and enforced entries, says which caller IPs the level admits, pages to the end', async () => {
    const entries = [
      ...Array.from({length: 1100}, (_, i) => auditEntry({dryRun: true, callerIp: '198.51.100.250', at: ago(60_000 + i)})),
      ...Array.from({length: 3}, (_, i) => auditEntry({dryRun: true, callerIp: '203.0.113.10', at: ago(120_000 + i), method: 'google.cloud.aiplatform.v1.PredictionService.GenerateContent'})),
      auditEntry({dryRun: false, callerIp: '203.0.113.99', at: ago(30_000)}),
      auditEntry({dryRun: true, callerIp: '198.51.100.250', at: ago(3 * 24 * 3600_000)}),
    ]
    await googleAdmin(ctx.world, 'POST', 'log-entries', {entries})
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['violations', '--json'])
    assert.equal(result.code, 0, show(result))
    const report = JSON.parse(result.stdout)
    assert.equal(report.dryRun.entries.length, 1103, 'the 3-day-old entry is outside the default 24h')
    assert.equal(report.dryRun.truncated, false)
    assert.deepEqual(
      report.dryRun.groups.map((g: {callerIp: string; count: number; admitted: boolean}) => [g.callerIp, g.count, g.admitted]),
      [
        ['198.51.100.250', 1100, false],
        ['203.0.113.10', 3, true],
      ],
    )
    assert.equal(report.enforced.entries.length, 1)
    assert.equal(report.enforced.groups[0].callerIp, '203.0.113.99')
    const logging = (await ctx.world.admin.requests()).filter((r) => r.api === 'logging')
    assert.ok(logging.length >= 3, `paged: ${logging.length} entries:list calls`)
    assert.deepEqual(await writes(ctx.world), [])

    const human = await vpcsc(ctx.world, ['violations', '--since', '7d'])
    assert.equal(human.code, 0, show(human))
    assert.match(human.stdout, /Dry-run violations.*\n\s+1104 entries/)
    assert.match(human.stdout, /1101 .*198\.51\.100\.250.*no/)
    assert.match(human.stdout, /Not admitted by the access level: 198\.51\.100\.250, 203\.0\.113\.99/)

    const limited = JSON.parse((await vpcsc(ctx.world, ['violations', '--json', '--limit', '50'])).stdout)
    assert.equal(limited.dryRun.entries.length, 50)
    assert.equal(limited.dryRun.truncated, true)
    assert.equal(limited.warnings.length, 1, limited.warnings.join('\n'))
    assert.match(limited.warnings[0], /^More dry-run violations than --limit 50 since .*: the counts are a floor/)
  })

  it('a bad --since is a usage error, before any call', async () => {
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['violations', '--since', 'yesterday'])
    assert.equal(result.code, 2, show(result))
    assert.match(result.stderr, /--since "yesterday" is neither a duration nor a timestamp/)
    // A window that starts in the future holds nothing: for promote's gate, no violation at all.
    for (const command of ['violations', 'promote']) {
      const future = await vpcsc(ctx.world, [command, '--since', '2999-01-01T00:00:00Z', '--yes'].slice(0, command === 'promote' ? 4 : 3))
      assert.equal(future.code, 2, show(future))
      assert.match(future.stderr, /--since "2999-01-01T00:00:00Z" is in the future/)
    }
    assert.deepEqual((await ctx.world.admin.requests()).filter((r) => r.api !== 'sts'), [])
  })
})

describe('vpcsc promote and demote', () => {
  const ctx = useWorld()

  it('promote without a dry-run spec is refused (exit 5)', async () => {
    const result = await vpcsc(ctx.world, ['promote', '--yes'])
    assert.equal(result.code, 5, show(result))
    assert.match(result.stderr, /no explicit dry-run spec.*already enforced/)
  })

  it('promote with no violations: one PATCH with exactly the documented mask and body, read back', async () => {
    const before = await withDryRunSpec(ctx.world)
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['promote', '--yes'])
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /\+ restrictedServices\s+storage\.googleapis\.com/)
    assert.match(result.stdout, /No dry-run violation/)
    assert.match(result.stdout, /up to 30 minutes.*vpcsc deny-test/)
    const sent = await writes(ctx.world)
    assert.equal(sent.length, 1)
    const patch = sent[0]!
    assert.equal(patch.method, 'PATCH')
    assert.equal(patch.query.updateMask, 'spec,status,useExplicitDryRunSpec')
    assert.deepEqual(Object.keys(patch.body).sort(), ['etag', 'name', 'status', 'useExplicitDryRunSpec'])
    assert.deepEqual(patch.body.status, before.spec)
    assert.equal(patch.body.useExplicitDryRunSpec, false)
    const after = await storedPerimeter(ctx.world)
    assert.deepEqual(after.status, before.spec)
    assert.equal(after.spec, undefined)
    assert.ok(!after.useExplicitDryRunSpec)
  })

  it('refused by dry-run violations (shown), then --force promotes', async () => {
    await withDryRunSpec(ctx.world)
    await googleAdmin(ctx.world, 'POST', 'log-entries', {entries: [auditEntry({dryRun: true, callerIp: '198.51.100.250', at: ago(3600_000)})]})
    await ctx.world.admin.clearRequests()
    const refused = await vpcsc(ctx.world, ['promote', '--yes'])
    assert.equal(refused.code, 5, show(refused))
    assert.match(refused.stdout, /1 dry-run violation/)
    assert.match(refused.stdout, /198\.51\.100\.250/)
    assert.match(refused.stderr, /would have denied 1 call/)
    assert.match(refused.stderr, /--force/)
    assert.deepEqual(await writes(ctx.world), [])
    const json = JSON.parse((await vpcsc(ctx.world, ['promote', '--yes', '--json'])).stdout)
    assert.equal(json.error.code, 'DRY_RUN_VIOLATIONS')
    assert.equal(json.error.details.groups[0].callerIp, '198.51.100.250')

    // --lookback, the flag's first name, still works and says its new one.
    const oldName = await vpcsc(ctx.world, ['promote', '--yes', '--lookback', '2h'])
    assert.equal(oldName.code, 5, show(oldName))
    assert.match(oldName.stderr, /"--lookback" flag has been deprecated\. Use "--since"/)
    const outside = await vpcsc(ctx.world, ['promote', '--yes', '--since', new Date(Date.now() - 30 * 60_000).toISOString()])
    assert.equal(outside.code, 0, `a violation older than --since does not count\n${show(outside)}`)
  })

  it('--force promotes despite violations', async () => {
    await withDryRunSpec(ctx.world)
    await googleAdmin(ctx.world, 'POST', 'log-entries', {entries: [auditEntry({dryRun: true, callerIp: '198.51.100.250', at: ago(60_000)})]})
    const forced = await vpcsc(ctx.world, ['promote', '--yes', '--force'])
    assert.equal(forced.code, 0, show(forced))
    assert.match(forced.stdout, /198\.51\.100\.250/)
    // What --force let through is said after the write too, on stderr.
    assert.match(forced.stderr, /^! vpcsc_vertex_ai_perimeter: 1 dry-run violation since .*; promoted with --force, those callers are denied once it is enforced\.$/m)
    assert.equal((await storedPerimeter(ctx.world)).spec, undefined)

    // The same through --json: the result says what --force let through.
    await withDryRunSpec(ctx.world)
    const json = await vpcsc(ctx.world, ['promote', '--yes', '--force', '--json'])
    assert.equal(json.code, 0, show(json))
    const {warnings} = JSON.parse(json.stdout) as {warnings: string[]}
    assert.deepEqual(warnings.length, 1, warnings.join('\n'))
    assert.match(warnings[0]!, /^vpcsc_vertex_ai_perimeter: 1 dry-run violation since .*; promoted with --force, those callers are denied once it is enforced\.$/)
  })

  it('demote then promote gives back the enforced configuration byte for byte', async () => {
    const original = await storedPerimeter(ctx.world)
    await ctx.world.admin.clearRequests()
    const demote = await vpcsc(ctx.world, ['demote', '--yes'])
    assert.equal(demote.code, 0, show(demote))
    const patch = (await writes(ctx.world))[0]!
    assert.equal(patch.query.updateMask, 'spec,status,useExplicitDryRunSpec')
    assert.deepEqual(patch.body.spec, original.status)
    assert.equal(patch.body.useExplicitDryRunSpec, true)
    assert.equal(patch.body.status, undefined)
    const demoted = await storedPerimeter(ctx.world)
    assert.equal(demoted.useExplicitDryRunSpec, true)
    assert.equal(JSON.stringify(demoted.spec), JSON.stringify(original.status))

    const status = JSON.parse((await vpcsc(ctx.world, ['status', '--json'])).stdout)
    assert.equal(status.perimeter.mode, 'dry-run')
    assert.equal(status.perimeter.dryRun.violations24h, 0)

    const again = await vpcsc(ctx.world, ['demote', '--yes'])
    assert.equal(again.code, 5, show(again))
    assert.match(again.stderr, /already dry-run only/)

    const promote = await vpcsc(ctx.world, ['promote', '--yes'])
    assert.equal(promote.code, 0, show(promote))
    assert.equal(JSON.stringify((await storedPerimeter(ctx.world)).status), JSON.stringify(original.status))
  })

  it('a foreign edit between read and write is detected; nothing is overwritten', async () => {
    await withDryRunSpec(ctx.world)
    await ctx.world.admin.foreignEdit({trigger: 'before-next-write', name: PERIMETER, set: {title: 'changed by someone else'}})
    const result = await vpcsc(ctx.world, ['promote', '--yes'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /changed by someone else after vpcsc read it: its title changed\./)
    const after = await storedPerimeter(ctx.world)
    assert.equal((after as {title?: string}).title, 'changed by someone else')
    assert.equal(after.useExplicitDryRunSpec, true, 'still dry-run: not promoted')
  })

  it('promote --all: a perimeter changed between read and commit is named with its change; nothing is committed', async () => {
    const before = await withDryRunSpec(ctx.world)
    const status = {...before.status, restrictedServices: [...(before.status?.restrictedServices ?? []), 'bigquery.googleapis.com']}
    await ctx.world.admin.foreignEdit({trigger: 'before-next-write', name: PERIMETER, set: {status}})
    const result = await vpcsc(ctx.world, ['promote', '--all', '--yes', '--json'])
    assert.equal(result.code, 1, show(result))
    const error = JSON.parse(result.stdout).error
    assert.equal(error.code, 'CONFLICT')
    assert.match(error.message, /vpcsc_vertex_ai_perimeter: its enforced configuration changed \(restrictedServices \+1\)/)
    assert.deepEqual(error.details.changed[0].now.status.restrictedServices, status.restrictedServices)
    const after = await storedPerimeter(ctx.world)
    assert.deepEqual(after.status, status)
    assert.equal(after.useExplicitDryRunSpec, true, 'still dry-run: not promoted')
  })

  it('an operation that fails is reported', async () => {
    await withDryRunSpec(ctx.world)
    await ctx.world.admin.operationError({count: 1, error: {code: 13, message: 'Internal error encountered.'}})
    const result = await vpcsc(ctx.world, ['promote', '--yes'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /failed with code 13: Internal error encountered\./)
  })

  it('with no terminal and no --yes: refused, nothing written', async () => {
    await withDryRunSpec(ctx.world)
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['promote'])
    assert.equal(result.code, 2, show(result))
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('status shows the dry-run spec: how it differs and its violations', async () => {
    await withDryRunSpec(ctx.world)
    await googleAdmin(ctx.world, 'POST', 'log-entries', {entries: [auditEntry({dryRun: true, callerIp: '198.51.100.250', at: ago(60_000)}), auditEntry({dryRun: true, callerIp: '198.51.100.250', at: ago(2 * 24 * 3600_000)})]})
    const result = await vpcsc(ctx.world, ['status'])
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /ENFORCED \+ DRY-RUN spec/)
    assert.match(result.stdout, /vs enforced\s+restrictedServices \+1/)
    assert.match(result.stdout, /dry-run violations\s+.*1 in 24 h/)
  })

  it('promote --all lists every perimeter it promotes and commits with the policy etag', async () => {
    const before = await withDryRunSpec(ctx.world)
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['promote', '--all', '--yes'])
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /servicePerimeters:commit promotes 1 perimeter: vpcsc_vertex_ai_perimeter/)
    const sent = await writes(ctx.world)
    assert.deepEqual(sent.map((w) => `${w.method} ${w.path}`), ['POST /v1/accessPolicies/555000111222/servicePerimeters:commit'])
    assert.ok(sent[0]!.body.etag)
    assert.deepEqual((await storedPerimeter(ctx.world)).status, before.spec)
  })

  it('promote --all: a dry-run spec added to another perimeter after the plan is never committed unseen', async () => {
    const before = await withDryRunSpec(ctx.world)
    const other = `${PERIMETER.slice(0, PERIMETER.lastIndexOf('/'))}/vpcsc_added_later`
    const spec = {resources: ['projects/999999999999'], restrictedServices: ['storage.googleapis.com']}
    await ctx.world.admin.foreignEdit({trigger: 'before-next-write', name: other, set: {name: other, title: 'added later', perimeterType: 'PERIMETER_TYPE_REGULAR', spec, useExplicitDryRunSpec: true}})
    const result = await vpcsc(ctx.world, ['promote', '--all', '--yes', '--json'])
    assert.equal(result.code, 1, show(result))
    const error = JSON.parse(result.stdout).error
    assert.equal(error.code, 'CONFLICT')
    assert.match(error.message, /vpcsc_added_later: a dry-run spec was added, not in the plan/)
    const state = (await ctx.world.admin.state()) as unknown as {perimeters: StoredPerimeter[]}
    const added = state.perimeters.find((p) => p.name === other)!
    assert.deepEqual([added.spec, added.status, added.useExplicitDryRunSpec], [spec, undefined, true], 'the added spec is still dry-run')
    assert.deepEqual((await storedPerimeter(ctx.world)).spec, before.spec, 'the planned one is not promoted either')
  })

  it('a policy without an etag: promote and promote --all refuse (exit 5 NO_ETAG) and write nothing', async () => {
    await withDryRunSpec(ctx.world)
    const policy = (await ctx.world.admin.state()).policies[0]!
    await ctx.world.admin.putResource(policy.name, {...policy, etag: ''})
    await ctx.world.admin.clearRequests()
    for (const args of [['promote', '--yes', '--json'], ['promote', '--all', '--yes', '--json']]) {
      const result = await vpcsc(ctx.world, args)
      assert.equal(result.code, 5, show(result))
      assert.equal(JSON.parse(result.stdout).error.code, 'NO_ETAG')
    }
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('after promote, non-admitted callers are denied once propagated, and deny-test passes', async () => {
    // A long propagation delay, and the emulator's clock moved past it: no race with a busy machine.
    await ctx.world.admin.config({propagationDelayMs: 60_000})
    const demote = await vpcsc(ctx.world, ['demote', '--yes'])
    assert.equal(demote.code, 0, show(demote))
    await googleAdmin(ctx.world, 'POST', 'clock', {offsetMs: 61_000})
    assert.equal(await vertexCall(ctx.world, '198.51.100.250'), 200, 'dry-run: the operator IP is let through')
    await googleAdmin(ctx.world, 'DELETE', 'audit-log') // that call was a dry-run violation
    const promote = await vpcsc(ctx.world, ['promote', '--yes'])
    assert.equal(promote.code, 0, show(promote))
    assert.equal(await vertexCall(ctx.world, '198.51.100.250'), 200, 'not yet propagated')
    await googleAdmin(ctx.world, 'POST', 'clock', {offsetMs: 122_000})
    assert.equal(await vertexCall(ctx.world, '198.51.100.250'), 403, 'enforced now')
    assert.equal(await vertexCall(ctx.world, '203.0.113.10'), 200, 'the NAT is still admitted')
    await ctx.world.admin.config({propagationDelayMs: 0})
    const denyTest = await vpcsc(ctx.world, ['deny-test', '--yes', '--probe-interval', '1s', '--probe-timeout', '20s'], {timeoutMs: 120_000})
    assert.equal(denyTest.code, 0, show(denyTest))
  })
})
