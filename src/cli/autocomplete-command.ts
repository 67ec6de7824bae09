import {format} from 'node:util'

import {fitToTerminal, printError} from '../lib/render/text.ts'

/** The parts of a command in oclif's manifest that completion reads. */
interface ManifestFlag {
  name: string
  type: string
  allowNo?: boolean
  hidden?: boolean
  summary?: string
  description?: string
}
interface ManifestCommand {
  flags: Record<string, ManifestFlag>
}
interface PluginWithCommands {
  commands: ManifestCommand[]
}

/**
 * The command with each negatable boolean flag (`allowNo`: `--color`) followed by its
 * negation (`--no-color`), which oclif accepts but does not list as a flag of its own: the
 * completion scripts are built from the listed flags only.
 */
export function withNegatedFlags<C extends ManifestCommand>(command: C): C {
  const flags: Record<string, ManifestFlag> = {}
  for (const [name, flag] of Object.entries(command.flags)) {
    flags[name] = flag
    if (flag.type === 'boolean' && flag.allowNo && !(`no-${name}` in command.flags)) flags[`no-${name}`] = {name: `no-${name}`, type: 'boolean', hidden: flag.hidden, description: `Turn --${name} off.`}
  }
  return {...command, flags}
}

/** The part of an oclif command class this module touches (the package's own @oclif/core). */
type OclifCommandClass = abstract new (...args: never[]) => {
  config: {getPluginsList(): PluginWithCommands[]}
  init(): Promise<unknown>
  log(message?: string, ...args: unknown[]): void
  catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown>
}

/**
 * A command of @oclif/plugin-autocomplete, run as one of vpcsc's own commands (as for `help`,
 * src/commands/help.ts: a plugin would be read on every start, a command only when called).
 * The package exports none of its commands, so the module is imported by its path in the
 * installed package, unbundled, with the package's own @oclif/core (as it was as a plugin).
 * Its usage errors (`vpcsc autocomplete fish`) read like vpcsc's own: one line, a hint,
 * exit 2, not oclif's `›   Error:` block. The completion it builds offers `--no-color` too
 * (withNegatedFlags): the plugin reads the commands from the config this command runs
 * with, which `vpcsc autocomplete <shell>` passes on to the cache it builds.
 */
export async function autocompleteCommand(name: 'index' | 'create' | 'script'): Promise<unknown> {
  const entry = import.meta.resolve('@oclif/plugin-autocomplete')
  const Base = ((await import(new URL(`./commands/autocomplete/${name}.js`, entry).href)) as {default: OclifCommandClass}).default
  abstract class Autocomplete extends Base {
    override async init(): Promise<unknown> {
      const plugins = this.config.getPluginsList()
      const completed = plugins.map((plugin) => Object.create(plugin, {commands: {value: plugin.commands.map(withNegatedFlags)}}) as PluginWithCommands)
      this.config.getPluginsList = () => completed
      return super.init()
    }

    /** The set-up steps fit the terminal, as vpcsc's own output does. */
    override log(message = '', ...args: unknown[]): void {
      super.log(fitToTerminal(format(message, ...args)))
    }

    override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
      if (error.oclif?.exit !== 2) return super.catch(error)
      printError(error.message.split('\n')[0]!.replace(/\.?$/, '.'), 'vpcsc autocomplete --help shows the shells it supports: bash, zsh, powershell.')
      process.exitCode = 2
      return undefined
    }
  }
  return Autocomplete
}
