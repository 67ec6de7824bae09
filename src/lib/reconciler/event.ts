/**
 * What woke the reconciler. Events only say "look now": whatever the event, the handler
 * reconciles the whole selection, so this is for the log, the result and the notification,
 * never for deciding what to read or write.
 */

/** The EC2 API calls (CloudTrail, through EventBridge) that change a NAT gateway's egress addresses. */
export const NAT_EVENT_NAMES = [
  'CreateNatGateway',
  'DeleteNatGateway',
  'AssociateNatGatewayAddress',
  'DisassociateNatGatewayAddress',
  'AssociateAddress',
  'DisassociateAddress',
  'ReleaseAddress',
] as const
export type NatEventName = (typeof NAT_EVENT_NAMES)[number]

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail'
export const SCHEDULE_DETAIL_TYPE = 'Scheduled Event'

export type Trigger =
  | {kind: 'nat-change'; eventName: NatEventName; eventId?: string; account?: string; region?: string; time?: string}
  | {kind: 'schedule'; rule?: string; time?: string}
  | {kind: 'unknown'; source?: string; detailType?: string; eventName?: string}

interface EventBridgeEvent {
  id?: unknown
  source?: unknown
  'detail-type'?: unknown
  account?: unknown
  region?: unknown
  time?: unknown
  resources?: unknown
  detail?: {eventName?: unknown; eventID?: unknown; awsRegion?: unknown; recipientAccountId?: unknown}
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

export function classifyEvent(event: unknown): Trigger {
  const e = (event && typeof event === 'object' ? event : {}) as EventBridgeEvent
  const source = text(e.source)
  const detailType = text(e['detail-type'])
  const eventName = text(e.detail?.eventName)
  if (source === 'aws.ec2' && detailType === CLOUDTRAIL_DETAIL_TYPE && (NAT_EVENT_NAMES as readonly string[]).includes(eventName ?? '')) {
    return {
      kind: 'nat-change',
      eventName: eventName as NatEventName,
      eventId: text(e.detail?.eventID) ?? text(e.id),
      account: text(e.detail?.recipientAccountId) ?? text(e.account),
      region: text(e.detail?.awsRegion) ?? text(e.region),
      time: text(e.time),
    }
  }
  if (source === 'aws.events' && detailType === SCHEDULE_DETAIL_TYPE) {
    const rule = Array.isArray(e.resources) ? text(e.resources[0]) : undefined
    return {kind: 'schedule', rule, time: text(e.time)}
  }
  return {kind: 'unknown', source, detailType, eventName}
}

/** One short phrase for logs and notifications. */
export function describeTrigger(trigger: Trigger): string {
  switch (trigger.kind) {
    case 'nat-change':
      return `event ${trigger.eventName}${trigger.region ? ` in ${trigger.region}` : ''}${trigger.account ? ` (account ${trigger.account})` : ''}`
    case 'schedule':
      return 'scheduled sweep'
    case 'unknown':
      return `unrecognised event${trigger.detailType ? ` "${trigger.detailType}"` : ''}${trigger.eventName ? ` ${trigger.eventName}` : ''}`
  }
}
