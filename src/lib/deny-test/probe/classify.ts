/**
 * What a probe's answer means. Pure: unit-tested on the real shapes Google, gcloud and
 * google-genai produce (docs/api-facts.md, "A VPC Service Controls denial").
 *
 * Only a VPC-SC denial OF aiplatform.googleapis.com proves the perimeter works. A denial of
 * the token exchange (sts, iamcredentials) is VPC-SC too, but of another service; an IAM
 * 403 or a 401 is no VPC-SC denial at all; neither may count as a pass.
 */

export type ProbeVerdict = 'ALLOWED' | 'DENIED_VPCSC' | 'DENIED_VPCSC_OTHER_SERVICE' | 'DENIED_OTHER' | 'ERROR'

export interface ProbeOutcome {
  verdict: ProbeVerdict
  /** The service that denied, when the answer names it. */
  service?: string
  /** vpcServiceControlsUniqueIdentifier: the evidence, to look up in the audit logs. */
  uid?: string
  httpStatus?: number
  /** One line for people: what came back. */
  detail: string
}

export const VERTEX_SERVICE = 'aiplatform.googleapis.com'

/** Where in the call the answer came from: getting a token, or calling Vertex AI. */
export type ProbeStage = 'token' | 'vertex'

interface ErrorDetail {
  '@type'?: string
  reason?: string
  metadata?: Record<string, string>
  violations?: {type?: string; description?: string}[]
}

const PROHIBITED = /Request is prohibited by organization'?s policy/i
const UID_IN_TEXT = /vpcServiceControlsUniqueIdentifier[:=]?\s*["']?([A-Za-z0-9_-]+)/
const SERVICE_IN_TEXT = /["']service["']\s*:\s*["']([a-z0-9.-]+\.googleapis\.com)["']/
const TOKEN_SERVICES = /\b(sts|iamcredentials)\.googleapis\.com\b/
/** OAuth-style errors come only from the token exchange, which names no service. */
const TOKEN_EXCHANGE = /OAuthError|RefreshError|Error code access_denied|["']error["']\s*:\s*["']access_denied["']|error_description/

/** An HTTP answer of the Vertex AI call (or of the token exchange). */
export function classifyHttp(status: number, body: string, stage: ProbeStage = 'vertex'): ProbeOutcome {
  if (status >= 200 && status < 300) return {verdict: 'ALLOWED', httpStatus: status, detail: `HTTP ${status}`}
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    parsed = undefined
  }
  const error = (parsed as {error?: unknown} | undefined)?.error
  if (error && typeof error === 'object') {
    const e = error as {code?: number; status?: string; message?: string; details?: ErrorDetail[]}
    const info = e.details?.find((d) => d['@type']?.endsWith('google.rpc.ErrorInfo'))
    const vpcsc =
      info?.reason === 'SECURITY_POLICY_VIOLATED' ||
      Boolean(e.details?.some((d) => d.violations?.some((v) => v.type === 'VPC_SERVICE_CONTROLS'))) ||
      PROHIBITED.test(e.message ?? '')
    const detail = `HTTP ${status} ${e.status ?? ''}: ${(e.message ?? '').replace(/\s+/g, ' ').slice(0, 200)}`.replace(/\s+:/, ':')
    if (vpcsc) {
      const uid = info?.metadata?.uid ?? e.details?.flatMap((d) => d.violations ?? []).find((v) => v.type === 'VPC_SERVICE_CONTROLS')?.description ?? e.message?.match(UID_IN_TEXT)?.[1]
      return vpcscOutcome(info?.metadata?.service, stage, uid, status, detail)
    }
    return {verdict: status === 401 || status === 403 ? 'DENIED_OTHER' : 'ERROR', httpStatus: status, detail}
  }
  // OAuth-style answers of the token endpoint: {"error": "access_denied", "error_description": "..."}
  if (typeof error === 'string') {
    const description = String((parsed as {error_description?: unknown}).error_description ?? '')
    const detail = `HTTP ${status}: ${error}: ${description.replace(/\s+/g, ' ').slice(0, 200)}`
    if (PROHIBITED.test(description)) return vpcscOutcome(undefined, stage, description.match(UID_IN_TEXT)?.[1], status, detail)
    return {verdict: status === 401 || status === 403 || error === 'invalid_grant' || error === 'access_denied' ? 'DENIED_OTHER' : 'ERROR', httpStatus: status, detail}
  }
  return classifyText(body, {stage, httpStatus: status})
}

/**
 * Text printed by gcloud, google-genai, curl, or the user's own probe command. The exit
 * code, when known, decides between ALLOWED and ERROR for text that shows no denial.
 */
export function classifyText(text: string, context: {stage?: ProbeStage; exitCode?: number; httpStatus?: number} = {}): ProbeOutcome {
  const stage = context.stage ?? 'vertex'
  const oneLine = text.replace(/\s+/g, ' ').trim()
  const detail = lastMeaningfulLine(text) || (context.exitCode !== undefined ? `exit ${context.exitCode}` : 'no output')
  const vpcsc = /SECURITY_POLICY_VIOLATED|VPC_SERVICE_CONTROLS/.test(oneLine) || PROHIBITED.test(oneLine) || UID_IN_TEXT.test(oneLine)
  if (vpcsc) {
    const service = oneLine.match(SERVICE_IN_TEXT)?.[1] ?? oneLine.match(TOKEN_SERVICES)?.[0] ?? (TOKEN_EXCHANGE.test(oneLine) ? 'sts.googleapis.com' : undefined)
    return vpcscOutcome(service, stage, oneLine.match(UID_IN_TEXT)?.[1] ?? oneLine.match(/["']uid["']\s*:\s*["']([A-Za-z0-9_-]+)["']/)?.[1], context.httpStatus ?? 403, detail)
  }
  if (/\b403\b.*PERMISSION_DENIED|PERMISSION_DENIED.*\b403\b|\bPermission '[^']+' denied|IAM_PERMISSION_DENIED|\b401\b|UNAUTHENTICATED|invalid_grant|access_denied/i.test(oneLine)) {
    return {verdict: 'DENIED_OTHER', httpStatus: context.httpStatus, detail}
  }
  if (context.exitCode === 0) return {verdict: 'ALLOWED', httpStatus: context.httpStatus, detail: detail || 'exit 0'}
  return {verdict: 'ERROR', httpStatus: context.httpStatus, detail}
}

function vpcscOutcome(service: string | undefined, stage: ProbeStage, uid: string | undefined, status: number, detail: string): ProbeOutcome {
  // An answer that does not name its service was given to whichever call was being made.
  const denied = service ?? (stage === 'token' ? 'sts.googleapis.com' : VERTEX_SERVICE)
  return {verdict: denied === VERTEX_SERVICE ? 'DENIED_VPCSC' : 'DENIED_VPCSC_OTHER_SERVICE', service: denied, uid, httpStatus: status, detail}
}

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  return (lines.at(-1) ?? '').slice(0, 200)
}
