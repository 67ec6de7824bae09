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

interface Stream {
  isTTY?: boolean
  columns?: number
}

/**
 * The columns human output may use, as other well-kept CLIs decide it: the terminal's width
 * when the stream is a terminal that reports one; else COLUMNS, when it is a positive
 * integer (a pipe, a file, or a pseudo-terminal without a size: CI, script(1), an editor's
 * terminal); else 80.
 */
export function screenWidth(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns
  const columns = env.COLUMNS?.trim() ?? ''
  return /^\d+$/.test(columns) && Number(columns) > 0 ? Number(columns) : 80
}

/**
 * How human output is laid out where it goes: every line fits `width` (screenWidth), long
 * values wrapping under their value; hint lines (→ ...) wrap too on a terminal, and stay
 * whole in a pipe or a file, for grep and for copying the command they give.
 */
export interface Layout {
  width: number
  /** Hint lines wrap too (on a terminal). */
  wrapHints: boolean
}

export function layoutFor(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): Layout {
  return {width: screenWidth(stream, env), wrapHints: Boolean(stream.isTTY)}
}

/** A hint line: `→ ...` after its indent (colour codes aside). */
export function isHint(line: string): boolean {
  return /^\s*→ /.test(stripVTControlCharacters(line))
}

/** `wrap` to the layout's width; a hint line only where hints wrap (a terminal). */
export function wrapIn(layout: Layout, line: string, indent?: number): string {
  return isHint(line) && !layout.wrapHints ? line : wrap(line, layout.width, indent)
}

/**
 * Human output for a terminal: each line longer than the terminal (screenWidth: its width,
 * else COLUMNS, else 80) is wrapped at spaces, its continuation indented two columns under
 * the line's own indent. Output to a pipe or a file is left as it is: the renderers that lay
 * it out for a width (status, violations) have done so already.
 */
export function fitToTerminal(text: string, stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): string {
  if (!stream.isTTY) return text
  const width = screenWidth(stream, env)
  return text
    .split('\n')
    .map((line) => wrap(line, width, /^ */.exec(line)![0].length + 2))
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

/**
 * Fields two spaces apart after `lead`, as many to a line as fit `width`; each next line
 * starts `indent` columns in. A field is split only when it is wider than a line by itself
 * (at its spaces, as `wrap` does), so "last 2026-12-03 13:29Z" stays whole.
 */
export function packFields(lead: string, fields: string[], width: number, indent: number): string[] {
  const lines: string[] = []
  let current = lead
  let placed = false
  for (const field of fields) {
    const candidate = placed ? `${current}  ${field}` : `${current}${field}`
    if (!placed || visibleLength(candidate) <= width) {
      current = candidate
      placed = true
      continue
    }
    lines.push(current)
    current = `${' '.repeat(indent)}${field}`
  }
  lines.push(current)
  return lines.flatMap((line) => wrap(line, width, indent).split('\n'))
}

/** Plain text broken to lines of at most `width` columns: at spaces, and a word wider than that cut. */
function breakText(text: string, width: number): string[] {
  const lines: string[] = []
  let current = ''
  for (let word of text.split(' ')) {
    if (current && current.length + 1 + word.length <= width) {
      current += ` ${word}`
      continue
    }
    if (current) lines.push(current)
    while (word.length > width) {
      lines.push(word.slice(0, width))
      word = word.slice(width)
    }
    current = word
  }
  lines.push(current)
  return lines
}

/** One line of a table cell: plain text, the narrowest its column may be without cutting it, and its colour. */
export interface CellLine {
  text: string
  /** 0 for what may be cut (a name); the text's length for what must stay whole (an id). */
  floor: number
  colour?: (text: string) => string
}

/**
 * A borderless table (columns two spaces apart, as kubectl and gh print them, each line
 * `indent` columns in) within `width` columns: a column wider than its floor is narrowed,
 * the one with most to spare first, and its lines wrap at spaces (a name too long is cut
 * onto the next line). Undefined when even the floors do not fit: the caller lays the rows
 * out another way.
 */
export function fitTable(head: string[], rows: CellLine[][][], width: number, indent = 2): string[] | undefined {
  const columns = head.map((title, i) => [{text: title, floor: title.length}, ...rows.flatMap((row) => row[i] ?? [])])
  const widths = columns.map((lines) => Math.max(...lines.map((l) => l.text.length)))
  const floors = columns.map((lines) => Math.max(...lines.map((l) => l.floor)))
  let excess = indent + widths.reduce((a, b) => a + b, 0) + 2 * (head.length - 1) - width
  while (excess > 0) {
    const spare = widths.map((w, i) => w - floors[i]!)
    const most = Math.max(...spare)
    if (most <= 0) return undefined
    widths[spare.indexOf(most)]!--
    excess--
  }
  const out: string[] = []
  const render = (cells: CellLine[][]) => {
    const broken = cells.map((lines, i) => lines.flatMap((l) => breakText(l.text, widths[i]!).map((text) => ({text, colour: l.colour}))))
    const height = Math.max(...broken.map((lines) => lines.length))
    for (let k = 0; k < height; k++) {
      const parts = broken.map((lines, i) => {
        const line = lines[k]
        const pad = ' '.repeat(widths[i]! - (line?.text.length ?? 0))
        return line ? `${line.colour ? line.colour(line.text) : line.text}${pad}` : pad
      })
      out.push(`${' '.repeat(indent)}${parts.join('  ')}`.trimEnd())
    }
  }
  render(head.map((title) => [{text: title, floor: title.length, colour: (t: string) => dim(t)}]))
  for (const row of rows) render(row)
  return out
}
