import {renderError} from '../lib/render/text.ts'

/** The part of an oclif command class this module touches (the package's own @oclif/core). */
type OclifCommandClass = abstract new (...args: never[]) => {catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown>}

/**
 * A command of @oclif/plugin-autocomplete, run as one of vpcsc's own commands (as for `help`,
 * src/commands/help.ts: a plugin would be read on every start, a command only when called).
 * The package exports none of its commands, so the module is imported by its path in the
 * installed package, unbundled, with the package's own @oclif/core (as it was as a plugin).
 * Its usage errors (`vpcsc autocomplete fish`) read like vpcsc's own: one line, a hint,
 * exit 2, not oclif's `›   Error:` block.
 */
export async function autocompleteCommand(name: 'index' | 'create' | 'script'): Promise<unknown> {
  const entry = import.meta.resolve('@oclif/plugin-autocomplete')
  const Base = ((await import(new URL(`./commands/autocomplete/${name}.js`, entry).href)) as {default: OclifCommandClass}).default
  abstract class Autocomplete extends Base {
    override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
      if (error.oclif?.exit !== 2) return super.catch(error)
      process.stderr.write(renderError(error.message.split('\n')[0]!.replace(/\.?$/, '.'), 'vpcsc autocomplete --help shows the shells it supports: bash, zsh, powershell.'))
      process.exitCode = 2
      return undefined
    }
  }
  return Autocomplete
}
