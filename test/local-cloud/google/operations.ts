import {randomBytes} from 'node:crypto'
import {notFound} from './google-errors.ts'
import {clone} from './json.ts'
import type {JsonObject} from './json.ts'

export const TYPE_PREFIX = 'type.googleapis.com/google.identity.accesscontextmanager.v1.'
const METADATA: JsonObject = {'@type': `${TYPE_PREFIX}AccessContextManagerOperationMetadata`}

/** How a write's operation ends: with the written resource, or with an error status. */
export type OperationOutcome = {response: JsonObject} | {error: JsonObject}

interface OperationRecord {
  name: string
  /** GETs still to answer with done:false. */
  pollsLeft: number
  outcome: OperationOutcome
}

/**
 * Long-running operations. The write is applied at once ("done means stored, not
 * enforced"), but the operation reports done:false for a few polls so that vpcsc's
 * polling loop is exercised on every write.
 */
export class Operations {
  readonly #records = new Map<string, OperationRecord>()

  /** Record a write's operation and return it as the write answers it: not done yet. */
  create(polls: number, outcome: OperationOutcome): JsonObject {
    const name = `operations/${randomBytes(12).toString('hex')}`
    this.#records.set(name, {name, pollsLeft: polls, outcome: clone(outcome) as OperationOutcome})
    return {name, metadata: clone(METADATA), done: false}
  }

  /** GET v1/operations/{id}: done:false while polls remain, then the outcome. */
  get(name: string): JsonObject {
    const record = this.#records.get(name)
    if (!record) throw notFound('Operation', name)
    if (record.pollsLeft > 0) {
      record.pollsLeft -= 1
      return {name, metadata: clone(METADATA), done: false}
    }
    return {name, metadata: clone(METADATA), done: true, ...clone(record.outcome as JsonObject)}
  }
}
