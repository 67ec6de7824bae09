import type {GoogleRestClient} from './client.ts'

/** Cloud Logging v2 `entries:list`, only what vpcsc reads: VPC-SC audit entries. */

/** An entry as Cloud Logging returned it: the fields vpcsc reads, typed; the others passed through. */
export interface VpcscAuditEntry {
  [field: string]: unknown
  insertId?: string
  timestamp: string
  logName?: string
  protoPayload?: {
    [field: string]: unknown
    serviceName?: string
    methodName?: string
    authenticationInfo?: {[field: string]: unknown; principalEmail?: string}
    requestMetadata?: {[field: string]: unknown; callerIp?: string}
    metadata?: {
      [field: string]: unknown
      violationReason?: string
      dryRun?: boolean
      vpcServiceControlsUniqueId?: string
      securityPolicyInfo?: {[field: string]: unknown; servicePerimeterName?: string}
    }
  }
}

export interface ListedEntries {
  entries: VpcscAuditEntry[]
  /** True when --limit stopped the paging before the end. */
  truncated: boolean
  pages: number
}

export async function listEntries(
  http: GoogleRestClient,
  endpoint: string,
  query: {resourceNames: string[]; filter: string; limit: number; pageSize?: number},
): Promise<ListedEntries> {
  const entries: VpcscAuditEntry[] = []
  let pageToken: string | undefined
  let pages = 0
  do {
    const page = await http.request<{entries?: VpcscAuditEntry[]; nextPageToken?: string}>(
      {action: 'read the VPC Service Controls audit logs', service: 'Cloud Logging', endpoint},
      {
        method: 'POST',
        url: `${endpoint}/v2/entries:list`,
        data: {resourceNames: query.resourceNames, filter: query.filter, orderBy: 'timestamp desc', pageSize: Math.min(query.pageSize ?? 1000, query.limit - entries.length), pageToken},
      },
    )
    pages++
    entries.push(...(page.entries ?? []))
    pageToken = page.nextPageToken || undefined
  } while (pageToken && entries.length < query.limit)
  return {entries: entries.slice(0, query.limit), truncated: Boolean(pageToken), pages}
}
