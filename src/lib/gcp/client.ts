import type {AuthClient} from 'google-auth-library'

import {debug} from '../core/debug.ts'
import {VpcscError} from '../core/errors.ts'
import {credentialsLoadFailure, debugAnswer, otherTokenFailure, quietMetadataLookupWarnings, tokenFailure} from './auth-errors.ts'
import {type CallContext, toGoogleApiError} from './google-error.ts'

/**
 * One authenticated REST client for the Google APIs vpcsc calls (Access Context Manager,
 * Vertex AI, Logging). Credentials come from Application Default Credentials through
 * google-auth-library: user, service account, external account (Workload Identity
 * Federation, AWS included), optionally impersonating a service account.
 *
 * No project id is ever looked up: it costs a round trip (or a metadata-server probe)
 * and none of the calls need one.
 */

/** The parts of gaxios's error vpcsc reads (its own type differs between its CJS and ESM builds). */
interface HttpError {
  message: string
  code?: string
  config?: {url?: string | URL}
  response?: {status: number; data?: unknown}
}

type AuthRequestOptions = Parameters<AuthClient['request']>[0]

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform'

export interface GoogleClientOptions {
  /** Bound on one HTTP attempt, token exchanges included (docs/safety.md, rule 8). */
  requestTimeoutMs?: number
  impersonateServiceAccount?: string
  /** iamcredentials endpoint, for impersonation through a proxy or PSC endpoint. */
  iamCredentialsEndpoint?: string
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PATCH'
  url: string
  params?: Record<string, string | number | undefined>
  data?: unknown
  /** Aborts the call (Ctrl-C, SIGTERM): an aborted call is never retried. */
  signal?: AbortSignal
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/**
 * Retries of reads: 429 and 5xx, dropped connections and timed-out attempts, with
 * exponential backoff. Writes are never retried here: a write whose answer was lost may
 * have landed, and only reading the resource tells (confirmed-write.ts, docs/safety.md).
 */
const RETRY = {
  retry: 4,
  noResponseRetries: 2,
  retryDelay: 250,
  retryDelayMultiplier: 2,
  maxRetryDelay: 4000,
  statusCodesToRetry: [
    [429, 429],
    [500, 599],
  ],
  httpMethodsToRetry: ['GET'],
}

export class GoogleRestClient {
  private readonly client: Promise<AuthClient>
  readonly timeoutMs: number

  constructor(options: GoogleClientOptions = {}) {
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.client = createAuthClient({...options, requestTimeoutMs: this.timeoutMs})
    // The promise may be awaited only later; keep an early failure from being reported
    // as unhandled before then.
    this.client.catch(() => undefined)
  }

  private firstToken?: Promise<{error?: unknown}>

  /** Starts the token exchange now, so it overlaps with other work. */
  warmUp(): void {
    void this.tokenOnce()
  }

  /**
   * One token exchange shared by the requests that start together: they run in parallel,
   * and not every client (impersonation) merges concurrent refreshes itself.
   * google-auth-library already retries a token call that got no answer or a 5xx; a
   * failure after that is the answer of every request waiting for it, met once. Left to
   * each request, every one of them fetched the token again with its own retries: a token
   * endpoint that never answered held a command for six timeouts instead of three
   * (docs/safety.md, rule 8). A failure is not kept: the next request (a warm Lambda's next
   * invocation) tries afresh. Later refreshes (a token expiring during a long deny test)
   * happen inside each request, as usual.
   */
  private tokenOnce(): Promise<{error?: unknown}> {
    if (!this.firstToken) {
      const exchange: Promise<{error?: unknown}> = this.client.then((c) => c.getAccessToken()).then(
        () => ({}),
        (error: unknown) => ({error}),
      )
      this.firstToken = exchange
      const started = Date.now()
      void exchange.then(({error}) => {
        // Never the token, nor the token endpoint's answer (debugAnswer says what may be shown).
        debug('vpcsc:http', `Google token (Application Default Credentials) ${error === undefined ? 'obtained' : 'failed'} in ${Date.now() - started}ms`)
        if (error !== undefined && this.firstToken === exchange) this.firstToken = undefined
      })
    }
    return this.firstToken
  }

  /** GET without retries or error mapping; any HTTP status is an answer. */
  async raw(url: string, signal?: AbortSignal): Promise<RawAnswer> {
    const first = await this.tokenOnce()
    if (first.error) return tokenAnswer(first.error as HttpError)
    const client = await this.client
    try {
      const answer = await client.request<string>({url, method: 'GET', responseType: 'text', validateStatus: () => true, retry: false, timeout: this.timeoutMs, signal} as AuthRequestOptions)
      return {kind: 'http', status: answer.status, body: typeof answer.data === 'string' ? answer.data : JSON.stringify(answer.data)}
    } catch (error) {
      const e = error as HttpError
      // Every status is an answer here (validateStatus), so an error with one is the token call's.
      if (e.response) return tokenAnswer(e)
      return {kind: 'network', body: `no answer from ${new URL(url).host}: ${e.code ?? e.message}`}
    }
  }

  async request<T>(context: CallContext, options: RequestOptions): Promise<T> {
    const first = await this.tokenOnce()
    // Creating the client already says what is wrong with the credentials (a VpcscError).
    if (first.error) throw first.error instanceof VpcscError ? first.error : mapError(context, first.error, 0, this.timeoutMs, true)
    const client = await this.client
    let attempts = 0
    const started = Date.now()
    try {
      const answer = await client.request<T>({
        method: options.method,
        url: options.url,
        params: options.params,
        data: options.data,
        headers: {'x-goog-api-client': 'vpcsc'},
        responseType: 'json',
        timeout: this.timeoutMs,
        signal: options.signal,
        retryConfig: {
          ...RETRY,
          onRetryAttempt: (error: HttpError) => {
            attempts++
            debug('vpcsc:http', `retry ${attempts} ${options.method} ${options.url}: ${error.response?.status ?? error.code}`)
          },
        },
      } as AuthRequestOptions)
      debug('vpcsc:http', `${options.method} ${options.url} ${answer.status} ${Date.now() - started}ms`)
      return answer.data
    } catch (error) {
      throw mapError(context, error, attempts, this.timeoutMs)
    }
  }
}

/** A failed token call as a probe's answer: the token endpoint's status and body, or what went wrong. */
function tokenAnswer(e: HttpError): RawAnswer {
  if (!e.response) return {kind: 'token', body: e.message}
  const data = e.response.data
  return {kind: 'token', status: e.response.status, body: typeof data === 'string' ? data : JSON.stringify(data ?? '')}
}

/** An answer taken as it is, for probes: the status is the finding, not a failure. */
export type RawAnswer =
  | {kind: 'http'; status: number; body: string}
  /** Getting a token failed: the token endpoint's answer, when there was one. */
  | {kind: 'token'; status?: number; body: string}
  | {kind: 'network'; body: string}

/** `tokenCall`: the error is the first token exchange's, whatever its URL (tokenFailure). */
function mapError(context: CallContext, error: unknown, attempts: number, timeoutMs: number, tokenCall = false): Error {
  const e = error as HttpError
  debug('vpcsc:http', `failed: ${debugAnswer(context.endpoint, error, tokenCall)}`)
  // Getting a token (STS, OAuth, iamcredentials, a local key) failed: a credentials
  // problem, whatever its HTTP status or network error, never the API's.
  const token = tokenFailure(context.endpoint, error, timeoutMs, tokenCall)
  if (token) return token
  if (!e.response && /default credentials|Could not load|credential/i.test(e.message ?? '')) {
    return credentialsLoadFailure(error)
  }
  if (tokenCall) return otherTokenFailure(error)
  return toGoogleApiError(context, {status: e.response?.status, data: e.response?.data, networkCode: e.code, networkMessage: e.message, attempts, timeoutMs}, error)
}

async function createAuthClient(options: GoogleClientOptions): Promise<AuthClient> {
  const {GoogleAuth, Impersonated} = await import('google-auth-library')
  let source: AuthClient
  quietMetadataLookupWarnings()
  try {
    // A projectId given up front stops google-auth-library from looking one up while it
    // loads ADC: that lookup spawns gcloud, probes the metadata server, or (for Workload
    // Identity Federation) calls Cloud Resource Manager. None of vpcsc's calls needs it.
    // The transporter's timeout bounds the token exchanges too (STS, OAuth, metadata).
    source = await new GoogleAuth({
      scopes: [CLOUD_PLATFORM],
      projectId: 'vpcsc-needs-no-project-id',
      clientOptions: {transporterOptions: {timeout: options.requestTimeoutMs}},
    }).getClient()
  } catch (error) {
    throw credentialsLoadFailure(error)
  }
  boundStsExchange(source, options.requestTimeoutMs)
  if (!options.impersonateServiceAccount) return source
  const impersonated = {
    sourceClient: source,
    targetPrincipal: options.impersonateServiceAccount,
    targetScopes: [CLOUD_PLATFORM],
    lifetime: 3600,
    transporterOptions: {timeout: options.requestTimeoutMs},
    ...(options.iamCredentialsEndpoint ? {endpoint: options.iamCredentialsEndpoint} : {}),
  }
  return withoutValidationNotice(() => new Impersonated(impersonated))
}

/**
 * google-auth-library's Impersonated constructor prints, with console.warn on every run, that
 * it "does not validate the credential configuration" (a notice for configurations taken from
 * untrusted sources, which it skips for those it loads through ADC itself). Here the source
 * is ADC and the target vpcsc's own validated setting: the notice goes to
 * DEBUG=vpcsc:warnings, as other library warnings do (README, Conventions). Any other
 * console.warn during the constructor still reaches the user.
 */
function withoutValidationNotice<T>(construct: () => T): T {
  const warn = console.warn
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('The `Impersonated` constructor does not validate the credential configuration')) debug('vpcsc:warnings', args[0])
    else warn(...args)
  }
  try {
    return construct()
  } finally {
    console.warn = warn
  }
}

/**
 * A Workload Identity Federation client makes its STS token exchange through a Gaxios of
 * its own, created without the client's transporter options (google-auth-library 11,
 * BaseExternalAccountClient's stsCredential): the request timeout must be set there too,
 * or a token_url that accepts and never answers hangs vpcsc for good.
 */
function boundStsExchange(client: AuthClient, timeoutMs: number | undefined): void {
  if (timeoutMs === undefined) return
  const sts = (client as unknown as {stsCredential?: {transporter?: {defaults?: Record<string, unknown>}}}).stsCredential?.transporter
  if (sts) sts.defaults = {...sts.defaults, timeout: timeoutMs}
}
