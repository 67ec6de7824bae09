import {stripVTControlCharacters} from 'node:util'

import {Chalk, supportsColor, supportsColorStderr, type ChalkInstance, type ColorSupportLevel} from 'chalk'

/**
 * Small text pieces shared by the renderers, and the two colour palettes: one for stdout,
 * one for stderr, each decided by its own stream. `vpcsc status | less` keeps coloured
 * progress on the terminal's stderr, and `2>log` keeps a coloured screen.
 *
 * chalk alone honours FORCE_COLOR, --color, --no-color, TERM=dumb and whether the stream is
 * a terminal, but not NO_COLOR (no-color.org): any non-empty NO_COLOR turns colour off here,
 * unless FORCE_COLOR asks for it explicitly (Node's own rule for its coloured output) or
 * the command line does (`--color`: a flag beats the environment, as for every setting).
 */
export function colourLevel(support: {level: ColorSupportLevel} | false, env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): ColorSupportLevel {
  if (env.NO_COLOR && !('FORCE_COLOR' in env) && !argv.includes('--color')) return 0
  return support ? support.level : 0
}

/** Colours for what goes to stdout (results, tables). */
export const out: ChalkInstance = new Chalk({level: colourLevel(supportsColor)})
/** Colours for what goes to stderr (errors, warnings, progress). */
export const err: ChalkInstance = new Chalk({level: colourLevel(supportsColorStderr)})

/** --no-color given after start-up: both palettes plain. */
export function disableColour(): void {
  out.level = 0
  err.level = 0
}

export function renderError(message: string, hint?: string): string {
  return `${err.red('Error:')} ${message}\n${hint ? `${err.dim('→')} ${hint}\n` : ''}`
}

/** An error and its hint on stderr, wrapped to the terminal when stderr is one. */
export function printError(message: string, hint?: string): void {
  process.stderr.write(fitToTerminal(renderError(message, hint), process.stderr))
}

export const mark = {
  ok: (c: ChalkInstance = out) => c.green('✓'),
  bad: (c: ChalkInstance = out) => c.red('✗'),
  warn: (c: ChalkInstance = out) => c.yellow('!'),
}

export function heading(text: string): string {
  return out.bold(text)
}

export function dim(text: string, c: ChalkInstance = out): string {
  return c.dim(text)
}

export {shortName} from '../core/names.ts'

export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** The columns a screen may use: the terminal's width, or 80 in a pipe, a file or CI. */
function screenWidth(stream: {isTTY?: boolean; columns?: number} = process.stdout): number {
  return stream.isTTY && stream.columns ? stream.columns : 80
}

/**
 * How human output is laid out where it goes: tables fit `width` (the terminal's, 80 in a
 * pipe), and long lines wrap only on a terminal: in a pipe or a file a finding stays on one
 * line, for grep.
 */
export interface Layout {
  width: number
  wrap: boolean
}

export function layoutFor(stream: {isTTY?: boolean; columns?: number} = process.stdout): Layout {
  return {width: screenWidth(stream), wrap: Boolean(stream.isTTY && stream.columns)}
}

/** `wrap` on a terminal; the line as it is elsewhere. */
export function wrapIn(layout: Layout, line: string, indent?: number): string {
  return layout.wrap ? wrap(line, layout.width, indent) : line
}

/**
 * Human output for a terminal: each line longer than the terminal is wrapped at spaces,
 * its continuation indented two columns under the line's own indent. Output to a pipe or a
 * file is left as it is (one line a finding, for grep); tables are rendered to fit already.
 */
export function fitToTerminal(text: string, stream: {isTTY?: boolean; columns?: number} = process.stdout): string {
  if (!stream.isTTY || !stream.columns) return text
  return text
    .split('\n')
    .map((line) => wrap(line, stream.columns!, /^ */.exec(line)![0].length + 2))
    .join('\n')
}

/** Printed width: colour codes take none. */
export function visibleLength(text: string): number {
  return stripVTControlCharacters(text).length
}

/**
 * Wraps a line at spaces to `width` columns; continuation lines start at `indent` columns
 * (under the value, not the label), or 4 when a word would not fit there. A word longer
 * than a whole line (a long principal) is cut where the line ends.
 */
export function wrap(line: string, width: number, indent = 2): string {
  if (visibleLength(line) <= width) return line
  const lead = /^ */.exec(line)![0]
  const lines: string[] = []
  let current = lead
  const fresh = (word: string) => ' '.repeat(visibleLength(word) + indent <= width ? indent : Math.min(indent, 4))
  // An arrow stays with what it points to: "→" never ends a line ("→ vpcsc restore").
  const words = line
    .slice(lead.length)
    .split(' ')
    .reduce<string[]>((all, word) => {
      if (all.length > 0 && stripVTControlCharacters(all.at(-1)!) === '→') all[all.length - 1] += ` ${word}`
      else all.push(word)
      return all
    }, [])
  for (let word of words) {
    const empty = current.trim() === ''
    const candidate = empty ? `${current}${word}` : `${current} ${word}`
    if (visibleLength(candidate) <= width) {
      current = candidate
      continue
    }
    if (!empty) {
      lines.push(current)
      current = fresh(word)
    }
    // Still too long: cut it (plain text only: a cut must not split a colour code).
    while (visibleLength(current) + visibleLength(word) > width && word === stripVTControlCharacters(word) && width - current.length > 8) {
      const room = width - current.length
      lines.push(`${current}${word.slice(0, room)}`)
      word = word.slice(room)
      current = ' '.repeat(Math.min(indent, 4))
    }
    current = `${current}${word}`
  }
  lines.push(current)
  return lines.map((l) => l.trimEnd()).join('\n')
}

/** cli-table3 without borders: columns two spaces apart, as kubectl and gh print them. */
export const PLAIN_TABLE = {
  chars: {top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  '},
  style: {head: [] as string[], border: [] as string[], 'padding-left': 0, 'padding-right': 0},
}
