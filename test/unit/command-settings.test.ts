// Which settings each command uses (static `uses`, with `needs`): only these are read and
// checked (README, Settings), so a forgotten one would leave a setting at its default.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, it} from 'node:test'

import type {VpcscCommand} from '../../src/cli/base-command.ts'
import {NAT_SELECTION_SETTINGS} from '../../src/lib/aws/nat.ts'
import {CLIENT_SETTINGS} from '../../src/lib/core/clients.ts'

const COMMANDS = new URL('../../src/commands/', import.meta.url)

/** The commands that resolve settings, by id. */
async function settingsCommands(): Promise<Map<string, typeof VpcscCommand>> {
  const found = new Map<string, typeof VpcscCommand>()
  for (const file of readdirSync(COMMANDS, {recursive: true, encoding: 'utf8'}).filter((f) => f.endsWith('.ts')).sort()) {
    if (!readFileSync(join(fileURLToPath(COMMANDS), file), 'utf8').includes('this.settingsFrom(')) continue
    const command = ((await import(new URL(file, COMMANDS).href)) as {default: typeof VpcscCommand}).default
    found.set(file.replace(/\.ts$/, '').replace(/\/index$/, '').replaceAll('/', ' '), command)
  }
  return found
}

describe('the settings each command uses', () => {
  it('every command that resolves settings says which it uses, the Google clients\' among them', async () => {
    const commands = await settingsCommands()
    assert.deepEqual([...commands.keys()], ['demote', 'deny-test', 'explain', 'ip sync', 'promote', 'restore', 'status', 'violations'])
    for (const [id, command] of commands) {
      assert.ok(command.uses, `${id} declares no uses: every setting would be checked`)
      for (const key of CLIENT_SETTINGS) assert.ok(command.uses.includes(key), `${id} builds the clients, which read ${key}`)
    }
  })

  it('a command that calls AWS (it has --profile) uses the NAT selection, whose profile and region are checked up front', async () => {
    for (const [id, command] of await settingsCommands()) {
      if (!('profile' in (command.flags ?? {}))) continue
      for (const key of NAT_SELECTION_SETTINGS) assert.ok(command.uses!.includes(key), `${id} does not use ${key}`)
    }
  })

  it('the endpoints: Vertex AI\'s only for deny-test\'s probe, Cloud Logging\'s for the commands that read the audit logs', async () => {
    const commands = await settingsCommands()
    const using = (key: 'vertexEndpoint' | 'loggingEndpoint') => [...commands].filter(([, command]) => command.uses!.includes(key)).map(([id]) => id)
    assert.deepEqual(using('vertexEndpoint'), ['deny-test'])
    assert.deepEqual(using('loggingEndpoint'), ['explain', 'promote', 'status', 'violations'])
  })

  it('only deny-test uses the deny test\'s wait and its probe; status uses the deny CIDR, without a flag for it', async () => {
    const commands = await settingsCommands()
    for (const key of ['timeout', 'probeInterval', 'probeTimeout', 'probe', 'instanceId'] as const) {
      assert.deepEqual([...commands].filter(([, command]) => command.uses!.includes(key)).map(([id]) => id), ['deny-test'], key)
    }
    const status = commands.get('status')!
    assert.ok(status.uses!.includes('denyCidr') && !('deny-cidr' in status.flags))
  })
})
