import {AccessContextManager} from '../gcp/acm.ts'
import {GoogleRestClient} from '../gcp/client.ts'
import type {Settings, UsedSetting} from './config.ts'

/**
 * The API clients a command needs, built from settings. Creating them starts the Google
 * credential load and token exchange at once, so it overlaps with the AWS reads.
 */
export interface Clients {
  google: GoogleRestClient
  acm: AccessContextManager
}

/** The settings createClients reads: every command that calls Google uses them. */
export const CLIENT_SETTINGS = ['impersonateServiceAccount', 'requestTimeout', 'acmEndpoint', 'iamCredentialsEndpoint'] as const satisfies readonly UsedSetting[]

export function createClients(settings: Settings): Clients {
  const google = new GoogleRestClient({
    requestTimeoutMs: settings.requestTimeoutMs,
    impersonateServiceAccount: settings.impersonateServiceAccount,
    iamCredentialsEndpoint: settings.endpoints.iamCredentials,
  })
  google.warmUp()
  return {google, acm: new AccessContextManager(google, settings.endpoints.acm)}
}
