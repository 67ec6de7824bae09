import {isDeepStrictEqual} from 'node:util'

import type {Clients} from '../core/clients.ts'
import {ForeignChange, NotWritten, WriteUnknown, type Finding} from '../gcp/confirmed-write.ts'
import {describeOwner, findMarker, holdsSwap, levelsWithRestore, swappedBasic, type Marker} from './marker.ts'
import {RefusedError, RestoreNeededError, VpcscError} from '../core/errors.ts'
import {GoogleApiError, PERMANENT_REFUSALS} from '../gcp/google-error.ts'
import type {AccessLevel} from '../gcp/types.ts'
import {findJournal, removeJournal, type Journal} from './journal.ts'
import {readLevels, replaceLevels} from '../level/write.ts'
import {sleep} from '../core/sleep.ts'

/**
 * Puts back what a deny test swapped (docs/safety.md, rules 3, 7 and 9), from the marker
 * in the access policy, so it works from any host, with or without a local journal.
 *
 * The restore is one replaceAll carrying the policy etag that puts the level's original
 * `basic` back and removes the marker, and only while the level still holds exactly what
 * the swap wrote: anything else is someone else's change, which is never overwritten
 * (exit 6, every copy kept). With no marker but a local journal, a swap may still be on
 * its way: the restore rules it out first (fence) and never forgets the original before.
 */

export interface RestoreResult {
  level: string
  /**
   * restored: written back now; already: the level holds no swap of the journal's (its
   * original, or a list changed since: see `stale`), and the journal is dropped; discarded:
   * journal dropped, nothing written; nothing: no marker and no journal for the level.
   */
  outcome: 'restored' | 'already' | 'discarded' | 'nothing'
  /**
   * With `already`, when the level holds neither the swap nor the original: the list it
   * holds now and the list the journal had kept from before the test, shown before it goes.
   */
  stale?: {now: string[]; before: string[]}
  operation?: string
  /** The restore's answer was lost; reading the policy confirmed it. */
  answerLost?: boolean
  /** Put back from the local journal: the swap stood, its marker was gone. */
  fromJournal?: boolean
  ms: number
}

export interface RestoreTarget {
  policy: string
  level: string
  /** Restore only this test's swap (a deny test restoring its own). */
  testId?: string
  stateDir: string
  /**
   * Put the original back from this host's journal when the level holds the swap but no
   * marker says whose it is (restore --force). A deny test restoring its own swap does so
   * without being told: the journal is its own.
   */
  trustJournal?: boolean
}

export interface RestoreOptions {
  signal?: AbortSignal
  /** Bound on the whole restore (default 2 min). */
  deadlineMs?: number
}

export async function restoreLevel(clients: Clients, target: RestoreTarget, options: RestoreOptions = {}): Promise<RestoreResult> {
  const started = Date.now()
  const deadline = started + (options.deadlineMs ?? 120_000)
  const done = (outcome: RestoreResult['outcome'], extra: Partial<RestoreResult> = {}): RestoreResult => ({level: target.level, outcome, ...extra, ms: Date.now() - started})
  let fenced = false
  for (;;) {
    const {etag, levels} = await readLevels(clients, target.policy, options.signal)
    const marker = findMarker(levels, target.level)
    if (marker && target.testId && marker.testId !== target.testId) throw notOurs(target, marker)
    if (!marker) {
      const journal = await findJournal(target.stateDir, target.level)
      if (!journal) return done('nothing')
      if (etag === journal.etagBefore) {
        // The swap carried this etag: it may still land. Move the etag ourselves first,
        // then decide from the policy as it is after that (once more at most: a fence
        // returns only when the etag has moved).
        if (fenced) throw swapUncertain(journal, new Error('the access policy still has the etag the swap carried after the fence'))
        fenced = true
        await fence(clients, target.policy, journal, deadline, options.signal)
        continue
      }
      const level = levels.find((l) => l.name === target.level)
      const managed = level?.basic?.conditions[journal.condition]?.ipSubnetworks ?? []
      // The swap can no longer land (the etag moved). A level that holds its original, or
      // no longer holds the deny CIDR, carries no trace of it: the journal is stale.
      if (level && isDeepStrictEqual(level.basic, journal.original.basic)) {
        await removeJournal(target.stateDir, target.level)
        return done('already')
      }
      if (!managed.includes(journal.denyCidr)) {
        await removeJournal(target.stateDir, target.level)
        return done('already', {stale: {now: managed, before: journal.original.basic?.conditions[journal.condition]?.ipSubnetworks ?? []}})
      }
      // The level holds exactly what the swap wrote, and its marker is gone (deleted by
      // hand, or by an authoritative terraform apply). Whose swap it is, only a marker could
      // say: another host's later test writes the same level. The journal is the last copy
      // of this test's original (rule 9), put back when it is sure to be the right one.
      if (level && isDeepStrictEqual(level.basic, journal.swapped.basic) && target.testId !== journal.testId && !target.trustJournal) throw journalSwapUnowned(journal)
      return await restoreFromJournal(clients, target, journal, etag, levels, {signal: options.signal, deadline, done})
    }
    const level = levels.find((l) => l.name === target.level)
    if (!holdsSwap(level, marker)) throw changedSinceSwap(marker, level)
    return await writeRestore(clients, target, {etag, levels}, {
      build: (now) => levelsWithRestore(now, findMarker(now, target.level) ?? marker),
      classify: (now) => {
        const m = findMarker(now, target.level)
        const l = now.find((x) => x.name === target.level)
        if (!m) return l && isDeepStrictEqual(l.basic, marker.original) ? 'target' : 'other'
        return m.testId === marker.testId && holdsSwap(l, m) ? 'before' : 'other'
      },
      conflict: (now) => changedSinceSwap(marker, now),
      failed: (reason) => restoreFailed(target.level, marker.denyCidr, reason),
    }, {signal: options.signal, deadline, done})
  }
}

/** The restore under way: its interrupt, its deadline, and how it reports its outcome. */
interface RestoreContext {
  signal?: AbortSignal
  deadline: number
  done: (outcome: RestoreResult['outcome'], extra?: Partial<RestoreResult>) => RestoreResult
}

/** What differs between a restore from the marker and one from the journal. */
interface RestoreWrite {
  build(now: AccessLevel[]): AccessLevel[]
  classify(now: AccessLevel[]): Finding
  /** Someone else changed the level: the error, given the level as it is now. */
  conflict(now: AccessLevel | undefined): VpcscError
  /** Refused, or unknown: the error, given why. */
  failed(reason: Error): VpcscError
  fromJournal?: boolean
}

/** The restore's one replaceAll, carrying the policy etag; the journal goes once it is confirmed. */
async function writeRestore(
  clients: Clients,
  target: RestoreTarget,
  snapshot: {etag: string | undefined; levels: AccessLevel[]},
  write: RestoreWrite,
  context: RestoreContext,
): Promise<RestoreResult> {
  try {
    const written = await replaceLevels(
      clients,
      {policy: target.policy, ...snapshot},
      {what: `access level ${target.level}`, action: `restore access level ${target.level}`, build: write.build, classify: write.classify},
      {signal: context.signal, deadlineMs: Math.max(1_000, context.deadline - Date.now())},
    )
    await removeJournal(target.stateDir, target.level)
    return context.done('restored', {operation: written.operation, answerLost: written.answerLost, ...(write.fromJournal ? {fromJournal: true} : {})})
  } catch (error) {
    if (error instanceof ForeignChange) throw write.conflict((error.now as AccessLevel[]).find((l) => l.name === target.level))
    if (error instanceof NotWritten || error instanceof WriteUnknown) throw write.failed(error.reason)
    throw error
  }
}

/**
 * The original put back from the local journal: one replaceAll carrying the policy etag,
 * and only while the level still holds exactly what the swap wrote (the marker's rule,
 * with the journal's copies). Anything else is someone else's change: exit 6, journal kept.
 */
async function restoreFromJournal(
  clients: Clients,
  target: RestoreTarget,
  journal: Journal,
  etag: string | undefined,
  levels: AccessLevel[],
  context: RestoreContext,
): Promise<RestoreResult> {
  const holdsJournalSwap = (now: AccessLevel[]) => isDeepStrictEqual(now.find((l) => l.name === target.level)?.basic, journal.swapped.basic)
  if (!holdsJournalSwap(levels)) throw changedSinceJournalSwap(journal, levels.find((l) => l.name === target.level))
  return await writeRestore(clients, target, {etag, levels}, {
    build: (now) => now.map((l) => (l.name === target.level ? {...l, basic: structuredClone(journal.original.basic)} : l)),
    classify: (now) => {
      if (findMarker(now, target.level)) return 'other'
      if (isDeepStrictEqual(now.find((l) => l.name === target.level)?.basic, journal.original.basic)) return 'target'
      return holdsJournalSwap(now) ? 'before' : 'other'
    },
    conflict: (now) => changedSinceJournalSwap(journal, now),
    failed: (reason) => restoreFailed(target.level, journal.denyCidr, reason, 'journal'),
    fromJournal: true,
  }, context)
}

/**
 * Rules out a swap still on its way: a replaceAll of the levels exactly as they are,
 * carrying the etag the swap carried. Once it commits, the etag has moved and the swap can
 * never land. A refusal means a write is pending (maybe the swap): read again.
 */
async function fence(clients: Clients, policy: string, journal: Journal, deadline: number, signal?: AbortSignal): Promise<void> {
  let pause = 250
  let problem: Error = new Error('no answer')
  while (Date.now() < deadline && !signal?.aborted) {
    let read
    try {
      read = await readLevels(clients, policy, signal)
    } catch (error) {
      problem = error as Error
      await sleep(pause, signal)
      pause = Math.min(pause * 2, 4_000)
      continue
    }
    if (findMarker(read.levels, journal.level) || read.etag !== journal.etagBefore) return
    try {
      const operation = await clients.acm.replaceAllLevels(policy, read.levels, read.etag, signal)
      await clients.acm.waitForOperation(operation, `settle the access policy ${policy}`, {signal, deadline})
      return
    } catch (error) {
      problem = error as Error
      await sleep(pause, signal)
      pause = Math.min(pause * 2, 4_000)
    }
  }
  throw swapUncertain(journal, problem)
}

function swapUncertain(journal: Journal, problem: Error): VpcscError {
  return new RestoreNeededError({
    message: `The swap of ${journal.level} to ${journal.denyCidr} may still land: it was sent, its outcome is unknown, and the access policy could not be settled (${problem.message.replace(/\.$/, '')}).`,
    code: 'SWAP_UNCERTAIN',
    hint: 'The journal is kept. Run vpcsc restore again in a few minutes: it re-checks the policy and clears the journal once the swap can no longer land.',
  })
}

/** The level holds a swap whose marker is gone: this host's journal may not be the test that made it. */
function journalSwapUnowned(journal: Journal): VpcscError {
  const list = (level: AccessLevel) => level.basic?.conditions[journal.condition]?.ipSubnetworks ?? []
  return new RestoreNeededError({
    message: `${journal.level} holds the deny CIDR ${journal.denyCidr}, and no marker says which deny test put it there. This host's journal (a test by ${describeOwner(journal)}) holds the list it had before: [${list(journal.original).join(', ')}].`,
    code: 'RESTORE_NEEDED',
    hint: 'If no other deny test ran on this level since that one, vpcsc restore --force puts that list back; otherwise fix the level by hand (vpcsc ip sync --plan shows the NAT IPs), then run vpcsc restore --discard.',
  })
}

function notOurs(target: RestoreTarget, marker: Marker): VpcscError {
  return new RefusedError({
    message: `${target.level} is held by another deny test (pid ${marker.pid} on ${marker.host}, started ${marker.startedAt}); not touching it.`,
    code: 'TEST_RUNNING',
    hint: 'Its owner restores it; vpcsc status shows it.',
  })
}

export function changedSinceSwap(marker: Marker, now: AccessLevel | undefined): VpcscError {
  const original = marker.original.conditions[marker.condition]?.ipSubnetworks ?? []
  const swapped = swappedBasic(marker).conditions[marker.condition]?.ipSubnetworks ?? []
  const current = now?.basic?.conditions[marker.condition]?.ipSubnetworks
  const what = !now ? 'it was deleted' : current && !isDeepStrictEqual(current, swapped) ? `its IP list is now [${current.join(', ')}] (the swap wrote [${swapped.join(', ')}])` : 'other conditions of the level changed'
  return new RestoreNeededError({
    message: `Not restored: ${marker.level} was changed by someone else after the deny test swapped it: ${what}.`,
    code: 'RESTORE_CONFLICT',
    hint: `Nothing was overwritten; the marker ${marker.name} and the journal are kept. The original list was [${original.join(', ')}]: fix the level by hand, then run vpcsc restore --discard.`,
    details: {original: marker.original, now},
  })
}

/** changedSinceSwap for a swap known only from the journal (its marker is gone). */
function changedSinceJournalSwap(journal: Journal, now: AccessLevel | undefined): VpcscError {
  const list = (level: AccessLevel | undefined) => level?.basic?.conditions[journal.condition]?.ipSubnetworks ?? []
  const what = !now ? 'it was deleted' : `its IP list is [${list(now).join(', ')}] (the swap wrote [${list(journal.swapped).join(', ')}])`
  return new RestoreNeededError({
    message: `Not restored: the deny test's marker for ${journal.level} is gone and the level was changed by someone else after the swap: ${what}.`,
    code: 'RESTORE_CONFLICT',
    hint: `Nothing was overwritten; the journal is kept. Its list before the test was [${list(journal.original).join(', ')}]: compare it with the NAT gateways (vpcsc ip sync --plan), fix the level by hand, then run vpcsc restore --discard.`,
    details: {original: journal.original.basic, now},
  })
}

function restoreFailed(level: string, denyCidr: string, reason: Error, kept: 'marker' | 'journal' = 'marker'): VpcscError {
  return new RestoreNeededError({
    message: `${level} may still be swapped to ${denyCidr}: the restore failed: ${reason.message.replace(/\.$/, '')}.`,
    code: 'RESTORE_FAILED',
    hint: kept === 'marker' ? 'The marker and the journal are kept: run vpcsc restore (from any host) as soon as the cause is fixed.' : 'The journal is kept: run vpcsc restore --force on this host as soon as the cause is fixed.',
    cause: reason,
  })
}

/**
 * A restore the API refused for a reason that sending it again cannot change (400, 401,
 * 403, 404: a bad request, a missing permission, a deleted policy): trying again only
 * delays the exit 6 that tells the user to fix it.
 */
export function restoreRefusedForGood(error: unknown): boolean {
  if (!(error instanceof VpcscError) || error.code !== 'RESTORE_FAILED') return false
  return error.cause instanceof GoogleApiError && error.cause.httpStatus !== undefined && PERMANENT_REFUSALS.includes(error.cause.httpStatus)
}
