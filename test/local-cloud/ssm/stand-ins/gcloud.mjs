// Stand-in for the gcloud CLI on the emulated instance (plain JavaScript: it runs with the
// instance's environment, outside the test process). The executor puts a `gcloud` wrapper
// in the instance's PATH that runs this file. It implements just:
//   gcloud auth login --cred-file=FILE [--quiet]   remember FILE under $CLOUDSDK_CONFIG
//   gcloud auth print-access-token                 STS token exchange with curl, print the token
// curl (the machine's own) honours http_proxy, so the exchange leaves through the NAT egress.
// Errors are printed the way gcloud prints them, on stderr, exit 1.
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform'

const configDir = () => process.env.CLOUDSDK_CONFIG || join(process.env.HOME || tmpdir(), '.config', 'gcloud')
const storedCredential = () => join(configDir(), 'stand-in', 'credential.json')

class GcloudError extends Error {
  constructor(command, message, code = 1) {
    super(message)
    this.command = command
    this.code = code
  }
}

/** Positionals and --flag[=value] options; `valued` names the flags that take the next word. */
function parse(argv, valued) {
  const positionals = []
  const flags = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-q') flags.quiet = true
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = arg.slice(2, eq < 0 ? undefined : eq)
      if (eq >= 0) flags[name] = arg.slice(eq + 1)
      else if (valued.includes(name) && i + 1 < argv.length) flags[name] = argv[++i]
      else flags[name] = true
    } else positionals.push(arg)
  }
  return {positionals, flags}
}

function login(flags) {
  const cmd = 'gcloud.auth.login'
  const file = flags['cred-file']
  if (typeof file !== 'string' || file === '') {
    throw new GcloudError(cmd, 'This stand-in of gcloud only supports `gcloud auth login --cred-file=FILE` (no browser on the instance).')
  }
  let text
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new GcloudError(cmd, `Unable to read file [${file}]: ${error.message}`)
  }
  let credential
  try {
    credential = JSON.parse(text)
  } catch {
    throw new GcloudError(cmd, `Invalid file format. See https://developers.google.com/api-client-library/python/guide/aaa_client_secrets`)
  }
  if (credential?.type !== 'external_account') {
    throw new GcloudError(cmd, `Only external_account credential files are supported by this stand-in, got type [${credential?.type}].`)
  }
  mkdirSync(join(configDir(), 'stand-in'), {recursive: true, mode: 0o700})
  writeFileSync(storedCredential(), text, {mode: 0o600})
  chmodSync(storedCredential(), 0o600)
  const account = credential.service_account_impersonation_url
    ? /serviceAccounts\/([^:/]+)/.exec(credential.service_account_impersonation_url)?.[1] ?? credential.audience
    : credential.audience
  process.stderr.write(`Authenticated with external account credentials for: [${account}].\n`)
}

/** curl POST; returns {status, body}. Throws a GcloudError when curl itself fails (no network). */
function post(cmd, url, args) {
  const result = spawnSync('curl', ['-sS', '-X', 'POST', ...args, '-w', '\n%{http_code}', url], {encoding: 'utf8'})
  if (result.error) throw new GcloudError(cmd, `There was a problem refreshing your current auth tokens: ${result.error.message}`)
  if (result.status !== 0) {
    const why = result.stderr.trim() || `curl exited with ${result.status}`
    throw new GcloudError(
      cmd,
      `There was a problem refreshing your current auth tokens: ${why}\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.`,
    )
  }
  const cut = result.stdout.lastIndexOf('\n')
  return {status: Number(result.stdout.slice(cut + 1)), body: result.stdout.slice(0, cut)}
}

function json(text) {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function printAccessToken() {
  const cmd = 'gcloud.auth.print-access-token'
  let credential
  try {
    credential = JSON.parse(readFileSync(storedCredential(), 'utf8'))
  } catch {
    throw new GcloudError(
      cmd,
      'You do not currently have an active account selected.\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.',
    )
  }
  const {token_url: tokenUrl, audience, subject_token_type: subjectTokenType, credential_source: source} = credential
  if (typeof source?.file !== 'string') {
    throw new GcloudError(cmd, 'This stand-in of gcloud only supports file-sourced external account credentials (credential_source.file).')
  }
  // The subject token goes to curl through a file, never on its command line.
  let tokenFile = source.file
  let scratch
  if (source.format?.type === 'json') {
    let token
    try {
      token = JSON.parse(readFileSync(source.file, 'utf8'))[source.format.subject_token_field_name]
    } catch (error) {
      throw new GcloudError(cmd, `Unable to retrieve subject token from [${source.file}]: ${error.message}`)
    }
    scratch = mkdtempSync(join(tmpdir(), 'gcloud-'))
    tokenFile = join(scratch, 'subject-token')
    writeFileSync(tokenFile, String(token ?? ''), {mode: 0o600})
  }
  let answer
  try {
    readFileSync(tokenFile) // a missing file is gcloud's error, not curl's
    answer = post(cmd, tokenUrl, [
      '-H',
      'Content-Type: application/x-www-form-urlencoded',
      '--data-urlencode',
      `grant_type=${GRANT_TYPE}`,
      '--data-urlencode',
      `audience=${audience}`,
      '--data-urlencode',
      `requested_token_type=${ACCESS_TOKEN_TYPE}`,
      '--data-urlencode',
      `scope=${SCOPE}`,
      '--data-urlencode',
      `subject_token_type=${subjectTokenType}`,
      '--data-urlencode',
      `subject_token@${tokenFile}`,
    ])
  } catch (error) {
    if (error instanceof GcloudError) throw error
    throw new GcloudError(cmd, `Unable to retrieve subject token from [${tokenFile}]: ${error.message}`)
  } finally {
    if (scratch) rmSync(scratch, {recursive: true, force: true})
  }
  const body = json(answer.body)
  if (answer.status !== 200 || typeof body?.access_token !== 'string') {
    if (body && typeof body.error === 'string') {
      // What gcloud prints for an OAuth error from STS: a Python tuple of message and body (on one line).
      const raw = JSON.stringify(body).replaceAll("'", "\\'")
      throw new GcloudError(cmd, `("Error code ${body.error}: ${body.error_description ?? ''}", '${raw}')`)
    }
    throw new GcloudError(cmd, `There was a problem refreshing your current auth tokens: HTTP ${answer.status}: ${answer.body}`)
  }
  let token = body.access_token
  if (credential.service_account_impersonation_url) {
    const impersonated = post(cmd, credential.service_account_impersonation_url, [
      '-H',
      `Authorization: Bearer ${token}`,
      '-H',
      'Content-Type: application/json',
      '--data',
      JSON.stringify({scope: [SCOPE], lifetime: '3600s'}),
    ])
    const got = json(impersonated.body)
    if (impersonated.status !== 200 || typeof got?.accessToken !== 'string') {
      throw new GcloudError(
        cmd,
        `There was a problem refreshing your current auth tokens: ('Unable to acquire impersonated credentials', '${impersonated.body.replaceAll("'", "\\'")}')`,
      )
    }
    token = got.accessToken
  }
  process.stdout.write(`${token}\n`)
}

function main(argv) {
  const {positionals, flags} = parse(argv, ['cred-file', 'format', 'verbosity', 'project', 'account', 'configuration'])
  const words = positionals.join(' ')
  if (flags.version || words === 'version') {
    process.stdout.write('Google Cloud SDK 999.0.0 (vpcsc local-cloud stand-in)\n')
    return
  }
  if (words === 'auth login') return login(flags)
  if (words === 'auth print-access-token') return printAccessToken()
  const group = positionals.length ? `gcloud.${positionals.slice(0, 2).join('.')}` : 'gcloud'
  throw new GcloudError(group, `Invalid choice: '${words}'. This stand-in implements only: auth login --cred-file, auth print-access-token.`, 2)
}

try {
  main(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof GcloudError)) throw error
  process.stderr.write(`ERROR: (${error.command}) ${error.message}\n`)
  process.exitCode = error.code
}
