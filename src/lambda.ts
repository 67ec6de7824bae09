// The AWS Lambda entry point (dist/lambda.js, handler `lambda.handler`): EventBridge events
// of the NAT gateway and Elastic IP API calls, and a schedule, each run one `ip sync --yes`.
// The logic is src/lib/reconciler/reconcile.ts; this file only gives it the runtime's name.
import {reconcile, type LambdaContext, type ReconcileResult} from './lib/reconciler/reconcile.ts'

export type {ReconcileResult} from './lib/reconciler/reconcile.ts'

export function handler(event: unknown, context?: LambdaContext): Promise<ReconcileResult> {
  return reconcile(event, context)
}
