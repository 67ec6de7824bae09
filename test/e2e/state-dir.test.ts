// The state dir (deny-test journals) is a setting: one vpcsc cannot use is refused with the
// other settings (exit 2, named with its source, before any call), by every command that
// reads journals; a journal that cannot be read is BAD_JOURNAL (exit 1) on one line, with
// a way out that does not start with the command that just failed.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {journalPath} from '../../src/lib/deny-test/journal.ts'
import {CLI_ENTRY, type CliResult} from '../local-cloud/world.ts'
import {journalDir, LEVEL, show, useWorld, vpcsc} from './helpers.ts'

/** Every command that reads the level's journal (or the state dir's). */
const READERS = [['status'], ['ip', 'sync', '--plan'], ['explain', '203.0.113.62'], ['deny-test', '--yes', '--probe-timeout', '20s'], ['restore', '--yes']]

/** Exit `code`, the error's line `first`, and at most its hint after it (deny-test's progress may come before). */
function failsWith(result: CliResult, code: number, first: RegExp): void {
  assert.equal(result.code, code, show(result))
  const all = result.stderr.trim().split('\n')
  const lines = all.slice(all.findIndex((line) => line.startsWith('Error:')))
  assert.match(lines[0]!, first, show(result))
  assert.ok(lines.length <= 2, show(result))
}

describe('the state dir', () => {
  const ctx = useWorld()
  const work = () => join(ctx.world.dir, 'work')

  it('a file given as the state dir is refused by every command that reads journals (exit 2, before any call), named with its source', async () => {
    const file = join(work(), 'not-a-dir')
    writeFileSync(file, 'x\n')
    await ctx.world.admin.clearRequests()
    for (const args of READERS) {
      const result = await vpcsc(ctx.world, [...args, '--state-dir', file])
      failsWith(result, 2, new RegExp(`^Error: --state-dir "${file}" is not a directory\\.$`))
      assert.match(result.stderr, /→ Give --state-dir \(or VPCSC_STATE_DIR, or "stateDir" in vpcsc\.config\.json\) a directory/)
    }
    const fromEnv = await vpcsc(ctx.world, ['status'], {env: {VPCSC_STATE_DIR: file}})
    failsWith(fromEnv, 2, new RegExp(`^Error: VPCSC_STATE_DIR "${file}" is not a directory\\.$`))
    const config = join(work(), 'state-dir.json')
    writeFileSync(config, JSON.stringify({stateDir: file}))
    const fromFile = await vpcsc(ctx.world, ['restore', '--yes', '--config', config])
    failsWith(fromFile, 2, new RegExp(`^Error: ${config}: field "stateDir" "${file}" is not a directory\\.$`))
    // Below a file: the file is named.
    const below = await vpcsc(ctx.world, ['status', '--state-dir', join(file, 'vpcsc')])
    failsWith(below, 2, new RegExp(`is not a directory: ${file} is a file\\.$`))
    // The default one too (XDG_STATE_HOME/vpcsc), named as the default.
    rmSync(journalDir(ctx.world), {recursive: true, force: true})
    writeFileSync(journalDir(ctx.world), 'x\n')
    const byDefault = await vpcsc(ctx.world, ['status'])
    rmSync(journalDir(ctx.world))
    failsWith(byDefault, 2, new RegExp(`^Error: The default state dir "${journalDir(ctx.world)}" is not a directory\\.$`))
    assert.deepEqual(await ctx.world.admin.requests(), [], 'no call reached Google')
  })

  it('--json: the error object of schemas/error.json, USAGE and exit 2, not a Node.js error', async () => {
    const file = join(work(), 'not-a-dir')
    writeFileSync(file, 'x\n')
    const result = await vpcsc(ctx.world, ['status', '--state-dir', file, '--json'])
    assert.equal(result.code, 2, show(result))
    const {error} = JSON.parse(result.stdout) as {error: {code: string; exitCode: number; message: string}}
    assert.equal(error.code, 'USAGE')
    assert.equal(error.exitCode, 2)
    assert.match(error.message, /--state-dir ".*" is not a directory/)
  })

  it('a state dir vpcsc may not read is refused (exit 2) before any call; as root, run as the user nobody, for whom permissions hold', () => {
    const home = mkdtempSync(join(tmpdir(), 'vpcsc-eacces-'))
    const locked = join(home, 'locked')
    mkdirSync(locked)
    chmodSync(home, 0o755)
    chmodSync(locked, 0o000)
    try {
      // Root reads any directory: the CLI runs as nobody (uid 65534) then, through setpriv.
      const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
      for (const args of [['status'], ['restore', '--yes']]) {
        const command = [...asUser, process.execPath, CLI_ENTRY, ...args, '--state-dir', locked]
        // The settings are checked before any call: no local cloud is needed.
        const run = spawnSync(command[0]!, command.slice(1), {cwd: home, encoding: 'utf8', env: {PATH: process.env.PATH, HOME: home, VPCSC_POLICY: 'accessPolicies/555000111222', VPCSC_LEVEL: 'vpcsc_allow_ec2_ip'}})
        failsWith({code: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr}, 2, /^Error: --state-dir ".*locked" is not readable.*\(permission denied, EACCES\)\.$/)
      }
    } finally {
      chmodSync(locked, 0o700)
      rmSync(home, {recursive: true, force: true})
    }
  })

  it('a journal that cannot be read (a directory, or not JSON) is BAD_JOURNAL, exit 1, on one line with a way out; restore says the same', async () => {
    const file = journalPath(journalDir(ctx.world), LEVEL)
    mkdirSync(file, {recursive: true})
    for (const args of [...READERS.filter((a) => a[0] !== 'restore'), ['restore', '--yes']]) {
      const result = await vpcsc(ctx.world, args)
      failsWith(result, 1, new RegExp(`^Error: The deny-test journal ${file} cannot be read \\(it is a directory, EISDIR\\)\\.$`))
    }
    rmSync(file, {recursive: true})
    writeFileSync(file, 'garbage\n')
    for (const args of [['status', '--json'], ['restore', '--yes', '--json']]) {
      const result = await vpcsc(ctx.world, args)
      assert.equal(result.code, 1, show(result))
      const {error} = JSON.parse(result.stdout) as {error: {code: string; message: string; hint: string}}
      assert.equal(error.code, 'BAD_JOURNAL')
      assert.doesNotMatch(error.message, /\n/)
      assert.match(error.message, /^The deny-test journal \S+ cannot be read \(Unexpected token .*is not valid JSON\)\.$/)
      // status is what failed: the way out starts with the file.
      assert.match(error.hint, /^Look at it, then move it out of the state dir/)
    }
  })
})
