import type {Hook} from '@oclif/core'

import {commandPart, visibleCommands} from '../cli/suggest.ts'
import {flagBeforeCommand, printFailure, wantsJson} from '../cli/usage-errors.ts'
import {ExitCode, UsageError} from '../lib/core/errors.ts'

/**
 * A mistyped command: say so in two lines, with the closest command as it is typed
 * (`ip sync`, not `ip:sync`; `sync` alone finds it too), and exit 2 like any usage error.
 * oclif's plugin-not-found stays silent without a terminal (it offers to run the suggestion
 * instead), which is where a typo in a script or CI job most needs explaining. With --json
 * the error is the JSON object on stdout, as for every other error.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  const separator = opts.config.topicSeparator ?? ':'
  const spoken = (id: string) => id.replaceAll(':', separator)
  const failWith = (error: UsageError): void => {
    printFailure(error, wantsJson(opts.argv ?? []))
    this.exit(ExitCode.usage)
  }
  const fail = (message: string, hint: string): void => failWith(new UsageError({message, hint}))
  // `vpcsc --polcy`, `vpcsc --policy 1 status`: oclif reads a flag before the command as its
  // name. The global flags are read there (src/cli/run.ts); any other is named as a flag.
  if (opts.id.startsWith('-')) failWith(flagBeforeCommand(opts.id, opts.argv ?? [], opts.config))
  // `vpcsc status extra`: oclif reads words after a command that takes no arguments as more
  // of its name. The command exists; the word is an argument it does not take.
  const words = opts.id.split(':')
  for (let n = words.length - 1; n > 0; n--) {
    const command = words.slice(0, n).join(':')
    if (!opts.config.findCommand(command)) continue
    fail(`Unexpected argument: ${words.slice(n).join(' ')} (${opts.config.bin} ${spoken(command)} takes no arguments).`, `${opts.config.bin} ${spoken(command)} --help shows what it takes.`)
  }
  // `vpcsc explian 203.0.113.77`: the same, for a mistyped command: only `explian` was meant
  // as the command, and is named, with the command it is closest to.
  const {typed, suggestion} = commandPart(opts.id, visibleCommands(opts.config))
  fail(`${spoken(typed)} is not a ${opts.config.bin} command.${suggestion ? ` Did you mean ${spoken(suggestion)}?` : ''}`, `${opts.config.bin} help lists the commands.`)
}

export default hook
