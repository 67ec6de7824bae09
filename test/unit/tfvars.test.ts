import assert from 'node:assert/strict'
import {lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {resolveSettings} from '../../src/lib/core/config.ts'
import {VpcscError} from '../../src/lib/core/errors.ts'
import {planTfvars, readTfvars, renderTfvars, terraformDrift, writeTfvars, type TfvarsFile} from '../../src/lib/level/tfvars.ts'

const file = (values: Record<string, unknown>, list?: string[]): TfvarsFile => ({file: '/x/a.auto.tfvars.json', variable: 'allowed_cidrs', exists: true, values, list})

describe('tfvars: plan and render (pure)', () => {
  it('a new file, or a file without the variable, always changes', () => {
    assert.equal(planTfvars({...file({}), exists: false}, ['203.0.113.10/32']).changed, true)
    assert.equal(planTfvars(file({a: 1}), ['203.0.113.10/32']).changed, true)
  })

  it('the same list in the same order is no change; another order is one', () => {
    assert.equal(planTfvars(file({}, ['203.0.113.10/32', '198.51.100.0/24']), ['203.0.113.10/32', '198.51.100.0/24']).changed, false)
    const reordered = planTfvars(file({}, ['198.51.100.0/24', '203.0.113.10/32']), ['203.0.113.10/32', '198.51.100.0/24'])
    assert.equal(reordered.changed, true)
    assert.deepEqual([reordered.add, reordered.remove], [[], []])
  })

  it('the diff compares canonical CIDRs', () => {
    const change = planTfvars(file({}, ['2001:DB8::/32', '203.0.113.10/32']), ['2001:db8::/32', '203.0.113.77/32'])
    assert.deepEqual(change.add, ['203.0.113.77/32'])
    assert.deepEqual(change.remove, ['203.0.113.10/32'])
  })

  it('keeps the other keys and the variable in its place; 2-space JSON with a newline', () => {
    const text = renderTfvars(file({z: 1, allowed_cidrs: ['old'], a: {b: [true]}}, ['old']), ['203.0.113.77/32'])
    assert.equal(text, '{\n  "z": 1,\n  "allowed_cidrs": [\n    "203.0.113.77/32"\n  ],\n  "a": {\n    "b": [\n      true\n    ]\n  }\n}\n')
    assert.deepEqual(Object.keys(JSON.parse(renderTfvars(file({z: 1}), ['x']))), ['z', 'allowed_cidrs'])
  })

  it('terraform drift: what an apply would remove and add', () => {
    const drift = terraformDrift(file({}, ['198.51.100.7/32', '203.0.113.10/32']), ['203.0.113.10/32', '203.0.113.77/32'])
    assert.equal(drift.reverts, true)
    assert.deepEqual(drift.wouldRemove, ['203.0.113.77/32'])
    assert.deepEqual(drift.wouldAdd, ['198.51.100.7/32'])
    assert.equal(terraformDrift(file({}, ['203.0.113.10/32']), ['203.0.113.10/32']).reverts, false)
    assert.equal(terraformDrift({...file({}), exists: false}, ['203.0.113.10/32']).problem, 'the file does not exist')
    assert.equal(terraformDrift(file({other: 1}), ['203.0.113.10/32']).problem, 'the file does not set "allowed_cidrs"')
  })
})

describe('tfvars: read and write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcsc-tfvars-'))

  it('refuses JSON that is not an object of variables, a variable that is not a list of strings, lossy numbers', async () => {
    const cases: [string, RegExp][] = [
      ['{', /not valid JSON/],
      ['null', /found null/],
      ['"x"', /found a string/],
      ['{"allowed_cidrs": {"a": 1}}', /not a list of strings \(it holds an object\)/],
      ['{"allowed_cidrs": [null]}', /not a list of strings \(it holds a list whose item 0 is null\)/],
      ['{"allowed_cidrs": ["a", ["b"]]}', /it holds a list whose item 1 is a list of strings\)/],
      ['[]', /found an empty list\.$/],
      ['["203.0.113.10/32"]', /found a list of strings\.$/],
      ['{"n": 1e400}', /1e400 cannot be rewritten exactly/],
    ]
    for (const [text, message] of cases) {
      const path = join(dir, 'bad.auto.tfvars.json')
      writeFileSync(path, text)
      await assert.rejects(readTfvars({file: path, variable: 'allowed_cidrs'}, {forWrite: true}), (error: VpcscError) => error.exitCode === 2 && message.test(error.message))
    }
  })

  it('numbers that round-trip are fine; an empty list is a list', async () => {
    const path = join(dir, 'ok.auto.tfvars.json')
    writeFileSync(path, '{"n": 1.5, "m": 9007199254740991, "allowed_cidrs": []}')
    const read = await readTfvars({file: path, variable: 'allowed_cidrs'}, {forWrite: true})
    assert.deepEqual(read.list, [])
  })

  it('writes atomically, keeping the mode of an existing file', async () => {
    const path = join(dir, 'mode.auto.tfvars.json')
    writeFileSync(path, '{"allowed_cidrs": []}', {mode: 0o600})
    const read = await readTfvars({file: path, variable: 'allowed_cidrs'}, {forWrite: true})
    await writeTfvars(read, ['203.0.113.10/32'])
    assert.equal(statSync(path).mode & 0o777, 0o600)
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), {allowed_cidrs: ['203.0.113.10/32']})
  })

  it('writes through a symbolic link: the link stays, the file it points to gets the list', async () => {
    const shared = join(dir, 'shared.json')
    writeFileSync(shared, '{"allowed_cidrs": ["192.0.2.1/32"], "other": 1}', {mode: 0o640})
    const link = join(dir, 'linked.auto.tfvars.json')
    symlinkSync('shared.json', link)
    await writeTfvars(await readTfvars({file: link, variable: 'allowed_cidrs'}, {forWrite: true}), ['203.0.113.10/32'])
    assert.ok(lstatSync(link).isSymbolicLink())
    assert.deepEqual(JSON.parse(readFileSync(shared, 'utf8')), {allowed_cidrs: ['203.0.113.10/32'], other: 1})
    assert.equal(statSync(shared).mode & 0o777, 0o640)
    // A link to a file not there yet: the file is created where the link points.
    const dangling = join(dir, 'dangling.auto.tfvars.json')
    symlinkSync('made-later.json', dangling)
    await writeTfvars(await readTfvars({file: dangling, variable: 'allowed_cidrs'}, {forWrite: true}), ['203.0.113.11/32'])
    assert.ok(lstatSync(dangling).isSymbolicLink())
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'made-later.json'), 'utf8')), {allowed_cidrs: ['203.0.113.11/32']})
    // A link into a folder that cannot take the file is refused before anything is written.
    const nowhere = join(dir, 'nowhere.auto.tfvars.json')
    symlinkSync(join(dir, 'no-such-folder', 'x.json'), nowhere)
    await assert.rejects(readTfvars({file: nowhere, variable: 'allowed_cidrs'}, {forWrite: true}), (error: Error & {exitCode?: number}) => error.exitCode === 2 && /no-such-folder/.test(error.message))
  })
})

describe('tfvars settings', () => {
  const noFile = {values: {}}
  it('flag > env > file for the file and the variable; the default variable is allowed_cidrs', () => {
    assert.equal(resolveSettings({}, {}, noFile).tfvars, undefined)
    assert.deepEqual(resolveSettings({}, {VPCSC_TFVARS: '/a.json'}, {values: {tfvars: '/b.json'}}).tfvars, {file: '/a.json', variable: 'allowed_cidrs'})
    assert.deepEqual(resolveSettings({tfvars: '/c.json'}, {VPCSC_TFVARS: '/a.json', VPCSC_TFVARS_VAR: 'x'}, {values: {tfvarsVar: 'y'}}).tfvars, {file: '/c.json', variable: 'x'})
    assert.deepEqual(resolveSettings({'tfvars-var': 'z'}, {}, {values: {tfvars: '/b.json', tfvarsVar: 'y'}}).tfvars, {file: '/b.json', variable: 'z'})
    assert.throws(() => resolveSettings({tfvars: '/c.json', 'tfvars-var': '1bad'}, {}, noFile), /not a valid identifier/)
  })
})
