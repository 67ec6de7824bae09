// Thin wrappers over the SSM executor's /__admin/ API (see README.md), for tests and world.ts.
import type {FaultSpec, SsmCall} from './executor.ts'

export interface SsmAdmin {
  /** Queues a fault for the next `count` (1) SendCommands. */
  fault(spec: FaultSpec): Promise<void>
  clearFaults(): Promise<void>
  /** Every SSM call since the last clear/reset: {seq, target, body, at, status, error?, region}. */
  requests(): Promise<SsmCall[]>
  clearRequests(): Promise<void>
  /** Forgets every command (running scripts are killed), fault and logged call. */
  reset(): Promise<void>
}

export function ssmAdminClient(url: string): SsmAdmin {
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}/__admin/${path}`, {
      method,
      headers: body === undefined ? {} : {'content-type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`SSM admin ${method} /__admin/${path}: HTTP ${res.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }
  return {
    fault: async (spec) => void (await call('POST', 'faults', spec)),
    clearFaults: async () => void (await call('DELETE', 'faults')),
    requests: async () => (await call('GET', 'requests')) as SsmCall[],
    clearRequests: async () => void (await call('DELETE', 'requests')),
    reset: async () => void (await call('POST', 'reset')),
  }
}
