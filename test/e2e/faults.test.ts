// The fault matrix (docs/fault-matrix.md): every write command through the faults the
// local cloud injects, asserting the exit code, the message, the policy afterwards, and
// that no landed write was repeated with a different value. The table in the doc is
// checked against MATRIX at the end, so the promise users read is the one tested.
import assert from 'node:assert/strict'
import {once} from 'node:events'
import {readFileSync} from 'node:fs'
import {createServer, type Server, type Socket} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {POLICY} from '../local-cloud/google/seed.ts'
import type {StoredResource, World} from '../local-cloud/world.ts'
import {journalDir, journals, LEVEL, PERIMETER, show, spawnCli, storedLevel, useWorld, vpcsc, writes, type LoggedWrite} from './helpers.ts'

interface Row {
  fault: string
  command: string
  outcome: string
}

/** Filled by the cases below as they are declared; the doc must list exactly these rows. */
const MATRIX: Row[] = []
function row(fault: string, command: string, outcome: string): string {
  MATRIX.push({fault, command, outcome})
  return `${command}: ${fault} -> ${outcome}`
}

const FAST = ['--probe-interval', '1s', '--probe-timeout', '20s', '--yes']

/** Levels and perimeters as the emulator stores them, without the policy etag. */
async function policyContent(world: World): Promise<string> {
  const state = await world.admin.state()
  return JSON.stringify({levels: state.levels, perimeters: state.perimeters})
}

function replaceAlls(all: LoggedWrite[]): LoggedWrite[] {
  return all.filter((w) => w.path.endsWith(':replaceAll'))
}

/**
 * Every send of the write carried the same body and the same etag: at most one of them can
 * have landed (an etag matches once), and none was re-planned against a fresher one.
 */
function assertWrittenOnce(all: LoggedWrite[]): void {
  const sent = replaceAlls(all)
  assert.ok(sent.length >= 1, 'the write was sent')
  assert.equal(new Set(sent.map((w) => JSON.stringify(w.body))).size, 1, `sends with different bodies or etags: ${JSON.stringify(sent.map((w) => w.body))}`)
}

/**
 * `ip sync --yes` of one change (the NAT replaced) that must end written, exit 0, saying its
 * answer was lost, every send the same write: the replaceAll requests it sent.
 */
async function syncConfirmedByReading(world: World): Promise<LoggedWrite[]> {
  const result = await vpcsc(world, ['ip', 'sync', '--yes'], {timeoutMs: 60_000})
  assert.equal(result.code, 0, show(result))
  assert.match(result.stdout, /answer was lost/)
  assert.deepEqual((await storedLevel(world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.77/32'])
  const sent = replaceAlls(await writes(world))
  assertWrittenOnce(sent)
  return sent
}

/** A deny test killed (kill -9) once its swap and marker are in the policy: nothing of it restores. */
async function killDenyTestAfterSwap(world: World, env: Record<string, string> = {}): Promise<void> {
  const cli = spawnCli(world, ['deny-test', ...FAST, '--timeout', '2m'], {env})
  await waitForMarker(world, true)
  cli.child.kill('SIGKILL')
  await cli.result
}

async function googleAdminDelete(world: World, path: string): Promise<void> {
  const res = await fetch(`${world.googleUrl}/__admin/${path}`, {method: 'DELETE'})
  assert.ok(res.ok, `DELETE /__admin/${path}: ${res.status}`)
}

function otherStateDir(world: World, name: string): Record<string, string> {
  return {XDG_STATE_HOME: join(world.dir, `state-${name}`)}
}

/**
 * `ip sync --yes` of the level while someone else's write (to vpcsc_office) is pending: both
 * end written, exit 0. Returns ours, and our replaceAll requests as the emulator logged them.
 */
async function syncBehindAnotherWrite(world: World) {
  await world.aws.replaceNatGateway()
  const other = spawnCli(world, ['ip', 'sync', '--yes', '--level', 'vpcsc_office', '--keep', '198.51.100.0/24'])
  await waitForPendingWrite(world, 'the other write')
  await world.admin.clearRequests()
  const result = await vpcsc(world, ['ip', 'sync', '--yes'], {timeoutMs: 60_000})
  assert.equal(result.code, 0, show(result))
  assert.equal((await other.result).code, 0)
  assert.deepEqual((await storedLevel(world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.77/32'])
  assert.deepEqual((await storedLevel(world, `${POLICY}/accessLevels/vpcsc_office`)).basic!.conditions[0]!.ipSubnetworks, ['198.51.100.0/24', '203.0.113.77/32'])
  const ours = (await world.admin.requests()).filter((r) => r.write && r.path.endsWith(':replaceAll'))
  return {result, ours}
}

/** Until a write was accepted and its operation is pending (the emulator's operationDelayMs holds it). */
async function waitForPendingWrite(world: World, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while ((await world.admin.pendingOperations()).length === 0) {
    assert.ok(Date.now() < deadline, `${what} never became pending`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function waitForMarker(world: World, present: boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const state = await world.admin.state()
    if (state.levels.some((l) => l.name.includes('/accessLevels/vpcsc_deny_test_')) === present) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`the deny-test marker did not ${present ? 'appear' : 'go'} within ${timeoutMs} ms`)
}

/** The perimeter as the emulator stores it (committed writes only). */
async function storedPerimeter(world: World): Promise<StoredResource> {
  return (await world.admin.state()).perimeters.find((p) => p.name === PERIMETER)!
}

/**
 * `promote` or `demote` (`args`) while every PATCH of the perimeter is held 15 s, longer than
 * the whole run (five sends of 1 s, paced: about 9 s): it must end on its own, exit 1
 * WRITE_UNKNOWN or TIMEOUT (a send that timed out may still land: never "not written"), every
 * send the same PATCH with the same etag. What it said is then checked against the perimeter:
 * untouched when it ended, and once the held sends arrive, exactly one of them lands (the
 * others carry a spent etag). Returns the perimeter as it is then.
 */
async function perimeterPatchNeverAnswered(world: World, args: string[]): Promise<StoredResource> {
  const before = await storedPerimeter(world)
  await world.admin.clearRequests()
  await world.admin.fault({match: {method: 'PATCH', path: 'servicePerimeters'}, delayMs: 15_000, count: 10})
  const result = await vpcsc(world, [...args, '--yes', '--request-timeout', '1s', '--json'], {timeoutMs: 14_000})
  assert.equal(result.code, 1, show(result))
  const error = JSON.parse(result.stdout).error
  assert.match(error.code, /^(WRITE_UNKNOWN|TIMEOUT)$/)
  assert.doesNotMatch(error.message, /Not written|Nothing changed/)
  assert.deepEqual(await storedPerimeter(world), before, 'nothing landed while it ran: every send was held')
  const patches = (await writes(world)).filter((w) => w.method === 'PATCH')
  assert.ok(patches.length >= 1 && patches.length <= 5, `${patches.length} sends: five at most`)
  assert.equal(new Set(patches.map((w) => JSON.stringify(w.body))).size, 1, `sends with different bodies or etags: ${JSON.stringify(patches.map((w) => w.body))}`)
  // The held sends arrive now, after the run: the first lands, the rest meet a spent etag.
  const deadline = Date.now() + 40_000
  let arrived: {status: number | null}[] = []
  for (;;) {
    arrived = (await world.admin.requests()).filter((r) => r.method === 'PATCH')
    if (arrived.every((r) => r.status !== null)) break
    assert.ok(Date.now() < deadline, 'the held sends never arrived')
    await new Promise((r) => setTimeout(r, 250))
  }
  assert.equal(arrived.filter((r) => r.status === 200).length, 1, JSON.stringify(arrived.map((r) => r.status)))
  await world.admin.settleOperations()
  return storedPerimeter(world)
}

/**
 * `promote` or `demote` (`command`) SIGKILLed once its PATCH was accepted, while its
 * operation is still pending, then run again. The killed run's operation is held (600 s)
 * until the rerun's own PATCH has met it (refused with 409, or queued behind it), then
 * committed: the rerun read the perimeter as it was before, planned the same move and sent
 * it too, so what it says can only come from reading (docs/safety.md, rule 7). The rerun
 * must end exit 0 saying `done` and that another write (the killed run's) put it in place,
 * not that its answer was lost; every send the same PATCH; nothing left pending or
 * journalled. Returns the perimeter as it is then.
 */
async function perimeterMoveKilledThenRerun(world: World, command: 'promote' | 'demote', pendingWrites: 'refuse' | 'queue', done: RegExp): Promise<StoredResource> {
  await world.admin.clearRequests()
  await world.admin.config({operationDelayMs: 600_000, pendingWrites})
  const killed = spawnCli(world, [command, '--yes'])
  await waitForPendingWrite(world, `the first ${command}`)
  killed.child.kill('SIGKILL')
  await killed.result
  let ended = false
  const rerun = vpcsc(world, [command, '--yes'], {timeoutMs: 60_000}).finally(() => (ended = true))
  const patches = async () => (await world.admin.requests()).filter((r) => r.method === 'PATCH')
  const deadline = Date.now() + 30_000
  // Until the rerun's PATCH has its answer (or the rerun ended without one: its result says why).
  while (!ended && ((await patches())[1]?.status ?? null) === null) {
    assert.ok(Date.now() < deadline, `the rerun's ${command} never sent its PATCH`)
    await new Promise((r) => setTimeout(r, 50))
  }
  await world.admin.settleOperations()
  const again = await rerun
  assert.equal(again.code, 0, show(again))
  assert.match(again.stdout, done)
  // Its own send was refused, or queued and then ABORTED at commit (the etag spent by the
  // killed run's write): either way the perimeter is the killed run's write, not ours.
  assert.match(again.stdout + again.stderr, /another write/i)
  assert.doesNotMatch(again.stdout + again.stderr, /answer was lost/)
  // Both runs read the same etag (the killed run's write was pending): the same PATCH twice,
  // of which at most one can match it; the rerun's was not sent again.
  const sent = await patches()
  assert.deepEqual(sent.map((r) => r.status), pendingWrites === 'refuse' ? [200, 409] : [200, 200])
  assert.equal(new Set(sent.map((w) => JSON.stringify(w.body))).size, 1, `sends with different bodies or etags: ${JSON.stringify(sent.map((w) => w.body))}`)
  // Nothing is left behind that could hold a later command: no journal, nothing pending.
  assert.deepEqual(journals(world), [])
  assert.deepEqual(await world.admin.pendingOperations(), [])
  return storedPerimeter(world)
}

describe('faults: every write confirmed, every wait bounded', () => {
  const ctx = useWorld()

  describe('ip sync', () => {
    it(row('replaceAll lands, its answer is dropped', 'ip sync', 'exit 0, "answer was lost", written once'), async () => {
      await ctx.world.aws.replaceNatGateway()
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, drop: true, phase: 'after'})
      await syncConfirmedByReading(ctx.world)
    })

    it(row('replaceAll lands, then a 503 replaces its answer', 'ip sync', 'exit 0, written once'), async () => {
      await ctx.world.aws.replaceNatGateway()
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, status: 503, phase: 'after'})
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
      assert.equal(result.code, 0, show(result))
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.77/32'])
      assert.equal((await vpcsc(ctx.world, ['status', '--check'])).code, 0)
      assertWrittenOnce(await writes(ctx.world))
    })

    it(row('replaceAll lands (pending 2 s), its answer is dropped, then the resends are refused (429, 403)', 'ip sync', 'exit 0 once a read finds it written: a refused resend is not "not written"'), async () => {
      await ctx.world.aws.replaceNatGateway()
      await ctx.world.admin.config({operationDelayMs: 2000})
      const replaceAll = {method: 'POST', path: ':replaceAll'}
      await ctx.world.admin.fault({match: replaceAll, drop: true, phase: 'after'})
      await ctx.world.admin.fault({match: replaceAll, status: 429, count: 2})
      await ctx.world.admin.fault({match: replaceAll, status: 403, count: 5})
      const sent = await syncConfirmedByReading(ctx.world)
      assert.ok(sent.length >= 2, 'the write was sent again while its fate was open')
    })

    it(row('the operation cannot be followed (its polls get 503s)', 'ip sync', 'exit 0 once a read finds it written, "answer was lost"'), async () => {
      await ctx.world.aws.replaceNatGateway()
      await ctx.world.admin.fault({match: {method: 'GET', path: '/operations/'}, status: 503, count: 50})
      await syncConfirmedByReading(ctx.world)
    })

    it(row('every send is lost before it arrives', 'ip sync', 'exit 1 WRITE_UNKNOWN after five sends of the same write, paced; nothing written'), async () => {
      await ctx.world.aws.replaceNatGateway()
      const before = await storedLevel(ctx.world)
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, drop: true, count: 50})
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json'], {timeoutMs: 60_000})
      assert.equal(result.code, 1, show(result))
      assert.equal(JSON.parse(result.stdout).error.code, 'WRITE_UNKNOWN')
      const sent = replaceAlls(await writes(ctx.world)) as (LoggedWrite & {at: string})[]
      assert.equal(sent.length, 5, 'five sends at most')
      assertWrittenOnce(sent)
      // Paced, as the emulator saw them arrive: 250 ms between the first two, doubling.
      const gaps = sent.slice(1).map((w, i) => Date.parse(w.at) - Date.parse(sent[i]!.at))
      assert.ok(gaps.every((gap, i) => gap >= 250 * 2 ** i), `gaps ${gaps.join(', ')} ms`)
      assert.deepEqual(await storedLevel(ctx.world), before)
    })

    it(row('another level of the policy changes between read and write', 'ip sync', 'exit 0, written against the fresh etag, the other change kept'), async () => {
      await ctx.world.aws.replaceNatGateway()
      const other = `${POLICY}/accessLevels/vpcsc_office`
      await ctx.world.admin.foreignEdit({trigger: 'before-next-write', name: other, set: {title: 'office (edited elsewhere)'}})
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
      assert.equal(result.code, 0, show(result))
      assert.match(result.stdout, /wrote again/)
      assert.equal((await storedLevel(ctx.world, other)).title, 'office (edited elsewhere)')
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.77/32'])
    })

    it(row('another write of the policy is pending when ours arrives', 'ip sync', 'exit 0: waits for it, then writes against the fresh etag'), async () => {
      await ctx.world.admin.config({operationDelayMs: 2000})
      const {ours} = await syncBehindAnotherWrite(ctx.world)
      // Ours met the pending write (refused, 409), then went through with the fresh etag.
      assert.equal(ours[0]?.status, 409, JSON.stringify(ours.map((r) => r.status)))
      assert.equal(ours.at(-1)?.status, 200)
      assert.notEqual((ours.at(-1)!.body as {etag?: string}).etag, (ours[0]!.body as {etag?: string}).etag, 'the last send carried a fresher etag')
    })

    it(row('another write is pending and ours is queued behind it: its operation ends ABORTED (a stale etag at commit)', 'ip sync', 'exit 0: written again against the fresh etag, once'), async () => {
      await ctx.world.admin.config({operationDelayMs: 1500, pendingWrites: 'queue'})
      const {result, ours} = await syncBehindAnotherWrite(ctx.world)
      // Ours was accepted (queued), its operation failed at commit, and it went again once.
      assert.deepEqual(ours.map((r) => r.status), [200, 200])
      assert.notEqual((ours[1]!.body as {etag?: string}).etag, (ours[0]!.body as {etag?: string}).etag)
      assert.match(result.stdout, /wrote again/)
    })

    it(row('the level itself changes between read and write', 'ip sync', 'exit 1 CONFLICT, both values shown, nothing overwritten'), async () => {
      await ctx.world.aws.replaceNatGateway()
      const level = await storedLevel(ctx.world)
      const foreign = structuredClone(level)
      foreign.basic!.conditions[0]!.ipSubnetworks = ['203.0.113.10/32', '198.51.100.7/32']
      await ctx.world.admin.foreignEdit({trigger: 'before-next-write', name: LEVEL, set: {basic: foreign.basic}})
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json'])
      assert.equal(result.code, 1, show(result))
      const error = JSON.parse(result.stdout).error
      assert.equal(error.code, 'CONFLICT')
      assert.match(error.message, /198\.51\.100\.7\/32/)
      // Both values: the level as vpcsc read it, and as it is now.
      assert.deepEqual(error.details.before.basic.conditions[0].ipSubnetworks, ['203.0.113.10/32'])
      assert.deepEqual(error.details.now.basic.conditions[0].ipSubnetworks, ['203.0.113.10/32', '198.51.100.7/32'])
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32', '198.51.100.7/32'])
    })

    it(row('the policy has no etag', 'ip sync', 'exit 5 NO_ETAG; --force writes through a compared PATCH'), async () => {
      await ctx.world.aws.replaceNatGateway()
      const policy = (await ctx.world.admin.state()).policies.find((p) => p.name === POLICY)!
      await ctx.world.admin.putResource(POLICY, {...policy, etag: ''})
      const refused = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
      assert.equal(refused.code, 5, show(refused))
      assert.match(refused.stderr, /without an etag/)
      assert.match(refused.stderr, /--force/)
      assert.equal((await writes(ctx.world)).length, 0)
      const forced = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--force'])
      assert.equal(forced.code, 0, show(forced))
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.77/32'])
      // Without an etag, the one write is a PATCH of the level alone (never replaceAll of them all).
      assert.deepEqual((await writes(ctx.world)).map((w) => `${w.method} ${w.path}`), [`PATCH /v1/${LEVEL}`])
    })

    for (const pendingWrites of ['refuse', 'queue'] as const) {
      it(row(`SIGKILLed while its write is pending, then run again (a write while one is pending: ${pendingWrites})`, 'ip sync', "exit 0: the same levels sent again, never others, said as the other run's write (not a lost answer); status --check exit 0"), async () => {
        await ctx.world.aws.replaceNatGateway()
        await ctx.world.admin.config({operationDelayMs: 3000, pendingWrites})
        const killed = spawnCli(ctx.world, ['ip', 'sync', '--yes'])
        await waitForPendingWrite(ctx.world, 'the first sync')
        killed.child.kill('SIGKILL')
        await killed.result
        const again = await vpcsc(ctx.world, ['ip', 'sync', '--yes'], {timeoutMs: 60_000})
        assert.equal(again.code, 0, show(again))
        assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.77/32'])
        // Its own send was refused, or queued and then ABORTED at commit (its etag stale by
        // then): either way the list is the killed run's write, not ours.
        assert.match(again.stdout, /Another write \(an earlier run still pending\?\) put exactly this list in place/)
        assert.doesNotMatch(again.stdout, /answer was lost/)
        // The second run read while the killed run's write was pending (3 s): it planned the
        // same change and sent it too. Their etags may differ; the levels they carry may not.
        const sent = replaceAlls(await writes(ctx.world))
        assert.ok(sent.length >= 2, 'the second run wrote too')
        assert.equal(new Set(sent.map((w) => JSON.stringify(w.body.accessLevels))).size, 1, `replaceAlls with different levels: ${JSON.stringify(sent.map((w) => w.body.accessLevels))}`)
        assert.equal((await vpcsc(ctx.world, ['status', '--check'])).code, 0)
      })
    }
  })

  describe('promote and demote', () => {
    it(row('the PATCH lands, its answer is dropped', 'demote', 'exit 0, confirmed by reading'), async () => {
      await ctx.world.admin.fault({match: {method: 'PATCH', path: 'servicePerimeters'}, drop: true, phase: 'after'})
      const result = await vpcsc(ctx.world, ['demote', '--yes'])
      assert.equal(result.code, 0, show(result))
      assert.match(result.stdout, /answer was lost/)
      const perimeter = (await ctx.world.admin.state()).perimeters.find((p) => p.name === PERIMETER)!
      assert.equal(perimeter.status, undefined)
      assert.equal(perimeter.useExplicitDryRunSpec, true)
    })

    it(row('a 503 before the PATCH is handled', 'promote', 'exit 0, sent again with the same etag'), async () => {
      const enforced = (await ctx.world.admin.state()).perimeters.find((p) => p.name === PERIMETER)!.status
      assert.equal((await vpcsc(ctx.world, ['demote', '--yes'])).code, 0)
      await ctx.world.admin.clearRequests()
      await ctx.world.admin.fault({match: {method: 'PATCH', path: 'servicePerimeters'}, status: 503})
      const result = await vpcsc(ctx.world, ['promote', '--yes', '--force'])
      assert.equal(result.code, 0, show(result))
      const patches = (await writes(ctx.world)).filter((w) => w.method === 'PATCH')
      assert.equal(patches.length, 2)
      assert.ok((patches[0]!.body as {etag?: string}).etag, 'the PATCH carries the etag')
      assert.deepEqual(patches[1]!.body, patches[0]!.body, 'the same PATCH, with the same etag')
      const perimeter = (await ctx.world.admin.state()).perimeters.find((p) => p.name === PERIMETER)!
      assert.deepEqual([perimeter.status, perimeter.spec, perimeter.useExplicitDryRunSpec], [enforced, undefined, undefined])
    })

    it(row('commit lands, its answer is dropped', 'promote --all', 'exit 0 "promoted", not "not committed"'), async () => {
      assert.equal((await vpcsc(ctx.world, ['demote', '--yes'])).code, 0)
      await ctx.world.admin.fault({match: {method: 'POST', path: ':commit'}, drop: true, phase: 'after'})
      const result = await vpcsc(ctx.world, ['promote', '--all', '--yes', '--force'])
      assert.equal(result.code, 0, show(result))
      assert.match(result.stdout, /Promoted 1 perimeter/)
      assert.doesNotMatch(result.stdout + result.stderr, /Not committed/)
      const perimeter = (await ctx.world.admin.state()).perimeters.find((p) => p.name === PERIMETER)!
      assert.deepEqual([perimeter.spec, perimeter.useExplicitDryRunSpec], [undefined, undefined])
      assert.ok((perimeter.status as {restrictedServices?: string[]} | undefined)?.restrictedServices?.includes('aiplatform.googleapis.com'), 'the dry-run spec is now enforced')
    })

    for (const pendingWrites of ['refuse', 'queue'] as const) {
      it(row(`SIGKILLed while its PATCH is pending, then run again (a write while one is pending: ${pendingWrites})`, 'promote', "exit 0: enforced once, said as the other run's write (not a lost answer); run once more: exit 5, already enforced, no write"), async () => {
        const enforced = (await storedPerimeter(ctx.world)).status
        assert.equal((await vpcsc(ctx.world, ['demote', '--yes'])).code, 0)
        const after = await perimeterMoveKilledThenRerun(ctx.world, 'promote', pendingWrites, /vpcsc_vertex_ai_perimeter now enforces its former dry-run spec/)
        assert.deepEqual([after.status, after.spec, after.useExplicitDryRunSpec], [enforced, undefined, undefined])
        // Run once more (the user not sure it worked): nothing to do, said so, nothing written.
        await ctx.world.admin.clearRequests()
        const third = await vpcsc(ctx.world, ['promote', '--yes'])
        assert.equal(third.code, 5, show(third))
        assert.match(third.stderr, /nothing to promote \(it is already enforced\)/)
        assert.deepEqual(await writes(ctx.world), [])
        assert.equal((await vpcsc(ctx.world, ['status', '--check'])).code, 0)
      })
    }

    for (const pendingWrites of ['refuse', 'queue'] as const) {
      it(row(`SIGKILLed while its PATCH is pending, then run again (a write while one is pending: ${pendingWrites})`, 'demote', "exit 0: dry-run only once, said as the other run's write (not a lost answer); run once more: exit 5, already dry-run only, no write"), async () => {
        const enforced = (await storedPerimeter(ctx.world)).status
        const after = await perimeterMoveKilledThenRerun(ctx.world, 'demote', pendingWrites, /vpcsc_vertex_ai_perimeter is dry-run only now/)
        assert.deepEqual([after.status, after.spec, after.useExplicitDryRunSpec], [undefined, enforced, true])
        await ctx.world.admin.clearRequests()
        const third = await vpcsc(ctx.world, ['demote', '--yes'])
        assert.equal(third.code, 5, show(third))
        assert.match(third.stderr, /already dry-run only: there is nothing to demote/)
        assert.deepEqual(await writes(ctx.world), [])
        assert.equal((await vpcsc(ctx.world, ['status', '--check'])).code, 0)
      })
    }
  })

  describe('every wait is bounded', () => {
    let blackhole: Server
    let url: string
    const sockets: Socket[] = []
    before(async () => {
      blackhole = createServer((socket) => void sockets.push(socket)) // accepts, never answers
      blackhole.listen(0, '127.0.0.1')
      await once(blackhole, 'listening')
      url = `http://127.0.0.1:${(blackhole.address() as {port: number}).port}`
    })
    after(() => {
      for (const s of sockets) s.destroy()
      blackhole.close()
    })

    it(row('Access Context Manager accepts connections and never answers', 'status', 'exit 1 "no answer from HOST within 1s", bounded'), async () => {
      const result = await vpcsc(ctx.world, ['status', '--request-timeout', '1s'], {env: {VPCSC_ACM_ENDPOINT: url}, timeoutMs: 30_000})
      assert.equal(result.code, 1, show(result))
      assert.match(result.stderr, new RegExp(`no answer from 127\\.0\\.0\\.1:\\d+ within 1s`))
    })

    it(row('Access Context Manager never answers a write', 'ip sync', 'exit 1 WRITE_UNKNOWN or TIMEOUT, bounded'), async () => {
      await ctx.world.aws.replaceNatGateway()
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, delayMs: 60_000, count: 10})
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--request-timeout', '1s', '--json'], {timeoutMs: 45_000})
      assert.equal(result.code, 1, show(result))
      assert.match(JSON.parse(result.stdout).error.code, /^(WRITE_UNKNOWN|TIMEOUT)$/)
    })

    it(row('Access Context Manager never answers the PATCH', 'demote', 'exit 1 WRITE_UNKNOWN or TIMEOUT, bounded, every send the same PATCH; untouched until one of them lands'), async () => {
      const enforced = (await storedPerimeter(ctx.world)).status
      const after = await perimeterPatchNeverAnswered(ctx.world, ['demote'])
      assert.deepEqual([after.status, after.spec, after.useExplicitDryRunSpec], [undefined, enforced, true], 'the demote landed, as it said it might')
    })

    it(row('Access Context Manager never answers the PATCH', 'promote', 'exit 1 WRITE_UNKNOWN or TIMEOUT, bounded, every send the same PATCH; untouched until one of them lands'), async () => {
      const enforced = (await storedPerimeter(ctx.world)).status
      assert.equal((await vpcsc(ctx.world, ['demote', '--yes'])).code, 0)
      // --force: the local cloud has no audit logs to gate on.
      const after = await perimeterPatchNeverAnswered(ctx.world, ['promote', '--force'])
      assert.deepEqual([after.status, after.spec, after.useExplicitDryRunSpec], [enforced, undefined, undefined], 'the promote landed, as it said it might')
    })

    it(row('the EC2 endpoint accepts connections and never answers', 'status', 'exit 1, bounded'), async () => {
      const result = await vpcsc(ctx.world, ['status', '--request-timeout', '1s'], {env: {AWS_ENDPOINT_URL_EC2: url, AWS_MAX_ATTEMPTS: '1'}, timeoutMs: 30_000})
      assert.equal(result.code, 1, show(result))
    })

    it(row('an operation never finishes, then SIGTERM', 'ip sync', 'ends promptly, exit 1 WRITE_UNKNOWN: interrupted, the write was sent and may land'), async () => {
      await ctx.world.aws.replaceNatGateway()
      await ctx.world.admin.config({operationDelayMs: 600_000})
      const cli = spawnCli(ctx.world, ['ip', 'sync', '--yes'])
      await new Promise((r) => setTimeout(r, 2500))
      const polls = (await ctx.world.admin.requests()).filter((r) => /\/operations\//.test(r.path)).length
      assert.ok(polls <= 8, `${polls} operation polls in 2.5 s: the polls do not back off (50, 150, 250, 750, 1750 ms: 5 in 2.5 s)`)
      const killedAt = Date.now()
      cli.child.kill('SIGTERM')
      const result = await cli.result
      assert.ok(Date.now() - killedAt < 5_000, 'SIGTERM ends the wait promptly')
      assert.equal(result.code, 1, show(result))
      assert.match(result.stderr, /^Error: Interrupted: the write of .*vpcsc_allow_ec2_ip was sent and may still land \(interrupted while operation operations\/\S+ was still running\)/)
      assert.match(result.stderr, /vpcsc status/)
    })

    it(row('Ctrl-C while its operation runs', 'promote', 'ends promptly, exit 1 WRITE_UNKNOWN, the write lands later; a second Ctrl-C is not needed'), async () => {
      assert.equal((await vpcsc(ctx.world, ['demote', '--yes'])).code, 0)
      await ctx.world.admin.config({operationDelayMs: 3000})
      const cli = spawnCli(ctx.world, ['promote', '--yes', '--force', '--json'])
      await waitForPendingWrite(ctx.world, 'the promote')
      cli.child.kill('SIGINT')
      const result = await cli.result
      assert.equal(result.code, 1, show(result))
      const error = JSON.parse(result.stdout).error
      assert.equal(error.code, 'WRITE_UNKNOWN')
      assert.match(error.message, /^Interrupted: the write of .*vpcsc_vertex_ai_perimeter was sent and may still land/)
      await ctx.world.admin.settleOperations()
      const perimeter = (await ctx.world.admin.state()).perimeters.find((p) => p.name === PERIMETER)!
      assert.equal(perimeter.useExplicitDryRunSpec, undefined, 'the promote landed, as the message said it might')
    })

    it(row('Ctrl-C while its operation runs', 'demote', 'ends promptly, exit 1 WRITE_UNKNOWN, the write lands later'), async () => {
      const enforced = (await storedPerimeter(ctx.world)).status
      await ctx.world.admin.config({operationDelayMs: 3000})
      const cli = spawnCli(ctx.world, ['demote', '--yes', '--json'])
      await waitForPendingWrite(ctx.world, 'the demote')
      cli.child.kill('SIGINT')
      const result = await cli.result
      // Promptly: it did not wait the operation out (3 s), and one Ctrl-C was enough.
      assert.equal((await ctx.world.admin.pendingOperations()).length, 1, 'it ended while its operation was still running')
      assert.equal(result.code, 1, show(result))
      const error = JSON.parse(result.stdout).error
      assert.equal(error.code, 'WRITE_UNKNOWN')
      assert.match(error.message, /^Interrupted: the write of .*vpcsc_vertex_ai_perimeter was sent and may still land/)
      await ctx.world.admin.settleOperations()
      const perimeter = await storedPerimeter(ctx.world)
      assert.deepEqual([perimeter.status, perimeter.spec, perimeter.useExplicitDryRunSpec], [undefined, enforced, true], 'the demote landed, as the message said it might')
      assert.equal((await writes(ctx.world)).filter((w) => w.method === 'PATCH').length, 1, 'sent once')
    })
  })

  describe('the deny test, from any host', () => {
    it(row('deny-test is SIGKILLed after the swap; restore from another state dir', 'restore', 'exit 0, the policy byte for byte as before'), async () => {
      const before = await policyContent(ctx.world)
      await killDenyTestAfterSwap(ctx.world)
      const elsewhere = otherStateDir(ctx.world, 'b')
      const status = await vpcsc(ctx.world, ['status', '--check'], {env: elsewhere})
      assert.equal(status.code, 6, show(status))
      assert.match(status.stdout, /interrupted/)
      const sync = await vpcsc(ctx.world, ['ip', 'sync', '--yes'], {env: elsewhere})
      assert.equal(sync.code, 6, show(sync))
      const again = await vpcsc(ctx.world, ['deny-test', ...FAST], {env: elsewhere})
      assert.equal(again.code, 6, show(again))
      const restore = await vpcsc(ctx.world, ['restore', '--yes'], {env: elsewhere})
      assert.equal(restore.code, 0, show(restore))
      assert.equal(await policyContent(ctx.world), before)
    })

    it(row("deny-test is SIGKILLed after the swap, then the marker is deleted by hand", 'restore', 'exit 6: no marker says whose swap it is; restore --force puts the journal\'s original back'), async () => {
      const before = await policyContent(ctx.world)
      await killDenyTestAfterSwap(ctx.world)
      const marker = (await ctx.world.admin.state()).levels.find((l) => l.name.includes('/accessLevels/vpcsc_deny_test_'))!
      await ctx.world.admin.deleteResource(marker.name)
      // Only the journal knows of the test now: status and ip sync find it through --state-dir.
      const elsewhere = {VPCSC_STATE_DIR: join(ctx.world.dir, 'state-empty')}
      const here = ['--state-dir', journalDir(ctx.world)]
      const hold = await vpcsc(ctx.world, ['status', '--check', ...here], {env: elsewhere})
      assert.equal(hold.code, 6, show(hold))
      assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...here], {env: elsewhere})).code, 6)
      await ctx.world.admin.clearRequests()
      const unsure = await vpcsc(ctx.world, ['restore', '--yes', '--json'])
      assert.equal(unsure.code, 6, show(unsure))
      const error = JSON.parse(unsure.stdout).error
      assert.equal(error.code, 'RESTORE_NEEDED')
      assert.match(error.message, /holds the deny CIDR 192\.0\.2\.1\/32, and no marker says which deny test put it there.*\[203\.0\.113\.10\/32\]/)
      assert.match(error.hint, /vpcsc restore --force/)
      assert.deepEqual(await writes(ctx.world), [])
      const restore = await vpcsc(ctx.world, ['restore', '--yes', '--force'])
      assert.equal(restore.code, 0, show(restore))
      assert.match(restore.stdout, /restored from the local journal \(its marker was gone\)/)
      assert.equal(await policyContent(ctx.world), before)
      assert.deepEqual(journals(ctx.world), [])
    })

    it(row('restore --force from the journal (deny-test SIGKILLed after the swap, the marker deleted by hand): its replaceAll lands, its answer is dropped', 'restore', 'exit 0 "restored", the policy byte for byte as before, every send the same write, journal gone'), async () => {
      const before = await policyContent(ctx.world)
      await killDenyTestAfterSwap(ctx.world)
      const marker = (await ctx.world.admin.state()).levels.find((l) => l.name.includes('/accessLevels/vpcsc_deny_test_'))!
      await ctx.world.admin.deleteResource(marker.name)
      await ctx.world.admin.clearRequests()
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, drop: true, phase: 'after'})
      const restore = await vpcsc(ctx.world, ['restore', '--yes', '--force'], {timeoutMs: 60_000})
      assert.equal(restore.code, 0, show(restore))
      assert.match(restore.stdout, /restored from the local journal .*answer was lost/)
      assert.equal(await policyContent(ctx.world), before)
      // Every send since the fault: the same levels with the same etag, so one landed at most.
      assertWrittenOnce(await writes(ctx.world))
      assert.deepEqual(journals(ctx.world), [])
    })

    it(row("a journal left behind after another host restored; the level was synced since, then another host's test swapped it and lost its marker", 'restore', "this host's journal never writes its old list: exit 6 while the level is swapped, dropped (exit 0, no write) once it is not"), async () => {
      await killDenyTestAfterSwap(ctx.world)
      const hostB = otherStateDir(ctx.world, 'b2')
      assert.equal((await vpcsc(ctx.world, ['restore', '--yes'], {env: hostB})).code, 0, 'host B restores; host A keeps its journal')
      await ctx.world.aws.replaceNatGateway()
      assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes'], {env: hostB})).code, 0)
      // Host B's own test, killed, and its marker deleted: the level holds the same swap as A's.
      await killDenyTestAfterSwap(ctx.world, hostB)
      const marker = (await ctx.world.admin.state()).levels.find((l) => l.name.includes('/accessLevels/vpcsc_deny_test_'))!
      await ctx.world.admin.deleteResource(marker.name)
      await ctx.world.admin.clearRequests()
      const onA = await vpcsc(ctx.world, ['restore', '--yes'])
      assert.equal(onA.code, 6, show(onA))
      assert.match(onA.stderr, /no marker says which deny test put it there/)
      assert.deepEqual(await writes(ctx.world), [], "A's old list [203.0.113.10/32] is never written")
      // Host B knows it was its own: --force there puts its original back, the current NAT IP.
      const onB = await vpcsc(ctx.world, ['restore', '--yes', '--force'], {env: hostB})
      assert.equal(onB.code, 0, show(onB))
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.77/32'])
      // A's journal is stale now: a restore on A drops it without a write.
      await ctx.world.admin.clearRequests()
      const settle = await vpcsc(ctx.world, ['restore', '--yes'])
      assert.equal(settle.code, 0, show(settle))
      assert.match(settle.stdout, /the journal is removed/)
      assert.deepEqual(await writes(ctx.world), [])
      assert.deepEqual(journals(ctx.world), [])
      assert.equal((await vpcsc(ctx.world, ['status', '--check'])).code, 0)
    })

    it(row('the marker is deleted and the level changed by hand after the swap', 'restore', 'exit 0, nothing overwritten: the stale journal dropped, its list shown'), async () => {
      await killDenyTestAfterSwap(ctx.world)
      const marker = (await ctx.world.admin.state()).levels.find((l) => l.name.includes('/accessLevels/vpcsc_deny_test_'))!
      await ctx.world.admin.deleteResource(marker.name)
      const edited = await storedLevel(ctx.world)
      edited.basic!.conditions[0]!.ipSubnetworks = ['198.51.100.9/32']
      await ctx.world.admin.putResource(LEVEL, edited)
      await ctx.world.admin.clearRequests()
      const restore = await vpcsc(ctx.world, ['restore', '--yes'])
      assert.equal(restore.code, 0, show(restore))
      assert.match(restore.stdout, /holds no deny CIDR \(its list is now \[198\.51\.100\.9\/32\], changed since the test\); the journal is removed\. Its list before the test was \[203\.0\.113\.10\/32\]/)
      assert.deepEqual(await writes(ctx.world), [])
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['198.51.100.9/32'])
      assert.deepEqual(journals(ctx.world), [])
    })

    it(row('the marker is deleted and the level changed by hand, the deny CIDR left in it', 'restore', 'exit 6 RESTORE_CONFLICT, nothing overwritten, journal kept'), async () => {
      await killDenyTestAfterSwap(ctx.world)
      const marker = (await ctx.world.admin.state()).levels.find((l) => l.name.includes('/accessLevels/vpcsc_deny_test_'))!
      await ctx.world.admin.deleteResource(marker.name)
      const edited = await storedLevel(ctx.world)
      edited.basic!.conditions[0]!.ipSubnetworks = ['192.0.2.1/32', '198.51.100.9/32']
      await ctx.world.admin.putResource(LEVEL, edited)
      const restore = await vpcsc(ctx.world, ['restore', '--yes', '--force', '--json'])
      assert.equal(restore.code, 6, show(restore))
      const error = JSON.parse(restore.stdout).error
      assert.equal(error.code, 'RESTORE_CONFLICT')
      assert.match(error.message, /marker for .* is gone .*\[192\.0\.2\.1\/32, 198\.51\.100\.9\/32\]/)
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['192.0.2.1/32', '198.51.100.9/32'])
      assert.equal(journals(ctx.world).length, 1)
    })

    for (const step of ['the swap is in flight', 'the restore is in flight'] as const) {
      it(row(`deny-test is SIGKILLed while ${step}; restore from another state dir`, 'restore', 'exit 0, the policy byte for byte as before'), async () => {
        const before = await policyContent(ctx.world)
        const held = {match: {method: 'POST', path: ':replaceAll'}, delayMs: 3000}
        if (step === 'the swap is in flight') await ctx.world.admin.fault(held)
        const cli = spawnCli(ctx.world, ['deny-test', ...FAST, '--no-recovery-wait'])
        if (step === 'the restore is in flight') {
          await waitForMarker(ctx.world, true)
          await ctx.world.admin.fault(held)
          await cli.waitFor(/Restoring/)
        } else {
          await cli.waitFor(/Swapping/)
        }
        await new Promise((r) => setTimeout(r, 300))
        cli.child.kill('SIGKILL')
        await cli.result
        await new Promise((r) => setTimeout(r, 3500)) // the held write lands now, its answer lost
        const restore = await vpcsc(ctx.world, ['restore', '--yes'], {env: otherStateDir(ctx.world, step.length.toString())})
        assert.equal(restore.code, 0, show(restore))
        // The swap landed: the marker leads the restore to it. The restore landed: nothing is left to do.
        assert.match(restore.stdout, step === 'the swap is in flight' ? /restored and its marker removed/ : /Nothing to restore/)
        assert.equal(await policyContent(ctx.world), before)
        // The killed test's own journal is settled by a restore on its host, and nothing is written.
        assert.equal(journals(ctx.world).length, 1)
        await ctx.world.admin.clearRequests()
        const settle = await vpcsc(ctx.world, ['restore', '--yes'])
        assert.equal(settle.code, 0, show(settle))
        assert.match(settle.stdout, /holds its original IP list .*the journal is removed/)
        assert.deepEqual(await writes(ctx.world), [])
        assert.deepEqual(journals(ctx.world), [])
      })
    }

    it(row('a deny test runs on another host', 'ip sync, deny-test', 'exit 5, nothing written'), async () => {
      await ctx.world.admin.config({propagationDelayMs: 600_000}) // never denied: the test keeps running
      const cli = spawnCli(ctx.world, ['deny-test', ...FAST, '--timeout', '2m'])
      try {
        await waitForMarker(ctx.world, true)
        const elsewhere = otherStateDir(ctx.world, 'c')
        await ctx.world.admin.clearRequests()
        const sync = await vpcsc(ctx.world, ['ip', 'sync', '--yes'], {env: elsewhere})
        assert.equal(sync.code, 5, show(sync))
        assert.match(sync.stderr, /A deny test is running/)
        const second = await vpcsc(ctx.world, ['deny-test', ...FAST], {env: elsewhere})
        assert.equal(second.code, 5, show(second))
        const restore = await vpcsc(ctx.world, ['restore', '--yes'], {env: elsewhere})
        assert.equal(restore.code, 5, show(restore))
        assert.equal((await writes(ctx.world)).length, 0)
      } finally {
        cli.child.kill('SIGINT')
        await cli.result
      }
      await waitForMarker(ctx.world, false)
    })

    it(row('the marker names another host: its time not up, then up', 'ip sync, restore', 'exit 5 while it may run (restore --force takes over); exit 6 once its time is up'), async () => {
      const before = await policyContent(ctx.world)
      await killDenyTestAfterSwap(ctx.world)
      // As a test started on another machine: that host, and an expiry the marker carries.
      const elsewhere = otherStateDir(ctx.world, 'd')
      const moveMarker = async (expiresInMs: number) => {
        const marker = (await ctx.world.admin.state()).levels.find((l) => l.name.includes('/accessLevels/vpcsc_deny_test_'))!
        const description = String(marker.description)
        const [prefix, json] = [description.slice(0, description.indexOf('{')), description.slice(description.indexOf('{'))]
        const info = {...JSON.parse(json), host: 'build-host-7', pid: 4242, expiresAt: new Date(Date.now() + expiresInMs).toISOString()}
        await ctx.world.admin.putResource(marker.name, {...marker, description: `${prefix}${JSON.stringify(info)}`})
      }
      await moveMarker(10 * 60_000)
      const running = await vpcsc(ctx.world, ['status', '--check'], {env: elsewhere})
      // The screen fits 80 columns in a pipe too: the line wraps.
      assert.match(running.stdout, /A\s+deny\s+test\s+is\s+running\s+on\s+this\s+level\s+\(pid\s+4242\s+on\s+build-host-7[^]*?,\s+on\s+another\s+host\)/)
      assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes'], {env: elsewhere})).code, 5)
      assert.equal((await vpcsc(ctx.world, ['restore', '--yes'], {env: elsewhere})).code, 5)
      await moveMarker(-60_000)
      assert.equal((await vpcsc(ctx.world, ['status', '--check'], {env: elsewhere})).code, 6)
      assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes'], {env: elsewhere})).code, 6)
      await moveMarker(10 * 60_000)
      const forced = await vpcsc(ctx.world, ['restore', '--yes', '--force'], {env: elsewhere})
      assert.equal(forced.code, 0, show(forced))
      assert.equal(await policyContent(ctx.world), before)
    })

    for (const pendingWrites of ['refuse', 'queue'] as const) {
      it(row(`two deny tests start at the same instant from two state dirs (a write while one is pending: ${pendingWrites})`, 'deny-test', 'one swaps; the other exits 5 and restores nothing'), async () => {
        await ctx.world.admin.config({pendingWrites})
        const before = await policyContent(ctx.world)
        // Hold both swaps a moment so that both read the same etag before either lands.
        await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, delayMs: 1500, count: 2})
        const [a, b] = await Promise.all([
          vpcsc(ctx.world, ['deny-test', ...FAST, '--no-recovery-wait'], {env: otherStateDir(ctx.world, 'd'), timeoutMs: 120_000}),
          vpcsc(ctx.world, ['deny-test', ...FAST, '--no-recovery-wait'], {env: otherStateDir(ctx.world, 'e'), timeoutMs: 120_000}),
        ])
        const codes = [a.code, b.code].sort()
        assert.deepEqual(codes, [0, 5], `${show(a)}\n${show(b)}`)
        const loser = a.code === 5 ? a : b
        assert.match(loser.stderr, /Another deny test|A deny test is running/)
        assert.equal(await policyContent(ctx.world), before)
        // The winner's swap and restore, and the loser's refused swap: the loser restored nothing.
        assert.equal(replaceAlls(await writes(ctx.world)).length, 3)
      })
    }

    it(row('restore runs while the swap is still in flight (same state dir)', 'restore', 'the swap is fenced off; exit 0; the policy as before'), async () => {
      const before = await policyContent(ctx.world)
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, delayMs: 4000})
      const cli = spawnCli(ctx.world, ['deny-test', ...FAST])
      await cli.waitFor(/Swapping/)
      await new Promise((r) => setTimeout(r, 300))
      cli.child.kill('SIGKILL')
      await cli.result
      const restore = await vpcsc(ctx.world, ['restore', '--yes'], {timeoutMs: 60_000})
      assert.equal(restore.code, 0, show(restore))
      await new Promise((r) => setTimeout(r, 4500)) // the held swap arrives now, with a stale etag
      assert.equal(await policyContent(ctx.world), before)
      assert.equal((await vpcsc(ctx.world, ['status', '--check'])).code, 0)
      // The fence did it: the levels written back unchanged with the swap's etag, accepted,
      // and the swap (carrying the marker) refused when it arrived; the journal dropped.
      const sent = replaceAlls(await writes(ctx.world)) as (LoggedWrite & {status: number | null})[]
      const carriesMarker = (w: LoggedWrite) => JSON.stringify(w.body).includes('vpcsc_deny_test_')
      const swap = sent.filter(carriesMarker)
      const fence = sent.filter((w) => !carriesMarker(w))
      assert.equal(swap.length, 1, JSON.stringify(sent.map((w) => [w.status, carriesMarker(w)])))
      assert.notEqual(swap[0]!.status, 200, 'the swap was refused')
      assert.equal(fence[0]?.status, 200, 'the fence was accepted')
      assert.equal((fence[0]!.body as {etag?: string}).etag, (swap[0]!.body as {etag?: string}).etag, 'the fence carried the etag the swap carried')
      assert.deepEqual(journals(ctx.world), [])
    })

    it(row("the swap lands, its answer is dropped", 'deny-test', 'the test goes on and passes'), async () => {
      const before = await policyContent(ctx.world)
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, drop: true, phase: 'after'})
      const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--json'], {timeoutMs: 120_000})
      assert.equal(result.code, 0, show(result))
      assert.equal(JSON.parse(result.stdout).outcome, 'pass')
      assert.equal(await policyContent(ctx.world), before)
    })

    it(row('the swap lands (pending 2 s), its answer is dropped, then the resends get 429', 'deny-test', 'the swap is confirmed by reading; the test goes on and passes'), async () => {
      const before = await policyContent(ctx.world)
      await ctx.world.admin.config({operationDelayMs: 2000})
      const replaceAll = {method: 'POST', path: ':replaceAll'}
      await ctx.world.admin.fault({match: replaceAll, drop: true, phase: 'after'})
      // Every resend the write may make (five sends in all) is refused.
      await ctx.world.admin.fault({match: replaceAll, status: 429, count: 4})
      const result = await vpcsc(ctx.world, ['deny-test', ...FAST, '--json'], {timeoutMs: 120_000})
      assert.equal(result.code, 0, show(result))
      assert.equal(JSON.parse(result.stdout).outcome, 'pass')
      assert.equal(await policyContent(ctx.world), before)
      assert.deepEqual(journals(ctx.world), [])
    })

    it(row("the restore lands, its answer is dropped", 'restore', 'exit 0 "restored"'), async () => {
      const before = await policyContent(ctx.world)
      await killDenyTestAfterSwap(ctx.world)
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, drop: true, phase: 'after'})
      const restore = await vpcsc(ctx.world, ['restore', '--yes'])
      assert.equal(restore.code, 0, show(restore))
      assert.match(restore.stdout, /restored/)
      assert.equal(await policyContent(ctx.world), before)
      assert.deepEqual(journals(ctx.world), [])
    })

    it(row('Ctrl-C while its write is pending', 'restore', 'exit 6 RESTORE_FAILED, a restore still owed; restore again: exit 0'), async () => {
      const before = await policyContent(ctx.world)
      await killDenyTestAfterSwap(ctx.world)
      await ctx.world.admin.config({operationDelayMs: 600_000})
      const cli = spawnCli(ctx.world, ['restore', '--yes'])
      await waitForPendingWrite(ctx.world, 'the restore')
      cli.child.kill('SIGINT')
      const result = await cli.result
      assert.equal(result.code, 6, show(result))
      assert.match(result.stderr, /^Error: Interrupted by Ctrl-C before the restore of vpcsc_allow_ec2_ip was confirmed: it may still be swapped, or the restore may still land\./)
      await ctx.world.admin.config({operationDelayMs: 150})
      await ctx.world.admin.settleOperations()
      const again = await vpcsc(ctx.world, ['restore', '--yes'])
      assert.equal(again.code, 0, show(again))
      assert.equal(await policyContent(ctx.world), before)
      assert.deepEqual(journals(ctx.world), [])
    })

    it(row("restore --discard: the marker's removal lands, its answer is dropped", 'restore', 'exit 0 "discarded", the answer said lost, the level untouched'), async () => {
      const before = await policyContent(ctx.world)
      const original = await storedLevel(ctx.world)
      await killDenyTestAfterSwap(ctx.world)
      // The operator fixes the level by hand, then discards the marker and the journal.
      await ctx.world.admin.putResource(LEVEL, original)
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, drop: true, phase: 'after'})
      const discard = await vpcsc(ctx.world, ['restore', '--discard', '--yes', '--json'])
      assert.equal(discard.code, 0, show(discard))
      const report = JSON.parse(discard.stdout) as {results: {outcome: string; answerLost?: boolean}[]; warnings: string[]}
      assert.deepEqual(report.results.map((r) => [r.outcome, r.answerLost]), [['discarded', true]])
      assert.match(report.warnings[0]!, /marker's removal answer was lost; a read of the access policy confirmed it/)
      await waitForMarker(ctx.world, false, 1000)
      assert.equal(await policyContent(ctx.world), before)
      assert.deepEqual(journals(ctx.world), [])
    })

    it(row('the level is changed by hand during the test', 'restore', 'exit 6 RESTORE_CONFLICT, nothing overwritten, marker kept'), async () => {
      await killDenyTestAfterSwap(ctx.world)
      const level = await storedLevel(ctx.world)
      level.basic!.conditions[0]!.ipSubnetworks = ['198.51.100.9/32']
      await ctx.world.admin.putResource(LEVEL, level)
      const restore = await vpcsc(ctx.world, ['restore', '--yes', '--json'])
      assert.equal(restore.code, 6, show(restore))
      const error = JSON.parse(restore.stdout).error
      assert.equal(error.code, 'RESTORE_CONFLICT')
      assert.match(error.message, /changed by someone else/)
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['198.51.100.9/32'])
      await waitForMarker(ctx.world, true, 1000)
      assert.equal(journals(ctx.world).length, 1)
    })
  })

  describe('the deny test under signals and a failing API', () => {
    it(row('the restore is refused with 403 (a permission removed during the test)', 'deny-test', 'exit 6 at once: sent once, not retried; marker kept'), async () => {
      const cli = spawnCli(ctx.world, ['deny-test', ...FAST, '--no-recovery-wait'])
      await waitForMarker(ctx.world, true)
      await ctx.world.admin.clearRequests()
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, status: 403, count: 20})
      const result = await cli.result
      assert.equal(result.code, 6, show(result))
      assert.match(result.stderr, /may still be swapped/)
      assert.match(result.stderr, /vpcsc restore/)
      const restores = (await writes(ctx.world)).filter((w) => w.path.endsWith(':replaceAll'))
      assert.equal(restores.length, 1, 'a refusal that cannot change is not sent again')
      await waitForMarker(ctx.world, true, 1000)
    })

    it(row('the restore meets 503s twice', 'deny-test', 'retried, restored, exit 0'), async () => {
      const before = await policyContent(ctx.world)
      const cli = spawnCli(ctx.world, ['deny-test', ...FAST, '--no-recovery-wait'])
      await waitForMarker(ctx.world, true)
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, status: 503, count: 2})
      const result = await cli.result
      assert.equal(result.code, 0, show(result))
      assert.equal(await policyContent(ctx.world), before)
    })

    it(row('another level changes while the test runs', 'deny-test', 'the restore writes against the fresh etag; exit 0; the other change kept'), async () => {
      const other = `${POLICY}/accessLevels/vpcsc_office`
      const cli = spawnCli(ctx.world, ['deny-test', ...FAST, '--no-recovery-wait'])
      await waitForMarker(ctx.world, true)
      await ctx.world.admin.foreignEdit({trigger: 'before-next-write', name: other, set: {title: 'office (edited during the test)'}})
      const result = await cli.result
      assert.equal(result.code, 0, show(result))
      assert.equal((await storedLevel(ctx.world, other)).title, 'office (edited during the test)')
      await waitForMarker(ctx.world, false, 1000)
    })

    it(row('the API stops answering right after the swap; Ctrl-C three times', 'deny-test', 'exit 6 within seconds, marker and journal kept; restore later: exit 0'), async () => {
      const before = await policyContent(ctx.world)
      const cli = spawnCli(ctx.world, ['deny-test', ...FAST, '--request-timeout', '2s'])
      await waitForMarker(ctx.world, true)
      await ctx.world.admin.fault({match: {path: 'accessPolicies|operations'}, status: 503, count: 100_000})
      for (let i = 0; i < 3; i++) {
        cli.child.kill('SIGINT')
        await new Promise((r) => setTimeout(r, 300))
      }
      const stoppedAt = Date.now()
      const result = await cli.result
      assert.ok(Date.now() - stoppedAt < 10_000, 'the third Ctrl-C ends the restore promptly')
      assert.equal(result.code, 6, show(result))
      assert.match(result.stderr, /vpcsc restore/)
      await googleAdminDelete(ctx.world, 'faults')
      await waitForMarker(ctx.world, true, 1000)
      assert.equal(journals(ctx.world).length, 1)
      const restore = await vpcsc(ctx.world, ['restore', '--yes'])
      assert.equal(restore.code, 0, show(restore))
      assert.equal(await policyContent(ctx.world), before)
    })

    it(row('every restore write stalls past its request timeout; Ctrl-C once', 'deny-test', "exit 6 at the interrupted restore's own deadline (60 s, not 4 min), retried until then; marker and journal kept; restore later: exit 0"), async (t) => {
      // docs/safety.md, rule 8: after an interrupt the owed restore gets 60 s (run.ts,
      // INTERRUPTED_RESTORE_MS), not the 4 minutes of a restore after a finished wait.
      //
      // Bounds, with each restore send held past the 8 s request timeout (nothing lands):
      // - at least 60 s: the deadline counts from when the CLI took the signal, after we sent
      //   it, and the restore stops early only after four attempts, which take far longer;
      // - the real upper bound is 60 s + 1 s (an attempt that starts just before the deadline
      //   still gets deadlineMs = max(1 s, ...)) + 8 s (a send that started before its
      //   attempt's deadline runs to its request timeout) + the quick, unfaulted reads: ~70 s;
      // - the 4-minute deadline would take at least 189 s here: an attempt is five sends of
      //   8 s plus 3.75 s of pauses (confirmed-write.ts), four attempts plus 14 s of backoff.
      //   The request timeout must stay long enough for that: with 2 s, four attempts fit
      //   in 69 s and the cap on attempts, not the deadline, would end either restore.
      // 120 s sits between the two with room for a loaded machine; past it the test stops
      // the CLI and fails instead of waiting the long deadline out.
      const REQUEST_TIMEOUT_S = 8
      const BOUND_MS = 120_000
      const before = await policyContent(ctx.world)
      await ctx.world.admin.config({propagationDelayMs: 600_000})
      const cli = spawnCli(ctx.world, ['deny-test', ...FAST, '--timeout', '5m', '--request-timeout', `${REQUEST_TIMEOUT_S}s`])
      await cli.waitFor(/deny-wait\s+#1/)
      // The test holds the level: swapped, marker and journal in place.
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['192.0.2.1/32'])
      await waitForMarker(ctx.world, true, 1000)
      assert.equal(journals(ctx.world).length, 1)
      // Every restore send is held well past the request timeout, then refused unhandled: a
      // timed-out write may have landed (rule 7), so the restore keeps trying, and none lands.
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, delayMs: 60_000, status: 503, count: 100})
      await ctx.world.admin.clearRequests()
      const signalledAt = Date.now()
      cli.child.kill('SIGINT')
      let timer: ReturnType<typeof setTimeout> | undefined
      const result = await Promise.race([cli.result, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), BOUND_MS)))])
      clearTimeout(timer)
      const elapsedMs = Date.now() - signalledAt
      t.diagnostic(`exit ${result?.code ?? 'none yet'} ${elapsedMs} ms after Ctrl-C`)
      if (!result) {
        cli.child.kill('SIGKILL')
        const killed = await cli.result
        assert.fail(`the interrupted deny test was still restoring ${BOUND_MS / 1000} s after Ctrl-C: its 60 s deadline did not apply\n${show(killed)}`)
      }
      assert.equal(result.code, 6, show(result))
      assert.ok(elapsedMs < BOUND_MS, `exit ${elapsedMs} ms after Ctrl-C`)
      assert.ok(elapsedMs >= 59_000, `exit ${elapsedMs} ms after Ctrl-C: the restore gave up before its 60 s deadline\n${show(result)}`)
      assert.match(result.stderr, /SIGINT: stopping the test and restoring/)
      assert.match(result.stderr, /may still be swapped/)
      assert.match(result.stderr, /run vpcsc restore/)
      const sends = replaceAlls(await writes(ctx.world))
      assert.ok(sends.length > 5, `${sends.length} restore sends: retried after the first attempt's five`)
      assertWrittenOnce(sends)
      // Nothing landed: still swapped, marker and journal kept for vpcsc restore.
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['192.0.2.1/32'])
      await waitForMarker(ctx.world, true, 1000)
      assert.equal(journals(ctx.world).length, 1)
      await googleAdminDelete(ctx.world, 'faults')
      const restore = await vpcsc(ctx.world, ['restore', '--yes'])
      assert.equal(restore.code, 0, show(restore))
      assert.match(restore.stdout, /restored/)
      assert.equal(await policyContent(ctx.world), before)
      assert.deepEqual(journals(ctx.world), [])
    })

    it(row('SIGHUP during the wait', 'deny-test', 'restored, exit 129'), async () => {
      const before = await policyContent(ctx.world)
      await ctx.world.admin.config({propagationDelayMs: 600_000})
      const cli = spawnCli(ctx.world, ['deny-test', ...FAST])
      await waitForMarker(ctx.world, true)
      cli.child.kill('SIGHUP')
      const result = await cli.result
      assert.equal(result.code, 129, show(result))
      assert.equal(await policyContent(ctx.world), before)
    })

    for (const stream of ['stderr', 'stdout'] as const) {
      it(row(`the reader of ${stream} goes away during the test`, 'deny-test', 'the test goes on, restores, exit 0'), async () => {
        const before = await policyContent(ctx.world)
        const cli = spawnCli(ctx.world, ['deny-test', ...FAST, '--no-recovery-wait'])
        await waitForMarker(ctx.world, true)
        cli.child[stream]!.destroy()
        const result = await cli.result
        assert.equal(result.code, 0, show(result))
        assert.equal(await policyContent(ctx.world), before)
        assert.deepEqual(journals(ctx.world), [])
      })
    }
  })

  it('docs/fault-matrix.md lists exactly the cases tested here', () => {
    const doc = readFileSync(new URL('../../docs/fault-matrix.md', import.meta.url), 'utf8')
    const rows = doc
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| fault') && !line.startsWith('| ---'))
      .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim().replace(/\\\|/g, '|')))
      .map(([fault, command, outcome]) => ({fault, command: command!.replace(/`/g, ''), outcome}))
    const table = MATRIX.map((r) => `| ${r.fault} | \`${r.command}\` | ${r.outcome} |`).join('\n')
    assert.deepEqual(rows, MATRIX, `docs/fault-matrix.md must list these rows, in this order:\n${table}`)
  })
})
