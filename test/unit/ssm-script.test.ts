import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {VERTEX_SERVICE} from '../../src/lib/deny-test/probe/classify.ts'
import {commandProbeScript, parseProbeOutput, RESULT_MARKER, SSM_STDOUT_LIMIT, vertexProbeScript} from '../../src/lib/deny-test/probe/ssm-script.ts'

const FAKE_TOKEN = 'ya29.FAKE-t0ken-must-never-leak'
const URL = 'https://us-central1-aiplatform.googleapis.com/v1/projects/1234/locations/us-central1/models?pageSize=1'
/** A credential path a naive script would break on: spaces, a single quote, $, backquotes. */
const NASTY_CRED = "/tmp/vpcsc test/it's a \"cred\" $HOME `id`.json"

const VPCSC_BODY = JSON.stringify({
  error: {
    code: 403,
    status: 'PERMISSION_DENIED',
    message: "Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: SsmUid77",
    details: [
      {'@type': 'type.googleapis.com/google.rpc.PreconditionFailure', violations: [{type: 'VPC_SERVICE_CONTROLS', description: 'SsmUid77'}]},
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'SECURITY_POLICY_VIOLATED',
        domain: 'googleapis.com',
        metadata: {consumer: 'projects/1234', service: 'aiplatform.googleapis.com', uid: 'SsmUid77'},
      },
    ],
  },
})

/**
 * Stand-ins for gcloud and curl. gcloud records its arguments and CLOUDSDK_CONFIG; curl
 * records its argv (NUL-separated) and its stdin (where the header must arrive), then
 * prints the canned body and "\n<code>" like `-w '\n%{http_code}'`.
 */
const FAKE_GCLOUD = `#!/bin/bash
log="$FAKE_LOG"
case "$1 $2" in
  "auth login")
    printf '%s\\0' "$@" > "$log/gcloud-login-argv"
    printf '%s' "$CLOUDSDK_CONFIG" > "$log/cloudsdk-config"
    [ -d "$CLOUDSDK_CONFIG" ] || { echo "no config dir" >&2; exit 3; }
    if [ -n "\${FAKE_LOGIN_ERROR:-}" ]; then printf '%s\\n' "$FAKE_LOGIN_ERROR" >&2; exit 1; fi
    echo "Authenticated with external account credentials for: [principal://x]" >&2
    exit 0 ;;
  "auth print-access-token")
    if [ -n "\${FAKE_TOKEN_ERROR:-}" ]; then printf '%s\\n' "$FAKE_TOKEN_ERROR" >&2; exit 1; fi
    printf '%s\\n' "$FAKE_TOKEN"
    exit 0 ;;
esac
echo "unexpected gcloud call: $*" >&2
exit 2
`

const FAKE_CURL = `#!/bin/bash
log="$FAKE_LOG"
printf '%s\\0' "$@" > "$log/curl-argv"
cat > "$log/curl-stdin"
if [ -n "\${FAKE_CURL_ERROR:-}" ]; then
  printf '%s\\n' "$FAKE_CURL_ERROR" >&2
  printf '\\n000'
  exit 7
fi
cat "$log/body"
printf '\\n%s' "$FAKE_HTTP"
`

interface Run {
  stdout: string
  stderr: string
  status: number | null
  log: string
}

let root: string
let counter = 0

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'vpcsc-ssm-script-'))
})
after(async () => {
  await rm(root, {recursive: true, force: true})
})

/** Runs the script with bash, the stand-ins first on PATH, everything inside a fresh temp dir. */
async function runScript(script: string, env: Record<string, string> = {}, body = ''): Promise<Run> {
  const dir = path.join(root, `run-${++counter}`)
  const bin = path.join(dir, 'bin')
  const log = path.join(dir, 'log')
  const tmp = path.join(dir, 'tmp')
  await mkdir(bin, {recursive: true})
  await mkdir(log)
  await mkdir(tmp)
  await writeFile(path.join(bin, 'gcloud'), FAKE_GCLOUD)
  await writeFile(path.join(bin, 'curl'), FAKE_CURL)
  await chmod(path.join(bin, 'gcloud'), 0o755)
  await chmod(path.join(bin, 'curl'), 0o755)
  await writeFile(path.join(log, 'body'), body)
  const file = path.join(dir, '_script.sh')
  await writeFile(file, script, {mode: 0o700})
  const result = spawnSync('bash', [file], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 20_000,
    env: {PATH: `${bin}:${process.env.PATH}`, HOME: dir, TMPDIR: tmp, FAKE_LOG: log, FAKE_TOKEN, FAKE_HTTP: '200', LANG: 'C', ...env},
  })
  return {stdout: result.stdout, stderr: result.stderr, status: result.status, log}
}

describe('vertexProbeScript: the text sent through SSM', () => {
  const script = vertexProbeScript({credentialFile: NASTY_CRED, url: URL})

  it('holds no token: the only Authorization value is the $token variable', () => {
    const lines = script.split('\n').filter((l) => /authorization/i.test(l))
    assert.ok(lines.length >= 1, 'the script sets an Authorization header')
    for (const line of lines) {
      assert.match(line, /Authorization: Bearer %s\\n' "\$token"/, line)
      assert.doesNotMatch(line, /Bearer [A-Za-z0-9._-]{8,}/, `a literal bearer value in: ${line}`)
    }
    assert.doesNotMatch(script, /ya29\./)
    assert.doesNotMatch(script, /-H ["']?Authorization/i, 'the header must not be a curl argument (process list)')
  })

  it('starts with a bash shebang and runs under set -u', () => {
    assert.ok(script.startsWith('#!/bin/bash\n'))
    assert.match(script, /^set -u$/m)
  })

  it('bash accepts it (bash -n)', () => {
    const result = spawnSync('bash', ['-n'], {input: script, encoding: 'utf8'})
    assert.equal(result.status, 0, result.stderr)
  })
})

describe('vertexProbeScript: run with bash and stand-in gcloud/curl', () => {
  it('a VPC-SC 403: the credential path arrives intact, the token only on curl stdin, and the output parses to DENIED_VPCSC', async () => {
    const run = await runScript(vertexProbeScript({credentialFile: NASTY_CRED, url: URL}), {FAKE_HTTP: '403'}, VPCSC_BODY)
    assert.equal(run.status, 0, run.stderr)

    const loginArgv = (await readFile(path.join(run.log, 'gcloud-login-argv'), 'utf8')).split('\0').filter(Boolean)
    assert.deepEqual(loginArgv, ['auth', 'login', `--cred-file=${NASTY_CRED}`, '--quiet'])

    const curlArgv = (await readFile(path.join(run.log, 'curl-argv'), 'utf8')).split('\0').filter(Boolean)
    assert.equal(curlArgv.at(-1), URL, 'the URL is passed intact as the last argument')
    assert.ok(curlArgv.includes('@-'), `header from stdin: ${JSON.stringify(curlArgv)}`)
    assert.ok(!curlArgv.some((a) => a.includes(FAKE_TOKEN)), 'the token is never a curl argument')
    const stdin = await readFile(path.join(run.log, 'curl-stdin'), 'utf8')
    assert.equal(stdin, `Authorization: Bearer ${FAKE_TOKEN}\n`)

    assert.ok(!run.stdout.includes(FAKE_TOKEN) && !run.stderr.includes(FAKE_TOKEN), 'the token is not in the output SSM keeps')
    assert.ok(!Buffer.from(run.stdout.split('b64=')[1] ?? '', 'base64').toString('utf8').includes(FAKE_TOKEN))

    // The result line is on stdout and on stderr.
    assert.equal(run.stdout.split('\n').filter((l) => l.startsWith(`${RESULT_MARKER} `)).length, 1)
    assert.equal(run.stderr.split('\n').filter((l) => l.startsWith(`${RESULT_MARKER} `)).length, 1)
    assert.match(run.stdout, /^VPCSC-PROBE stage=vertex http=403 b64=\S+$/m)

    const outcome = parseProbeOutput(run.stdout, run.stderr)
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.service, VERTEX_SERVICE)
    assert.equal(outcome.uid, 'SsmUid77')
    assert.equal(outcome.httpStatus, 403)
    assert.equal(parseProbeOutput('', run.stderr).verdict, 'DENIED_VPCSC', 'stderr alone is enough')
  })

  it('removes its temporary CLOUDSDK_CONFIG directory', async () => {
    const run = await runScript(vertexProbeScript({credentialFile: '/tmp/gcp_credential_config.json', url: URL}), {FAKE_HTTP: '200'}, '{"models":[]}')
    const configDir = await readFile(path.join(run.log, 'cloudsdk-config'), 'utf8')
    assert.ok(configDir.length > 0)
    assert.equal(existsSync(configDir), false, `${configDir} was left behind`)
  })

  it('a 200 answer parses to ALLOWED', async () => {
    const run = await runScript(vertexProbeScript({credentialFile: '/tmp/gcp_credential_config.json', url: URL}), {FAKE_HTTP: '200'}, '{"models": [{"name": "m"}]}\n')
    const outcome = parseProbeOutput(run.stdout, run.stderr)
    assert.equal(outcome.verdict, 'ALLOWED')
    assert.equal(outcome.httpStatus, 200)
  })

  it('an IAM 403 parses to DENIED_OTHER', async () => {
    const body = JSON.stringify({
      error: {code: 403, status: 'PERMISSION_DENIED', message: "Permission 'aiplatform.models.list' denied on resource", details: [{'@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED'}]},
    })
    const run = await runScript(vertexProbeScript({credentialFile: '/c.json', url: URL}), {FAKE_HTTP: '403'}, body)
    assert.equal(parseProbeOutput(run.stdout, run.stderr).verdict, 'DENIED_OTHER')
  })

  it('gcloud print-access-token failing with the VPC-SC text: DENIED_VPCSC_OTHER_SERVICE, and curl is never run', async () => {
    const tokenError =
      'ERROR: (gcloud.auth.print-access-token) ("Error code access_denied: Request is prohibited by organization\'s policy. vpcServiceControlsUniqueIdentifier: T0k3n", \'{"error":"access_denied","error_description":"Request is prohibited by organization\\\'s policy. vpcServiceControlsUniqueIdentifier: T0k3n"}\')'
    const run = await runScript(vertexProbeScript({credentialFile: NASTY_CRED, url: URL}), {FAKE_TOKEN_ERROR: tokenError}, VPCSC_BODY)
    assert.equal(run.status, 0)
    assert.match(run.stdout, /^VPCSC-PROBE stage=token b64=/m)
    assert.equal(existsSync(path.join(run.log, 'curl-argv')), false, 'no Vertex AI call without a token')
    const outcome = parseProbeOutput(run.stdout, run.stderr)
    assert.equal(outcome.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
    assert.equal(outcome.service, 'sts.googleapis.com')
    assert.equal(outcome.uid, 'T0k3n')
  })

  it('gcloud auth login failing (missing credential file) is reported at stage token as ERROR', async () => {
    const run = await runScript(vertexProbeScript({credentialFile: '/nope.json', url: URL}), {FAKE_LOGIN_ERROR: 'ERROR: (gcloud.auth.login) Unable to read file [/nope.json]: [Errno 2] No such file or directory'})
    assert.match(run.stdout, /^VPCSC-PROBE stage=token b64=/m)
    const outcome = parseProbeOutput(run.stdout, run.stderr)
    assert.equal(outcome.verdict, 'ERROR')
    assert.match(outcome.detail, /Unable to read file/)
  })

  it('curl cannot connect (curl: (7), http code 000): ERROR naming the failure', async () => {
    const run = await runScript(vertexProbeScript({credentialFile: '/c.json', url: URL}), {
      FAKE_CURL_ERROR: "curl: (7) Failed to connect to us-central1-aiplatform.googleapis.com port 443 after 3 ms: Couldn't connect to server",
    })
    assert.match(run.stdout, /^VPCSC-PROBE stage=vertex http=000 b64=/m)
    const outcome = parseProbeOutput(run.stdout, run.stderr)
    assert.equal(outcome.verdict, 'ERROR')
    assert.match(outcome.detail, /Failed to connect/)
  })
})

describe('commandProbeScript', () => {
  it("runs the user's command and its VPC-SC output classifies as DENIED_VPCSC", async () => {
    const command = `echo "403 PERMISSION_DENIED. {'error': {'code': 403, 'message': \\"Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: Cmd1\\", 'details': [{'reason': 'SECURITY_POLICY_VIOLATED', 'metadata': {'service': 'aiplatform.googleapis.com', 'uid': 'Cmd1'}}]}}"; exit 1`
    const run = await runScript(commandProbeScript(command))
    assert.match(run.stdout, /^VPCSC-PROBE stage=command exit=1 b64=/m)
    const outcome = parseProbeOutput(run.stdout, run.stderr)
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.service, VERTEX_SERVICE)
    assert.equal(outcome.uid, 'Cmd1')
  })

  it("the command's exit code is reported, and a clean exit 0 is ALLOWED", async () => {
    const run = await runScript(commandProbeScript('echo "Paris is the capital of France."'))
    assert.match(run.stdout, /^VPCSC-PROBE stage=command exit=0 b64=/m)
    const outcome = parseProbeOutput(run.stdout, run.stderr)
    assert.equal(outcome.verdict, 'ALLOWED')
    assert.equal(outcome.detail, 'Paris is the capital of France.')
  })

  it("captures the command's stderr too, and a trailing # comment does not swallow the script", async () => {
    const run = await runScript(commandProbeScript('echo "ModuleNotFoundError: No module named google" >&2; exit 3 # a comment'))
    assert.match(run.stdout, /^VPCSC-PROBE stage=command exit=3 b64=/m)
    const outcome = parseProbeOutput(run.stdout, run.stderr)
    assert.equal(outcome.verdict, 'ERROR')
    assert.match(outcome.detail, /ModuleNotFoundError/)
  })

  it('keeps the tail of long output (where the error is)', async () => {
    const run = await runScript(commandProbeScript(`for i in $(seq 1 2000); do echo "noise line $i"; done; echo "ERROR: (gcloud.ai.models.list) PERMISSION_DENIED: Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: Tail9"; exit 1`))
    const outcome = parseProbeOutput(run.stdout, run.stderr)
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.uid, 'Tail9')
  })
})

/** A result line as the scripts write it. */
function marker(fields: string, text: string): string {
  return `${RESULT_MARKER} ${fields} b64=${Buffer.from(text, 'utf8').toString('base64')}`
}

describe('parseProbeOutput', () => {
  const denied = marker('stage=vertex http=403', VPCSC_BODY)
  const allowed = marker('stage=vertex http=200', '{"models":[]}')

  it('reads the marker in stdout', () => {
    const outcome = parseProbeOutput(`Last login: yesterday\n${denied}\n`, '')
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.uid, 'SsmUid77')
  })

  it('stdout cut at 24,000 by SSM with no marker left: the copy in stderr is still classified', () => {
    const filler = `${'banner '.repeat(Math.ceil(SSM_STDOUT_LIMIT / 7))}`.slice(0, SSM_STDOUT_LIMIT)
    assert.equal(filler.length, 24_000)
    const outcome = parseProbeOutput(filler, `${denied}\n`)
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.uid, 'SsmUid77')
  })

  it("stdout cut by SSM in the middle of the result line (SSM's '---Output truncated---'): the complete copy in stderr is used", () => {
    // amazon-ssm-agent keeps the head of the output and appends "\n---Output truncated---",
    // so the marker line can be cut anywhere: here just after "b64=" and a few characters.
    const suffix = '\n---Output truncated---'
    const banner = `${'x'.repeat(99)}\n`.repeat(239)
    const head = `${banner}${denied}`.slice(0, SSM_STDOUT_LIMIT - suffix.length)
    const stdout = `${head}${suffix}`
    assert.equal(stdout.length, SSM_STDOUT_LIMIT)
    assert.ok(stdout.includes(`${RESULT_MARKER} stage=vertex http=403 b64=`), 'the cut marker line is in stdout')
    const outcome = parseProbeOutput(stdout, `${denied}\n`)
    assert.equal(outcome.verdict, 'DENIED_VPCSC', `the full line in stderr must win over a cut one: ${JSON.stringify(outcome)}`)
    assert.equal(outcome.uid, 'SsmUid77')
  })

  it('no marker anywhere and stdout at 24,000 characters: ERROR saying the output was cut', () => {
    const outcome = parseProbeOutput('y'.repeat(SSM_STDOUT_LIMIT), 'some stderr\n')
    assert.equal(outcome.verdict, 'ERROR')
    assert.match(outcome.detail, /cut/)
    assert.match(outcome.detail, /24000/)
  })

  it('no marker at all: ERROR, with the last stderr line', () => {
    const outcome = parseProbeOutput('hello\n', 'line one\nbash: gcloud: command not found\n')
    assert.equal(outcome.verdict, 'ERROR')
    assert.match(outcome.detail, /no result line/)
    assert.match(outcome.detail, /gcloud: command not found/)
    assert.doesNotMatch(outcome.detail, /cut/)
  })

  it('empty output: ERROR', () => {
    assert.equal(parseProbeOutput('', '').verdict, 'ERROR')
  })

  it('the LAST marker wins', () => {
    assert.equal(parseProbeOutput(`${allowed}\n${denied}\n`, '').verdict, 'DENIED_VPCSC')
    assert.equal(parseProbeOutput(`${denied}\n${allowed}\n`, '').verdict, 'ALLOWED')
  })

  it('a line that merely mentions the marker mid-line is not a result line', () => {
    const outcome = parseProbeOutput(`echo ${denied}\n`, '')
    assert.equal(outcome.verdict, 'ERROR')
  })

  it('stage=vertex with http=000 is ERROR', () => {
    const outcome = parseProbeOutput(marker('stage=vertex http=000', 'curl: (6) Could not resolve host: x'), '')
    assert.equal(outcome.verdict, 'ERROR')
    assert.match(outcome.detail, /Could not resolve host/)
  })

  it('stage=command passes the exit code on', () => {
    assert.equal(parseProbeOutput(marker('stage=command exit=0', 'ok'), '').verdict, 'ALLOWED')
    assert.equal(parseProbeOutput(marker('stage=command exit=2', 'ok'), '').verdict, 'ERROR')
  })

  it('an unknown stage is ERROR "unreadable result line"', () => {
    const outcome = parseProbeOutput(marker('stage=weird', 'x'), '')
    assert.equal(outcome.verdict, 'ERROR')
    assert.match(outcome.detail, /unreadable result line/)
  })
})
