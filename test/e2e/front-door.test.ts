// The conventions every CLI user expects, run as users run them: colour (NO_COLOR,
// --no-color, FORCE_COLOR, each stream on its own), help and "did you mean", shell
// completion, Ctrl-C at a prompt, AWS region and profile, library warnings, output that
// fits 80 columns, and the deny test's progress; in a pseudo-terminal where a terminal matters.
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync} from 'node:fs'
import {join, relative} from 'node:path'
import {stripVTControlCharacters} from 'node:util'
import {describe, it} from 'node:test'

import {freePort} from '../local-cloud/moto.ts'
import {CLI_ENTRY, cliProcessOptions, type World} from '../local-cloud/world.ts'
import {LEVEL, overWidth, screenLines, show, storedLevel, useWorld, vertexCall, vpcsc, wrappedText, writes} from './helpers.ts'
import {assertJsonContract} from './json-contract.ts'
import {deadUrl} from './notify-sink.ts'

const ESC = '\u001B['
/** A colour (SGR) sequence; the spinner's cursor moves are not colour. */
const COLOUR = new RegExp(String.raw`\u001B\[[0-9;]*m`)
const hasColour = (text: string) => COLOUR.test(text)
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

interface PtyRun {
  code: number | null
  output: string
}

/** Presses Ctrl-C (or another key: Ctrl-D is \u0004) at the confirmation of `line`, asserting there was one. */
async function ctrlCAtQuestion(world: World, line: string, key = '\u0003'): Promise<PtyRun> {
  let pressed = false
  const run = await inTerminal(world, line, {
    onOutput: (output, write) => {
      if (!pressed && /\(y\/N\)/.test(output)) {
        pressed = true
        write(key)
      }
    },
  })
  assert.ok(pressed, run.output)
  return run
}

/**
 * Runs a shell line in a pseudo-terminal (script(1)): `vpcsc` in it is the built CLI. `onOutput`
 * may answer (keys written to the terminal) as output arrives.
 */
function inTerminal(world: World, line: string, opts: {env?: Record<string, string>; onOutput?: (output: string, write: (keys: string) => void) => void; timeoutMs?: number} = {}): Promise<PtyRun> {
  const vpcscCmd = `${quote(process.execPath)} ${quote(CLI_ENTRY)}`
  const child = spawn('script', ['-qec', `vpcsc() { ${vpcscCmd} "$@"; }; ${line}`, '/dev/null'], {
    ...cliProcessOptions(world, {TERM: 'xterm-256color', NO_COLOR: '', ...opts.env}),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8')
    opts.onOutput?.(output, (keys) => child.stdin.write(keys))
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
  return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({code, output}))))
}

/** A Node.js older than vpcsc supports, when the machine has one (these machines ship Node 20). */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    try {
      const major = Number(execFileSync(candidate, ['-p', 'process.versions.node.split(".")[0]'], {encoding: 'utf8'}).trim())
      if (major < 22) return candidate
    } catch {
      // not there
    }
  }
  return undefined
}

function widest(text: string): number {
  return Math.max(...stripVTControlCharacters(text).split('\n').map((l) => l.replace(/\r$/, '').length))
}

describe('conventions', () => {
  const ctx = useWorld()

  it('colour on a terminal; none with NO_COLOR or --no-color; FORCE_COLOR in a pipe; --color beats NO_COLOR', async () => {
    const coloured = await inTerminal(ctx.world, 'vpcsc status')
    assert.equal(coloured.code, 0, coloured.output)
    assert.ok(hasColour(coloured.output), `no colour on a terminal:\n${coloured.output}`)

    for (const [line, env] of [['vpcsc status', {NO_COLOR: '1'}], ['vpcsc status --no-color', {}]] as const) {
      const plain = await inTerminal(ctx.world, line, {env})
      assert.equal(plain.code, 0, plain.output)
      assert.ok(!hasColour(plain.output), `colour despite ${line} ${JSON.stringify(env)}:\n${JSON.stringify(plain.output)}`)
      assert.match(plain.output, /In sync/)
    }

    const piped = await vpcsc(ctx.world, ['status'], {env: {NO_COLOR: ''}})
    assert.ok(!hasColour(piped.stdout), 'colour in a pipe')
    const forced = await vpcsc(ctx.world, ['status'], {env: {NO_COLOR: '', FORCE_COLOR: '1'}})
    assert.ok(hasColour(forced.stdout), `FORCE_COLOR=1 gave no colour:\n${forced.stdout}`)
    // A flag beats the environment: --color over NO_COLOR=1, on a terminal.
    const flagged = await inTerminal(ctx.world, 'vpcsc status --color', {env: {NO_COLOR: '1'}})
    assert.ok(hasColour(flagged.output), `--color gave no colour under NO_COLOR=1:\n${JSON.stringify(flagged.output)}`)
  })

  it("stderr's colour follows stderr's terminal, stdout's its own", async () => {
    const out = join(ctx.world.dir, 'work', 'out.txt')
    // stdout to a file, stderr on the terminal: the error is red, the file plain.
    const errOnTty = await inTerminal(ctx.world, `vpcsc status --policy bad/name > ${quote(out)}; vpcsc status > ${quote(out)}`)
    assert.match(errOnTty.output, new RegExp(`${ESC.replace('[', '\\[')}31mError:`), errOnTty.output)
    assert.ok(!hasColour(readFileSync(out, 'utf8')), 'stdout in a file got colour')
    assert.match(readFileSync(out, 'utf8'), /In sync/)
    // stderr to a file, stdout on the terminal: the screen is coloured, the error plain.
    const err = join(ctx.world.dir, 'work', 'err.txt')
    const outOnTty = await inTerminal(ctx.world, `vpcsc status --policy bad/name 2> ${quote(err)}; vpcsc status 2> ${quote(err)}`)
    assert.ok(hasColour(outOnTty.output), outOnTty.output)
    assert.ok(!hasColour(readFileSync(err, 'utf8')), `stderr in a file got colour: ${JSON.stringify(readFileSync(err, 'utf8'))}`)
  })

  it('help: vpcsc help, vpcsc help status, vpcsc ip sync -h', async () => {
    const all = await vpcsc(ctx.world, ['help'])
    assert.equal(all.code, 0, show(all))
    for (const command of ['status', 'ip', 'deny-test', 'restore', 'violations', 'promote', 'demote', 'autocomplete']) assert.match(all.stdout, new RegExp(`^  ${command}\\s`, 'm'))
    const topic = await vpcsc(ctx.world, ['help', 'ip'])
    assert.match(topic.stdout, /ip sync/)
    const status = await vpcsc(ctx.world, ['help', 'status'])
    assert.equal(status.code, 0, show(status))
    assert.match(status.stdout, /USAGE\s+\$ vpcsc status/)
    assert.match(status.stdout, /EXIT CODES/)
    const sync = await vpcsc(ctx.world, ['ip', 'sync', '-h'])
    assert.equal(sync.code, 0, show(sync))
    assert.match(sync.stdout, /USAGE\s+\$ vpcsc ip sync/)
    assert.match(sync.stdout, /--plan/)
    assert.match(sync.stdout, /--\[no-\]all-regions/)
  })

  it('version: --version and vpcsc version print one line; --version --json (either order) and version --json the same facts as JSON', async () => {
    const line = await vpcsc(ctx.world, ['--version'])
    assert.equal(line.code, 0, show(line))
    assert.match(line.stdout, /^vpcsc\/\d+\.\d+\.\d+ \S+ node-v\d+\.\d+\.\d+\n$/)
    assert.equal((await vpcsc(ctx.world, ['version'])).stdout, line.stdout)
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string}
    // Each checked against schemas/version.json by the vpcsc helper, too.
    for (const args of [['--version', '--json'], ['--json', '--version'], ['version', '--json']]) {
      const json = await vpcsc(ctx.world, args)
      assert.equal(json.code, 0, show(json))
      const info = JSON.parse(json.stdout) as Record<string, string>
      assert.deepEqual(info, {name: 'vpcsc', version: pkg.version, node: info.node, platform: process.platform, arch: process.arch, warnings: []})
      assert.ok(line.stdout.includes(`node-v${info.node}`), `${args.join(' ')}: ${json.stdout}`)
    }
  })

  it('version offers only the flags it reads: --config and --request-timeout are refused, not ignored', async () => {
    const help = await vpcsc(ctx.world, ['version', '--help'])
    assert.equal(help.code, 0, show(help))
    assert.doesNotMatch(help.stdout, /--config|--request-timeout/, help.stdout)
    assert.match(help.stdout, /--json/)
    for (const [args, flag] of [[['version', '--request-timeout', 'abc'], '--request-timeout'], [['version', '--config', '/nonexistent'], '--config']] as const) {
      const result = await vpcsc(ctx.world, [...args])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, new RegExp(`^Error: Nonexistent flag: ${flag}\\.\n`))
      assert.equal(result.stdout, '')
    }
    // It reads no config file either: VPCSC_CONFIG naming none is no concern of version's.
    assert.equal((await vpcsc(ctx.world, ['version'], {env: {VPCSC_CONFIG: '/nonexistent'}})).code, 0)
  })

  it('the help of each command that asks lists exit 130 (cancelled at its question); of the others, not', async () => {
    for (const command of [['ip', 'sync'], ['restore'], ['promote'], ['demote'], ['deny-test'], ['status'], ['violations'], ['explain']]) {
      const help = await vpcsc(ctx.world, [...command, '--help'])
      assert.equal(help.code, 0, show(help))
      const codes = help.stdout.slice(help.stdout.indexOf('EXIT CODES'), help.stdout.indexOf('EXAMPLES'))
      const asks = !['status', 'violations', 'explain'].includes(command[0]!)
      assert.equal(/^\s+130 cancelled at the confirmation \(Ctrl-C or Ctrl-D\): nothing written$/m.test(codes), asks, `vpcsc ${command.join(' ')} --help:\n${codes}`)
      assert.match(codes, /^\s+6 {2}restore needed/m)
    }
  })

  it('every help page fits 80 columns: the summaries, the usage, the flags and the examples', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {commands: Record<string, unknown>}
    for (const args of [['help'], ['help', 'ip'], ...Object.keys(manifest.commands).map((id) => [...id.split(':'), '--help'])]) {
      const page = await vpcsc(ctx.world, args)
      assert.equal(page.code, 0, show(page))
      const wide = page.stdout.split('\n').filter((line) => line.length > 80)
      assert.deepEqual(wide, [], `vpcsc ${args.join(' ')} has lines over 80 columns`)
    }
  })

  it('a mistyped command or flag gets "did you mean", a stray or missing argument is named, in a pipe too, exit 2, nothing written', async () => {
    await ctx.world.admin.clearRequests()
    for (const [args, wanted] of [
      [['statsu'], /statsu is not a vpcsc command\. Did you mean status\?/],
      [['ip', 'snyc'], /ip snyc is not a vpcsc command\. Did you mean ip sync\?/],
      [['sync'], /sync is not a vpcsc command\. Did you mean ip sync\?/],
      [['help', 'statsu'], /^Error: statsu is not a vpcsc command\. Did you mean vpcsc help status\?\n/],
      [['ip', 'sync', '--plan', '--yes'], /^Error: --plan and --yes cannot be used together\.\n/],
      [['status', '--polcy', '1'], /Nonexistent flag: --polcy\. Did you mean --policy\?/],
      [['ip', 'sync', '--pln'], /Did you mean --plan\?/],
      // A word a command does not take is an argument, not another command.
      [['status', 'extra-arg'], /^Error: Unexpected argument: extra-arg \(vpcsc status takes no arguments\)\.\n.*vpcsc status --help/],
      [['explain'], /^Error: Missing the argument target \(a vpcServiceControlsUniqueIdentifier, or a caller IP address\)\.\n[^\n]*\n$/],
    ] as const) {
      const result = await vpcsc(ctx.world, [...args])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, wanted)
      assert.equal(result.stdout, '')
    }
    // With --json, the error is the JSON object on stdout, as for every other error.
    const json = await vpcsc(ctx.world, ['statsu', '--json'])
    assert.equal(json.code, 2, show(json))
    assert.deepEqual(JSON.parse(json.stdout).error, {code: 'USAGE', message: 'statsu is not a vpcsc command. Did you mean status?', hint: 'vpcsc help lists the commands.', exitCode: 2})
    assert.equal(json.stderr, '')
    assert.deepEqual(await ctx.world.admin.requests(), [], 'a typo made API calls')
  })

  it('flags before the command: the global ones are read there, any other is named with the line that puts it after, exit 2', async () => {
    const plain = await vpcsc(ctx.world, ['--no-color', 'status'], {env: {FORCE_COLOR: '1'}})
    assert.equal(plain.code, 0, show(plain))
    assert.match(plain.stdout, /In sync/)
    assert.ok(!hasColour(plain.stdout + plain.stderr), `colour despite --no-color before the command:\n${show(plain)}`)
    const json = await vpcsc(ctx.world, ['--json', 'status'])
    assert.equal(json.code, 0, show(json))
    assert.equal(JSON.parse(json.stdout).drift.inSync, true)

    await ctx.world.admin.clearRequests()
    for (const [args, wanted] of [
      [['--polcy'], /^Error: Nonexistent flag: --polcy\. Did you mean --policy\?\n→ Flags go after the command\. As in vpcsc COMMAND --policy \.\.\. \(vpcsc help lists the commands\)\.\n$/],
      [['--polcy', '1', 'status'], /^Error: Nonexistent flag: --polcy\. Did you mean --policy\?\n→ Flags go after the command\. Run vpcsc status --policy 1\.\n$/],
      [['--policy', '1', 'ip', 'sync', '--plan'], /^Error: --policy comes before the command; flags go after it\.\n→ Run vpcsc ip sync --policy 1 --plan\.\n$/],
      [['--verison'], /^Error: Nonexistent flag: --verison\. Did you mean --version\?\n→ Run vpcsc --version\.\n$/],
      [['--no-color', 'statsu'], /^Error: statsu is not a vpcsc command\. Did you mean status\?\n/],
      // oclif answered --version whatever followed it.
      [['--version', '--polcy'], /^Error: Nonexistent flag: --polcy\.\n/],
      [['--version', 'status'], /^Error: Unexpected argument: status \(vpcsc version takes no arguments\)\.\n/],
    ] as const) {
      const result = await vpcsc(ctx.world, [...args])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, wanted)
      assert.equal(result.stdout, '')
    }
    // With --json, wherever it is, the JSON error object on stdout; alone, it asks for help, which has no JSON form.
    for (const [args, message] of [
      [['--json', '--polcy'], 'Nonexistent flag: --polcy. Did you mean --policy?'],
      [['--json', 'statsu'], 'statsu is not a vpcsc command. Did you mean status?'],
      [['--json'], 'vpcsc help has no JSON form.'],
    ] as const) {
      const result = await vpcsc(ctx.world, [...args])
      assert.equal(result.code, 2, show(result))
      assert.equal(result.stderr, '', show(result))
      const {error} = JSON.parse(result.stdout) as {error: {code: string; message: string; exitCode: number}}
      assert.deepEqual([error.code, error.message, error.exitCode], ['USAGE', message, 2], args.join(' '))
    }
    assert.deepEqual(await ctx.world.admin.requests(), [], 'a misplaced flag made API calls')
  })

  it('a mistyped command followed by arguments: the command part alone is named, with the closest command', async () => {
    for (const [args, wanted] of [
      [['explian', '203.0.113.77'], /^Error: explian is not a vpcsc command\. Did you mean explain\?\n/],
      [['autocomplet', 'bash'], /^Error: autocomplet is not a vpcsc command\. Did you mean autocomplete\?\n/],
      [['ip', 'snyc', 'extra'], /^Error: ip snyc is not a vpcsc command\. Did you mean ip sync\?\n/],
      [['sync', 'now'], /^Error: sync is not a vpcsc command\. Did you mean ip sync\?\n/],
      [['nosuchthing', 'at-all'], /^Error: nosuchthing is not a vpcsc command\.\n/],
      [['help', 'explian', '203.0.113.77'], /^Error: explian is not a vpcsc command\. Did you mean vpcsc help explain\?\n/],
    ] as const) {
      const result = await vpcsc(ctx.world, [...args])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, wanted)
      assert.equal(result.stdout, '')
    }
    const json = await vpcsc(ctx.world, ['explian', '203.0.113.77', '--json'])
    assert.equal(json.code, 2, show(json))
    assert.deepEqual(JSON.parse(json.stdout).error, {code: 'USAGE', message: 'explian is not a vpcsc command. Did you mean explain?', hint: 'vpcsc help lists the commands.', exitCode: 2})
    assert.equal(json.stderr, '')
  })

  it('help and autocomplete: --json gives the JSON error object, a mistyped flag a clean did-you-mean, never a stack trace', async () => {
    const noStack = (result: Awaited<ReturnType<typeof vpcsc>>) => {
      assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at |›/, show(result))
    }
    const jsonError = async (args: string[]) => {
      const result = await vpcsc(ctx.world, args)
      assert.equal(result.code, 2, show(result))
      assert.equal(result.stderr, '', show(result))
      noStack(result)
      return JSON.parse(result.stdout).error as {code: string; message: string; hint: string; exitCode: number}
    }
    // README: `vpcsc help statsu` suggests the command, with --json as the JSON error object.
    assert.deepEqual(await jsonError(['help', 'statsu', '--json']), {code: 'USAGE', message: 'statsu is not a vpcsc command. Did you mean vpcsc help status?', hint: 'vpcsc help lists the commands.', exitCode: 2})
    // Help has no JSON form, however it is asked for: help COMMAND, COMMAND --help, -h.
    for (const args of [['help', 'status', '--json'], ['help', '--json'], ['help', 'ip', '--json'], ['status', '--help', '--json'], ['--json', 'ip', 'sync', '--plan', '-h'], ['--help', '--json']]) {
      const error = await jsonError(args)
      assert.equal(error.code, 'USAGE')
      assert.match(error.message, /^vpcsc help has no JSON form\./, args.join(' '))
      assert.match(error.hint, /without --json/)
    }
    for (const args of [['autocomplete', 'bash', '--json'], ['autocomplete', '--json']]) {
      const error = await jsonError(args)
      assert.match(error.message, /^vpcsc autocomplete has no JSON form\./, args.join(' '))
    }
    // A shell it does not support, with --json: the JSON object, not the human lines.
    assert.deepEqual(await jsonError(['autocomplete', 'fish', '--json']), {code: 'USAGE', message: 'Expected fish to be one of: zsh, bash, powershell.', hint: 'vpcsc autocomplete --help shows the shells it supports: bash, zsh, powershell.', exitCode: 2})

    for (const [args, wanted] of [
      [['help', '--polcy'], /^Error: Nonexistent flag: --polcy\. Did you mean --policy\?\n→ --policy is a flag of the commands, not of help: vpcsc help COMMAND lists a command's flags\.\n$/],
      [['help', 'status', '--polcy'], /^Error: Nonexistent flag: --polcy\. Did you mean --policy\?\n→ --policy is a flag of vpcsc status, not of help: vpcsc help status lists its flags\.\n$/],
      [['help', '--nested-comands'], /^Error: Nonexistent flag: --nested-comands\. Did you mean --nested-commands\?\n→ vpcsc help \[COMMAND\] takes one flag: --nested-commands \(-n\)\.\n$/],
      // A flag the command does not take: the flags, not the shells.
      [['autocomplete', '--polcy'], /^Error: Nonexistent flag: --polcy\.\n→ See --help for the flags this command takes\.\n$/],
      [['autocomplete', 'bash', '--refresh-cach'], /^Error: Nonexistent flag: --refresh-cach\. Did you mean --refresh-cache\?\n→ See --help for the flags this command takes\.\n$/],
    ] as const) {
      const result = await vpcsc(ctx.world, [...args])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, wanted)
      assert.equal(result.stdout, '')
      noStack(result)
    }
    const flagJson = await jsonError(['help', '--polcy', '--json'])
    assert.match(flagJson.message, /^Nonexistent flag: --polcy\. Did you mean --policy\?$/)
  })

  it('NO_COLOR and FORCE_COLOR together: FORCE_COLOR wins, without a Node warning (DEBUG=vpcsc:warnings shows it)', async () => {
    for (const args of [['statsu'], ['status']]) {
      const result = await vpcsc(ctx.world, args, {env: {NO_COLOR: '1', FORCE_COLOR: '1'}})
      assert.doesNotMatch(result.stderr, /Warning|NO_COLOR|trace-warnings/, show(result))
      assert.ok(hasColour(result.stderr + result.stdout), `FORCE_COLOR=1 gave no colour:\n${show(result)}`)
    }
    const debugged = await vpcsc(ctx.world, ['statsu'], {env: {NO_COLOR: '1', FORCE_COLOR: '1', DEBUG: 'vpcsc:warnings'}})
    assert.match(debugged.stderr, /^vpcsc:warnings Warning: The 'NO_COLOR' env is ignored due to the 'FORCE_COLOR' env being set\.$/m, show(debugged))
  })

  it('the confirmation follows the colour decision: --no-color, NO_COLOR and FORCE_COLOR=0 plain; coloured on a terminal otherwise', async () => {
    // NO_COLOR unset, not empty: Node's own colouring (util.styleText) reads an empty NO_COLOR as set.
    const answerNo = (line: string, env: Record<string, string> = {}) => {
      let answered = false
      return inTerminal(ctx.world, `${'NO_COLOR' in env ? '' : 'unset NO_COLOR; '}${line}`, {
        env,
        onOutput: (output, write) => {
          if (!answered && /\(y\/N\)/.test(stripVTControlCharacters(output))) {
            answered = true
            write('n\r')
          }
        },
      })
    }
    await ctx.world.aws.replaceNatGateway()
    for (const [line, env] of [
      ['vpcsc demote --no-color', {}],
      ['vpcsc ip sync --no-color', {}],
      ['vpcsc demote', {NO_COLOR: '1'}],
      ['vpcsc demote', {FORCE_COLOR: '0'}],
    ] as const) {
      const run = await answerNo(line, env)
      assert.equal(run.code, 0, run.output)
      assert.match(run.output, /\(y\/N\)/)
      assert.ok(!hasColour(run.output), `colour despite ${line} ${JSON.stringify(env)}:\n${JSON.stringify(run.output)}`)
    }
    // On a terminal the question is coloured, also when stdout goes to a file: it is on stderr.
    const out = join(ctx.world.dir, 'work', 'demote.txt')
    for (const line of ['vpcsc demote', `vpcsc demote > ${quote(out)}`]) {
      const run = await answerNo(line)
      assert.equal(run.code, 0, run.output)
      assert.ok(hasColour(run.output.slice(0, run.output.indexOf('(y/N)') + 10)), `no colour in the question of ${line}:\n${JSON.stringify(run.output)}`)
    }
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('shell completion for bash and zsh', async () => {
    for (const shell of ['bash', 'zsh']) {
      const setup = await vpcsc(ctx.world, ['autocomplete', shell])
      assert.equal(setup.code, 0, show(setup))
      assert.match(setup.stdout, new RegExp(`vpcsc autocomplete script ${shell}`))
      const script = await vpcsc(ctx.world, ['autocomplete', 'script', shell])
      assert.equal(script.code, 0, show(script))
      assert.match(script.stdout, /VPCSC_AC_/)
    }
    // The cache the script sources names every command and their flags.
    const cacheDir = join(ctx.world.env.HOME!, '.cache', 'vpcsc', 'autocomplete', 'functions', 'zsh')
    const completion = existsSync(cacheDir) ? readdirSync(cacheDir).map((f) => readFileSync(join(cacheDir, f), 'utf8')).join('\n') : ''
    assert.match(completion, /deny-test/)
    assert.match(completion, /--policy/)
    assert.match(completion, /--no-color/)
    // bash itself completes a flag of a command, the negation of --color among them.
    const bashFunctions = join(ctx.world.env.HOME!, '.cache', 'vpcsc', 'autocomplete', 'functions', 'bash', 'vpcsc.bash')
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', 'source "$0"; COMP_WORDS=("${@}"); COMP_CWORD=$(($# - 1)); _vpcsc_autocomplete; printf "%s\\n" "${COMPREPLY[@]}"', bashFunctions, 'vpcsc', ...words], {encoding: 'utf8'}).split('\n').filter(Boolean)
    assert.deepEqual(complete('status', '--no-c'), ['--no-color'])
    assert.deepEqual(complete('ip', 'sync', '--no-a'), ['--no-all-regions'])
    assert.deepEqual(complete('ip', 'sync', '--pl'), ['--plan'])
    // A shell it does not support: vpcsc's own two lines and exit 2, not oclif's block.
    const fish = await vpcsc(ctx.world, ['autocomplete', 'fish'])
    assert.equal(fish.code, 2, show(fish))
    assert.match(fish.stderr, /^Error: Expected fish to be one of: zsh, bash, powershell\.\n→ .*bash, zsh, powershell\.\n$/)
  })

  it('Ctrl-C at the confirmation: exit 130, one line, no stack, nothing written', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.clearRequests()
    const run = await ctrlCAtQuestion(ctx.world, 'vpcsc ip sync')
    assert.equal(run.code, 130, run.output)
    assert.match(run.output, /Cancelled at the prompt \(Ctrl-C\); nothing was written\./)
    assert.doesNotMatch(run.output, /ExitPromptError|\n\s+at /)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('Ctrl-D at the confirmation: exit 130, said as the end of input, nothing written', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.clearRequests()
    const run = await ctrlCAtQuestion(ctx.world, 'vpcsc ip sync', '\u0004')
    assert.equal(run.code, 130, run.output)
    assert.match(run.output, /Cancelled at the prompt \(end of input\); nothing was written\./)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('Ctrl-C at the deny test\'s question: exit 130, no journal, nothing written', async () => {
    await ctx.world.admin.clearRequests()
    const run = await ctrlCAtQuestion(ctx.world, 'vpcsc deny-test --probe-interval 1s')
    assert.equal(run.code, 130, run.output)
    assert.match(run.output, /Cancelled at the prompt/)
    assert.doesNotMatch(run.output, /ExitPromptError|\n\s+at /)
    assert.deepEqual(await writes(ctx.world), [])
    const stateDir = join(ctx.world.env.XDG_STATE_HOME!, 'vpcsc')
    assert.deepEqual(existsSync(stateDir) ? readdirSync(stateDir) : [], [])
  })

  it('stderr in a file, stdout on the terminal: the question is asked on the terminal; stdout and stderr both in files: refused at once, exit 2', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.clearRequests()
    const err = join(ctx.world.dir, 'work', 'err.log')
    let answered = false
    const run = await inTerminal(ctx.world, `vpcsc ip sync 2> ${quote(err)}`, {
      onOutput: (output, write) => {
        if (!answered && /Write this list to vpcsc_allow_ec2_ip\? \(y\/N\)/.test(stripVTControlCharacters(output))) {
          answered = true
          write('n\r')
        }
      },
    })
    assert.ok(answered, `the question was not on the terminal:\n${run.output}\n--- err.log\n${readFileSync(err, 'utf8')}`)
    assert.equal(run.code, 0, run.output)
    assert.match(run.output, /Nothing was written/)
    assert.doesNotMatch(readFileSync(err, 'utf8'), /\(y\/N\)/)
    // Nowhere anyone would see the question: refused as with no terminal, before any write.
    const out = join(ctx.world.dir, 'work', 'out.txt')
    const nowhere = await inTerminal(ctx.world, `vpcsc ip sync > ${quote(out)} 2> ${quote(err)}`)
    assert.equal(nowhere.code, 2, `${nowhere.output}\n--- err.log\n${readFileSync(err, 'utf8')}`)
    assert.match(readFileSync(err, 'utf8'), /^Error: Nothing was written: confirmation needs a terminal to ask on, and stdout and stderr both go to files\.\n→ .*--yes/)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('AWS_DEFAULT_REGION is honoured after AWS_REGION, both checked up front; a missing profile is named, without SDK warnings', async () => {
    const region = await vpcsc(ctx.world, ['status', '--json'], {env: {AWS_REGION: '', AWS_DEFAULT_REGION: 'us-east-1'}})
    assert.equal(region.code, 0, show(region))
    assert.deepEqual(JSON.parse(region.stdout).nat.regions, ['us-east-1'])
    // Checked like --region, before any call: not an SDK error about an unreadable answer.
    await ctx.world.admin.clearRequests()
    const bad = await vpcsc(ctx.world, ['status', '--check'], {env: {AWS_REGION: 'xx-fake-9'}})
    assert.equal(bad.code, 2, show(bad))
    assert.match(bad.stderr, /^Error: AWS_REGION "xx-fake-9" is not an AWS region/)
    assert.deepEqual(await ctx.world.admin.requests(), [], 'no call')

    // The world sets static keys too: the SDK would print its multi-line "Multiple credential sources" notice.
    const profile = await vpcsc(ctx.world, ['status'], {env: {AWS_PROFILE: 'nope'}})
    assert.equal(profile.code, 2, show(profile))
    assert.match(profile.stderr, /^Error: AWS_PROFILE "nope" is not a profile in the AWS config or credentials file\./)
    assert.doesNotMatch(profile.stderr, /WARNING|Multiple credential sources/)
    assert.ok(profile.stderr.trim().split('\n').length <= 2, show(profile))
  })

  it('no library warning reaches the user on a Google-side error', async () => {
    // An unreadable credential file sends google-auth-library looking for a metadata server.
    const result = await vpcsc(ctx.world, ['status'], {env: {GOOGLE_APPLICATION_CREDENTIALS: ''}})
    assert.notEqual(result.code, 0)
    assert.doesNotMatch(result.stderr, /MetadataLookupWarning|Warning:|NodeVersionSupportWarning/, show(result))
  })
})

describe('output that fits', () => {
  const ctx = useWorld()

  it('status fits the width: a pipe (80, or COLUMNS), a terminal without a size (COLUMNS, else 80), a sized one (its width); hint lines aside, whole in a pipe', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    // The seed's level has a 104-column line: condition 1's member and region.
    const member = 'serviceAccount:break-glass@vpcsc-demo.iam.gserviceaccount.com'
    const finding = wrappedText(`${replaced.newIp} (${replaced.newNatGatewayId}, us-east-1) is not admitted by the level: its callers are denied.`)
    const hint = '  → vpcsc ip sync --plan shows the change; vpcsc ip sync writes it.'
    for (const [columns, width] of [[undefined, 80], ['60', 60], ['120', 120], ['0', 80], ['eighty', 80]] as const) {
      const piped = await vpcsc(ctx.world, ['status'], {env: columns === undefined ? {} : {COLUMNS: columns}})
      assert.equal(piped.code, 0, show(piped))
      assert.deepEqual(overWidth(piped.stdout, width), [], `COLUMNS=${columns}: lines over ${width} columns:\n${piped.stdout}`)
      assert.ok(screenLines(piped.stdout).includes(hint), `COLUMNS=${columns}: the hint, whole:\n${piped.stdout}`)
      assert.match(piped.stdout, finding)
      assert.match(piped.stdout, /NAT gateways/)
    }
    const wide = await vpcsc(ctx.world, ['status'], {env: {COLUMNS: '120'}})
    assert.ok(screenLines(wide.stdout).includes(`  condition 1          members ${member}; regions US`), `120 columns hold the line whole:\n${wide.stdout}`)

    for (const [setup, env, width] of [
      ['stty cols 80', {}, 80],
      ['stty cols 80', {COLUMNS: '200'}, 80],
      ['stty rows 0 cols 0', {COLUMNS: '80'}, 80],
      ['stty rows 0 cols 0', {COLUMNS: '72'}, 72],
      ['stty rows 0 cols 0', {}, 80],
    ] as const) {
      const screen = await inTerminal(ctx.world, `${setup}; vpcsc status`, {env})
      assert.equal(screen.code, 0, screen.output)
      assert.ok(widest(screen.output) <= width, `${setup} ${JSON.stringify(env)}: wider than ${width}:\n${stripVTControlCharacters(screen.output)}`)
      assert.match(stripVTControlCharacters(screen.output), new RegExp(`members\\s+${member.replaceAll('.', '\\.')};\\s+regions US`))
      assert.match(stripVTControlCharacters(screen.output), finding)
      assert.match(stripVTControlCharacters(screen.output), wrappedText(hint.trim()))
    }
  })

  it('status --all-regions: the list of regions wraps under its value column, in a pipe and on a terminal', async () => {
    const regions = (JSON.parse((await vpcsc(ctx.world, ['status', '--json', '--all-regions'])).stdout) as {nat: {regions: string[]}}).nat.regions
    assert.ok(regions.length > 10, regions.join(', '))
    const piped = await vpcsc(ctx.world, ['status', '--all-regions'])
    const sizeless = await inTerminal(ctx.world, 'stty rows 0 cols 0; vpcsc status --all-regions', {env: {COLUMNS: '80'}})
    const sized = await inTerminal(ctx.world, 'stty cols 80; vpcsc status --all-regions')
    for (const [where, output] of [['a pipe', piped.stdout], ['a terminal without a size', sizeless.output], ['an 80-column terminal', sized.output]]) {
      assert.deepEqual(overWidth(output!, 80), [], `${where}:\n${output}`)
      const lines = screenLines(output!)
      const first = lines.findIndex((l) => l.startsWith('NAT gateways  '))
      let end = first + 1
      while (/^ {14}\S/.test(lines[end] ?? '')) end++
      const block = lines.slice(first, end)
      assert.ok(block.length > 1, `${where}: not wrapped:\n${output}`)
      assert.equal(block.map((l) => l.slice(14)).join(' '), regions.join(', '), `${where}: the regions, each continuation under the first:\n${block.join('\n')}`)
    }
  })

  it('on an 80-column terminal every line fits: explain, ip sync, the writes and their notes, an error and its hint', async () => {
    await ctx.world.aws.replaceNatGateway()
    const run = await inTerminal(ctx.world, 'stty cols 80; vpcsc explain 198.51.100.7; vpcsc ip sync --yes; vpcsc ip sync; vpcsc autocomplete bash; vpcsc status --policy organizations/1 --level bad-id; true')
    assert.equal(run.code, 0, run.output)
    assert.match(run.output, /Fix/)
    assert.match(run.output, /is in sync/)
    assert.match(run.output, /Setup Instructions/)
    assert.match(stripVTControlCharacters(run.output), /Error: 2 settings are invalid: --policy "organizations\/1": expected a policy/)
    assert.ok(widest(run.output) <= 80, `wider than 80:\n${stripVTControlCharacters(run.output)}`)
  })

  it('violations fit the width: a pipe (80, or COLUMNS) laid out as an 80-column terminal, its ! line wrapped with a hanging indent; a wide screen the full table', async () => {
    const ips = ['198.51.100.7', '198.51.100.8', '198.51.100.9']
    for (const ip of ips) assert.equal(await vertexCall(ctx.world, ip), 403)
    /** The ! line and its continuation lines (two columns in): how many, and the IPs it names (the latest first). */
    const warningIn = (output: string) => {
      const lines = screenLines(output)
      const first = lines.findIndex((l) => l.startsWith('! Not admitted'))
      let end = first + 1
      while (/^ {2}\S/.test(lines[end] ?? '')) end++
      const text = lines.slice(first, end).map((l) => l.trim()).join(' ')
      const named = /^! Not admitted by the access level: (.+) \(a NAT IP among them\? vpcsc ip sync\)$/.exec(text)?.[1]
      return {lines: end - first, ips: named ? named.split(', ').sort() : text}
    }
    const narrow = await inTerminal(ctx.world, 'stty cols 80; vpcsc violations')
    assert.equal(narrow.code, 0, narrow.output)
    assert.match(narrow.output, /198\.51\.100\.7/)
    assert.ok(widest(narrow.output) <= 80, `wider than 80:\n${stripVTControlCharacters(narrow.output)}`)
    assert.deepEqual(warningIn(narrow.output), {lines: 2, ips})

    for (const [env, width] of [[{}, 80], [{COLUMNS: '60'}, 60]] as const) {
      const piped = await vpcsc(ctx.world, ['violations'], {env})
      assert.equal(piped.code, 0, show(piped))
      assert.deepEqual(overWidth(piped.stdout, width), [], `lines over ${width} columns in a pipe:\n${piped.stdout}`)
      assert.doesNotMatch(piped.stdout, /First seen/, `laid out for ${width} columns, not as the wide table`)
      assert.ok(screenLines(piped.stdout).includes(`→ Shortened to fit ${width} columns: --json has every field (full names, first seen).`), piped.stdout)
      assert.deepEqual(warningIn(piped.stdout).ips, ips, piped.stdout)
      assert.ok(warningIn(piped.stdout).lines > 1, piped.stdout)
      for (const ip of ips) assert.match(piped.stdout, new RegExp(`^ +1  ${ip.replaceAll('.', '\\.')} \\(not admitted\\)`, 'm'))
      assert.match(piped.stdout, /^ {9}aiplatform ModelService\.ListModels(?: {2}|\n {9})NO_MATCHING_ACCESS_LEVEL(?: {2}|\n {9})last \d{4}-\d\d-\d\d \d\d:\d\dZ$/m, 'fields stay whole, a field that does not fit under the first')
    }
    // A pipe as wide as COLUMNS says gets the full table, as a terminal that wide does.
    const widePipe = await vpcsc(ctx.world, ['violations'], {env: {COLUMNS: '200'}})
    assert.match(widePipe.stdout, /First seen/)
    assert.deepEqual(overWidth(widePipe.stdout, 200), [], widePipe.stdout)
    const wide = await inTerminal(ctx.world, 'stty cols 200; vpcsc violations')
    assert.equal(wide.code, 0, wide.output)
    assert.match(wide.output, /First seen/)
    assert.ok(widest(wide.output) <= 200, wide.output)
  })

  it('violations at 40 columns in a pipe: the headings and the count lines wrap too, with no violation and with one', async () => {
    for (const round of ['none', 'one']) {
      if (round === 'one') assert.equal(await vertexCall(ctx.world, '198.51.100.7'), 403)
      const piped = await vpcsc(ctx.world, ['violations'], {env: {COLUMNS: '40'}})
      assert.equal(piped.code, 0, show(piped))
      assert.deepEqual(overWidth(piped.stdout, 40), [], `${round}: lines over 40 columns in a pipe:\n${piped.stdout}`)
      assert.match(piped.stdout, wrappedText('Dry-run violations (would be denied once enforced)'))
      assert.match(piped.stdout, /^ {2}\d+ entr(?:y|ies) since\n {4}\d{4}-\d\d-\d\dT[\d:.]+Z$/m, `${round}: the time under the count:\n${piped.stdout}`)
    }
  })

  it("stderr wraps on a terminal for every command (a failed notification's warning too), and stays one whole line an error in a pipe", async () => {
    const run = await inTerminal(ctx.world, `stty cols 60; vpcsc ip sync --yes --nat-tag vpcsc=none --notify ${await deadUrl()}; vpcsc status --region us-east-1 --region us-esat-1; true`)
    const screen = stripVTControlCharacters(run.output)
    assert.match(screen, wrappedText('! The notification to'))
    assert.match(screen, wrappedText('Error: 1 NAT source not read, the drift is incomplete'))
    assert.ok(widest(run.output) <= 60, `wider than 60:\n${screen}`)
    const piped = await vpcsc(ctx.world, ['status', '--region', 'us-east-1', '--region', 'us-esat-1'], {env: {COLUMNS: '60'}})
    assert.equal(piped.code, 1, show(piped))
    assert.deepEqual(overWidth(piped.stdout, 60), [], piped.stdout)
    const lines = piped.stderr.trimEnd().split('\n')
    assert.equal(lines.length, 2, piped.stderr)
    assert.match(lines[0]!, /^Error: 1 NAT source not read, the drift is incomplete: own account \d+ in us-esat-1: .*\?$/)
    assert.match(lines[1]!, /^→ Check the region/)
  })

  it('explain on a terminal says what it reads: the audit log for an id, not for an IP', async () => {
    const ip = stripVTControlCharacters((await inTerminal(ctx.world, 'stty cols 120; vpcsc explain 198.51.100.7')).output)
    assert.match(ip, /Reading the access level and the NAT gateways/)
    assert.doesNotMatch(ip, /audit log/)
    const id = stripVTControlCharacters((await inTerminal(ctx.world, 'stty cols 120; vpcsc explain ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ')).output)
    assert.match(id, /Reading the audit log, the access level and the NAT gateways/)
  })

  it('while a deny test holds the level, status does not suggest ip sync', async () => {
    const {spawnCli} = await import('./helpers.ts')
    await ctx.world.admin.config({propagationDelayMs: 60_000})
    const run = spawnCli(ctx.world, ['deny-test', '--probe-interval', '1s', '--yes', '--timeout', '5m'])
    await run.waitFor(/deny-wait\s+#1/)
    const status = await vpcsc(ctx.world, ['status'])
    run.child.kill('SIGINT')
    const ended = await run.result
    assert.equal(ended.code, 130, `${ended.stdout}\n${ended.stderr}`)
    assert.match(status.stdout, /A deny test is running/)
    assert.match(status.stdout, /192\.0\.2\.1\/32 is a deny test's deny CIDR/)
    assert.doesNotMatch(status.stdout, /vpcsc ip sync/)
    assert.match(status.stdout, /ip sync refuses until then/)
    assert.deepEqual((await storedLevel(ctx.world, LEVEL)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32'])
  })

  it('deny-test on a terminal: a live line with elapsed time, attempt, short answer and the next probe', async () => {
    await ctx.world.admin.config({propagationDelayMs: 4000})
    const run = await inTerminal(ctx.world, 'vpcsc deny-test --probe-interval 3s --yes --no-recovery-wait', {timeoutMs: 120_000})
    assert.equal(run.code, 0, run.output)
    // Redrawn in place: carriage return, erase the line, the new state.
    const redraws = run.output.split(`\r${ESC}2K`).slice(1).map((d) => stripVTControlCharacters(d))
    assert.ok(redraws.some((d) => /^ {2}deny-wait\s+#\d+\s+[\d.]+ s\s+ALLOWED HTTP 200\s+next probe in \d s/.test(d)), run.output)
    assert.match(stripVTControlCharacters(run.output), /deny-wait\s+#\d+\s+[\d.]+ s\s+DENIED_VPCSC HTTP 403, aiplatform/)
    // Short answers only: never the 403's whole text on the progress line.
    assert.doesNotMatch(run.output, /deny-wait[^\n]*Request is prohibited by organization/)
    assert.match(run.output, /PASS/)
  })

  it('deny-test in a pipe: one line per change of answer, not one per probe', async () => {
    await ctx.world.admin.config({propagationDelayMs: 4000})
    const result = await vpcsc(ctx.world, ['deny-test', '--probe-interval', '1s', '--yes', '--no-recovery-wait'], {timeoutMs: 120_000})
    assert.equal(result.code, 0, show(result))
    const waits = result.stderr.split('\n').filter((l) => /deny-wait/.test(l))
    assert.deepEqual(waits.map((l) => /ALLOWED|DENIED_VPCSC/.exec(l)?.[0]), ['ALLOWED', 'DENIED_VPCSC'], result.stderr)
    assert.doesNotMatch(result.stderr, /\r/)
  })

  it('a failed baseline from this machine says so, and nothing is written', async () => {
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['deny-test', '--probe', 'local', '--yes'], {env: {VPCSC_INSTANCE_ID: ''}})
    assert.equal(result.code, 4, show(result))
    assert.match(result.stderr, /from this machine/)
    assert.match(result.stderr, /--instance-id/)
    assert.deepEqual(await writes(ctx.world), [])
  })
})

describe("the newcomer's path", () => {
  const ctx = useWorld()
  const repo = join(import.meta.dirname, '..', '..')

  /** A child process, asynchronously: the world's emulated Google answers from this process. */
  function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{code: number | null; stdout: string; stderr: string}> {
    const child = spawn(command, args, {...cliProcessOptions(ctx.world, env), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({code, stdout, stderr}))))
  }

  it('bin/dev.js runs the sources without a build, like the built CLI', async () => {
    const dev = await run(process.execPath, [join(repo, 'bin', 'dev.js'), 'status', '--json'])
    assert.equal(dev.code, 0, dev.stderr)
    const built = await vpcsc(ctx.world, ['status', '--json'])
    const strip = (text: string) => ({...JSON.parse(text), timingsMs: undefined})
    assert.deepEqual(strip(dev.stdout), strip(built.stdout))
    const typo = await run(process.execPath, [join(repo, 'bin', 'dev.js'), 'statsu'])
    assert.equal(typo.code, 2)
    assert.match(typo.stderr, /Did you mean status\?/)
  })

  it('scripts/vpcsc through a symlink named vpcsc in a folder on PATH (README, Conventions), a relative link to a link too', async () => {
    const bin = mkdtempSync(join(ctx.world.dir, 'bin-'))
    symlinkSync(join(repo, 'scripts', 'vpcsc'), join(bin, 'vpcsc'))
    // A relative link to that link, in another folder: each link is read from its own folder.
    const other = mkdtempSync(join(ctx.world.dir, 'bin-'))
    symlinkSync(relative(other, join(bin, 'vpcsc')), join(other, 'vpcsc'))
    for (const folder of [bin, other]) {
      const result = await run('bash', ['-c', 'vpcsc status --check'], {PATH: `${folder}:/usr/local/bin:/usr/bin:/bin`})
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
      assert.match(result.stdout, /In sync/)
      // Nothing but, on a clone's first run, scripts/vpcsc fetching the Node it uses.
      assert.equal(result.stderr.replace(/^Fetching Node\.js .*\n/m, ''), '')
    }
  })

  it('on an old Node: the message on stderr, exit 2, and with --json the JSON error object on stdout', async (t) => {
    const old = oldNode()
    if (!old) return t.skip('no Node.js older than 22 on this machine')
    const human = await run(old, [CLI_ENTRY, 'status'])
    assert.equal(human.code, 2, human.stderr)
    assert.equal(human.stdout, '')
    assert.match(human.stderr, /^vpcsc needs Node\.js 22 or newer/)
    for (const args of [['status', '--json'], ['--json', 'ip', 'sync', '--plan']]) {
      const json = await run(old, [CLI_ENTRY, ...args])
      assert.equal(json.code, 2, json.stderr)
      assert.equal(json.stderr, human.stderr)
      assertJsonContract(args, json.stdout)
      const {error} = JSON.parse(json.stdout) as {error: {code: string; message: string; hint: string; exitCode: number}}
      assert.deepEqual(error, {code: 'UNSUPPORTED_NODE', message: human.stderr.split('\n')[0], hint: human.stderr.split('\n')[1], exitCode: 2})
    }
  })

  it('scripts/vpcsc runs the CLI whatever Node is first on PATH', async () => {
    // Only the system's folders: an old Node (or none) first on PATH.
    const result = await run('bash', [join(repo, 'scripts', 'vpcsc'), 'status', '--check'], {PATH: '/usr/local/bin:/usr/bin:/bin'})
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
    assert.match(result.stdout, /In sync/)
    assert.doesNotMatch(result.stderr, /Using Node/)
  })
})

describe('a failed baseline says what failed', () => {
  const ctx = useWorld()

  it('SSM could not deliver the probe: named, with the instance, nothing written', async () => {
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['deny-test', '--yes', '--probe-timeout', '10s'], {env: {VPCSC_INSTANCE_ID: 'i-0123456789abcdef0'}, timeoutMs: 60_000})
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /never ran on i-0123456789abcdef0: SSM could not deliver it/)
    assert.match(result.stderr, /describe-instance-information/)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('a probe from this machine that gets no answer could not run: the endpoint and the error in one message, no IP diagnosis, nothing written', async () => {
    // A port just closed: the connection is refused.
    const port = await freePort()
    const env = {VPCSC_VERTEX_ENDPOINT: `http://127.0.0.1:${port}`}
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['deny-test', '--probe', 'local', '--yes'], {env})
    assert.equal(result.code, 1, show(result))
    const error = result.stderr.slice(result.stderr.indexOf('Error: '))
    assert.equal(error, `Error: The baseline probe from this machine could not run: no answer from 127.0.0.1:${port}: ECONNREFUSED; nothing was changed.\n→ Check this machine's network or proxy to Vertex AI (and VPCSC_VERTEX_ENDPOINT, if you set it) and its Google credentials, then run again.\n`)
    const json = await vpcsc(ctx.world, ['deny-test', '--probe', 'local', '--yes', '--json'], {env})
    assert.equal(json.code, 1, show(json))
    const {error: object} = JSON.parse(json.stdout) as {error: {code: string; message: string; hint: string}}
    assert.equal(object.code, 'BASELINE_ERROR')
    assert.doesNotMatch(`${object.message} ${object.hint}`, /not allowed|NAT egress IP|--instance-id|\(The baseline probe/)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('a probe from this machine refused by IAM, not by VPC-SC: says the identity is what to fix, never the IP', async () => {
    const iamDenial = {
      match: {method: 'GET', path: '/models'},
      status: 403,
      count: 1,
      body: {error: {code: 403, status: 'PERMISSION_DENIED', message: "Permission 'aiplatform.models.list' denied on resource '//aiplatform.googleapis.com/projects/123456789012/locations/us-central1' (or it may not exist).", details: [{'@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'aiplatform.googleapis.com', metadata: {permission: 'aiplatform.models.list'}}]}},
    }
    await ctx.world.admin.fault(iamDenial)
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['deny-test', '--probe', 'local', '--yes'])
    assert.equal(result.code, 4, show(result))
    const error = result.stderr.slice(result.stderr.indexOf('Error: '))
    assert.match(error, /^Error: The baseline probe from this machine was refused, but not by VPC Service Controls \(HTTP 403: .*aiplatform\.models\.list.*\); nothing was changed\.\n→ The caller's Google identity is what to fix, not its IP: grant this machine's credentials roles\/aiplatform\.user/)
    assert.doesNotMatch(error, /NAT egress IP|this machine's IP, which/)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('a level that admits the NAT but has not propagated yet: says so, not "ip sync"', async () => {
    await ctx.world.admin.config({propagationDelayMs: 120_000})
    await ctx.world.aws.replaceNatGateway()
    const sync = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(sync.code, 0, show(sync))
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['deny-test', '--yes'], {timeoutMs: 60_000})
    assert.equal(result.code, 4, show(result))
    assert.match(result.stderr, /admits every NAT egress IP: a recent change of the level .* still propagating/)
    assert.doesNotMatch(result.stderr, /vpcsc ip sync/)
    assert.deepEqual(await writes(ctx.world), [])
  })
})
