// dist/run.js (scripts/build.ts): oclif's execute for bin/run.js and bin/dev.js, bundled with
// the same @oclif/core the commands extend.
import {execute as oclifExecute} from '@oclif/core/execute'

/**
 * The command line oclif is given. oclif answers `--version` itself, with one line, whatever
 * follows it, so `vpcsc --version --json` (in either order) becomes `vpcsc version --json`,
 * the command that has a JSON result.
 */
export function routedArgv(argv: string[]): string[] {
  if (argv.length === 2 && argv.includes('--version') && argv.includes('--json')) return ['version', '--json']
  return argv
}

export async function execute(options: Parameters<typeof oclifExecute>[0]): ReturnType<typeof oclifExecute> {
  return oclifExecute({...options, args: routedArgv(options.args ?? process.argv.slice(2))})
}
