import type {ErrorCode, ErrorCodeFor} from './error-codes.ts'

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

/** A command that asks before it writes (ip sync, restore, promote, demote, deny-test) exits 130 too. */
export const ASKING_EXIT_CODES_HELP = `${EXIT_CODES_HELP}
  130 cancelled at the confirmation (Ctrl-C or Ctrl-D): nothing written`

export interface ErrorOptions<Code extends ErrorCode = ErrorCode> {
  /** What happened, in one line. */
  message: string
  /** A stable machine-readable name, for --json (src/lib/core/error-codes.ts). */
  code: Code
  /** The next step, in one line. */
  hint?: string
  /** Structured details for --json (never secrets). */
  details?: unknown
  cause?: unknown
}

/**
 * An error a user can act on: what happened (message), and the next step (hint). Thrown
 * by src/lib as one of the classes below, one per exit code; the base command turns it
 * into one or two lines and that exit code.
 */
export class VpcscError extends Error {
  readonly exitCode: ExitCode
  readonly hint?: string
  readonly code: ErrorCode
  readonly details?: unknown

  constructor(options: ErrorOptions & {exitCode: ExitCode}) {
    super(options.message, {cause: options.cause})
    this.name = new.target.name
    this.exitCode = options.exitCode
    this.code = options.code
    this.hint = options.hint
    this.details = options.details
  }
}

/** Exit 1: an API, network or authentication failure, or a conflicting change. */
export class RuntimeError extends VpcscError {
  constructor(options: ErrorOptions<ErrorCodeFor<typeof ExitCode.runtime>>) {
    super({...options, exitCode: ExitCode.runtime})
  }
}

/**
 * Exit 1, code INTERNAL: an error no code of vpcsc's foresaw (a library's TypeError, a file
 * system error nothing mapped). Still one line, a hint and, with --json, the error object of
 * schemas/error.json: a script's contract holds even for a bug.
 */
export function unforeseen(error: unknown): RuntimeError {
  const text = error instanceof Error ? error.message : String(error)
  const code = (error as {code?: unknown} | null)?.code
  const firstLine = text.split('\n')[0]!.trim() || 'no message'
  return new RuntimeError({
    code: 'INTERNAL',
    message: `Unexpected error: ${firstLine}${typeof code === 'string' && !firstLine.includes(code) ? ` (${code})` : ''}.`,
    hint: 'This is a bug in vpcsc: run again with DEBUG=vpcsc* for where it happened, and report it.',
    cause: error,
  })
}

/** Exit 2: a bad flag, argument, setting or config file. */
export class UsageError extends VpcscError {
  constructor(options: Omit<ErrorOptions, 'code'> & {code?: ErrorCodeFor<typeof ExitCode.usage>}) {
    super({code: 'USAGE', ...options, exitCode: ExitCode.usage})
  }
}

/** Exit 4: the deny test failed. */
export class TestFailedError extends VpcscError {
  constructor(options: ErrorOptions<ErrorCodeFor<typeof ExitCode.testFailed>>) {
    super({...options, exitCode: ExitCode.testFailed})
  }
}

/** Exit 5: refused because going on would be unsafe. */
export class RefusedError extends VpcscError {
  constructor(options: ErrorOptions<ErrorCodeFor<typeof ExitCode.refused>>) {
    super({...options, exitCode: ExitCode.refused})
  }
}

/** Exit 6: a deny test left a level swapped, or may have: a restore is owed. */
export class RestoreNeededError extends VpcscError {
  constructor(options: ErrorOptions<ErrorCodeFor<typeof ExitCode.restoreNeeded>>) {
    super({...options, exitCode: ExitCode.restoreNeeded})
  }
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

/** Exit 130: Ctrl-C at a confirmation, before anything was written (as a shell reports SIGINT). */
export class CancelledError extends VpcscError {
  constructor(options: Omit<ErrorOptions, 'code'>) {
    super({...options, code: 'CANCELLED', exitCode: ExitCode.interrupted})
  }
}
