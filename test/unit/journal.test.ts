import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {AccessLevel} from '../../src/lib/gcp/types.ts'
import {createJournal, defaultStateDir, findJournal, journalPath, listJournals, newJournal, readJournal, removeJournal, stateDirProblem, writerAlive, type Journal} from '../../src/lib/deny-test/journal.ts'

const POLICY = 'accessPolicies/123456'
const LEVEL = `${POLICY}/accessLevels/test_allow_ec2_ip`

function level(name: string, cidrs: string[]): AccessLevel {
  return {name, title: 'allow ec2', basic: {conditions: [{ipSubnetworks: cidrs, regions: ['US']}]}} as AccessLevel
}

function journalFor(levelName: string, denyCidr = '192.0.2.1/32'): Journal {
  return newJournal({
    testId: 'test-id-1',
    etagBefore: 'etag-before',
    level: levelName,
    policy: POLICY,
    condition: 0,
    original: level(levelName, ['198.51.100.10/32', '203.0.113.7/32']),
    swapped: level(levelName, [denyCidr]),
    denyCidr,
  })
}

let root: string
let n = 0
const freshDir = () => path.join(root, `state-${++n}`, 'vpcsc')

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'vpcsc-journal-'))
})
after(async () => {
  await rm(root, {recursive: true, force: true})
})

describe('createJournal / findJournal', () => {
  it('round-trips: what findJournal returns is what was written', async () => {
    const dir = freshDir()
    const journal = journalFor(LEVEL)
    const file = await createJournal(dir, journal)
    assert.equal(file, journalPath(dir, LEVEL))
    assert.deepEqual(await findJournal(dir, LEVEL), journal)
    assert.deepEqual(await readJournal(file), journal)
  })

  it('newJournal stamps version 2, this pid, this host and an ISO start time', () => {
    const journal = journalFor(LEVEL)
    assert.equal(journal.version, 2)
    assert.equal(journal.pid, process.pid)
    assert.equal(journal.host, hostname())
    assert.equal(new Date(journal.startedAt).toISOString(), journal.startedAt)
  })

  it('findJournal of a level without one is undefined (also when the state dir does not exist)', async () => {
    const dir = freshDir()
    assert.equal(await findJournal(dir, LEVEL), undefined)
    await createJournal(dir, journalFor(LEVEL))
    assert.equal(await findJournal(dir, `${POLICY}/accessLevels/other_level`), undefined)
  })

  it('findJournal of a corrupt file throws (does not pretend there is none)', async () => {
    const dir = freshDir()
    await createJournal(dir, journalFor(LEVEL))
    await writeFile(journalPath(dir, LEVEL), '{"version": 1, "level": ')
    await assert.rejects(findJournal(dir, LEVEL), (error: Error & {code?: string; hint?: string}) => {
      assert.equal(error.code, 'BAD_JOURNAL')
      assert.ok(error.message.includes(journalPath(dir, LEVEL)), 'names the file')
      // One line, though JSON.parse's message quotes the file's text, newline and all.
      assert.doesNotMatch(error.message, /\n/)
      // status reads the journal too: its way out starts with the file, not with vpcsc status.
      assert.match(error.hint ?? '', /^Look at it, then move it out of the state dir/)
      return true
    })
  })

  it('findJournal of a journal path that is a directory is BAD_JOURNAL, saying so', async () => {
    const dir = freshDir()
    await mkdir(journalPath(dir, LEVEL), {recursive: true})
    await assert.rejects(findJournal(dir, LEVEL), (error: Error & {code?: string}) => error.code === 'BAD_JOURNAL' && /\(it is a directory, EISDIR\)\.$/.test(error.message))
  })

  it('a second createJournal for the same level fails with EEXIST and leaves the first intact', async () => {
    const dir = freshDir()
    const first = journalFor(LEVEL, '192.0.2.1/32')
    await createJournal(dir, first)
    const before = await readFile(journalPath(dir, LEVEL), 'utf8')
    await assert.rejects(createJournal(dir, journalFor(LEVEL, '203.0.113.9/32')), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'EEXIST')
      return true
    })
    assert.equal(await readFile(journalPath(dir, LEVEL), 'utf8'), before)
    assert.deepEqual(await findJournal(dir, LEVEL), first)
  })

  it('two concurrent createJournal calls for one level: exactly one wins', async () => {
    const dir = freshDir()
    await createJournal(dir, journalFor(`${POLICY}/accessLevels/warm_up`))
    const results = await Promise.allSettled([createJournal(dir, journalFor(LEVEL, '192.0.2.1/32')), createJournal(dir, journalFor(LEVEL, '192.0.2.2/32'))])
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    const rejected = results.find((r) => r.status === 'rejected')
    assert.equal((rejected?.reason as NodeJS.ErrnoException).code, 'EEXIST')
    const kept = await findJournal(dir, LEVEL)
    assert.ok(kept && ['192.0.2.1/32', '192.0.2.2/32'].includes(kept.denyCidr))
  })

  it('leaves no temp files behind, after success and after EEXIST', async () => {
    const dir = freshDir()
    await createJournal(dir, journalFor(LEVEL))
    await assert.rejects(createJournal(dir, journalFor(LEVEL)))
    assert.deepEqual(await readdir(dir), [path.basename(journalPath(dir, LEVEL))])
  })

  it('creates the state dir (recursively) and writes the file with mode 0600', async () => {
    const dir = freshDir()
    const file = await createJournal(dir, journalFor(LEVEL))
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.equal((await stat(dir)).mode & 0o077, 0, 'the state dir is private to the user')
  })

  it('the file is JSON ending with a newline', async () => {
    const dir = freshDir()
    const file = await createJournal(dir, journalFor(LEVEL))
    const text = await readFile(file, 'utf8')
    assert.ok(text.endsWith('}\n'))
    assert.equal((JSON.parse(text) as Journal).level, LEVEL)
  })
})

describe('listJournals', () => {
  it('lists every journal, reports a corrupt one with its BAD_JOURNAL error, and ignores other files', async () => {
    const dir = freshDir()
    const journal = journalFor(LEVEL)
    await createJournal(dir, journal)
    const corrupt = path.join(dir, 'deny-test-broken.json')
    await writeFile(corrupt, 'not json {')
    await writeFile(path.join(dir, 'notes.txt'), 'hello')
    await writeFile(path.join(dir, 'deny-test-x.json.bak'), '{}')
    const list = await listJournals(dir)
    assert.equal(list.length, 2)
    const good = list.find((e) => e.file === journalPath(dir, LEVEL))
    assert.deepEqual(good, {file: journalPath(dir, LEVEL), journal})
    const bad = list.find((e) => e.file === corrupt)
    assert.ok(bad, 'the corrupt file is listed')
    assert.equal(bad.journal, undefined)
    assert.equal(bad.error?.code, 'BAD_JOURNAL')
    assert.ok(bad.error.message.includes(corrupt), 'names the file')
  })

  it('a state dir that is a file cannot be listed: BAD_JOURNAL, not nothing to restore', async () => {
    const file = path.join(root, `file-${++n}`)
    await writeFile(file, 'x')
    await assert.rejects(listJournals(file), (error: Error & {code?: string}) => error.code === 'BAD_JOURNAL' && error.message.includes(file))
  })

  it('a missing state dir lists nothing', async () => {
    assert.deepEqual(await listJournals(path.join(root, 'does-not-exist')), [])
  })
})

describe('removeJournal', () => {
  it('removes the journal, and removing again (or a never-written one) is fine', async () => {
    const dir = freshDir()
    await createJournal(dir, journalFor(LEVEL))
    await removeJournal(dir, LEVEL)
    assert.equal(await findJournal(dir, LEVEL), undefined)
    await removeJournal(dir, LEVEL)
    await removeJournal(dir, `${POLICY}/accessLevels/never_written`)
    assert.deepEqual(await listJournals(dir), [])
  })

  it('after removal a new journal can be created for the level', async () => {
    const dir = freshDir()
    await createJournal(dir, journalFor(LEVEL))
    await removeJournal(dir, LEVEL)
    const again = journalFor(LEVEL, '198.51.100.1/32')
    await createJournal(dir, again)
    assert.deepEqual(await findJournal(dir, LEVEL), again)
  })
})

describe('stateDirProblem', () => {
  it('a directory, or a missing one (no journal yet; a writer creates it), is fine', async () => {
    const dir = freshDir()
    assert.equal(stateDirProblem(dir, {write: false}), undefined)
    assert.equal(stateDirProblem(dir, {write: true}), undefined)
    await mkdir(dir, {recursive: true})
    assert.equal(stateDirProblem(dir, {write: true}), undefined)
  })

  it('a file, or a path below one, is not a directory: the file is named', async () => {
    const file = path.join(root, `file-${++n}`)
    await writeFile(file, 'x')
    assert.equal(stateDirProblem(file, {write: false}), 'is not a directory')
    assert.equal(stateDirProblem(path.join(file, 'a', 'vpcsc'), {write: false}), `is not a directory: ${file} is a file`)
  })
})

describe('journalPath', () => {
  it('turns the level resource name into one safe file name inside the state dir', () => {
    const file = journalPath('/state', 'accessPolicies/123456/accessLevels/test_allow_ec2_ip')
    assert.equal(file, path.join('/state', 'deny-test-accessPolicies_123456_accessLevels_test_allow_ec2_ip.json'))
  })

  it('never leaves the state dir, whatever the name holds', () => {
    for (const name of ['../../etc/passwd', '/abs/olute', 'a/../../b', 'x\0y', 'spaces and.dots', '..']) {
      const file = journalPath('/state', name)
      assert.equal(path.dirname(file), '/state', name)
      assert.match(path.basename(file), /^deny-test-[A-Za-z0-9_]+\.json$/, name)
    }
  })

  it('different levels get different files', () => {
    assert.notEqual(journalPath('/s', `${POLICY}/accessLevels/a`), journalPath('/s', `${POLICY}/accessLevels/b`))
    assert.notEqual(journalPath('/s', 'accessPolicies/1/accessLevels/a'), journalPath('/s', 'accessPolicies/2/accessLevels/a'))
  })
})

describe('writerAlive', () => {
  it('true for this process on this host', () => {
    assert.equal(writerAlive(journalFor(LEVEL)), true)
  })

  it('false for a pid that has exited', async () => {
    const child = spawn('true', [], {stdio: 'ignore'})
    const pid = child.pid
    assert.ok(pid)
    await once(child, 'exit')
    // `exit` fires once the child is reaped, so the pid is free now.
    assert.equal(writerAlive({...journalFor(LEVEL), pid}), false)
  })

  it('false for another host, even with a live pid', () => {
    assert.equal(writerAlive({...journalFor(LEVEL), host: `${hostname()}-elsewhere`}), false)
  })
})

describe('defaultStateDir', () => {
  it('uses $XDG_STATE_HOME/vpcsc when set', () => {
    assert.equal(defaultStateDir({XDG_STATE_HOME: '/xdg/state', HOME: '/home/u'}), path.join('/xdg/state', 'vpcsc'))
  })

  it('else $HOME/.local/state/vpcsc', () => {
    assert.equal(defaultStateDir({HOME: '/home/u'}), path.join('/home/u', '.local', 'state', 'vpcsc'))
  })

  it('an empty XDG_STATE_HOME counts as unset', () => {
    assert.equal(defaultStateDir({XDG_STATE_HOME: '', HOME: '/home/u'}), path.join('/home/u', '.local', 'state', 'vpcsc'))
  })
})
