import {isDeepStrictEqual} from 'node:util'

import type {Clients} from './clients.ts'
import {ExitCode, VpcscError} from './errors.ts'
import {GoogleApiError} from './gcp/google-error.ts'
import type {AccessLevel} from './gcp/types.ts'
import {removeJournal, type Journal} from './journal.ts'
import {describeChange, LevelConflict, readForWrite, writeLevel} from './level-write.ts'
import {sleep} from './sleep.ts'

/**
 * Puts back what a deny test swapped, from its journal. The rule: write the original only
 * while the level still holds exactly what the swap wrote. Anything else means someone
 * changed the level since, and overwriting it would silently undo their change: then the
 * journal is kept and the exit code says a person must look (6).
 */

export interface RestoreResult {
  level: string
  /** 'restored': written back now; 'already': the level already was the original; 'discarded': journal dropped, nothing written. */
  outcome: 'restored' | 'already' | 'discarded'
  operation?: string
  ms: number
}

/** How long to wait for the swap's own operation before deciding anything. */
const SETTLE_TIMEOUT_MS = 10 * 60_000

export async function restoreFromJournal(clients: Clients, journal: Journal, stateDir: string, options: {swapUncertain?: boolean} = {}): Promise<RestoreResult> {
  const started = Date.now()
  // A swap accepted by the API lands when its operation is done: decide only after that,
  // or a swap that lands later would find the journal gone.
  if (journal.operation) await settle(clients, journal)
  // Another write in the policy moves the etag without touching this level: read again and
  // retry while the level is still exactly the swap (compare-and-swap, never blind).
  for (let attempt = 1; ; attempt++) {
    const snapshot = await readForWrite(clients, journal.policy, journal.level)
    if (isDeepStrictEqual(snapshot.level, journal.original)) {
      if (options.swapUncertain && !journal.operation) throw uncertainSwap(journal)
      await removeJournal(stateDir, journal.level)
      return {level: journal.level, outcome: 'already', ms: Date.now() - started}
    }
    if (!isDeepStrictEqual(snapshot.level, journal.swapped)) throw changedSinceSwap(journal, snapshot.level)
    try {
      const write = await writeLevel(clients, snapshot, journal.original, `restore access level ${journal.level}`)
      await removeJournal(stateDir, journal.level)
      return {level: journal.level, outcome: 'restored', operation: write.operation, ms: Date.now() - started}
    } catch (error) {
      if (!(error instanceof LevelConflict)) throw error
      if (!isDeepStrictEqual(error.now, journal.swapped) || attempt >= 4) throw changedSinceSwap(journal, error.now)
      await sleep(500 * attempt)
    }
  }
}

async function settle(clients: Clients, journal: Journal): Promise<void> {
  try {
    await clients.acm.waitForOperation({name: journal.operation!, done: false}, `finish the swap of ${journal.level}`, {timeoutMs: SETTLE_TIMEOUT_MS, firstDelayMs: 0, maxDelayMs: 5_000})
  } catch (error) {
    // A swap whose operation failed never landed: that settles it too.
    if (error instanceof GoogleApiError && error.code === 'OPERATION_FAILED') return
    throw error
  }
}

function uncertainSwap(journal: Journal): VpcscError {
  return new VpcscError(`The swap of ${journal.level} to ${journal.denyCidr} may still land: its write was sent, but its answer never came back. The level holds its original list now.`, {
    exitCode: ExitCode.restoreNeeded,
    code: 'SWAP_UNCERTAIN',
    hint: 'The journal is kept. Run vpcsc restore in a few minutes: it re-checks the level and clears the journal once it is safe.',
  })
}

function changedSinceSwap(journal: Journal, now: AccessLevel): VpcscError {
  const original = journal.original.basic?.conditions[journal.condition]?.ipSubnetworks ?? []
  return new VpcscError(
    `Not restored: ${journal.level} was changed by someone else after the deny test swapped it: ${describeChange(journal.swapped, now, journal.condition)}.`,
    {
      exitCode: ExitCode.restoreNeeded,
      code: 'RESTORE_CONFLICT',
      hint: `Nothing was overwritten and the journal is kept. The original list was [${original.join(', ')}]: fix the level by hand, then run vpcsc restore --discard.`,
      details: {original: journal.original, swapped: journal.swapped, now},
    },
  )
}
