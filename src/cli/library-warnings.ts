import {debug} from '../lib/core/debug.ts'

/**
 * Library and runtime warnings that are noise to a vpcsc user go to DEBUG=vpcsc:warnings
 * instead of stderr, each by its exact type or text; every other warning still reaches the user.
 *   MetadataLookupWarning      google-auth-library (gcp-metadata) probing for a GCE
 *                              metadata server on every machine that is not one
 *   NodeVersionSupportWarning  the AWS SDK on a Node line it will stop supporting; vpcsc
 *                              checks the Node version itself (bin/node-version.js)
 *   "The 'NO_COLOR' env is     Node itself, when FORCE_COLOR is set with NO_COLOR (or
 *   ignored due to the         NODE_DISABLE_COLORS), as CI systems that set FORCE_COLOR
 *   'FORCE_COLOR' env being    globally do: FORCE_COLOR wins, for Node as for vpcsc
 *   set."                      (README, Conventions), so there is nothing to tell
 * (The AWS SDK's console.warn notices go to its logger: see lib/aws/sdk-options.ts.)
 */
export function isLibraryNoise(type: string, message: string): boolean {
  return (
    type === 'MetadataLookupWarning' ||
    message.startsWith('NodeVersionSupportWarning') ||
    (type === 'Warning' && /^The '(NO_COLOR|NODE_DISABLE_COLORS)(' and '(NO_COLOR|NODE_DISABLE_COLORS))?' env is ignored due to the 'FORCE_COLOR' env being set\.$/.test(message))
  )
}

let quieted = false

/**
 * Installed once, first thing: bin/run.js (and bin/dev.js) call it before the CLI's modules
 * load, since Node's own warning above comes as node:util is first loaded.
 */
export function quietLibraryWarnings(): void {
  if (quieted) return
  quieted = true
  const original = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const option = rest[0] as string | {type?: string} | undefined
    const type = typeof option === 'string' ? option : (option?.type ?? (warning instanceof Error ? warning.name : 'Warning'))
    const message = warning instanceof Error ? warning.message : String(warning)
    if (isLibraryNoise(type, message)) {
      debug('vpcsc:warnings', `${type}: ${message}`)
      return
    }
    original(warning, ...rest)
  }) as typeof process.emitWarning
}
