import type {Auth} from './auth.ts'
import type {Controls} from './controls.ts'
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
}
