import {isDeepStrictEqual} from 'node:util'

import type {Clients} from '../core/clients.ts'
import {configFileName, type Settings} from '../core/config.ts'
import {ForeignChange, NotWritten, WriteUnknown} from '../gcp/confirmed-write.ts'
import {findMarker, holdsSwap, listMarkers} from './marker.ts'
import {denyTestHold, type DenyTestHold} from './hold.ts'
import {RefusedError, RestoreNeededError, RuntimeError, UsageError} from '../core/errors.ts'
import {shortName} from '../core/names.ts'
import {listJournals, removeJournal, type Journal} from './journal.ts'
import {readLevels, replaceLevels} from '../level/write.ts'
import {restoreLevel, type RestoreResult} from './restore.ts'

/**
 * `vpcsc restore`: which deny tests to undo, found in the access policy (their markers,
 * visible from any host) and in this machine's journals, and undoing them one by one.
 */

export interface RestoreReport {
  stateDir: string
  results: RestoreResult[]
  /** Also shown in the human output: restores whose answer was lost (a read confirmed them). */
  warnings: string[]
}

export interface RestorePlan {
  policy?: string
  holds: DenyTestHold[]
}

export async function planRestore(settings: Settings, clients: Clients, options: {force: boolean}): Promise<RestorePlan> {
  const found = await listJournals(settings.stateDir)
  const broken = found.find((f) => f.error)
  if (broken) throw broken.error
  const journals = found.map((f) => f.journal!).filter((j) => !settings.level || j.level === settings.level)
  const policy = settings.policy ?? journals[0]?.policy
  if (!policy) throw new UsageError({message: 'Missing --policy: the deny-test markers live in the access policy.', hint: `Set --policy (or VPCSC_POLICY, or "policy" in ${configFileName(settings)}).`})
  const {levels} = await readLevels(clients, policy)
  const {markers, problems} = listMarkers(levels)
  if (problems.length > 0) throw new RuntimeError({code: 'BAD_MARKER', message: `Cannot read ${problems.join('; ')}.`, hint: 'Compare it with the level (gcloud access-context-manager levels describe), fix the level by hand, then delete the marker level.'})
  const names = new Set([...markers.map((m) => m.level), ...journals.filter((j) => j.policy === policy).map((j) => j.level)].filter((l) => !settings.level || l === settings.level))
  const holds = (await Promise.all([...names].sort().map((level) => denyTestHold(settings.stateDir, levels, level)))).filter((h): h is DenyTestHold => h !== undefined)
  const running = holds.find((h) => h.state === 'running')
  if (running && !options.force) {
    throw new RefusedError({
      code: 'TEST_RUNNING',
      message: `The deny test holding ${running.level} is still running (${running.who}${running.owner === 'running-elsewhere' ? ', on another host' : ''}); it restores the level itself.`,
      hint: 'Wait for it (or stop it with Ctrl-C: it restores before exiting). If it hangs or its host is gone, run vpcsc restore --force.',
    })
  }
  return {policy, holds}
}

export async function restoreHolds(clients: Clients, settings: Settings, plan: RestorePlan, options: {discard: boolean; force?: boolean; signal?: AbortSignal}): Promise<RestoreReport> {
  const results: RestoreResult[] = []
  for (const [index, hold] of plan.holds.entries()) {
    const target = {policy: plan.policy!, level: hold.level, stateDir: settings.stateDir, trustJournal: options.force}
    try {
      results.push(options.discard ? await discard(clients, target, hold.journal, options.signal) : await restoreLevel(clients, target, {signal: options.signal}))
    } catch (error) {
      if (!options.signal?.aborted) throw error
      // Ctrl-C or SIGTERM: whatever the step it fell on (a read, the fence, the write), a
      // restore is still owed for this level and the ones after it (exit 6), and the done
      // ones are named.
      const owed = plan.holds.slice(index).map((h) => shortName(h.level))
      const done = results.map((r) => `${shortName(r.level)} ${r.outcome}`)
      const why = (options.signal.reason as Error | undefined)?.message ?? 'interrupted'
      throw new RestoreNeededError({
        code: 'RESTORE_FAILED',
        message: `${why.charAt(0).toUpperCase()}${why.slice(1)} before the restore of ${owed.join(', ')} was confirmed${done.length ? ` (done: ${done.join(', ')})` : ''}: ${owed.length === 1 ? 'it' : 'they'} may still be swapped, or the restore may still land.`,
        hint: 'Run vpcsc restore again: it reads the policy again and finishes what is owed.',
        cause: error,
      })
    }
  }
  const warnings = results.filter((r) => r.answerLost).map((r) => `${r.level}: the ${r.outcome === 'discarded' ? "marker's removal" : 'restore'} answer was lost; a read of the access policy confirmed it.`)
  return {stateDir: settings.stateDir, results, warnings}
}

/**
 * After the level was fixed by hand: remove the marker (one confirmed write) and the journal;
 * the level is not touched. While the level still holds the swap exactly, the marker and the
 * journal are the only record of its list before the test: discarding them would leave the
 * level denying for good, so that needs --force (a restore is what is owed).
 */
async function discard(clients: Clients, target: {policy: string; level: string; stateDir: string; trustJournal?: boolean}, journal: Journal | undefined, signal?: AbortSignal): Promise<RestoreResult> {
  const started = Date.now()
  const {etag, levels} = await readLevels(clients, target.policy, signal)
  const marker = findMarker(levels, target.level)
  const level = levels.find((l) => l.name === target.level)
  const stillSwapped = marker ? holdsSwap(level, marker) : journal !== undefined && level !== undefined && isDeepStrictEqual(level.basic, journal.swapped.basic)
  if (stillSwapped && !target.trustJournal) {
    const deny = marker?.denyCidr ?? journal!.denyCidr
    throw new RestoreNeededError({
      code: 'RESTORE_NEEDED',
      message: `Not discarded: ${target.level} still holds the deny test's swap (${deny} only), and the marker and the journal are the only record of its list before the test.`,
      hint: 'vpcsc restore puts that list back; or fix the level by hand first (vpcsc ip sync --plan shows the NAT IPs). vpcsc restore --discard --force drops them anyway.',
    })
  }
  let answerLost = false
  if (marker) {
    try {
      ;({answerLost} = await replaceLevels(
        clients,
        {policy: target.policy, etag, levels},
        {
          what: `the deny-test marker ${marker.name}`,
          action: `remove the deny-test marker ${marker.name}`,
          build: (now) => now.filter((l) => l.name !== marker.name),
          classify: (now) => {
            const m = findMarker(now, target.level)
            return !m ? 'target' : m.testId === marker.testId ? 'before' : 'other'
          },
        },
        {signal},
      ))
    } catch (error) {
      if (error instanceof ForeignChange) throw new RestoreNeededError({message: `Not discarded: the marker of ${target.level} changed meanwhile (another deny test?).`, code: 'RESTORE_CONFLICT', hint: 'Run vpcsc status, then vpcsc restore again.'})
      if (error instanceof NotWritten || error instanceof WriteUnknown) throw new RestoreNeededError({message: `The marker of ${target.level} may not be removed: ${error.reason.message}`, code: 'RESTORE_FAILED', hint: 'Run vpcsc restore --discard again.'})
      throw error
    }
  }
  await removeJournal(target.stateDir, target.level)
  return {level: target.level, outcome: 'discarded', answerLost, ms: Date.now() - started}
}
