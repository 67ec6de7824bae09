import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {World} from '../local-cloud/world.ts'
import {perimeterThatNeverDenies, show, spawnCli, storedLevel, useWorld, vpcsc, writes} from './helpers.ts'

/** A fresh folder for one test's tfvars file. */
function tfDir(world: World, name: string): string {
  const dir = join(world.dir, 'tf', `${name}-${Math.random().toString(36).slice(2, 8)}`)
  mkdirSync(dir, {recursive: true})
  return dir
}

const read = (file: string) => readFileSync(file, 'utf8')

/** Every Access Context Manager call that is not a read. */
async function acmWrites(world: World): Promise<unknown[]> {
  return (await world.admin.requests()).filter((r) => (r.api === 'acm' || r.api === 'operations') && r.method !== 'GET')
}

/** Calls to Google APIs (the credential warm-up's token exchange aside). */
async function cloudCalls(world: World): Promise<string[]> {
  return (await world.admin.requests()).filter((r) => r.api !== 'sts').map((r) => `${r.method} ${r.path}`)
}

describe('Terraform: ip sync --tfvars, --tfvars-only, status --tfvars', () => {
  const ctx = useWorld()

  it('ip sync --tfvars writes the level and then a new file with the list exactly as written', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const file = join(tfDir(ctx.world, 'new'), 'vpcsc.auto.tfvars.json')
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--tfvars', file])
    assert.equal(result.code, 0, show(result))
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, [`${replaced.newIp}/32`])
    assert.equal(read(file), `{\n  "allowed_cidrs": [\n    "${replaced.newIp}/32"\n  ]\n}\n`)
    assert.match(result.stdout, /vpcsc\.auto\.tfvars\.json \("allowed_cidrs"\) now holds 1 CIDR/)
    // No temp file is left beside it.
    assert.deepEqual(readdirSync(join(file, '..')), ['vpcsc.auto.tfvars.json'])
  })

  it('keeps the other variables, their order and the file mode; the list follows the level order', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const dir = tfDir(ctx.world, 'others')
    const file = join(dir, 'network.auto.tfvars.json')
    const others = {project_id: 'vpcsc-demo', allowed_cidrs: ['203.0.113.10/32'], labels: {team: 'platform', tier: 2}, enabled: true, zeta: null}
    writeFileSync(file, JSON.stringify(others))
    chmodSync(file, 0o640)
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--add-only', '--tfvars', file, '--json'])
    assert.equal(result.code, 0, show(result))
    const out = JSON.parse(result.stdout)
    assert.equal(out.outcome, 'written')
    assert.equal(out.tfvars.written, true)
    const level = (await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks
    assert.deepEqual(level, ['203.0.113.10/32', `${replaced.newIp}/32`])
    const text = read(file)
    assert.ok(text.endsWith('}\n'))
    const written = JSON.parse(text)
    assert.deepEqual(Object.keys(written), ['project_id', 'allowed_cidrs', 'labels', 'enabled', 'zeta'])
    assert.deepEqual(written, {...others, allowed_cidrs: level})
    assert.equal(text, `${JSON.stringify(written, null, 2)}\n`)
    assert.equal(statSync(file).mode & 0o777, 0o640)
  })

  it('the file is read again before it is written: a variable changed during the level write is kept', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const file = join(tfDir(ctx.world, 'reread'), 'vpcsc.auto.tfvars.json')
    writeFileSync(file, '{"allowed_cidrs": ["203.0.113.10/32"], "owner": "alice"}')
    await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, delayMs: 1500, count: 1})
    await ctx.world.admin.clearRequests()
    const run = spawnCli(ctx.world, ['ip', 'sync', '--yes', '--tfvars', file])
    // While the level write is held by the emulator, someone edits the file.
    while (!(await ctx.world.admin.requests()).some((r) => r.path.endsWith(':replaceAll'))) await new Promise((resolve) => setTimeout(resolve, 50))
    writeFileSync(file, '{"allowed_cidrs": ["203.0.113.10/32"], "owner": "bob"}')
    const result = await run.result
    assert.equal(result.code, 0, show(result))
    assert.deepEqual(JSON.parse(read(file)), {allowed_cidrs: [`${replaced.newIp}/32`], owner: 'bob'})
  })

  it('in sync: the level is not written, a stale file is brought in step; --tfvars-var and VPCSC_TFVARS', async () => {
    const file = join(tfDir(ctx.world, 'insync'), 'vpcsc.auto.tfvars.json')
    writeFileSync(file, '{"nat_cidrs": ["198.51.100.7/32"], "other": 1}\n')
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--tfvars-var', 'nat_cidrs'], {env: {VPCSC_TFVARS: file}})
    assert.equal(result.code, 0, show(result))
    assert.deepEqual(await writes(ctx.world), [])
    assert.deepEqual(JSON.parse(read(file)), {nat_cidrs: ['203.0.113.10/32'], other: 1})
    const again = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--tfvars-var', 'nat_cidrs'], {env: {VPCSC_TFVARS: file}})
    assert.equal(again.code, 0, show(again))
    assert.match(again.stdout, /already holds the level's list/)
  })

  it('--tfvars-only: writes only the file, no Access Context Manager write at all, no --yes needed', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const before = JSON.stringify(await storedLevel(ctx.world))
    const file = join(tfDir(ctx.world, 'gitops'), 'vpcsc.auto.tfvars.json')
    writeFileSync(join(ctx.world.dir, 'work', 'vpcsc.config.json'), JSON.stringify({tfvars: file}))
    try {
      await ctx.world.admin.clearRequests()
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--tfvars-only'])
      assert.equal(result.code, 0, show(result))
      assert.deepEqual(await acmWrites(ctx.world), [], 'GitOps mode writes nothing in the cloud')
      assert.ok((await ctx.world.admin.requests()).some((r) => r.api === 'acm' && r.method === 'GET'), 'the level was read')
      assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
      assert.deepEqual(JSON.parse(read(file)), {allowed_cidrs: [`${replaced.newIp}/32`]})
      assert.match(result.stdout, /- 203\.0\.113\.10\/32/)
      assert.match(result.stdout, /terraform apply writes it/)

      const again = await vpcsc(ctx.world, ['ip', 'sync', '--tfvars-only', '--json'])
      assert.equal(again.code, 0, show(again))
      const out = JSON.parse(again.stdout)
      assert.equal(out.tfvarsOnly, true)
      assert.equal(out.tfvars.changed, false)
      assert.equal(out.tfvars.written, false)
      assert.equal(out.outcome, 'planned', 'the level still waits for terraform apply')
      assert.deepEqual(await acmWrites(ctx.world), [])
    } finally {
      writeFileSync(join(ctx.world.dir, 'work', 'vpcsc.config.json'), '{}')
    }
  })

  it('--plan with --tfvars shows the file diff and writes nothing: exit 3 while it would change, 0 once right', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const file = join(tfDir(ctx.world, 'plan'), 'vpcsc.auto.tfvars.json')
    const original = '{"allowed_cidrs": ["203.0.113.10/32"]}'
    writeFileSync(file, original)
    await ctx.world.admin.clearRequests()
    const gitops = await vpcsc(ctx.world, ['ip', 'sync', '--tfvars', file, '--tfvars-only', '--plan'])
    assert.equal(gitops.code, 3, show(gitops))
    assert.match(gitops.stdout, /Plan for .*vpcsc\.auto\.tfvars\.json \("allowed_cidrs"\)/)
    assert.match(gitops.stdout, new RegExp(`\\+ ${replaced.newIp.replaceAll('.', '\\.')}/32`))
    const both = await vpcsc(ctx.world, ['ip', 'sync', '--tfvars', file, '--plan'])
    assert.equal(both.code, 3, show(both))
    assert.equal(read(file), original)
    assert.deepEqual(await acmWrites(ctx.world), [])

    const write = await vpcsc(ctx.world, ['ip', 'sync', '--tfvars', file, '--tfvars-only'])
    assert.equal(write.code, 0, show(write))
    const right = await vpcsc(ctx.world, ['ip', 'sync', '--tfvars', file, '--tfvars-only', '--plan'])
    assert.equal(right.code, 0, `the file is right; the level waits for terraform apply\n${show(right)}`)
    const levelPending = await vpcsc(ctx.world, ['ip', 'sync', '--tfvars', file, '--plan'])
    assert.equal(levelPending.code, 3, `without --tfvars-only the level's change is pending\n${show(levelPending)}`)
  })

  it('status --tfvars: a stale file is "Terraform would revert" drift; --check exits 3, --json carries it', async () => {
    const file = join(tfDir(ctx.world, 'status'), 'vpcsc.auto.tfvars.json')
    writeFileSync(file, JSON.stringify({allowed_cidrs: ['198.51.100.7/32']}))
    const check = await vpcsc(ctx.world, ['status', '--check', '--tfvars', file])
    assert.equal(check.code, 3, show(check))
    assert.match(check.stdout, /Terraform would revert the level/)
    assert.match(check.stdout, /remove\s+203\.0\.113\.10\/32\s+and\s+add\s+198\.51\.100\.7\/32/)
    assert.match(check.stdout, /In sync: every NAT egress IP is admitted/, 'the NAT side is still in sync')

    const json = JSON.parse((await vpcsc(ctx.world, ['status', '--json', '--tfvars', file])).stdout)
    assert.equal(json.drift.inSync, false)
    assert.deepEqual(json.drift.terraform, {
      file,
      variable: 'allowed_cidrs',
      fileList: ['198.51.100.7/32'],
      levelList: ['203.0.113.10/32'],
      reverts: true,
      wouldRemove: ['203.0.113.10/32'],
      wouldAdd: ['198.51.100.7/32'],
    })

    writeFileSync(file, JSON.stringify({allowed_cidrs: ['203.0.113.10/32']}))
    const ok = await vpcsc(ctx.world, ['status', '--check', '--tfvars', file])
    assert.equal(ok.code, 0, show(ok))
    assert.match(ok.stdout, /holds the level's list: terraform apply keeps it/)

    const missing = await vpcsc(ctx.world, ['status', '--check', '--json', '--tfvars', join(file, '..', 'absent.auto.tfvars.json')])
    assert.equal(missing.code, 3, show(missing))
    assert.equal(JSON.parse(missing.stdout).drift.terraform.problem, 'the file does not exist')
  })

  describe('bad tfvars files are refused (exit 2) before anything is written anywhere', () => {
    const cases: [string, string, RegExp][] = [
      ['not JSON', '{"allowed_cidrs": ["203.0.113.10/32",]', /not valid JSON/],
      ['not an object', '["203.0.113.10/32"]', /expected a JSON object of Terraform variables, found a list of strings\./],
      ['an empty list, not an object', '[]', /expected a JSON object of Terraform variables, found an empty list\./],
      ['the variable is a string', '{"allowed_cidrs": "203.0.113.10/32"}', /"allowed_cidrs" is not a list of strings \(it holds a string\)/],
      ['the variable holds a number', '{"allowed_cidrs": ["203.0.113.10/32", 7]}', /"allowed_cidrs" is not a list of strings \(it holds a list whose item 1 is a number\)/],
      ['a number that cannot be kept exactly', '{"allowed_cidrs": [], "big": 12345678901234567890}', /12345678901234567890 cannot be rewritten exactly/],
    ]
    for (const [what, text, message] of cases) {
      it(what, async () => {
        await ctx.world.aws.replaceNatGateway()
        const before = JSON.stringify(await storedLevel(ctx.world))
        const file = join(tfDir(ctx.world, 'bad'), 'vpcsc.auto.tfvars.json')
        writeFileSync(file, text)
        await ctx.world.admin.clearRequests()
        for (const args of [['ip', 'sync', '--yes'], ['ip', 'sync', '--tfvars-only'], ['status', '--check']]) {
          const result = await vpcsc(ctx.world, [...args, '--tfvars', file])
          assert.equal(result.code, 2, show(result))
          assert.match(result.stderr, message)
          assert.ok(result.stderr.trim().split('\n').length <= 2, `one or two lines\n${result.stderr}`)
        }
        assert.deepEqual(await cloudCalls(ctx.world), [], 'refused before any Google API call')
        assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
        assert.equal(read(file), text)
        assert.deepEqual(readdirSync(join(file, '..')), ['vpcsc.auto.tfvars.json'])
      })
    }

    it('a folder that does not exist, or does not take a file; --tfvars-only without a file; a bad variable name', async () => {
      await ctx.world.aws.replaceNatGateway()
      const before = JSON.stringify(await storedLevel(ctx.world))
      await ctx.world.admin.clearRequests()
      const absent = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--tfvars', join(ctx.world.dir, 'no', 'such', 'x.auto.tfvars.json')])
      assert.equal(absent.code, 2, show(absent))
      assert.match(absent.stderr, /its folder .*no\/such does not exist/)
      // /proc takes no new file, even from root (a chmod'ed folder would not stop root).
      const unwritable = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--tfvars', '/proc/vpcsc.auto.tfvars.json'])
      assert.equal(unwritable.code, 2, show(unwritable))
      assert.match(unwritable.stderr, /its folder \/proc does not take a new file/)
      const noFile = await vpcsc(ctx.world, ['ip', 'sync', '--tfvars-only'])
      assert.equal(noFile.code, 2, show(noFile))
      assert.match(noFile.stderr, /--tfvars-only needs the tfvars file/)
      const badName = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--tfvars', join(ctx.world.dir, 'x.json'), '--tfvars-var', 'allowed cidrs'])
      assert.equal(badName.code, 2, show(badName))
      assert.match(badName.stderr, /"allowed cidrs" is not a valid identifier/)
      assert.deepEqual(await cloudCalls(ctx.world), [])
      assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
      assert.equal(existsSync(join(ctx.world.dir, 'x.json')), false)
    })
  })

  it('a running deny test never touches the file, and --tfvars-only refuses while it holds the level', async () => {
    await perimeterThatNeverDenies(ctx.world)
    const file = join(tfDir(ctx.world, 'deny'), 'vpcsc.auto.tfvars.json')
    writeFileSync(file, '{"allowed_cidrs": ["203.0.113.10/32"]}')
    const mtime = statSync(file).mtimeMs
    const run = spawnCli(ctx.world, ['deny-test', '--yes', '--probe-interval', '1s', '--probe-timeout', '20s', '--timeout', '5m'], {env: {VPCSC_TFVARS: file}})
    await run.waitFor(/deny-wait\s+#1/)
    const refused = await vpcsc(ctx.world, ['ip', 'sync', '--tfvars-only', '--tfvars', file])
    assert.equal(refused.code, 5, show(refused))
    assert.match(refused.stderr, /A deny test is running/)
    run.child.kill('SIGINT')
    const result = await run.result
    assert.equal(result.code, 130, show(result))
    assert.equal(read(file), '{"allowed_cidrs": ["203.0.113.10/32"]}')
    assert.equal(statSync(file).mtimeMs, mtime)
  })
})
