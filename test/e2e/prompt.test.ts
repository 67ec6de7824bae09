import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {CLI_ENTRY, cliProcessOptions, type World} from '../local-cloud/world.ts'
import {show, storedLevel, useWorld, vpcsc, writes} from './helpers.ts'
import {assertJsonContract} from './json-contract.ts'

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

  it("with --json and no --yes, nothing is asked (Terraform's -json rule): the JSON error object, exit 2, nothing read or written", async () => {
    // Drift, so that ip sync would ask; the other commands ask whatever the policy holds.
    await ctx.world.aws.replaceNatGateway()
    const out = join(ctx.world.dir, 'work', 'out.json')
    for (const [args, plan] of [
      [['ip', 'sync'], true],
      [['ip', 'sync', '--add-only'], true],
      [['demote'], false],
      [['promote'], false],
      [['restore'], false],
      [['restore', '--discard'], false],
      [['deny-test'], false],
    ] as const) {
      rmSync(out, {force: true})
      await ctx.world.admin.clearRequests()
      // On a terminal (stdin and stderr), stdout to a file: where the question used to be asked.
      const run = await answerPrompt(ctx.world, [...args, '--json', '>', out], 'n')
      const line = `vpcsc ${args.join(' ')} --json`
      assert.equal(run.code, 2, `${line}\n${run.output}`)
      assert.doesNotMatch(run.output, /\(y\/N\)/, `${line} asked`)
      const stdout = readFileSync(out, 'utf8')
      assertJsonContract([...args, '--json'], stdout)
      const {error} = JSON.parse(stdout) as {error: {code: string; message: string; hint: string; exitCode: number}}
      assert.equal(error.code, 'USAGE', line)
      assert.equal(error.exitCode, 2)
      assert.match(error.message, /^Nothing was written: vpcsc cannot ask for confirmation when --json is set\.$/, line)
      assert.match(error.hint, /--yes/, line)
      if (plan) assert.match(error.hint, /--plan/, line)
      else assert.doesNotMatch(error.hint, /--plan/, line)
      assert.deepEqual(await ctx.world.admin.requests(), [], `${line}: calls were made`)
    }
    // The same in a pipe; and what does not ask still runs: --plan, --yes.
    const piped = await vpcsc(ctx.world, ['ip', 'sync', '--json'])
    assert.equal(piped.code, 2, show(piped))
    assert.match(JSON.parse(piped.stdout).error.message, /cannot ask for confirmation when --json is set/)
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--json'])).code, 3)
    assert.deepEqual(await writes(ctx.world), [])
    const yes = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json'])
    assert.equal(yes.code, 0, show(yes))
    assert.equal(JSON.parse(yes.stdout).outcome, 'written')
  })
})
