import diagnostics from 'node:diagnostics_channel'

/**
 * Counts the HTTP calls a run makes, from Node's own diagnostics channels: `undici` for
 * fetch (google-auth-library and its token exchanges) and `http.client` for node:http (the
 * AWS SDK). Nothing in the API clients has to know, and retries count as the calls they
 * are. Only the method and which API are kept: never a header value, a body or a query.
 */

export type CallCounts = Record<string, number>

/** Which API a request went to: the service's name, by host or, behind a proxy or emulator, by path. */
export function apiOf(host: string, path: string, awsService?: string): string {
  if (awsService) return `aws:${awsService}`
  const google = host.match(/^([a-z0-9-]+)\.googleapis\.com(:\d+)?$/)
  if (google) return google[1]!
  const aws = host.match(/^([a-z0-9-]+)\.([a-z0-9-]+\.)?amazonaws\.com(:\d+)?$/)
  if (aws) return `aws:${aws[1]}`
  if (/^\/v1\/token\b/.test(path)) return 'sts'
  if (/^\/v1\/(accessPolicies|operations)\b/.test(path)) return 'accesscontextmanager'
  if (/:generateAccessToken\b/.test(path)) return 'iamcredentials'
  return host
}

/** The AWS service of a SigV4-signed request, from the credential scope (the key id and signature are not read). */
function signedService(authorization: unknown): string | undefined {
  return typeof authorization === 'string' ? authorization.match(/Credential=[^,]*?\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/)?.[1] : undefined
}

interface UndiciRequest {
  origin?: string | URL
  method?: string
  path?: string
}

interface HttpRequest {
  method?: string
  host?: string
  path?: string
  getHeader?(name: string): unknown
}

/** Starts counting; `stop()` ends it and returns the counts ("api METHOD" -> n). */
export function countCalls(): {stop(): CallCounts} {
  const counts: CallCounts = {}
  const add = (key: string) => (counts[key] = (counts[key] ?? 0) + 1)
  const onFetch = (message: unknown) => {
    const request = (message as {request?: UndiciRequest}).request
    if (!request) return
    const host = request.origin ? new URL(String(request.origin)).host : '?'
    add(`${apiOf(host, request.path ?? '/')} ${request.method ?? 'GET'}`)
  }
  const onHttp = (message: unknown) => {
    const request = (message as {request?: HttpRequest}).request
    if (!request) return
    add(`${apiOf(request.host ?? '?', request.path ?? '/', signedService(request.getHeader?.('authorization')))} ${request.method ?? 'GET'}`)
  }
  diagnostics.subscribe('undici:request:create', onFetch)
  diagnostics.subscribe('http.client.request.start', onHttp)
  return {
    stop() {
      diagnostics.unsubscribe('undici:request:create', onFetch)
      diagnostics.unsubscribe('http.client.request.start', onHttp)
      return counts
    },
  }
}
