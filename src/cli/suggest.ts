import {distance} from 'fastest-levenshtein'

/** The known word closest to a typed one, with its distance, when close enough to be a typo. */
function closestScored(typed: string, known: readonly string[]): {word: string; d: number} | undefined {
  let best: {word: string; d: number} | undefined
  for (const word of known) {
    const d = distance(typed.toLowerCase(), word.toLowerCase())
    if (!best || d < best.d) best = {word, d}
  }
  if (!best) return undefined
  return best.d <= Math.max(2, Math.ceil(typed.length / 3)) ? best : undefined
}

/**
 * "Did you mean": the known word closest to a mistyped one, when it is close enough to be
 * a typo (a third of its letters at most) rather than another word altogether.
 */
export function closest(typed: string, known: readonly string[]): string | undefined {
  return closestScored(typed, known)?.word
}

function closestCommandScored(typed: string, ids: readonly string[]): {id: string; d: number} | undefined {
  const byLastWord = new Map(ids.filter((id) => id.includes(':')).map((id) => [id.split(':').at(-1)!, id]))
  const best = closestScored(typed, [...ids, ...[...byLastWord.keys()].filter((w) => !ids.includes(w))])
  if (!best) return undefined
  return {id: ids.includes(best.word) ? best.word : byLastWord.get(best.word)!, d: best.d}
}

/**
 * The command a mistyped one most likely meant, by its id (`ip:sync`), or by the last word
 * of a topic's command (`sync`, `snyc` for `ip:sync`) when no command has that name.
 */
export function closestCommand(typed: string, ids: readonly string[]): string | undefined {
  return closestCommandScored(typed, ids)?.id
}

/**
 * The command part of a command line that names no command. oclif reads every word before
 * the first flag as part of the command's name (`explian 203.0.113.77` arrives as
 * `explian:203.0.113.77`), so the part meant as the command is found here: the prefix of
 * those words closest to a command (the longest of equally close ones), with that command;
 * when no command is close, the words up to the first that no command's name continues
 * (`foo` of `foo bar`, `ip foo` of `ip foo bar`). Both ids as oclif has them (`ip:sync`).
 */
export function commandPart(id: string, ids: readonly string[]): {typed: string; suggestion?: string} {
  const words = id.split(':')
  let best: {typed: string; id: string; d: number} | undefined
  for (let n = words.length; n > 0; n--) {
    const typed = words.slice(0, n).join(':')
    const found = closestCommandScored(typed, ids)
    if (found && (!best || found.d < best.d)) best = {typed, id: found.id, d: found.d}
  }
  if (best) return {typed: best.typed, suggestion: best.id}
  for (let n = 1; n < words.length; n++) {
    const typed = words.slice(0, n).join(':')
    if (!ids.some((known) => known === typed || known.startsWith(`${typed}:`))) return {typed}
  }
  return {typed: id}
}

/** The ids a user can type: every command not hidden, and their aliases. */
export function visibleCommands(config: {commands: {id: string; hidden?: boolean; aliases: string[]}[]}): string[] {
  return config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
}
