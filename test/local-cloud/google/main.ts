import {parseArgs} from 'node:util'
import {startGoogleCloud} from './server.ts'

/**
 * Standalone entry: `node test/local-cloud/google/main.ts --port N --state-dir DIR
 * [--operation-delay-ms N] [--pending-writes refuse|queue] [--propagation-delay-ms N] [--operator-ip IP] [--host H]`.
 * Prints one JSON line {url, port, credentialFile} once listening (the world script reads it), then serves until SIGTERM or SIGINT.
 */

function fail(message: string): never {
  process.stderr.write(`google local cloud: ${message}\n`)
  process.exit(2)
}

function integer(value: string | undefined, flag: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value)) fail(`${flag} must be a non-negative integer, got '${value}'`)
  return Number(value)
}

let values
try {
  ;({values} = parseArgs({
    options: {
      port: {type: 'string'},
      'state-dir': {type: 'string'},
      'operation-delay-ms': {type: 'string'},
      'pending-writes': {type: 'string'},
      'propagation-delay-ms': {type: 'string'},
      'operator-ip': {type: 'string'},
      host: {type: 'string'},
    },
  }))
} catch (error) {
  fail((error as Error).message)
}
const stateDir = values['state-dir']
if (!stateDir) fail('--state-dir DIR is required (the credential and subject-token files are written there)')
const pendingWrites = values['pending-writes']
if (pendingWrites !== undefined && pendingWrites !== 'refuse' && pendingWrites !== 'queue') {
  fail(`--pending-writes must be 'refuse' or 'queue', got '${pendingWrites}'`)
}
const operationDelayMs = integer(values['operation-delay-ms'], '--operation-delay-ms', undefined)

const cloud = await startGoogleCloud({
  host: values.host ?? '127.0.0.1',
  port: integer(values.port, '--port', 0) ?? 0,
  stateDir,
  ...(operationDelayMs !== undefined ? {operationDelayMs} : {}),
  ...(pendingWrites !== undefined ? {pendingWrites} : {}),
  propagationDelayMs: integer(values['propagation-delay-ms'], '--propagation-delay-ms', undefined) ?? 0,
  ...(values['operator-ip'] ? {operatorIp: values['operator-ip']} : {}),
})
process.stdout.write(`${JSON.stringify({url: cloud.url, port: cloud.port, credentialFile: cloud.credentialFile})}\n`)

const stop = (): void => {
  cloud.close().then(
    () => process.exit(0),
    (error: unknown) => fail(String(error)),
  )
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
