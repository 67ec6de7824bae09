import type {AuditLog} from './audit-log.ts'
import type {Auth} from './auth.ts'
import type {Clock} from './clock.ts'
import type {Controls} from './controls.ts'
import type {Enforcement} from './enforcement.ts'
import type {Operations} from './operations.ts'
import type {RequestLog} from './request-log.ts'
import type {Store} from './store.ts'

/** Everything one emulated Google Cloud holds; handlers receive it instead of globals, so several can run side by side. */
export interface CloudContext {
  store: Store
  controls: Controls
  operations: Operations
  auth: Auth
  log: RequestLog
  clock: Clock
  /** What VPC Service Controls enforces: ACM changes, delayed by propagation. */
  enforcement: Enforcement
  /** The policy audit log (VPC-SC violations) served by Cloud Logging. */
  auditLog: AuditLog
}

/** Who is calling, as the front end sees it. */
export interface CallerInfo {
  /** x-vpcsc-egress-ip when the emulated NAT egress set it, else the operator IP. */
  ip: string
  userAgent?: string
}

/** A non-admin request as the API handlers get it. */
export interface ServiceRequest {
  method: string
  path: string
  query: Record<string, string>
  rawBody: string
  headers: Record<string, string | string[] | undefined>
  caller: CallerInfo
}
