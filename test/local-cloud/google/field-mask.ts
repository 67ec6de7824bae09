import {invalidArgument} from './google-errors.ts'
import {clone, isObject} from './json.ts'
import type {JsonObject} from './json.ts'

/**
 * updateMask handling for PATCH. The live API requires a non-empty mask, changes only
 * the masked fields, and CLEARS a masked field the body leaves out: that last rule is
 * what makes `basic.conditions` replace the whole list and gcloud's dry-run enforce
 * (`spec,status,useExplicitDryRunSpec` with no spec) drop the spec.
 */

function camelCase(segment: string): string {
  return segment.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
}

/** Parse `updateMask`; paths may be camelCase or snake_case, as the front end accepts. */
export function parseMask(raw: string | undefined, isAllowed: (path: string) => boolean, allowedText: string): string[] {
  const paths = (raw ?? '')
    .split(',')
    .map((path) => path.trim())
    .filter((path) => path !== '')
    .map((path) => path.split('.').map(camelCase).join('.'))
  if (paths.length === 0) throw invalidArgument('update_mask is required: name the fields to change (for example update_mask=basic.conditions).')
  for (const path of paths) {
    if (!isAllowed(path)) throw invalidArgument(`Invalid update_mask path '${path}': allowed paths are ${allowedText}.`)
  }
  return paths
}

/** `current` with every masked path taken from `body` (or removed when `body` lacks it). */
export function applyMask(current: JsonObject, body: JsonObject, paths: string[]): JsonObject {
  const result = clone(current)
  for (const path of paths) {
    const segments = path.split('.')
    const last = segments.pop() as string
    let source: JsonObject | undefined = body
    for (const segment of segments) {
      const next: unknown = source?.[segment]
      source = isObject(next) ? next : undefined
    }
    const value = source?.[last]
    let target: JsonObject = result
    let reachable = true
    for (const segment of segments) {
      const next = target[segment]
      if (isObject(next)) {
        target = next
      } else if (value !== undefined && value !== null) {
        const created: JsonObject = {}
        target[segment] = created
        target = created
      } else {
        reachable = false
        break
      }
    }
    if (!reachable) continue
    if (value === undefined || value === null) delete target[last]
    else target[last] = clone(value)
  }
  return result
}
