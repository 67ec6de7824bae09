import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {describe, it} from 'node:test'

import {CLI_ENTRY, cliProcessOptions, type World} from '../local-cloud/world.ts'
import {storedLevel, useWorld, writes} from './helpers.ts'

/** Runs vpcsc in a pseudo-terminal (script(1)) and answers its confirmation once. */
function answerPrompt(world: World, args: string[], answer: string): Promise<{code: number | null; output: string}> {
  const child = spawn('script', ['-qec', [process.execPath, CLI_ENTRY, ...args].join(' '), '/dev/null'], {
    ...cliProcessOptions(world, {TERM: 'dumb'}),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  let answered = false
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8')
    if (!answered && /\? .*\(y\/N\)/.test(output)) {
      answered = true
      child.stdin.write(`${answer}\r`)
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  return new Promise((resolve) => child.on('close', (code) => resolve({code, output})))
}

describe('confirmation in a terminal', () => {
  const ctx = useWorld()

  it('ip sync asks; "n" writes nothing, "y" writes the plan', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.clearRequests()
    const declined = await answerPrompt(ctx.world, ['ip', 'sync'], 'n')
    assert.equal(declined.code, 0, declined.output)
    assert.match(declined.output, /Write this list to vpcsc_allow_ec2_ip\?/)
    assert.match(declined.output, /Nothing was written/)
    assert.deepEqual(await writes(ctx.world), [])

    const accepted = await answerPrompt(ctx.world, ['ip', 'sync'], 'y')
    assert.equal(accepted.code, 0, accepted.output)
    assert.match(accepted.output, /1 added, 1 removed/)
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, [`${replaced.newIp}/32`])
  })
})
