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

/**
 * The command a mistyped one most likely meant, by its id (`ip:sync`), or by the last word
 * of a topic's command (`sync`, `snyc` for `ip:sync`) when no command has that name.
 */
export function closestCommand(typed: string, ids: readonly string[]): string | undefined {
  const byLastWord = new Map(ids.filter((id) => id.includes(':')).map((id) => [id.split(':').at(-1)!, id]))
  const word = closest(typed, [...ids, ...[...byLastWord.keys()].filter((w) => !ids.includes(w))])
  return word && !ids.includes(word) ? byLastWord.get(word) : word
}

/** The ids a user can type: every command not hidden, and their aliases. */
export function visibleCommands(config: {commands: {id: string; hidden?: boolean; aliases: string[]}[]}): string[] {
  return config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
}
