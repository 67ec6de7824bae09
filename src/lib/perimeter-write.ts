import {isDeepStrictEqual} from 'node:util'

import type {Clients} from './clients.ts'
import {runtimeError} from './errors.ts'
import type {ServicePerimeter} from './gcp/types.ts'

/**
 * The one way vpcsc writes a perimeter: a single PATCH, conflict-safe. With the etag the
 * live API gives, the write carries it and the API refuses a stale one; without it, the
 * perimeter is re-read right before the PATCH and must not have moved. Then the operation
 * is waited for and the perimeter read back and checked.
 */

export interface PerimeterWrite {
  operation: string
  body: Record<string, unknown>
  updateMask: string
  writeMs: number
  operationMs: number
}

export async function patchPerimeter(
  clients: Clients,
  asRead: ServicePerimeter,
  body: Partial<ServicePerimeter>,
  updateMask: string[],
  verify: (after: ServicePerimeter) => string | undefined,
  action: string,
): Promise<PerimeterWrite> {
  const started = Date.now()
  const sent: Record<string, unknown> = {name: asRead.name, ...body}
  if (asRead.etag) {
    sent.etag = asRead.etag
  } else {
    const now = await clients.acm.getPerimeter(asRead.name)
    if (!isDeepStrictEqual(now, asRead)) throw perimeterConflict(asRead.name)
  }
  let operation
  try {
    operation = await clients.acm.patchPerimeter(asRead.name, sent, updateMask.join(','))
  } catch (error) {
    if ((error as {code?: string}).code === 'CONFLICT') throw perimeterConflict(asRead.name)
    throw error
  }
  const writeMs = Date.now() - started
  const operationStarted = Date.now()
  const done = await clients.acm.waitForOperation(operation, action)
  const operationMs = Date.now() - operationStarted
  const after = await clients.acm.getPerimeter(asRead.name)
  const problem = verify(after)
  if (problem) {
    throw runtimeError('READ_BACK_MISMATCH', `The write to ${asRead.name} finished (operation ${done.name}) but the perimeter read back is not as written: ${problem}.`, 'Run vpcsc status to see it as it is now.')
  }
  return {operation: done.name, body: sent, updateMask: updateMask.join(','), writeMs, operationMs}
}

function perimeterConflict(name: string): Error {
  return runtimeError(
    'CONFLICT',
    `Not written: ${name} (or its access policy) was changed by someone else after vpcsc read it.`,
    'Nothing was overwritten. Run the command again to see and confirm the change against the current state.',
  )
}
