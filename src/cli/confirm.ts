import {CancelledError, UsageError} from '../lib/core/errors.ts'

/**
 * Asks before a write. With no terminal on stdin there is nobody to ask: refuse with the
 * flag that says yes instead of hanging or assuming (Terraform's -auto-approve rule).
 */
export async function confirmWrite(question: string, yesFlag = '--yes'): Promise<boolean> {
  requireAsker(yesFlag)
  const {default: confirm} = await import('@inquirer/confirm')
  try {
    return await confirm({message: question, default: false}, {output: process.stderr})
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
