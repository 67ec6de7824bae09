import type {ProgressEvent} from '../lib/deny-test/run.ts'
import {probeLine, stepLine} from '../lib/render/deny-test.ts'
import {screenWidth, wrap} from '../lib/render/text.ts'

/**
 * The deny test's progress on stderr. On a terminal, probes share one live line, redrawn
 * every second (elapsed time, attempt, the last answer in short, time to the next probe), so
 * a 30-second pause between probes never looks like a hang. In a pipe or CI, where a
 * redrawn line would be noise, it writes one line per step and one per change of answer.
 */
export class DenyTestProgress {
  private live?: {event: ProgressEvent; at: number}
  private timer?: NodeJS.Timeout
  private lastKey?: string
  private readonly stream: NodeJS.WriteStream
  private readonly enabled: boolean
  private readonly tty: boolean

  constructor(stream: NodeJS.WriteStream, enabled: boolean, tty = Boolean(stream.isTTY)) {
    this.stream = stream
    this.enabled = enabled
    this.tty = tty
  }

  handle(event: ProgressEvent): void {
    if (!this.enabled) return
    if (event.message) {
      this.note(stepLine(event.message))
      return
    }
    if (!event.last) return
    if (!this.tty) {
      // One line per change: the phase or the answer.
      const key = `${event.phase} ${event.last.verdict} ${event.last.httpStatus ?? ''}`
      if (key !== this.lastKey) this.write(`${probeLine(event)}\n`)
      this.lastKey = key
      return
    }
    this.live = {event, at: Date.now()}
    if (event.nextInMs === undefined) {
      this.settle()
      return
    }
    this.draw(true)
    this.timer ??= setInterval(() => this.draw(true), 1000)
    this.timer.unref()
  }

  /** A line of its own (a step, a warning): the live line is settled first. */
  note(line: string): void {
    if (!this.enabled) return
    this.settle()
    // As all of stderr: wrapped on a terminal, whole in a pipe (README, Conventions).
    this.write(`${this.tty ? wrap(line, screenWidth(this.stream), /^ */.exec(line)![0].length + 2) : line}\n`)
  }

  /** Ends the live line (before a prompt, the result or an error), keeping its last state. */
  settle(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    if (!this.live) return
    this.draw(false)
    this.write('\n')
    this.live = undefined
  }

  private draw(countdown: boolean): void {
    if (!this.live) return
    // The terminal's width, else COLUMNS, else 80 (a pseudo-terminal without a size), as all output.
    const width = screenWidth(this.stream) - 1
    const line = probeLine(this.live.event, {sinceMs: countdown ? Date.now() - this.live.at : 0, width, countdown})
    this.write(`\r\u001B[2K${line}`)
  }

  private write(text: string): void {
    try {
      this.stream.write(text)
    } catch {
      // stderr closed: the test goes on and restores regardless
    }
  }
}
