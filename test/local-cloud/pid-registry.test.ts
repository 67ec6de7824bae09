import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {isAlive} from './moto.ts'
import {forgetPid, recordPid, stopRecorded} from './pid-registry.ts'

describe('pid registry (what scripts/test.sh stops after a failing run)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcsc-pids-'))
  const saved = process.env.VPCSC_TEST_PIDS
  process.env.VPCSC_TEST_PIDS = dir
  after(() => {
    process.env.VPCSC_TEST_PIDS = saved
    rmSync(dir, {recursive: true, force: true})
  })

  it('stops exactly the recorded processes that are still ours, nothing by name', async () => {
    const ours = spawn('sleep', ['300'], {stdio: 'ignore'})
    const bystander = spawn('sleep', ['301'], {stdio: 'ignore'})
    const forgotten = spawn('sleep', ['302'], {stdio: 'ignore'})
    try {
      recordPid(ours.pid!, 'sleep')
      recordPid(forgotten.pid!, 'sleep')
      forgetPid(forgotten.pid!)
      // A recorded pid now running something else (pid reuse) is left alone.
      writeFileSync(join(dir, String(bystander.pid)), 'moto.server')
      const stopped = await stopRecorded(dir)
      assert.deepEqual(stopped, [ours.pid])
      assert.equal(isAlive(ours.pid!), false)
      assert.equal(isAlive(bystander.pid!), true)
      assert.equal(isAlive(forgotten.pid!), true)
      assert.deepEqual(readdirSync(dir), [])
    } finally {
      for (const child of [ours, bystander, forgotten]) child.kill('SIGKILL')
    }
  })
})
