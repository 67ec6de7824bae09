import {randomBytes} from 'node:crypto'
import {link, mkdir, open, readdir, readFile, rename, unlink} from 'node:fs/promises'
import {hostname} from 'node:os'
import path from 'node:path'

import {RuntimeError} from '../core/errors.ts'
import type {AccessLevel} from '../gcp/types.ts'

/**
 * The deny test's local journal: written (atomically) BEFORE the access level is swapped.
 * The marker in the access policy (deny-test-marker.ts) is what every host sees; the
 * journal is this machine's second copy, and the only record of a swap that was sent but
 * whose outcome is not known yet: it holds the etag the swap carried, which lets a
 * restore rule out (fence) a swap still in flight (docs/safety.md, rule 9).
 */

export interface Journal {
  version: 2
  /** The test's id, as in its marker. */
  testId: string
  /** The policy etag the swap carried: the swap can land only while the policy still has it. */
  etagBefore: string
  level: string
  policy: string
  /** The managed condition's index. */
  condition: number
  /** The whole level as it was before the swap: what restore puts back. */
  original: AccessLevel
  /** The whole level as the swap wrote it: restore writes only if it still finds this. */
  swapped: AccessLevel
  denyCidr: string
  /** The swap's long-running operation, once the API accepted it: restore waits for it. */
  operation?: string
  pid: number
  host: string
  startedAt: string
}

/** The user's state directory: $XDG_STATE_HOME/vpcsc, else ~/.local/state/vpcsc. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || path.join(env.HOME || process.env.HOME || '.', '.local', 'state')
  return path.join(base, 'vpcsc')
}

export function journalPath(stateDir: string, level: string): string {
  return path.join(stateDir, `deny-test-${level.replace(/[^A-Za-z0-9_]+/g, '_')}.json`)
}

/**
 * Creates the journal, failing with EEXIST when one is already there: the content goes
 * to a temp file (fsynced), which is then hard-linked to the final name, an atomic
 * create-if-absent with the full content.
 */
export async function createJournal(stateDir: string, journal: Journal): Promise<string> {
  await mkdir(stateDir, {recursive: true, mode: 0o700})
  const file = journalPath(stateDir, journal.level)
  const temp = await writeTemp(stateDir, journal)
  try {
    await link(temp, file)
  } finally {
    await unlink(temp).catch(() => undefined)
  }
  await syncDir(stateDir)
  return file
}

export async function readJournal(file: string): Promise<Journal> {
  const text = await readFile(file, 'utf8')
  let journal: Partial<Journal>
  try {
    journal = JSON.parse(text) as Partial<Journal>
  } catch (error) {
    throw badJournal(file, (error as Error).message)
  }
  if (journal.version !== 2) throw badJournal(file, `version ${String(journal.version)}, written by another vpcsc version`)
  if (!journal.testId || !journal.etagBefore || !journal.level || !journal.policy || !journal.original || !journal.swapped || typeof journal.condition !== 'number') {
    throw badJournal(file, 'fields are missing')
  }
  return journal as Journal
}

function badJournal(file: string, why: string): Error {
  return new RuntimeError({code: 'BAD_JOURNAL', message: `The deny-test journal ${file} cannot be read (${why}).`, hint: 'Check the level with vpcsc status and put its IP list back by hand (or vpcsc ip sync), then delete the file.'})
}

/** Replaces the journal's content atomically (temp file, fsync, rename). */
export async function updateJournal(stateDir: string, journal: Journal): Promise<void> {
  const temp = await writeTemp(stateDir, journal)
  await rename(temp, journalPath(stateDir, journal.level))
  await syncDir(stateDir)
}

/** Every journal in the state dir (an unreadable one is reported by its path). */
export async function listJournals(stateDir: string): Promise<{file: string; journal?: Journal; problem?: string}[]> {
  let names: string[]
  try {
    names = await readdir(stateDir)
  } catch {
    return []
  }
  return Promise.all(
    names
      .filter((n) => n.startsWith('deny-test-') && n.endsWith('.json'))
      .map(async (n) => {
        const file = path.join(stateDir, n)
        try {
          return {file, journal: await readJournal(file)}
        } catch (error) {
          return {file, problem: (error as Error).message}
        }
      }),
  )
}

export async function findJournal(stateDir: string, level: string): Promise<Journal | undefined> {
  try {
    return await readJournal(journalPath(stateDir, level))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

export async function removeJournal(stateDir: string, level: string): Promise<void> {
  await unlink(journalPath(stateDir, level)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
  await syncDir(stateDir)
}

/** Whether the journal's writer is still running (same host and its pid alive). */
export function writerAlive(journal: Journal): boolean {
  if (journal.host !== hostname()) return false
  try {
    process.kill(journal.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function newJournal(fields: Omit<Journal, 'version' | 'pid' | 'host' | 'startedAt'>): Journal {
  return {version: 2, ...fields, pid: process.pid, host: hostname(), startedAt: new Date().toISOString()}
}

async function writeTemp(dir: string, journal: Journal): Promise<string> {
  const temp = path.join(dir, `.journal-${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(`${JSON.stringify(journal, null, 2)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return temp
}

async function syncDir(dir: string): Promise<void> {
  // fsync of the directory makes the link/unlink itself durable across a power loss.
  const handle = await open(dir, 'r').catch(() => undefined)
  if (!handle) return
  try {
    await handle.sync()
  } catch {
    // not supported on every file system; the data itself was synced
  } finally {
    await handle.close()
  }
}

