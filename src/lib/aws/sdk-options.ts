import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {debug, debugEnabled} from '../core/debug.ts'

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

/**
 * The SDK logs each call it made (info) or that failed (error) as {clientName, commandName,
 * input, output | error, metadata}: DEBUG shows the call, its status and attempts, never its
 * input or output (an AssumeRole answer holds credentials, its input the external id).
 */
function describe(content: unknown): string {
  const call = content as {clientName?: string; commandName?: string; error?: {name?: string; message?: string}; metadata?: {httpStatusCode?: number; attempts?: number; totalRetryDelay?: number}}
  if (typeof content !== 'object' || content === null || typeof call.commandName !== 'string') return typeof content === 'string' ? content : JSON.stringify(content)
  const meta = call.metadata ?? {}
  const outcome = call.error ? `failed: ${call.error.name ?? 'Error'}` : `HTTP ${meta.httpStatusCode ?? '?'}`
  return `${call.clientName ?? 'AWS'} ${call.commandName} ${outcome}, ${meta.attempts ?? 1} attempt(s)${meta.totalRetryDelay ? `, ${meta.totalRetryDelay} ms of retry delay` : ''}`
}

const log = (level: string) => (...content: unknown[]) => {
  if (debugEnabled('vpcsc:aws')) debug('vpcsc:aws', `${level} ${content.map(describe).join(' ')}`)
}

export const sdkLogger = {trace: () => {}, debug: () => {}, info: log('call'), warn: log('warn'), error: log('error')}

export function awsClientOptions(region: string | undefined, profile: string | undefined) {
  return {region: sdkRegion(region), profile, maxAttempts: 4, logger: sdkLogger}
}

/**
 * The environment variable each service's endpoint comes from, as the SDK reads it
 * (@smithy/core's getEndpointFromConfig): AWS_ENDPOINT_URL_<SERVICE> when set, else
 * AWS_ENDPOINT_URL; none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is "true". A variable
 * that several services take is listed once, with the first of them.
 */
export function awsEndpointVariables(services: readonly string[], env: NodeJS.ProcessEnv = process.env): {variable: string; service: string}[] {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return []
  const found = new Map<string, string>()
  for (const service of services) {
    const variable = [`AWS_ENDPOINT_URL_${service.toUpperCase()}`, 'AWS_ENDPOINT_URL'].find((name) => env[name])
    if (variable && !found.has(variable)) found.set(variable, service)
  }
  return [...found].map(([variable, service]) => ({variable, service}))
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
