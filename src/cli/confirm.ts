import {fstatSync} from 'node:fs'

import type {ChalkInstance} from 'chalk'

import {CancelledError, UsageError} from '../lib/core/errors.ts'
import {err, out} from '../lib/render/text.ts'

/**
 * The question's colours, from the same palette as the rest of the stream it is asked on
 * (stderr, or stdout: questionStream): colour only when that stream is a terminal, none with
 * --no-color, NO_COLOR or FORCE_COLOR=0, and --color or FORCE_COLOR to force it (README,
 * Conventions). Inquirer's own theme colours with node:util's styleText, which decides by
 * stdout and knows none of the flags.
 */
function themeIn(c: ChalkInstance) {
  return {
    // A string when the question is asked: the palette's level is read then.
    prefix: {idle: c.blue('?'), done: c.green('✔')},
    style: {
      answer: (text: string) => c.cyan(text),
      message: (text: string) => c.bold(text),
      error: (text: string) => c.red(`> ${text}`),
      defaultAnswer: (text: string) => c.dim(`(${text})`),
      help: (text: string) => c.dim(text),
      highlight: (text: string) => c.cyan(text),
      key: (text: string) => c.cyan(c.bold(`<${text}>`)),
      // The default answer's letter is shown in upper case (y/N), as inquirer does.
      confirmDefault: (text: string) => (text.toLowerCase() === text.toUpperCase() ? c.cyan(text) : text.charAt(0).toUpperCase() + text.slice(1)),
    },
  }
}

/**
 * Where the question is asked, when someone can answer it (stdin is a terminal): on stderr
 * with everything else that is not a result, when it is a terminal; else on stdout when
 * that is one, the terminal the answer is typed into (`vpcsc ip sync 2>err.log`: not in
 * the file, where nobody would see it and the wait would look like a hang); else on stderr
 * when it is a pipe, which may show it (`2>&1 | tee sync.log`). Stdout and stderr both in
 * files (or /dev/null): nowhere anyone would see it.
 */
export function questionStream(): NodeJS.WriteStream | undefined {
  if (!process.stdin.isTTY) return undefined
  if (process.stderr.isTTY) return process.stderr
  if (process.stdout.isTTY) return process.stdout
  try {
    const stat = fstatSync(process.stderr.fd)
    return stat.isFIFO() || stat.isSocket() ? process.stderr : undefined
  } catch {
    return undefined
  }
}

/**
 * Asks before a write. With no terminal on stdin there is nobody to ask, and with stdout
 * and stderr in files nowhere to ask: refuse with the flag that says yes instead of hanging
 * or assuming (Terraform's -auto-approve rule).
 */
export async function confirmWrite(question: string, yesFlag = '--yes'): Promise<boolean> {
  const output = requireAsker(yesFlag)
  const {default: confirm} = await import('@inquirer/confirm')
  try {
    return await confirm({message: question, default: false, theme: themeIn(output === process.stdout ? out : err)}, {output})
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
 * Refuses at once when there is nobody to ask, or nowhere to ask them (questionStream),
 * and says where the question goes otherwise: a command that would ask only after minutes
 * of work (the deny test's baseline probe) checks this before starting.
 */
export function requireAsker(yesFlag = '--yes'): NodeJS.WriteStream {
  const output = questionStream()
  if (output) return output
  const hint = `Run again with ${yesFlag} to go ahead without asking (in CI and scripts, every command that writes needs it, restore included).`
  if (!process.stdin.isTTY) throw new UsageError({message: 'Nothing was written: confirmation needs a terminal, and none is attached.', hint})
  throw new UsageError({message: 'Nothing was written: confirmation needs a terminal to ask on, and stdout and stderr both go to files.', hint: `Keep stderr on the terminal, or run again with ${yesFlag} to go ahead without asking.`})
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
