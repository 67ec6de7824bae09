import type {ErrorCode} from './error-codes.ts'

export type {ErrorCode} from './error-codes.ts'

/**
 * Exit codes are part of vpcsc's interface: scripts and CI branch on them, so they are
 * data here and documented in the README and in every command's help.
 */
export const ExitCode = {
  ok: 0,
  /** API, network or authentication failure. */
  runtime: 1,
  /** Bad flag, argument or configuration. */
  usage: 2,
  /** Drift found (`status --check`) or changes pending (`ip sync --plan`). */
  drift: 3,
  /** The perimeter did not deny, or did not recover. */
  testFailed: 4,
  /** Refused because going on would be unsafe. */
  refused: 5,
  /** A deny test left the level swapped: run `vpcsc restore`. */
  restoreNeeded: 6,
  /** Interrupted by Ctrl-C (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODES_HELP = `EXIT CODES
  0  success, or in sync
  1  runtime failure (API, network, authentication)
  2  usage or configuration error
  3  drift or pending changes (status --check, ip sync --plan)
  4  test failed (the perimeter did not deny, or did not recover)
  5  refused for safety
  6  restore needed (a deny test was interrupted)`

/**
 * An error a user can act on: what happened (message), and the next step (hint).
 * Thrown by src/lib; the base command turns it into one or two lines and an exit code.
 */
export class VpcscError extends Error {
  readonly exitCode: ExitCode
  readonly hint?: string
  /** A stable machine-readable name, for --json error output. */
  readonly code: ErrorCode
  /** Structured details for --json (never secrets). */
  readonly details?: unknown

  constructor(message: string, opts: {exitCode: ExitCode; code: ErrorCode; hint?: string; details?: unknown; cause?: unknown}) {
    super(message, {cause: opts.cause})
    this.name = 'VpcscError'
    this.exitCode = opts.exitCode
    this.code = opts.code
    this.hint = opts.hint
    this.details = opts.details
  }
}

export function usageError(message: string, hint?: string, details?: unknown): VpcscError {
  return new VpcscError(message, {exitCode: ExitCode.usage, code: 'USAGE', hint, details})
}

export function refusedError(code: ErrorCode, message: string, hint?: string, details?: unknown): VpcscError {
  return new VpcscError(message, {exitCode: ExitCode.refused, code, hint, details})
}

export function runtimeError(code: ErrorCode, message: string, hint?: string, details?: unknown, cause?: unknown): VpcscError {
  return new VpcscError(message, {exitCode: ExitCode.runtime, code, hint, details, cause})
}

/** What `--json` prints on stdout when a command fails (schemas/error.json). */
export interface JsonErrorOutput {
  error: {
    code: ErrorCode
    message: string
    hint?: string
    exitCode: ExitCode
    /** Structured context (never secrets): the values a conflict found, the test holding a level, ... */
    details?: unknown
  }
}

export function jsonError(error: VpcscError): JsonErrorOutput {
  return {error: {code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode, details: error.details}}
}

/** Ctrl-C at a confirmation, before anything was written: exit 130, as a shell reports SIGINT. */
export function interruptedError(message: string): VpcscError {
  return new VpcscError(message, {exitCode: ExitCode.interrupted, code: 'CANCELLED'})
}
