/**
 * Diagnostics on stderr when DEBUG names vpcsc (DEBUG=vpcsc* or DEBUG=vpcsc:http), the
 * convention of the `debug` package, without its weight on start-up.
 */
const pattern = process.env.DEBUG ?? ''

export function debugEnabled(namespace = 'vpcsc'): boolean {
  return pattern.split(/[\s,]+/).some((p) => p !== '' && new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(namespace))
}

export function debug(namespace: string, message: string): void {
  if (debugEnabled(namespace)) process.stderr.write(`${namespace} ${message}\n`)
}
