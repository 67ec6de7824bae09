import {format} from 'node:util'

import {Command} from '@oclif/core/command'
import type {Interfaces} from '@oclif/core'
import {ux} from '@oclif/core/ux'

import {loadConfigFile, resolveSettings, type FlagValues, type RequiredSetting, type Settings, type UsedSetting} from '../lib/core/config.ts'
import {debugEnabled} from '../lib/core/debug.ts'
import {jsonError, unforeseen, VpcscError} from '../lib/core/errors.ts'
import {disableColour, fitToTerminal, printError} from '../lib/render/text.ts'
import {colorFlag, configFlag} from './flags.ts'
import {quietLibraryWarnings} from './library-warnings.ts'
import {fromOclifError} from './usage-errors.ts'

quietLibraryWarnings()

/** The signals that stop a run: Ctrl-C, a terminal closed, a scheduler's stop. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

function signalLabel(name: NodeJS.Signals): string {
  return name === 'SIGINT' ? 'Ctrl-C' : name
}

/**
 * What every vpcsc command has: --json and --[no-]color, the spinner, and error handling
 * (typed errors from src/lib become one or two lines and an exit code; stack traces only
 * with DEBUG=vpcsc*). A command that reads no settings extends this alone (version).
 */
export abstract class CliCommand extends Command {
  static override enableJsonFlag = true
  static override baseFlags = colorFlag

  override async init(): Promise<void> {
    if (this.argv.includes('--no-color')) disableColour()
    await super.init()
  }

  /** A spinner on stderr around a remote wait, only in a terminal and not in --json mode. */
  protected async step<T>(message: string, work: Promise<T> | (() => Promise<T>)): Promise<T> {
    const interactive = process.stderr.isTTY && !this.jsonEnabled()
    if (interactive) ux.action.start(message)
    try {
      const result = await (typeof work === 'function' ? work() : work)
      if (interactive) ux.action.stop()
      return result
    } catch (error) {
      if (interactive) ux.action.stop('failed')
      throw error
    }
  }

  /** Human output on stdout, rendered only when someone reads it: --json skips the rendering too. */
  protected show(render: () => string): void {
    if (!this.jsonEnabled()) this.log(render().trimEnd())
  }

  /** A warning on stderr, silent in --json mode (the result carries the warnings). */
  protected note(message: string): void {
    this.logToStderr(fitToTerminal(message, process.stderr))
  }

  /** Every line of human output fits the terminal (docs: README, Conventions). */
  override log(message = '', ...args: unknown[]): void {
    super.log(fitToTerminal(format(message, ...args)))
  }

  override async catch(error: Interfaces.CommandError): Promise<unknown> {
    try {
      ux.action.stop('failed')
    } catch {
      // no spinner was running
    }
    const oclifExit = (error as {oclif?: {exit?: unknown}}).oclif?.exit
    const known = error instanceof VpcscError ? error : typeof oclifExit === 'number' ? fromOclifError(error, [...Object.keys({...this.ctor.baseFlags, ...this.ctor.flags}), 'json']) : unforeseen(error)
    // oclif's own way out (this.exit(0)): no failure to report.
    if (!known) return super.catch(error)
    if (debugEnabled() && known.cause instanceof Error && known.code === 'INTERNAL') process.stderr.write(`${known.cause.stack ?? known.cause.message}\n`)
    process.exitCode = known.exitCode
    if (debugEnabled() && known.stack) process.stderr.write(`${known.stack}\n`)
    if (this.jsonEnabled()) {
      this.logJson(jsonError(known))
    } else {
      printError(known.message, known.hint)
    }
    return undefined
  }
}

/**
 * Every vpcsc command that reads settings extends this: it owns their resolution, with the
 * flags that point at them (--config, --request-timeout), and the handling of signals
 * during a write.
 */
export abstract class VpcscCommand extends CliCommand {
  static override baseFlags = {...configFlag, ...colorFlag}

  /** The settings the command cannot start without: all reported at once, before any I/O. */
  static needs: readonly RequiredSetting[] = []

  /**
   * The settings the command reads, itself and through the src/lib functions it hands them
   * to (not the same as its flags): only these and `needs` are checked, so that a bad value
   * of another one in the shared environment or config file does not stop it. A command
   * that does not say is checked for every setting.
   */
  static uses?: readonly UsedSetting[]

  /** Whether the command writes deny-test journals (not only reads them): its state dir must be writable too. */
  static writesStateDir = false

  protected async settingsFrom(flags: FlagValues & {config?: string}, needs?: readonly RequiredSetting[]): Promise<Settings> {
    const config = await loadConfigFile(flags.config)
    const command = this.constructor as typeof VpcscCommand
    // The commands with --profile are those that call AWS.
    return resolveSettings(flags, process.env, config, needs ?? command.needs, {callsAws: 'profile' in (command.flags ?? {}), uses: command.uses, writesStateDir: command.writesStateDir})
  }

  /**
   * Runs a write so that Ctrl-C, SIGTERM or SIGHUP during it ends the wait for its
   * confirmation at once, and the error then says that the write was sent and may land
   * (docs/safety.md, rules 7 and 8), instead of the process dying in silence. A second
   * signal ends the process as usual. Outside of a write, signals are left to Node: a
   * command interrupted while reading has written nothing.
   */
  protected async duringWrite<T>(write: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    const stop = () => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal)
    }
    const onSignal = (name: NodeJS.Signals) => {
      stop()
      controller.abort(new Error(`interrupted by ${signalLabel(name)}`))
    }
    for (const name of STOP_SIGNALS) process.on(name, onSignal)
    try {
      return await write(controller.signal)
    } finally {
      stop()
    }
  }

  /**
   * Runs a short local step that follows a write and must not stop halfway (the tfvars file
   * after the level): a signal that comes meanwhile waits for the step to end, so that the
   * run still ends whole and tells its end (docs/safety.md, rule 8). Its label is returned
   * for the run to say so. The handlers are in place before the step starts: a signal sent
   * once the step's first output is seen finds them.
   */
  protected async finishingThroughSignals<T>(step: () => Promise<T>): Promise<{value: T; signal?: string}> {
    let received: NodeJS.Signals | undefined
    const onSignal = (name: NodeJS.Signals) => {
      received ??= name
    }
    for (const name of STOP_SIGNALS) process.on(name, onSignal)
    try {
      const value = await step()
      return {value, ...(received ? {signal: signalLabel(received)} : {})}
    } finally {
      for (const name of STOP_SIGNALS) process.off(name, onSignal)
    }
  }
}
