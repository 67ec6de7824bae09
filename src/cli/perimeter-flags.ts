import {Flags} from '@oclif/core'

/** How far back, and how much, the audit logs are read. */
export const logFlags = {
  limit: Flags.integer({description: 'Read at most this many log entries per kind (dry-run, enforced).', default: 5000, min: 1, max: 100_000}),
}
