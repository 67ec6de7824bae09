import {usageError} from '../lib/errors.ts'

/**
 * Asks before a write. With no terminal on stdin there is nobody to ask: refuse with the
 * flag that says yes instead of hanging or assuming (Terraform's -auto-approve rule).
 */
export async function confirmWrite(question: string, yesFlag = '--yes'): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw usageError('Nothing was written: confirmation needs a terminal, and none is attached.', `Review the plan, then run again with ${yesFlag} to write without asking.`)
  }
  const {default: confirm} = await import('@inquirer/confirm')
  return confirm({message: question, default: false}, {output: process.stderr})
}
