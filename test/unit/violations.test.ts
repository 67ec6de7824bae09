import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {VpcscAuditEntry} from '../../src/lib/gcp/logging.ts'
import {parseCidr} from '../../src/lib/level/cidr.ts'
import {groupViolations} from '../../src/lib/perimeter/violations.ts'

function entry(callerIp: string, timestamp: string, principal = 'principal://sa'): VpcscAuditEntry {
  return {
    timestamp,
    protoPayload: {
      serviceName: 'aiplatform.googleapis.com',
      methodName: 'google.cloud.aiplatform.v1.PredictionService.GenerateContent',
      authenticationInfo: {principalEmail: principal},
      requestMetadata: {callerIp},
      metadata: {violationReason: 'NO_MATCHING_ACCESS_LEVEL'},
    },
  }
}

describe('groupViolations', () => {
  it('groups by caller, principal, service, method and reason, keeping first and last seen', () => {
    const groups = groupViolations(
      [entry('198.51.100.7', '2026-12-01T10:00:05Z'), entry('198.51.100.7', '2026-12-01T09:00:00.250Z'), entry('198.51.100.7', '2026-12-01T09:00:00Z'), entry('198.51.100.7', '2026-12-01T11:30:00.900000000Z'), entry('198.51.100.7', '2026-12-01T11:30:00Z')],
      [],
    )
    assert.equal(groups.length, 1)
    assert.deepEqual({count: groups[0]!.count, firstSeen: groups[0]!.firstSeen, lastSeen: groups[0]!.lastSeen}, {count: 5, firstSeen: '2026-12-01T09:00:00Z', lastSeen: '2026-12-01T11:30:00.900000000Z'})
  })

  it('puts the most frequent first, then the most recently seen, whatever the fractional digits', () => {
    const groups = groupViolations(
      [
        entry('192.0.2.1', '2026-12-01T08:00:00Z'),
        entry('192.0.2.2', '2026-12-01T12:00:00Z'),
        entry('192.0.2.3', '2026-12-01T10:00:00.5Z'),
        entry('192.0.2.3', '2026-12-01T07:00:00Z'),
        entry('192.0.2.4', '2026-12-01T10:00:00Z'),
        entry('192.0.2.5', '2026-12-01T10:00:00.5Z'),
      ],
      [],
    )
    assert.deepEqual(
      groups.map((g) => g.callerIp),
      ['192.0.2.3', '192.0.2.2', '192.0.2.5', '192.0.2.4', '192.0.2.1'],
    )
  })

  it("says whether the level's ranges admit each caller IP, and leaves a non-IP caller undecided", () => {
    const groups = groupViolations([entry('203.0.113.10', '2026-12-01T08:00:00Z'), entry('198.51.100.9', '2026-12-01T08:00:00Z'), entry('private', '2026-12-01T08:00:00Z')], [parseCidr('203.0.113.0/24')])
    assert.deepEqual(
      Object.fromEntries(groups.map((g) => [g.callerIp, g.admitted])),
      {'203.0.113.10': true, '198.51.100.9': false, private: undefined},
    )
  })
})
