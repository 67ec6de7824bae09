// dist/run.js (scripts/build.ts): oclif's execute for bin/run.js and bin/dev.js, bundled with
// the same @oclif/core the commands extend.
import {execute as oclifExecute} from '@oclif/core/execute'

/** The help flags (package.json's oclif.additionalHelpFlags, and oclif's own --help). */
const HELP_FLAGS = ['--help', '-h']

/**
 * The flags every vpcsc command takes (its help's GLOBAL FLAGS), read before the command as
 * after it: `vpcsc --no-color status` is `vpcsc status --no-color`. Any other flag before the
 * command is refused, with the line it meant (src/hooks/command-not-found.ts).
 */
const GLOBAL_FLAGS = ['--json', '--color', '--no-color']

/**
 * The global flags typed before the command, moved after its words (oclif reads the first
 * word as the command). Alone, they ask for what `vpcsc` alone gives, help: `vpcsc --json`
 * is `vpcsc help --json`, help saying as the JSON error object that it has no JSON form.
 */
function globalFlagsAfterCommand(argv: string[]): string[] {
  const lead = argv.findIndex((arg) => !GLOBAL_FLAGS.includes(arg))
  if (lead === 0) return argv
  const flags = lead === -1 ? argv : argv.slice(0, lead)
  const rest = lead === -1 ? [] : argv.slice(lead)
  if (rest.length === 0 || rest[0] === '--') return flags.includes('--json') ? ['help', '--json'] : rest
  // After the command's words; after the options when none comes first (`--json --version`).
  const words = rest.findIndex((arg) => arg.startsWith('-'))
  const at = words > 0 ? words : rest.includes('--') ? rest.indexOf('--') : rest.length
  return [...rest.slice(0, at), ...flags, ...rest.slice(at)]
}

/**
 * The command line oclif is given. oclif answers `--version` itself, with one line, whatever
 * follows it: `vpcsc --version ...` becomes `vpcsc version ...`, so that `--json` gives the
 * JSON facts and anything else is refused as by any command (`--version --polcy`). It
 * answers `--help` itself too, as text whatever follows; with `--json`,
 * `vpcsc ip sync --help --json` becomes `vpcsc help ip sync --json`, which says as the JSON
 * error object that help has no JSON form (src/commands/help.ts). The subject is the words
 * before the first flag, as oclif's help reads them.
 */
export function routedArgv(given: string[]): string[] {
  const moved = globalFlagsAfterCommand(given)
  const argv = moved[0] === '--version' && moved.length > 1 ? ['version', ...moved.slice(1)] : moved
  const end = argv.indexOf('--')
  const options = end === -1 ? argv : argv.slice(0, end)
  if (options.includes('--json') && options.some((arg) => HELP_FLAGS.includes(arg))) {
    const first = options.findIndex((arg) => arg.startsWith('-'))
    const words = options.slice(0, first)
    return ['help', ...(words[0] === 'help' ? words.slice(1) : words), '--json']
  }
  return argv
}

export async function execute(options: Parameters<typeof oclifExecute>[0]): ReturnType<typeof oclifExecute> {
  return oclifExecute({...options, args: routedArgv(options.args ?? process.argv.slice(2))})
}
