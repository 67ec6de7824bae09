import type {Interfaces} from '@oclif/core'

import {jsonError, UsageError, type VpcscError} from '../lib/core/errors.ts'
import {printError} from '../lib/render/text.ts'
import {closest} from './suggest.ts'

/**
 * Usage errors said the same way by every part of the command line: the base command, the
 * commands vpcsc takes from oclif's plugins (help, autocomplete), and the command_not_found
 * hook. Kept apart from base-command.ts so that those load none of the settings code.
 */

/** Whether `--json` was asked for (before a `--`, after which words are arguments). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

/** The command line without `--json` (before a `--`). */
export function withoutJson(argv: readonly string[]): string[] {
  const end = argv.indexOf('--')
  return end === -1 ? argv.filter((a) => a !== '--json') : [...argv.slice(0, end).filter((a) => a !== '--json'), ...argv.slice(end)]
}

/** A failure as `--json` gives it (the JSON error object on stdout), or as one line and a hint on stderr. */
export function printFailure(error: VpcscError, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(jsonError(error), null, 2)}\n`)
  else printError(error.message, error.hint)
}

/** The flag oclif's parser names as nonexistent (`--polcy`), if that is what it refused. */
export function nonexistentFlag(error: Error): string | undefined {
  return /Nonexistent flags?: (--?[\w-]+)/.exec(error.message)?.[1]
}

/** The part of oclif's config that names the commands and their flags. */
interface CommandLine {
  bin: string
  topicSeparator?: string
  commands: {id: string; hidden?: boolean; flags: Record<string, unknown>}[]
  findCommand(id: string): unknown
}

/**
 * A flag before the command (`vpcsc --polcy`, `vpcsc --policy 1 status`), where oclif reads
 * the command's name: only the global flags are read there (src/cli/run.ts moves them after
 * the command). Any other is refused, by name, with the closest flag when it is mistyped
 * (`--polcy` -> `--policy`), and the line that puts it after the command the rest names.
 */
export function flagBeforeCommand(flag: string, rest: readonly string[], config: CommandLine): UsageError {
  const [, dashes = '', name = '', value = ''] = /^(--?)([^=]*)(.*)$/.exec(flag) ?? []
  const flags = new Set(config.commands.filter((c) => !c.hidden).flatMap((c) => Object.keys(c.flags)))
  // --no-all-regions: the negation of a flag that takes one.
  const known = dashes === '--' && (flags.has(name) || (name.startsWith('no-') && flags.has(name.slice(3))))
  // oclif reads --version and --help first on the line; a typo of either is meant there.
  const suggestion = known ? name : dashes === '--' ? closest(name, [...flags, 'version', 'help']) : undefined
  const said = known ? `${dashes}${name} comes before the command; flags go after it.` : `Nonexistent flag: ${dashes}${name}.${suggestion ? ` Did you mean --${suggestion}?` : ''}`
  if (suggestion === 'version' || suggestion === 'help') return new UsageError({message: said, hint: `Run ${config.bin} --${suggestion}.`})
  if (!suggestion) return new UsageError({message: said, hint: `Flags go after the command: ${config.bin} help lists the commands, ${config.bin} COMMAND --help a command's flags.`})
  const typed = `--${suggestion}${value}`
  const line = commandLine(typed, rest, config)
  const example = line ? `Run ${line}.` : `As in ${config.bin} COMMAND ${typed} ... (${config.bin} help lists the commands).`
  return new UsageError({message: said, hint: known ? example : `Flags go after the command. ${example}`})
}

/** The line with the flag after the command that the other words name, if they name one. */
function commandLine(flag: string, rest: readonly string[], config: CommandLine): string | undefined {
  for (let start = 0; start < rest.length; start++) {
    for (let end = rest.length; end > start; end--) {
      const words = rest.slice(start, end)
      if (words.some((word) => word.startsWith('-')) || !config.findCommand(words.join(':'))) continue
      return [config.bin, ...words, flag, ...rest.slice(0, start), ...rest.slice(end)].join(' ')
    }
  }
  return undefined
}

/** oclif's own parse errors (unknown flag, bad integer, ...) are usage errors: exit 2. */
export function fromOclifError(error: Interfaces.CommandError, flagNames: string[]): VpcscError | undefined {
  const oclif = (error as {oclif?: {exit?: number}}).oclif
  if (!oclif || typeof oclif.exit !== 'number') return undefined
  if (oclif.exit === 0) return undefined
  // oclif words some errors as a header line ("The following errors occurred:") over the
  // real reasons; keep the reasons, on one line.
  const lines = error.message.split('\n').map((line) => line.trim()).filter((line) => line !== '')
  const reasons = lines.filter((line) => !/^The following errors? occurred:?$/.test(line) && !/^See more help with/.test(line))
  // A missing argument: oclif lists it with its description and a note on multi-value
  // flags over four lines; say which argument is missing, in one.
  if (/^Missing \d+ required args?:?$/.test(reasons[0] ?? '')) {
    const args = reasons.slice(1).filter((line) => !/^(Note:|Alternatively,)/.test(line)).map((line) => line.replace(/^(\S+)\s+(.*?)\.?$/, (_, name: string, what: string) => `${name} (${what.charAt(0).toLowerCase()}${what.slice(1)})`))
    return new UsageError({message: `Missing the argument ${args.join(', ')}.`, code: 'USAGE', hint: 'See --help for what the command takes, with examples.'})
  }
  // Two flags that exclude each other: oclif says "--yes=true cannot also be provided when
  // using --plan" once for each; say it once, as the flags are typed.
  const exclusive = reasons.map((line) => /^--([\w-]+)=\S* cannot also be provided when using --([\w-]+)$/.exec(line)).find((m) => m !== null)
  if (exclusive) return new UsageError({message: `--${exclusive[2]} and --${exclusive[1]} cannot be used together.`, hint: 'See --help for what each does.'})
  // A mistyped flag: name the closest one (--polcy -> --policy).
  const unknown = /^Nonexistent flags?: (--?[\w-]+)/.exec(reasons[0] ?? '')?.[1]
  const suggestion = unknown?.startsWith('--') ? closest(unknown.slice(2), flagNames) : undefined
  const said = (reasons.length > 0 ? reasons : lines).join('; ').replace(/\.$/, '')
  return new UsageError({
    message: `${said}.${suggestion ? ` Did you mean --${suggestion}?` : ''}`,
    code: 'USAGE',
    hint: 'See --help for the flags this command takes.',
  })
}
