// The processes the local cloud starts (moto, and the emulators `cli.ts start` detaches),
// recorded by pid so that a test run that fails or is killed half-way can stop exactly
// those afterwards, and nothing else on the machine (no `pkill -f` by name).
//   VPCSC_TEST_PIDS=DIR     where they are recorded: one file per process, named by its
//                           pid, holding a word of its command line (scripts/test.sh sets it)
//   node test/local-cloud/pid-registry.ts stop DIR   stops each recorded process still alive
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {isAlive, terminate} from './moto.ts'

export function recordPid(pid: number, marker: string): void {
  const dir = process.env.VPCSC_TEST_PIDS
  if (!dir) return
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, String(pid)), marker)
}

export function forgetPid(pid: number): void {
  const dir = process.env.VPCSC_TEST_PIDS
  if (dir) rmSync(join(dir, String(pid)), {force: true})
}

/** Still the process that was recorded: alive, and its command line has the marker. */
function stillOurs(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)
  } catch {
    return !existsSync('/proc/self') // no /proc (macOS): trust the pid
  }
}

/** Stops every recorded process that is still ours; returns their pids. */
export async function stopRecorded(dir: string): Promise<number[]> {
  if (!existsSync(dir)) return []
  const stopped: number[] = []
  for (const name of readdirSync(dir)) {
    const pid = Number(name)
    if (!Number.isInteger(pid) || pid <= 1) continue
    const marker = readFileSync(join(dir, name), 'utf8')
    if (stillOurs(pid, marker)) {
      await terminate(pid)
      stopped.push(pid)
    }
    rmSync(join(dir, name), {force: true})
  }
  return stopped
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, dir] = process.argv.slice(2)
  if (command !== 'stop' || !dir) {
    process.stderr.write('usage: node test/local-cloud/pid-registry.ts stop DIR\n')
    process.exitCode = 2
  } else {
    const stopped = await stopRecorded(dir)
    if (stopped.length > 0) process.stderr.write(`Stopped what the tests left running: pids ${stopped.join(', ')}.\n`)
  }
}
