import {commands} from '@oclif/plugin-help'

import {closestCommand, visibleCommands} from '../cli/suggest.ts'
import {ExitCode} from '../lib/core/errors.ts'
import {printError} from '../lib/render/text.ts'

/**
 * `vpcsc help [COMMAND]`: @oclif/plugin-help's command, as one of vpcsc's own. As a plugin,
 * oclif would find and read its package.json and manifest on every run of every command (a
 * cost of each start, bench/RESULTS.md); as a command, its module loads only when called.
 * A mistyped subject gets "did you mean", as a mistyped command does (hooks/command-not-found.ts).
 */
export default class Help extends commands.help {
  override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    const subject = /^Command (.+) not found\.?$/.exec(error.message)?.[1]
    if (subject === undefined) return super.catch(error)
    const separator = this.config.topicSeparator ?? ':'
    const spoken = (id: string) => id.replaceAll(':', separator)
    const suggestion = closestCommand(subject.replaceAll(' ', ':'), visibleCommands(this.config))
    printError(`${spoken(subject)} is not a ${this.config.bin} command.${suggestion ? ` Did you mean ${this.config.bin} help ${spoken(suggestion)}?` : ''}`, `${this.config.bin} help lists the commands.`)
    process.exitCode = ExitCode.usage
    return undefined
  }
}
