import {isDeepStrictEqual} from 'node:util'

import type {Clients} from './clients.ts'
import {ExitCode, VpcscError} from './errors.ts'
import {removeJournal, type Journal} from './journal.ts'
import {describeChange, LevelConflict, readForWrite, writeLevel} from './level-write.ts'

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

export async function restoreFromJournal(clients: Clients, journal: Journal, stateDir: string): Promise<RestoreResult> {
  const started = Date.now()
  const snapshot = await readForWrite(clients, journal.policy, journal.level)
  if (isDeepStrictEqual(snapshot.level, journal.original)) {
    await removeJournal(stateDir, journal.level)
    return {level: journal.level, outcome: 'already', ms: Date.now() - started}
  }
  if (!isDeepStrictEqual(snapshot.level, journal.swapped)) throw changedSinceSwap(journal, snapshot.level)
  try {
    const write = await writeLevel(clients, snapshot, journal.original, `restore access level ${journal.level}`)
    await removeJournal(stateDir, journal.level)
    return {level: journal.level, outcome: 'restored', operation: write.operation, ms: Date.now() - started}
  } catch (error) {
    if (error instanceof LevelConflict) throw changedSinceSwap(journal, error.now)
    throw error
  }
}

function changedSinceSwap(journal: Journal, now: Journal['original']): VpcscError {
  return new VpcscError(
    `Not restored: ${journal.level} was changed by someone else after the deny test swapped it: ${describeChange(journal.swapped, now, journal.condition)}.`,
    {
      exitCode: ExitCode.restoreNeeded,
      code: 'RESTORE_CONFLICT',
      hint: `Nothing was overwritten and the journal is kept. Compare with the original IP list [${(journal.original.basic?.conditions[journal.condition]?.ipSubnetworks ?? []).join(', ')}], fix the level, then run vpcsc restore --discard.`,
      details: {original: journal.original, swapped: journal.swapped, now},
    },
  )
}
