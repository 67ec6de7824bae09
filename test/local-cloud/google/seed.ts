import {randomBytes} from 'node:crypto'
import type {JsonObject} from './json.ts'

/** The scenario of docs/api-facts.md "The seed's setup", with PREFIX = vpcsc. */
export const PROJECT_NUMBER = '123456789012'
export const PROJECT_ID = 'vpcsc-demo'
export const ORGANIZATION = 'organizations/987654321098'
export const POLICY = 'accessPolicies/555000111222'
export const LEVEL_ID = 'vpcsc_allow_ec2_ip'
export const LEVEL = `${POLICY}/accessLevels/${LEVEL_ID}`
export const OTHER_LEVEL = `${POLICY}/accessLevels/vpcsc_office`
export const PERIMETER_ID = 'vpcsc_vertex_ai_perimeter'
export const PERIMETER = `${POLICY}/servicePerimeters/${PERIMETER_ID}`
export const SEED_EIP = '203.0.113.10'

/** Everything the emulated Access Context Manager holds, exactly as stored. */
export interface CloudState {
  policies: JsonObject[]
  levels: JsonObject[]
  perimeters: JsonObject[]
}

/** Policy etags are opaque strings that change on every write, as the live API's do. */
export function newEtag(): string {
  return randomBytes(8).toString('hex')
}

/**
 * A fresh copy of the seeded state. The etag is random on every call so that an etag
 * kept from before a reset never passes a compare-and-swap after it.
 */
export function seedState(): CloudState {
  return {
    policies: [
      {
        name: POLICY,
        parent: ORGANIZATION,
        title: 'vpcsc demo policy',
        scopes: [`projects/${PROJECT_NUMBER}`],
        etag: newEtag(),
      },
    ],
    levels: [
      {
        name: LEVEL,
        title: 'vpcsc allow ec2 ip',
        basic: {
          combiningFunction: 'OR',
          conditions: [
            {ipSubnetworks: [`${SEED_EIP}/32`]},
            {members: [`serviceAccount:break-glass@${PROJECT_ID}.iam.gserviceaccount.com`], regions: ['US']},
          ],
        },
      },
      {
        name: OTHER_LEVEL,
        title: 'office',
        description: 'office egress',
        basic: {conditions: [{ipSubnetworks: ['198.51.100.0/24']}]},
      },
    ],
    perimeters: [
      {
        name: PERIMETER,
        title: 'vertex ai perimeter',
        perimeterType: 'PERIMETER_TYPE_REGULAR',
        status: {
          resources: [`projects/${PROJECT_NUMBER}`],
          restrictedServices: ['aiplatform.googleapis.com'],
          ingressPolicies: [
            {
              ingressFrom: {sources: [{accessLevel: LEVEL}], identityType: 'ANY_IDENTITY'},
              ingressTo: {
                resources: ['*'],
                operations: [{serviceName: 'aiplatform.googleapis.com', methodSelectors: [{method: '*'}]}],
              },
            },
          ],
        },
      },
    ],
  }
}
