import type {Json} from './json.ts'

export type Api = 'acm' | 'sts' | 'operations' | 'vertex' | 'logging' | 'iamcredentials'

/** One non-admin request, as tests see it through GET /__admin/requests. */
export interface LoggedRequest {
  seq: number
  method: string
  path: string
  query: Record<string, string>
  /** Parsed JSON, or the form fields for the token exchange; secrets are REDACTED. */
  body: Json
  /** null while the request is pending, or when a fault dropped it. */
  status: number | null
  /** True for every non-GET ACM call: "read-only commands made no write" is `!log.some(r => r.write)`. */
  write: boolean
  api: Api
  /** The caller's IP as the emulated Google saw it: x-vpcsc-egress-ip (the NAT egress), else the operator IP. */
  callerIp: string
  at: string
  /** An accepted write: the name of its operation (pending until the service commits it). */
  operation?: string
  /** Set when an injected fault changed this request: 'status', 'drop' or 'delay'. */
  fault?: 'status' | 'drop' | 'delay'
}

/** Form fields that are secrets: never kept, so the log can be printed safely. */
const SECRET_FIELDS = ['subject_token', 'actor_token']

/** The body as the log keeps it: JSON parsed, form decoded, secrets replaced. */
export function bodyForLog(raw: string, contentType: string | undefined): Json {
  if (raw === '') return null
  let parsed: Json
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) {
    parsed = Object.fromEntries(new URLSearchParams(raw))
  } else {
    try {
      parsed = JSON.parse(raw) as Json
    } catch {
      return raw
    }
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    for (const field of SECRET_FIELDS) if (field in parsed) parsed[field] = 'REDACTED'
  }
  return parsed
}

export class RequestLog {
  #entries: LoggedRequest[] = []
  #nextSeq = 1

  /** Logged on arrival (status null), so a delayed request is visible while it waits. */
  start(entry: Omit<LoggedRequest, 'seq' | 'status' | 'at'>): LoggedRequest {
    const logged: LoggedRequest = {seq: this.#nextSeq++, ...entry, status: null, at: new Date().toISOString()}
    this.#entries.push(logged)
    return logged
  }

  list(): LoggedRequest[] {
    return this.#entries.map((entry) => structuredClone(entry))
  }

  /** seq keeps counting across clears, so sequence numbers are never reused. */
  clear(): void {
    this.#entries = []
  }
}
