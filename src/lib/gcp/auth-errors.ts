import {existsSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {debug} from '../core/debug.ts'
import {RuntimeError} from '../core/errors.ts'
import {formatSeconds} from './google-error.ts'

/**
 * Failures getting a Google token, named as what they are: a credentials problem, with the
 * token host and the credential file's path, and never a byte of the file, the key or a
 * token. Without this they surfaced as "no answer from Access Context Manager" (a token
 * endpoint that does not answer, an unreadable private key), or with the file's first
 * characters quoted by JSON.parse (a key id).
 */

/** The next step for every credentials problem. */
export function credentialsHint(): string {
  return 'Run `gcloud auth application-default login`, or point GOOGLE_APPLICATION_CREDENTIALS at a service-account or Workload Identity Federation credential file.'
}

/** The credential file Application Default Credentials reads, as google-auth-library finds it. */
export function credentialFilePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.GOOGLE_APPLICATION_CREDENTIALS?.trim()
  if (explicit) return path.resolve(explicit)
  const configDir = env.CLOUDSDK_CONFIG || (process.platform === 'win32' ? env.APPDATA && path.join(env.APPDATA, 'gcloud') : env.HOME && path.join(env.HOME, '.config', 'gcloud'))
  if (!configDir) return undefined
  const wellKnown = path.join(configDir, 'application_default_credentials.json')
  return existsSync(wellKnown) ? wellKnown : undefined
}

function source(file = credentialFilePath()): string {
  if (!file) return 'no credential file: gcloud or the metadata server'
  return process.env.GOOGLE_APPLICATION_CREDENTIALS?.trim() ? `credential file ${file} from GOOGLE_APPLICATION_CREDENTIALS` : `credential file ${file}`
}

/**
 * The host a credential file gets its tokens from, read from the file's URL fields only
 * (service account keys sign locally first, so a bad key fails before any URL is called).
 */
function tokenHostOf(file: string | undefined): string {
  const fallback = 'oauth2.googleapis.com'
  if (!file) return fallback
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as {token_url?: unknown; token_uri?: unknown}
    const url = typeof json.token_url === 'string' ? json.token_url : typeof json.token_uri === 'string' ? json.token_uri : undefined
    return url ? new URL(url).host : fallback
  } catch {
    return fallback
  }
}

/**
 * Anything that looks like a secret, out of text that may reach the terminal: long
 * base64/hex runs (tokens, keys, signatures), AWS access key ids, PEM blocks, and the
 * quoted excerpts JSON.parse puts in its messages.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g, '[redacted key]')
    .replace(/\b(AKIA|ASIA|AIza)[A-Za-z0-9_-]{8,}/g, '[redacted]')
    .replace(/[A-Za-z0-9_\-+=]{32,}/g, '[redacted]')
    .replace(/"[^"\n]{0,40}"\.\.\./g, '"[redacted]"...')
}

function authFailed(host: string | undefined, reason: string, cause: unknown): Error {
  return new RuntimeError({code: 'AUTHENTICATION', message: `Google authentication failed${host ? ` at ${host}` : ''} (${source()}): ${redactSecrets(reason)}.`, hint: credentialsHint(), cause})
}

const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ECONNABORTED|UND_ERR_\w+|TimeoutError|AbortError|ERR_STREAM_PREMATURE_CLOSE)$/

interface TokenError {
  message?: string
  code?: string
  name?: string
  config?: {url?: string | URL}
  response?: {status: number; data?: unknown}
}

/**
 * The error of a call, when it is a failure to get a token rather than the call's own:
 * known to be one (`tokenCall`: the first token exchange, awaited before any call), or an
 * answer from another URL than the API's (STS, OAuth, iamcredentials), or in OAuth's shape;
 * no answer from such a URL; or a private key that cannot sign. `tokenCall` matters where
 * the token endpoint shares the API's host (a proxy, a Private Service Connect endpoint)
 * and answers in Google's error shape: the URL alone would blame the API.
 */
export function tokenFailure(apiEndpoint: string, error: unknown, timeoutMs?: number, tokenCall = false): Error | undefined {
  const e = (error ?? {}) as TokenError
  const url = String(e.config?.url ?? '')
  const host = url ? safeHost(url) : undefined
  const data = e.response?.data as {error?: string | {message?: string}; error_description?: string} | undefined
  const oauthShaped = typeof data?.error === 'string'
  const elsewhere = tokenCall || !url.startsWith(apiEndpoint)
  if (e.response && url && (oauthShaped || elsewhere)) {
    const detail = data?.error_description ?? (typeof data?.error === 'object' ? data.error.message : data?.error) ?? `HTTP ${e.response.status}`
    if (/prohibited by organization'?s policy/i.test(String(detail))) {
      return new RuntimeError({
        code: 'AUTHENTICATION',
        message: `Google authentication failed at ${host}: ${redactSecrets(String(detail))}.`,
        hint: 'VPC Service Controls denied the token exchange for this machine: run vpcsc from an address an access level admits, or allow it with an ingress rule.',
        cause: error,
      })
    }
    return authFailed(host, String(detail), error)
  }
  const code = String(e.code ?? e.name ?? '')
  if (!e.response && url && elsewhere && (NETWORK_CODES.test(code) || /socket hang up|timed? ?out|aborted|network|fetch failed/i.test(e.message ?? ''))) {
    const what = /timed? ?out|TimeoutError|ETIMEDOUT/i.test(`${code} ${e.message}`) ? `no answer within ${formatSeconds(timeoutMs)}` : code === 'ECONNRESET' || /hang up/i.test(e.message ?? '') ? 'the connection was closed without an answer' : 'no answer'
    return authFailed(host, `${what} (${NETWORK_CODES.test(code) ? code : 'network error'})`, error)
  }
  if (!e.response && (/^ERR_OSSL/.test(code) || /private key|PEM|DECODER routines|asn1|unsupported key/i.test(e.message ?? ''))) {
    return authFailed(tokenHostOf(credentialFilePath()), `the private key cannot be used to sign (${/^ERR_OSSL/.test(code) ? code : 'unreadable key'})`, error)
  }
  return undefined
}

/**
 * The first token exchange failed in a way tokenFailure does not know (a TLS error from an
 * intercepting proxy, a proxy's HTML page where JSON was due): still the token's failure,
 * at the token host, never "no answer from" an API that was never called.
 */
export function otherTokenFailure(error: unknown): Error {
  const e = (error ?? {}) as TokenError
  const url = String(e.config?.url ?? '')
  const reason = e.code && !/^\d+$/.test(e.code) ? `${String(e.message ?? '').split('\n')[0]} (${e.code})` : String(e.message ?? error).split('\n')[0]!
  return authFailed(url ? safeHost(url) : tokenHostOf(credentialFilePath()), reason, error)
}

/** Loading the credentials failed (GoogleAuth.getClient): the file is missing, not JSON, or not a credential. */
export function credentialsLoadFailure(error: unknown): Error {
  const message = String((error as Error)?.message ?? error).split('\n')[0]!
  const file = credentialFilePath()
  if (/Could not load the default credentials/i.test(message)) {
    return new RuntimeError({code: 'NO_CREDENTIALS', message: 'No Google credentials found: no GOOGLE_APPLICATION_CREDENTIALS, no gcloud application-default login, no metadata server.', hint: credentialsHint(), cause: error})
  }
  let reason: string
  if (error instanceof SyntaxError || /is not valid JSON|Unexpected (token|end of JSON)|JSON at position/i.test(message)) reason = 'the file is not valid JSON'
  // google-auth-library says "does not exist, or it is not a file" for a directory too.
  else if (/does not exist|ENOENT|EISDIR/i.test(message)) reason = file && isDirectory(file) ? 'it is a directory, not a file' : 'the file does not exist'
  else if (/EACCES|permission denied/i.test(message)) reason = 'the file cannot be read (permission denied)'
  else reason = message.replace(/^Unable to read the credential file specified by the GOOGLE_APPLICATION_CREDENTIALS environment variable: /, '')
  return new RuntimeError({code: 'AUTHENTICATION', message: `Google authentication failed (${source(file)}): ${redactSecrets(reason)}.`, hint: credentialsHint(), cause: error})
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory()
  } catch {
    return false
  }
}

/** What DEBUG may show of a failed call's answer: an API's error body, but nothing of a token endpoint's (`tokenCall`: see tokenFailure). */
export function debugAnswer(apiEndpoint: string, error: unknown, tokenCall = false): string {
  const e = (error ?? {}) as TokenError
  const url = String(e.config?.url ?? '')
  if (url && url.startsWith(apiEndpoint) && !tokenCall) return `${redactSecrets(e.message ?? '')} ${redactSecrets(JSON.stringify(e.response?.data ?? null))}`
  const data = e.response?.data as {error?: unknown} | undefined
  const oauthError = typeof data?.error === 'string' ? ` ${data.error}` : ''
  return `token call${url ? ` to ${safeHost(url)}` : ''}: ${e.response ? `HTTP ${e.response.status}${oauthError}` : String(e.code ?? e.name ?? 'error')} (body not shown)`
}

function safeHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'the token endpoint'
  }
}

let warningsFiltered = false

/**
 * google-auth-library's metadata-server probe reports an unexpected answer (a proxy's 403,
 * say) as a process warning, `MetadataLookupWarning`, printed under vpcsc's own error.
 * It is a detail of ADC's search, not something a user can act on: DEBUG shows it.
 */
export function quietMetadataLookupWarnings(): void {
  if (warningsFiltered) return
  warningsFiltered = true
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0]
    const type = typeof options === 'string' ? options : (options as {type?: string} | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined)
    if (type === 'MetadataLookupWarning') {
      debug('vpcsc:auth', `metadata server lookup: ${redactSecrets(String(warning instanceof Error ? warning.message : warning))}`)
      return
    }
    emit(warning, ...rest)
  }) as typeof process.emitWarning
}
