import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {debug} from '../core/debug.ts'

/**
 * What every AWS SDK client of vpcsc is built with. The SDK reads AWS_REGION but not
 * AWS_DEFAULT_REGION, which the AWS CLI honours after it (and many setups only set that):
 * here it is honoured in the same order, before the profile's region. The SDK's own
 * warnings (console.warn by default: e.g. the multi-line "Multiple credential sources"
 * notice) go to DEBUG=vpcsc:aws instead of the user's screen.
 */
export function sdkRegion(requested: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return requested || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined
}

const log = (level: string) => (...content: unknown[]) => debug('vpcsc:aws', `${level} ${content.map((c) => (typeof c === 'string' ? c : JSON.stringify(c))).join(' ')}`)

export const sdkLogger = {trace: () => {}, debug: () => {}, info: () => {}, warn: log('warn'), error: log('error')}

export function awsClientOptions(region: string | undefined, profile: string | undefined) {
  return {region: sdkRegion(region), profile, maxAttempts: 4, logger: sdkLogger}
}

/**
 * Whether a named profile exists in the shared config or credentials file (the files the
 * SDK reads, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE honoured). Used only to
 * explain a credential failure: "profile X does not exist" instead of the SDK's
 * "Could not load credentials from any providers".
 */
export function profileExists(profile: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const config = env.AWS_CONFIG_FILE || join(homedir(), '.aws', 'config')
  const credentials = env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), '.aws', 'credentials')
  const sections = (file: string) => (existsSync(file) ? [...readFileSync(file, 'utf8').matchAll(/^\s*\[\s*([^\]]+?)\s*\]/gm)].map((m) => m[1]!.replace(/\s+/g, ' ')) : [])
  return sections(config).some((s) => s === `profile ${profile}` || (profile === 'default' && s === 'default')) || sections(credentials).includes(profile)
}
