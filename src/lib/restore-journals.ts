import type {Clients} from './clients.ts'
import type {Settings} from './config.ts'
import {refusedError, runtimeError} from './errors.ts'
import {listJournals, removeJournal, writerAlive, type Journal} from './journal.ts'
import {restoreFromJournal, type RestoreResult} from './restore.ts'

/** `vpcsc restore`: which journals to act on, and acting on them one by one. */

export interface RestoreReport {
  stateDir: string
  results: RestoreResult[]
}

export async function planRestore(settings: Settings, options: {force: boolean}): Promise<{journals: Journal[]}> {
  const found = await listJournals(settings.stateDir)
  const broken = found.find((f) => f.problem)
  if (broken) {
    throw runtimeError('BAD_JOURNAL', `The journal ${broken.file} cannot be read: ${broken.problem}.`, 'Restore the level by hand from your records (or vpcsc ip sync), then delete the file.')
  }
  const journals = found.map((f) => f.journal!).filter((j) => !settings.level || j.level === settings.level)
  const running = journals.find((j) => writerAlive(j))
  if (running && !options.force) {
    throw refusedError(
      'TEST_RUNNING',
      `The deny test that wrote the journal of ${running.level} is still running (pid ${running.pid}, since ${running.startedAt}); it restores the level itself.`,
      'Wait for it (or stop it with Ctrl-C: it restores before exiting). If it hangs, run vpcsc restore --force.',
    )
  }
  return {journals}
}

export async function restoreJournals(clients: Clients, stateDir: string, journals: Journal[], options: {discard: boolean}): Promise<RestoreReport> {
  const results: RestoreResult[] = []
  for (const journal of journals) {
    if (options.discard) {
      await removeJournal(stateDir, journal.level)
      results.push({level: journal.level, outcome: 'discarded', ms: 0})
    } else {
      results.push(await restoreFromJournal(clients, journal, stateDir))
    }
  }
  return {stateDir, results}
}
