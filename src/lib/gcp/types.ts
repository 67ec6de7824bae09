/**
 * The Access Context Manager v1 resources vpcsc reads and writes, typed from the
 * discovery document (test/local-cloud/google/accesscontextmanager-v1.json; docs/api-facts.md). Fields vpcsc never looks
 * into are kept as `unknown` so they travel back to the API untouched.
 */

export interface AccessPolicy {
  name: string
  parent?: string
  title?: string
  scopes?: string[]
  etag?: string
}

export interface Condition {
  ipSubnetworks?: string[]
  members?: string[]
  negate?: boolean
  regions?: string[]
  requiredAccessLevels?: string[]
  devicePolicy?: unknown
  /** Newer than the discovery document; cannot be set together with ipSubnetworks. */
  vpcNetworkSources?: unknown[]
}

export interface BasicLevel {
  combiningFunction?: 'AND' | 'OR'
  conditions: Condition[]
}

export interface AccessLevel {
  name: string
  title?: string
  description?: string
  basic?: BasicLevel
  custom?: {expr?: unknown}
}

export interface IngressSource {
  accessLevel?: string
  resource?: string
}

export interface IngressPolicy {
  ingressFrom?: {sources?: IngressSource[]; identityType?: string; identities?: string[]}
  ingressTo?: {resources?: string[]; operations?: unknown[]}
}

export interface ServicePerimeterConfig {
  resources?: string[]
  accessLevels?: string[]
  restrictedServices?: string[]
  ingressPolicies?: IngressPolicy[]
  egressPolicies?: unknown[]
  vpcAccessibleServices?: {enableRestriction?: boolean; allowedServices?: string[]}
}

export interface ServicePerimeter {
  name: string
  title?: string
  description?: string
  perimeterType?: 'PERIMETER_TYPE_REGULAR' | 'PERIMETER_TYPE_BRIDGE'
  status?: ServicePerimeterConfig
  spec?: ServicePerimeterConfig
  useExplicitDryRunSpec?: boolean
  /** Live API only: generated at policy level. */
  etag?: string
}

export interface GoogleRpcStatus {
  code?: number
  message?: string
  details?: unknown[]
}

export interface Operation {
  name: string
  done?: boolean
  error?: GoogleRpcStatus
  response?: Record<string, unknown>
  metadata?: Record<string, unknown>
}
