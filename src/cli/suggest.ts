import {distance} from 'fastest-levenshtein'

/**
 * "Did you mean": the known word closest to a mistyped one, when it is close enough to be
 * a typo (a third of its letters at most) rather than another word altogether.
 */
export function closest(typed: string, known: readonly string[]): string | undefined {
  let best: {word: string; d: number} | undefined
  for (const word of known) {
    const d = distance(typed.toLowerCase(), word.toLowerCase())
    if (!best || d < best.d) best = {word, d}
  }
  if (!best) return undefined
  return best.d <= Math.max(2, Math.ceil(typed.length / 3)) ? best.word : undefined
}
