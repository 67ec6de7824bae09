import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {show, useWorld, vpcsc} from './helpers.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const RECORDER = fileURLToPath(new URL('../fixtures/record-loads.mjs', import.meta.url))

/**
 * What a command loads to start (scripts/build.ts; bench/RESULTS.md has the times): only
 * the bundle, none of node_modules (no oclif plugin is read on a run of another command),
 * only its own command module, and not undici, which Node loads for node:http's ES module
 * wrapper and for the global Headers unless the build routes both around it (~14 ms).
 */
describe('start-up', () => {
  const ctx = useWorld()

  for (const args of [['status', '--json'], ['ip', 'sync', '--plan', '--json']]) {
    const command = args.filter((a) => !a.startsWith('--')).join(' ')
    it(`${command} loads the bundle only: its own command, not node_modules, not undici`, async () => {
      const record = join(ctx.world.dir, `loads-${command.replace(' ', '-')}.json`)
      const result = await vpcsc(ctx.world, args, {env: {NODE_OPTIONS: `--import ${pathToFileURL(RECORDER).href}`, VPCSC_TEST_LOADS: record}})
      assert.equal(result.code, 0, show(result))
      const loads = JSON.parse(readFileSync(record, 'utf8')) as {files: string[]; builtins: string[]}
      const files = loads.files.map((url) => fileURLToPath(url).slice(REPO.length))
      assert.deepEqual(files.filter((file) => !file.startsWith('bin/') && !file.startsWith('dist/')), [], 'files loaded outside the bundle')
      assert.deepEqual(files.filter((file) => file.startsWith('dist/commands/')), [`dist/commands/${command.replace(' ', '/')}.js`])
      assert.ok(loads.builtins.length > 100, 'Node reports the modules it loaded')
      assert.deepEqual(loads.builtins.filter((name) => /undici/.test(name)), [])
    })
  }
})
