// Standalone SSM executor (the demo's `cli.ts start` runs it detached):
//   node test/local-cloud/ssm/main.ts --moto http://127.0.0.1:PORT [--port 0] [--host 127.0.0.1]
//                                     [--region us-east-1] [--work-dir DIR]
// Prints one JSON line {url, port} once it listens, then runs until SIGTERM/SIGINT.
import {parseArgs} from 'node:util'
import {startSsmExecutor} from './executor.ts'

const {values} = parseArgs({
  options: {
    moto: {type: 'string'},
    port: {type: 'string', default: '0'},
    host: {type: 'string', default: '127.0.0.1'},
    region: {type: 'string'},
    'work-dir': {type: 'string'},
  },
})
if (!values.moto) {
  process.stderr.write('usage: node test/local-cloud/ssm/main.ts --moto ENDPOINT [--port N] [--host H] [--region R] [--work-dir DIR]\n')
  process.exit(2)
}
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be 0..65535, got ${values.port}\n`)
  process.exit(2)
}
const executor = await startSsmExecutor({
  motoEndpoint: values.moto,
  host: values.host,
  port,
  region: values.region,
  workDir: values['work-dir'],
})
process.stdout.write(`${JSON.stringify({url: executor.url, port: executor.port})}\n`)
let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  executor.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`)
      process.exit(1)
    },
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
