import {randomBytes} from 'node:crypto'
import {accessSync, constants, statSync} from 'node:fs'
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

/**
 * Why the state dir cannot serve, in words that follow its name (`is not a directory`), or
 * undefined when it can. Checked with the settings, before any call: a journal that cannot
 * be read or written is found out too late otherwise (a deny test's, after its baseline).
 * A missing dir is fine to read (no journal), and `write` (deny-test, restore) asks that
 * it can be created.
 */
export function stateDirProblem(dir: string, {write}: {write: boolean}): string | undefined {
  const wanted = constants.R_OK | constants.X_OK | (write ? constants.W_OK : 0)
  try {
    if (!statSync(dir).isDirectory()) return 'is not a directory'
    accessSync(dir, wanted)
    return undefined
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOTDIR') return `is not a directory: ${existingAncestor(dir)} is a file`
    if (code !== 'ENOENT') return `is not ${write ? 'readable and writable' : 'readable'} (${fsReason(error)})`
  }
  if (!write) return undefined
  // Missing: ENOENT (not ENOTDIR) means the nearest existing ancestor is a directory.
  const parent = existingAncestor(dir)
  try {
    accessSync(parent, constants.W_OK | constants.X_OK)
    return undefined
  } catch (error) {
    return `is missing and cannot be created in ${parent} (${fsReason(error)})`
  }
}

function existingAncestor(dir: string): string {
  let at = path.dirname(dir)
  for (;;) {
    try {
      statSync(at)
      return at
    } catch {
      if (path.dirname(at) === at) return at
      at = path.dirname(at)
    }
  }
}

/** A file system error in a few words: `permission denied, EACCES`. */
function fsReason(error: unknown): string {
  const {code, message} = error as NodeJS.ErrnoException
  const words: Record<string, string> = {EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'a read-only file system', EISDIR: 'it is a directory'}
  return code ? `${words[code] ?? message.replace(/^\w+: /, '').replace(/, .*$/, '')}, ${code}` : message
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

/** The journal in `file`; no file is ENOENT, as from readFile (the callers decide what that means). */
export async function readJournal(file: string): Promise<Journal> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error
    throw badJournal(file, fsReason(error))
  }
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

function badJournal(file: string, why: string): RuntimeError {
  // Every command that reads the level's journal stops at it (status too): the hint's way
  // out starts with the file itself. `why` may quote the file's text: one line of it.
  return new RuntimeError({
    code: 'BAD_JOURNAL',
    message: `The deny-test journal ${file} cannot be read (${why.replace(/\s+/g, ' ').trim()}).`,
    hint: "Look at it, then move it out of the state dir (it may record a deny test's swap): vpcsc status then shows whether the level is swapped, and vpcsc restore or ip sync puts its IP list back.",
  })
}

/** Replaces the journal's content atomically (temp file, fsync, rename). */
export async function updateJournal(stateDir: string, journal: Journal): Promise<void> {
  const temp = await writeTemp(stateDir, journal)
  await rename(temp, journalPath(stateDir, journal.level))
  await syncDir(stateDir)
}

/** Every journal in the state dir; an unreadable one comes with its BAD_JOURNAL error instead. A missing state dir holds none. */
export async function listJournals(stateDir: string): Promise<{file: string; journal?: Journal; error?: RuntimeError}[]> {
  let names: string[]
  try {
    names = await readdir(stateDir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    // The settings check found the dir usable: it changed since.
    throw new RuntimeError({code: 'BAD_JOURNAL', message: `The deny-test journals in ${stateDir} cannot be listed (${fsReason(error)}).`, hint: 'Check the state dir (--state-dir, VPCSC_STATE_DIR or "stateDir"): vpcsc must be able to read and write it.'})
  }
  const found = await Promise.all(
    names
      .filter((n) => n.startsWith('deny-test-') && n.endsWith('.json'))
      .map(async (n) => {
        const file = path.join(stateDir, n)
        try {
          return {file, journal: await readJournal(file)}
        } catch (error) {
          // Removed since the listing: a restore finished meanwhile.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
          if (error instanceof RuntimeError) return {file, error}
          throw error
        }
      }),
  )
  return found.filter((f) => f !== undefined)
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

