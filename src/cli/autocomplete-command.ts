import {format} from 'node:util'

import {UsageError, VpcscError} from '../lib/core/errors.ts'
import {fitToTerminal} from '../lib/render/text.ts'
import {fromOclifError, nonexistentFlag, printFailure, wantsJson, withoutJson} from './usage-errors.ts'

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
type OclifCommandClass = (abstract new (...args: never[]) => {
  argv: string[]
  id: string | undefined
  config: {bin: string; topicSeparator?: string; getPluginsList(): PluginWithCommands[]}
  init(): Promise<unknown>
  run(): Promise<unknown>
  parse(options: unknown): Promise<unknown>
  log(message?: string, ...args: unknown[]): void
  catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown>
}) & {flags?: Record<string, unknown>}

/**
 * A command of @oclif/plugin-autocomplete, run as one of vpcsc's own commands (as for `help`,
 * src/commands/help.ts: a plugin would be read on every start, a command only when called).
 * The package exports none of its commands, so the module is imported by its path in the
 * installed package, unbundled, with the package's own @oclif/core (as it was as a plugin).
 * Its usage errors (`vpcsc autocomplete fish`) read like vpcsc's own: one line, a hint (the
 * shells it supports for a shell, its flags for a flag), exit 2, not oclif's `›   Error:`
 * block; with --json, the JSON error object on stdout, which also says that it has no JSON
 * form when nothing else is wrong. The completion it builds offers `--no-color` too
 * (withNegatedFlags): the plugin reads the commands from the config this command runs
 * with, which `vpcsc autocomplete <shell>` passes on to the cache it builds.
 */
export async function autocompleteCommand(name: 'index' | 'create' | 'script'): Promise<unknown> {
  const entry = import.meta.resolve('@oclif/plugin-autocomplete')
  const Base = ((await import(new URL(`./commands/autocomplete/${name}.js`, entry).href)) as {default: OclifCommandClass}).default
  abstract class Autocomplete extends Base {
    /** --json was given: the command has no JSON result, so it fails, as the JSON error object. */
    private json = false

    override async init(): Promise<unknown> {
      this.json = wantsJson(this.argv)
      this.argv = withoutJson(this.argv)
      const plugins = this.config.getPluginsList()
      const completed = plugins.map((plugin) => Object.create(plugin, {commands: {value: plugin.commands.map(withNegatedFlags)}}) as PluginWithCommands)
      this.config.getPluginsList = () => completed
      return super.init()
    }

    /** The set-up steps fit the terminal, as vpcsc's own output does. */
    override log(message = '', ...args: unknown[]): void {
      super.log(fitToTerminal(format(message, ...args)))
    }

    override async run(): Promise<unknown> {
      if (!this.json) return super.run()
      // Whatever else is wrong is said first (a shell it does not support, a mistyped flag).
      // The plugin's own class: parse reads its own statics (args, flags), not inherited ones.
      await this.parse(Base)
      const command = [this.config.bin, ...(this.id ?? 'autocomplete').split(':')].join(' ')
      throw new UsageError({message: `${command} has no JSON form.`, hint: `Run ${[command, ...this.argv].join(' ')} without --json.`})
    }

    override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
      const known = error instanceof VpcscError ? error : error.oclif?.exit === 2 ? usageError(error, Object.keys(Base.flags ?? {})) : undefined
      if (!known) return super.catch(error)
      printFailure(known, this.json)
      process.exitCode = known.exitCode
      return undefined
    }
  }
  return Autocomplete
}

/** A flag problem names the command's flags; any other (a shell, a missing one) the shells it supports. */
function usageError(error: Error & {oclif?: {exit?: number}}, flagNames: string[]): VpcscError | undefined {
  if (nonexistentFlag(error) !== undefined || /\bflags?\b/i.test(error.message.split('\n')[0]!)) return fromOclifError(error, flagNames)
  return new UsageError({message: error.message.split('\n')[0]!.replace(/\.?$/, '.'), hint: 'vpcsc autocomplete --help shows the shells it supports: bash, zsh, powershell.'})
}
