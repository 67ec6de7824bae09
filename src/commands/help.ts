import {loadHelpClass} from '@oclif/core'
import {standardizeIDFromArgv} from '@oclif/core/help'
import {commands} from '@oclif/plugin-help'

import {closest, commandPart, visibleCommands} from '../cli/suggest.ts'
import {fromOclifError, nonexistentFlag, printFailure, wantsJson, withoutJson} from '../cli/usage-errors.ts'
import {UsageError, VpcscError} from '../lib/core/errors.ts'

/**
 * `vpcsc help [COMMAND]`: @oclif/plugin-help's command, as one of vpcsc's own. As a plugin,
 * oclif would find and read its package.json and manifest on every run of every command (a
 * cost of each start, bench/RESULTS.md); as a command, its module loads only when called.
 * Its errors read like every other usage error (one line, a hint, exit 2; with --json, the
 * JSON error object on stdout), not as oclif's `›   Error:` block over the help text:
 * - a mistyped subject gets "did you mean", as a mistyped command does
 *   (hooks/command-not-found.ts): `vpcsc help statsu` -> `vpcsc help status`;
 * - help is text only: with --json (`help status --json`, and `status --help --json`,
 *   which src/cli/run.ts sends here), the JSON error object says so;
 * - a mistyped flag gets the closest flag: help's own, or else a command's (`--polcy`),
 *   saying whose flag it is.
 */
export default class Help extends commands.help {
  override async run(): Promise<void> {
    const json = wantsJson(this.argv)
    try {
      this.argv = withoutJson(this.argv)
      // The plugin's own class: parse reads its own statics (args, flags, strict), not inherited ones.
      const {argv, flags} = await this.parse(commands.help)
      const words = argv as string[]
      this.checkSubject(words)
      if (json) throw new UsageError({message: `${this.config.bin} help has no JSON form.`, hint: `Run ${[this.config.bin, 'help', ...words].join(' ')} without --json for the text.`})
      const HelpClass = await loadHelpClass(this.config)
      await new HelpClass(this.config, {all: flags['nested-commands']}).showHelp(words)
    } catch (error) {
      const known = error instanceof VpcscError ? error : this.usageError(error as Error)
      if (!known) throw error
      printFailure(known, json)
      process.exitCode = known.exitCode
    }
  }

  private spoken(id: string): string {
    return id.replaceAll(':', this.config.topicSeparator ?? ':')
  }

  /** The subject as oclif's Help finds it (words read as one id): a command, a topic, or none. */
  private checkSubject(words: string[]): void {
    const subject = standardizeIDFromArgv([...words], this.config).find((word) => word !== 'help')
    if (subject === undefined || this.config.findCommand(subject) || this.config.findTopic(subject)) return
    throw this.notFound(subject)
  }

  private notFound(subject: string): UsageError {
    const {bin} = this.config
    const {typed, suggestion} = commandPart(subject.replaceAll(' ', ':'), visibleCommands(this.config))
    // `help status extra`: the command exists; help shows one command.
    if (this.config.findCommand(typed)) {
      const rest = subject.replaceAll(' ', ':').slice(typed.length + 1)
      return new UsageError({message: `Unexpected argument: ${this.spoken(rest)} (${bin} help takes one command).`, hint: `${bin} help ${this.spoken(typed)} shows its help.`})
    }
    return new UsageError({message: `${this.spoken(typed)} is not a ${bin} command.${suggestion ? ` Did you mean ${bin} help ${this.spoken(suggestion)}?` : ''}`, hint: `${bin} help lists the commands.`})
  }

  /** oclif's errors: a subject it did not find, a flag help does not take, ... */
  private usageError(error: Error): VpcscError | undefined {
    const subject = /^Command (.+) not found\.?$/.exec(error.message)?.[1]
    if (subject !== undefined) return this.notFound(subject)
    const flag = nonexistentFlag(error)
    const {bin} = this.config
    const ownFlags = Object.keys(commands.help.flags)
    const helpTakes = `${bin} help [COMMAND] takes one flag: --nested-commands (-n).`
    if (flag === undefined || !flag.startsWith('--') || closest(flag.slice(2), ownFlags)) {
      const known = fromOclifError(error, ownFlags)
      return known && flag !== undefined ? new UsageError({message: known.message, hint: helpTakes}) : known
    }
    // Not one of help's: a command's flag, typed after help (`help --polcy`, `help status --polcy`).
    const words = this.argv.filter((a) => !a.startsWith('-'))
    const id = words.length > 0 ? standardizeIDFromArgv([...words], this.config)[0] : undefined
    const command = id === undefined ? undefined : this.config.findCommand(id)
    const candidates = command ? Object.keys(command.flags) : [...new Set(this.config.commands.filter((c) => !c.hidden).flatMap((c) => Object.keys(c.flags)))]
    const suggestion = closest(flag.slice(2), candidates)
    if (!suggestion) return new UsageError({message: `Nonexistent flag: ${flag}.`, hint: helpTakes})
    return new UsageError({
      message: `Nonexistent flag: ${flag}. Did you mean --${suggestion}?`,
      hint: command ? `--${suggestion} is a flag of ${bin} ${this.spoken(command.id)}, not of help: ${bin} help ${this.spoken(command.id)} lists its flags.` : `--${suggestion} is a flag of the commands, not of help: ${bin} help COMMAND lists a command's flags.`,
    })
  }
}
