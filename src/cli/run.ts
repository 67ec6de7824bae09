// dist/run.js (scripts/build.ts): oclif's execute for bin/run.js and bin/dev.js, bundled with
// the same @oclif/core the commands extend.
import {execute as oclifExecute} from '@oclif/core/execute'

/** The help flags (package.json's oclif.additionalHelpFlags, and oclif's own --help). */
const HELP_FLAGS = ['--help', '-h']

/**
 * The command line oclif is given. oclif answers `--version` itself, with one line, whatever
 * follows it, so `vpcsc --version --json` (in either order) becomes `vpcsc version --json`,
 * the command that has a JSON result. It answers `--help` itself too, as text whatever
 * follows; with `--json`, `vpcsc ip sync --help --json` becomes `vpcsc help ip sync --json`,
 * which says as the JSON error object that help has no JSON form (src/commands/help.ts).
 * The subject is the words before the first flag, as oclif's help reads them.
 */
export function routedArgv(argv: string[]): string[] {
  if (argv.length === 2 && argv.includes('--version') && argv.includes('--json')) return ['version', '--json']
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
