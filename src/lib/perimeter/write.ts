import {isDeepStrictEqual} from 'node:util'

import type {Clients} from '../core/clients.ts'
import {confirmedWrite, ForeignChange} from '../gcp/confirmed-write.ts'
import {RefusedError, RuntimeError} from '../core/errors.ts'
import type {ServicePerimeter} from '../gcp/types.ts'
import {writeFailure} from '../level/write.ts'
import {describePerimeterChange} from './diff.ts'

/**
 * The one way vpcsc writes a perimeter: a single PATCH carrying the etag the API gives
 * (generated at policy level, so any write in the policy makes a stale one fail), its
 * outcome confirmed by reading (confirmed-write.ts; docs/safety.md, rules 2 and 7).
 * Without an etag there is no compare-and-swap: vpcsc refuses unless forced, and then
 * re-reads and compares right before the PATCH.
 */

export interface PerimeterWrite {
  operation?: string
  body: Record<string, unknown>
  updateMask: string
  /** The API's answer was lost; reading the perimeter confirmed the write. */
  answerLost: boolean
  /** Ours was refused while another write was pending, and that write put exactly this in place (confirmed-write.ts). */
  writtenByAnother?: boolean
  writeMs: number
}

export async function patchPerimeter(
  clients: Clients,
  asRead: ServicePerimeter,
  body: Partial<ServicePerimeter>,
  updateMask: string[],
  verify: (after: ServicePerimeter) => string | undefined,
  action: string,
  options: {force?: boolean; signal?: AbortSignal} = {},
): Promise<PerimeterWrite> {
  const started = Date.now()
  const mask = updateMask.join(',')
  const sent = (etag?: string): Record<string, unknown> => ({name: asRead.name, ...body, ...(etag ? {etag} : {})})
  if (!asRead.etag) {
    if (!options.force) {
      throw new RefusedError({
        code: 'NO_ETAG',
        message: `${asRead.name} came without an etag: vpcsc cannot write it conflict-safely (a change made by someone else between its read and its write would be overwritten).`,
        hint: 'Run again with --force to write anyway (the perimeter is re-read and compared right before the PATCH).',
      })
    }
    const now = await clients.acm.getPerimeter(asRead.name, options.signal)
    if (!isDeepStrictEqual(now, asRead)) throw perimeterConflict(asRead, now)
  }
  const withoutEtag = ({etag: _etag, ...rest}: ServicePerimeter) => rest
  try {
    const result = await confirmedWrite<ServicePerimeter>(
      {
        what: asRead.name,
        action,
        read: async (signal) => {
          const now = await clients.acm.getPerimeter(asRead.name, signal)
          return {etag: now.etag ?? '', state: now}
        },
        send: (basis, signal) => clients.acm.patchPerimeter(asRead.name, sent(basis.state.etag), mask, signal),
        classify: (now) => (verify(now) === undefined ? 'target' : isDeepStrictEqual(withoutEtag(now), withoutEtag(asRead)) ? 'before' : 'other'),
      },
      {etag: asRead.etag ?? '', state: asRead},
      {acm: clients.acm, signal: options.signal},
    )
    return {operation: result.operation, body: sent(asRead.etag), updateMask: mask, answerLost: result.answerLost, ...(result.writtenByAnother ? {writtenByAnother: true} : {}), writeMs: Date.now() - started}
  } catch (error) {
    if (error instanceof ForeignChange) throw perimeterConflict(asRead, error.now as ServicePerimeter | undefined)
    throw writeFailure(error, asRead.name, 'Nothing changed. Run the command again.')
  }
}

function perimeterConflict(before: ServicePerimeter, now: ServicePerimeter | undefined): Error {
  return new RuntimeError({
    code: 'CONFLICT',
    message: `Not written: ${before.name} was changed by someone else after vpcsc read it: ${describePerimeterChange(before, now)}.`,
    hint: 'Nothing was overwritten. Run the command again to see and confirm the change against the current state.',
    details: {before, now},
  })
}
