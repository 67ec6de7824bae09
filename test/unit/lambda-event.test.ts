import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {classifyEvent, describeTrigger, NAT_EVENT_NAMES} from '../../src/lib/reconciler/event.ts'

const FIXTURES = new URL('../fixtures/eventbridge/', import.meta.url)
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as Record<string, unknown>

describe('classifyEvent', () => {
  it('there is one recorded fixture per NAT event name, and one schedule', () => {
    assert.deepEqual(readdirSync(FIXTURES).sort(), [...NAT_EVENT_NAMES, 'ScheduledEvent'].map((n) => `${n}.json`).sort())
  })

  for (const name of NAT_EVENT_NAMES) {
    it(`${name}: a NAT change, with its id, account and region`, () => {
      const event = fixture(name)
      const trigger = classifyEvent(event)
      assert.equal(trigger.kind, 'nat-change')
      assert.equal(trigger.kind === 'nat-change' && trigger.eventName, name)
      assert.equal(trigger.kind === 'nat-change' && trigger.account, '111122223333')
      assert.equal(describeTrigger(trigger), `event ${name} in us-east-1 (account 111122223333)`)
    })
  }

  it('the schedule: a sweep, with its rule', () => {
    const trigger = classifyEvent(fixture('ScheduledEvent'))
    assert.deepEqual(trigger, {kind: 'schedule', rule: 'arn:aws:events:us-east-1:111122223333:rule/vpcsc-reconciler-sweep', time: '2026-11-28T10:15:00Z'})
    assert.equal(describeTrigger(trigger), 'scheduled sweep')
  })

  it('anything else is unknown (and still reconciled by the handler): other API calls, other sources, junk', () => {
    const other = {...fixture('CreateNatGateway'), detail: {eventName: 'CreateVpc'}}
    assert.deepEqual(classifyEvent(other), {kind: 'unknown', source: 'aws.ec2', detailType: 'AWS API Call via CloudTrail', eventName: 'CreateVpc'})
    const wrongSource = {...fixture('ReleaseAddress'), source: 'aws.s3'}
    assert.equal(classifyEvent(wrongSource).kind, 'unknown')
    for (const junk of [undefined, null, 42, 'CreateNatGateway', [], {detail: 'x'}]) assert.deepEqual(classifyEvent(junk), {kind: 'unknown', source: undefined, detailType: undefined, eventName: undefined})
    assert.equal(describeTrigger(classifyEvent({})), 'unrecognised event')
  })
})
