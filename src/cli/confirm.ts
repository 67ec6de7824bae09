import {CancelledError, UsageError} from '../lib/core/errors.ts'
import {err} from '../lib/render/text.ts'

/**
 * The question's colours, from the same palette as the rest of stderr (where it is asked):
 * colour only when stderr is a terminal, none with --no-color, NO_COLOR or FORCE_COLOR=0, and
 * --color or FORCE_COLOR to force it (README, Conventions). Inquirer's own theme colours with
 * node:util's styleText, which decides by stdout and knows none of the flags.
 */
const theme = {
  prefix: {idle: () => err.blue('?'), done: () => err.green('✔')},
  style: {
    answer: (text: string) => err.cyan(text),
    message: (text: string) => err.bold(text),
    error: (text: string) => err.red(`> ${text}`),
    defaultAnswer: (text: string) => err.dim(`(${text})`),
    help: (text: string) => err.dim(text),
    highlight: (text: string) => err.cyan(text),
    key: (text: string) => err.cyan(err.bold(`<${text}>`)),
    // The default answer's letter is shown in upper case (y/N), as inquirer does.
    confirmDefault: (text: string) => (text.toLowerCase() === text.toUpperCase() ? err.cyan(text) : text.charAt(0).toUpperCase() + text.slice(1)),
  },
}

/**
 * Asks before a write. With no terminal on stdin there is nobody to ask: refuse with the
 * flag that says yes instead of hanging or assuming (Terraform's -auto-approve rule).
 */
export async function confirmWrite(question: string, yesFlag = '--yes'): Promise<boolean> {
  requireAsker(yesFlag)
  const {default: confirm} = await import('@inquirer/confirm')
  try {
    // The prefix is a string when the question is asked: the palette's level is read then.
    return await confirm({message: question, default: false, theme: {...theme, prefix: {idle: theme.prefix.idle(), done: theme.prefix.done()}}}, {output: process.stderr})
  } catch (error) {
    // Ctrl-C (or Ctrl-D, the end of input) at the prompt: the answer is neither yes nor no.
    // Exit 130 as a shell does for SIGINT, with one line instead of inquirer's
    // ExitPromptError and its stack; inquirer's message says which it was.
    if ((error as Error).name === 'ExitPromptError') {
      const how = /SIGINT/.test((error as Error).message) ? 'Ctrl-C' : 'end of input'
      throw new CancelledError({message: `Cancelled at the prompt (${how}); nothing was written.`})
    }
    throw error
  }
}

/**
 * Refuses at once when there is nobody to ask: a command that would ask only after minutes
 * of work (the deny test's baseline probe) checks this before starting.
 */
export function requireAsker(yesFlag = '--yes'): void {
  if (!process.stdin.isTTY) {
    throw new UsageError({message: 'Nothing was written: confirmation needs a terminal, and none is attached.', hint: `Run again with ${yesFlag} to go ahead without asking (in CI and scripts, every command that writes needs it, restore included).`})
  }
}

/**
 * Terraform's -json rule ("Terraform cannot ask for interactive approval when -json is
 * set"): --json prints one object on stdout and nothing else, so a command that would ask
 * refuses before any call, whether or not a terminal is attached, and wherever it would
 * ask (a command in sync would not, but a script must not depend on that). `plan` names
 * the command's flag that shows what it would write instead (ip sync --plan).
 */
export function refuseToAskWithJson(json: boolean, options: {plan?: string} = {}): void {
  if (!json) return
  throw new UsageError({
    message: 'Nothing was written: vpcsc cannot ask for confirmation when --json is set.',
    hint: `Run again with --yes to go ahead without asking${options.plan ? `, or with ${options.plan} to get the plan as JSON and write nothing` : ''}.`,
  })
}
