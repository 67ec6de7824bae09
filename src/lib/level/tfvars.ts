import {randomBytes} from 'node:crypto'
import {lstat, open, readFile, readlink, realpath, rename, stat, unlink} from 'node:fs/promises'
import path from 'node:path'

import {canonicalCidrText} from './cidr.ts'
import {configFileName, ENV, type Settings, type TfvarsSetting} from '../core/config.ts'
import {RuntimeError, UsageError, VpcscError} from '../core/errors.ts'

/**
 * The Terraform JSON variables file (`*.auto.tfvars.json`, loaded by `terraform apply`
 * without a flag) that holds the access level's IP list, so that Terraform writes the
 * same list vpcsc does instead of putting the old one back. Every problem with the file
 * is found by `readTfvars`, before anything is written anywhere.
 */

export interface TfvarsFile extends TfvarsSetting {
  exists: boolean
  /** Every variable of the file, in the file's order. */
  values: Record<string, unknown>
  /** The variable's list, when the file sets it. */
  list?: string[]
  /** The file's permission bits, kept on rewrite (undefined: a new file). */
  mode?: number
}

export interface TfvarsChange {
  file: string
  variable: string
  before?: string[]
  after: string[]
  changed: boolean
  /** What --plan shows: the entries Terraform would stop writing, and the new ones. */
  remove: string[]
  add: string[]
}

/**
 * Reads and validates the file. A missing file is fine (a write creates it); for a write
 * (`forWrite`) its folder must take a new file, checked now so nothing is written before.
 */
export async function readTfvars(setting: TfvarsSetting, options: {forWrite: boolean}): Promise<TfvarsFile> {
  const {file, variable} = setting
  let text: string | undefined
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') throw new UsageError({message: `Cannot read the tfvars file ${file}: ${code ?? String(error)}.`, hint: 'Check the --tfvars path (or VPCSC_TFVARS) and its permissions.'})
  }
  // The folder the file will be written in: a link's target's (writeTfvars writes there).
  if (options.forWrite) await checkFolderTakesFile(await linkTarget(file).catch(() => file))
  if (text === undefined) return {file, variable, exists: false, values: {}}
  const values = parseTfvarsJson(text, setting)
  const mode = (await stat(file)).mode & 0o7777
  const held = values[variable]
  if (held === undefined) return {file, variable, exists: true, values, mode}
  if (!Array.isArray(held) || held.some((item) => typeof item !== 'string')) {
    throw new UsageError({message: `${file}: "${variable}" is not a list of strings (it holds ${describeJson(held)}).`, hint: `Make it a list of CIDRs, e.g. "${variable}": ["203.0.113.10/32"], or choose another variable with --tfvars-var.`})
  }
  return {file, variable, exists: true, values, list: held as string[], mode}
}

/**
 * The write goes through a temp file in the file's folder, so the folder must take one.
 * Trying it is the only true test: access(2) says yes to root on any folder.
 */
async function checkFolderTakesFile(file: string): Promise<void> {
  const dir = path.dirname(file)
  const probe = tempName(file)
  try {
    await (await open(probe, 'wx', 0o600)).close()
    await unlink(probe)
  } catch (error) {
    const missing = await stat(dir).then(() => false, () => true)
    throw new UsageError({
      message: `Cannot write the tfvars file ${file}: its folder ${dir} ${missing ? 'does not exist' : `does not take a new file (${(error as NodeJS.ErrnoException).code ?? String(error)})`}.`,
      hint: 'Give a --tfvars path in a folder you can write (the file itself is created if missing).',
    })
  }
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
}

/** Strict JSON, one object; numbers must survive the rewrite exactly (no silent rounding). */
function parseTfvarsJson(text: string, {file}: TfvarsSetting): Record<string, unknown> {
  let parsed: unknown
  const lossy: string[] = []
  try {
    parsed = JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: {source?: string}) {
      if (typeof value === 'number' && context?.source !== undefined && (!Number.isFinite(value) || (/^-?\d+$/.test(context.source) && !Number.isSafeInteger(value)))) lossy.push(context.source)
      return value
    } as Parameters<typeof JSON.parse>[1])
  } catch (error) {
    throw new UsageError({message: `${file}: not valid JSON (${(error as Error).message}).`, hint: 'Fix the syntax (a *.auto.tfvars.json file is one JSON object of variables), or point --tfvars at another file.'})
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError({message: `${file}: expected a JSON object of Terraform variables, found ${describeJson(parsed)}.`, hint: 'A *.auto.tfvars.json file is one object, e.g. {"allowed_cidrs": ["203.0.113.10/32"]}.'})
  }
  if (lossy.length > 0) {
    throw new UsageError({message: `${file}: the number ${lossy[0]} cannot be rewritten exactly (JSON numbers are doubles here).`, hint: 'Keep that variable in another tfvars file, or write it as a string.'})
  }
  return parsed as Record<string, unknown>
}

/** What a JSON value is, in words; for a list, what is wrong with it as a list of CIDRs, if anything. */
function describeJson(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) {
    if (value.length === 0) return 'an empty list'
    const index = value.findIndex((item) => typeof item !== 'string')
    return index === -1 ? 'a list of strings' : `a list whose item ${index} is ${describeJson(value[index])}`
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/**
 * The tfvars file of an `ip sync`, read and checked up front; `--tfvars-only` without a
 * file is a usage error. A plan writes nothing, so it needs no writable folder.
 */
export async function openTfvars(settings: Settings, options: {tfvarsOnly: boolean; planOnly: boolean}): Promise<TfvarsFile | undefined> {
  if (!settings.tfvars) {
    if (options.tfvarsOnly) throw new UsageError({message: '--tfvars-only needs the tfvars file to write.', hint: `Give --tfvars FILE (or ${ENV.tfvars}, or "tfvars" in ${configFileName(settings)}).`})
    return undefined
  }
  return readTfvars(settings.tfvars, {forWrite: !options.planOnly})
}

/**
 * Writes the list into the file when it differs. The file is read again first: a level
 * write takes seconds, and someone may have changed its other variables meanwhile.
 */
export async function updateTfvars(setting: TfvarsSetting, list: string[]): Promise<TfvarsChange & {written: boolean}> {
  const current = await readTfvars(setting, {forWrite: true})
  const change = planTfvars(current, list)
  if (change.changed) await writeTfvars(current, list)
  return {...change, written: change.changed}
}

/** The file write that follows a level write: a failure says the level is already written. */
export async function afterLevelWrite<T>(level: string, writeFile: () => Promise<T>): Promise<T> {
  try {
    return await writeFile()
  } catch (error) {
    if (!(error instanceof VpcscError)) throw error
    throw new RuntimeError({code: 'TFVARS_AFTER_LEVEL', message: `${level} was written, but the tfvars file was not: ${error.message}`, hint: 'Fix the problem, then run vpcsc ip sync --tfvars-only to write the file from the level.', cause: error})
  }
}

/** Pure: what writing `list` would change in the file. */
export function planTfvars(current: TfvarsFile, list: string[]): TfvarsChange {
  const before = current.list
  const canon = (l: string[]) => l.map(canonicalCidrText)
  const changed = !current.exists || before === undefined || JSON.stringify(before) !== JSON.stringify(list)
  const had = new Set(canon(before ?? []))
  const will = new Set(canon(list))
  return {
    file: current.file,
    variable: current.variable,
    before,
    after: [...list],
    changed,
    remove: (before ?? []).filter((c) => !will.has(canonicalCidrText(c))),
    add: list.filter((c) => !had.has(canonicalCidrText(c))),
  }
}

/** Pure: the new file text. The variable keeps its place; other variables are untouched. */
export function renderTfvars(current: TfvarsFile, list: string[]): string {
  const values = {...current.values, [current.variable]: [...list]}
  return `${JSON.stringify(values, null, 2)}\n`
}

/**
 * Writes the list atomically: a temp file in the same folder, fsynced, renamed over the
 * file, the folder fsynced. A reader (terraform, git) sees the old file or the new one,
 * never half of one; the file keeps its permission bits. A symbolic link (a shared
 * tfvars file linked into a Terraform folder) stays a link: the file it points to is
 * the one written.
 */
export async function writeTfvars(current: TfvarsFile, list: string[]): Promise<void> {
  let file = current.file
  let temp: string | undefined
  try {
    file = await linkTarget(current.file)
    temp = tempName(file)
    const handle = await open(temp, 'wx', current.mode ?? 0o666)
    try {
      await handle.writeFile(renderTfvars(current, list))
      // open() applied the umask; an existing file's exact bits are put back here.
      if (current.mode !== undefined) await handle.chmod(current.mode)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (error) {
    if (temp) await unlink(temp).catch(() => undefined)
    throw new RuntimeError({code: 'TFVARS_WRITE', message: `Could not write ${current.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, hint: 'Check the folder and the disk, then run the command again.', cause: error})
  }
  const handle = await open(path.dirname(file), 'r').catch(() => undefined)
  if (handle) {
    // Makes the rename itself durable; not every file system supports it.
    await handle.sync().catch(() => undefined)
    await handle.close()
  }
}

/** The file a path names, through symbolic links (also one whose target does not exist yet). */
async function linkTarget(file: string): Promise<string> {
  try {
    return await realpath(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    const link = await lstat(file).catch(() => undefined)
    return link?.isSymbolicLink() ? path.resolve(path.dirname(file), await readlink(file)) : file
  }
}

/** Pure: whether `terraform apply` with this file would put a different list into the level. */
export interface TerraformDrift {
  file: string
  variable: string
  /** The file's list (undefined: the file or the variable is missing). */
  fileList?: string[]
  levelList: string[]
  /** Terraform would write something else than the level holds. */
  reverts: boolean
  /** CIDRs the level holds that an apply would remove, and ones it would put back. */
  wouldRemove: string[]
  wouldAdd: string[]
  problem?: string
}

export function terraformDrift(file: TfvarsFile, levelList: string[]): TerraformDrift {
  const change = planTfvars(file, levelList)
  return {
    file: file.file,
    variable: file.variable,
    fileList: file.list,
    levelList,
    reverts: change.changed,
    wouldRemove: change.add,
    wouldAdd: change.remove,
    problem: !file.exists ? 'the file does not exist' : file.list === undefined ? `the file does not set "${file.variable}"` : undefined,
  }
}
