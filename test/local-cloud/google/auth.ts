import {randomBytes} from 'node:crypto'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {ApiError} from './google-errors.ts'
import type {Reply} from './http-util.ts'
import type {JsonObject} from './json.ts'
import {PROJECT_NUMBER} from './seed.ts'

/**
 * Workload Identity Federation, emulated end to end: a credential file of type
 * external_account whose token_url points here, a subject token in a file, an STS
 * token exchange (RFC 8693) and bearer checks on every API call. google-auth-library
 * then authenticates through its normal ADC path, unchanged.
 */

export const AUDIENCE = `//iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/vpcsc-pool/providers/local`
export const SUBJECT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt'
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
const TOKEN_LIFETIME_SECONDS = 3600

/** An OAuth error answer (RFC 6749 section 5.2), the format STS uses, not Google's API format. */
function oauthError(error: string, description: string): Reply {
  return {status: 400, body: {error, error_description: description}}
}

export class Auth {
  readonly subjectToken = randomBytes(32).toString('base64url')
  /** Issued access tokens and when they expire (epoch ms). */
  readonly #tokens = new Map<string, number>()

  /** Write the subject token and the credential file; returns the credential file's path. */
  async writeCredentials(stateDir: string, url: string): Promise<string> {
    await mkdir(stateDir, {recursive: true})
    const subjectTokenFile = join(stateDir, 'subject-token')
    const credentialFile = join(stateDir, 'google-credentials.json')
    await writeFile(subjectTokenFile, this.subjectToken, {mode: 0o600})
    const credential = {
      type: 'external_account',
      audience: AUDIENCE,
      subject_token_type: SUBJECT_TOKEN_TYPE,
      token_url: `${url}/v1/token`,
      credential_source: {file: subjectTokenFile, format: {type: 'text'}},
    }
    await writeFile(credentialFile, `${JSON.stringify(credential, null, 2)}\n`, {mode: 0o600})
    return credentialFile
  }

  /** POST /v1/token: exchange the subject token for an access token. */
  exchange(raw: string, contentType: string | undefined): Reply {
    let form: Record<string, string>
    if ((contentType ?? '').includes('application/json')) {
      try {
        form = JSON.parse(raw) as Record<string, string>
      } catch {
        return oauthError('invalid_request', 'The request body is not valid JSON.')
      }
    } else {
      form = Object.fromEntries(new URLSearchParams(raw))
    }
    if (form.grant_type !== GRANT_TYPE) {
      return oauthError('unsupported_grant_type', `Unsupported grant_type '${String(form.grant_type)}'; expected '${GRANT_TYPE}'.`)
    }
    if (form.subject_token_type !== SUBJECT_TOKEN_TYPE) {
      return oauthError('invalid_request', `Invalid subject_token_type '${String(form.subject_token_type)}'.`)
    }
    if (form.requested_token_type !== undefined && form.requested_token_type !== ACCESS_TOKEN_TYPE) {
      return oauthError('invalid_request', `Invalid requested_token_type '${form.requested_token_type}'.`)
    }
    if (form.audience !== AUDIENCE) {
      return oauthError('invalid_target', `The audience '${String(form.audience)}' is not a known workload identity pool provider.`)
    }
    if (form.subject_token !== this.subjectToken) {
      return oauthError('invalid_grant', 'The subject token is invalid or does not match the workload identity pool provider.')
    }
    const accessToken = `ya29.local.${randomBytes(24).toString('base64url')}`
    this.#tokens.set(accessToken, Date.now() + TOKEN_LIFETIME_SECONDS * 1000)
    const body: JsonObject = {
      access_token: accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_SECONDS,
    }
    return {status: 200, body}
  }

  /** Throws 401 UNAUTHENTICATED unless the request carries a token this server issued. */
  checkBearer(authorization: string | undefined, accessTokenParam: string | undefined): void {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    const token = match?.[1] ?? accessTokenParam
    if (!token) throw unauthenticated('CREDENTIALS_MISSING')
    const expiry = this.#tokens.get(token)
    if (expiry === undefined) throw unauthenticated('ACCESS_TOKEN_TYPE_UNSUPPORTED')
    if (expiry < Date.now()) throw unauthenticated('ACCESS_TOKEN_EXPIRED')
  }
}

function unauthenticated(reason: string): ApiError {
  return new ApiError(
    401,
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason,
        domain: 'googleapis.com',
        metadata: {service: 'accesscontextmanager.googleapis.com', method: 'google.identity.accesscontextmanager.v1.AccessContextManager'},
      },
    ],
    {'www-authenticate': 'Bearer realm="https://accounts.google.com/"'},
  )
}
