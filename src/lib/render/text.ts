import chalk from 'chalk'

/** Small text pieces shared by the renderers. chalk honours NO_COLOR and non-TTY output. */

export function renderError(message: string, hint?: string): string {
  return `${chalk.red('Error:')} ${message}\n${hint ? `${chalk.dim('→')} ${hint}\n` : ''}`
}

export const mark = {
  ok: () => chalk.green('✓'),
  bad: () => chalk.red('✗'),
  warn: () => chalk.yellow('!'),
}

export function heading(text: string): string {
  return chalk.bold(text)
}

export function dim(text: string): string {
  return chalk.dim(text)
}

export {shortName} from '../names.ts'

export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}
