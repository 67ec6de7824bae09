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
 * then authenticates through its normal ADC path, unchanged. Each token is bound to the
 * principal it was issued to (the federated subject, or `serviceAccount:EMAIL` for an
 * impersonated one): VPC-SC ingress rules and the audit log see that identity.
 * sts.ts puts VPC-SC between checkExchange and issueExchanged.
 */

export const AUDIENCE = `//iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/vpcsc-pool/providers/local`
export const SUBJECT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt'
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
const TOKEN_LIFETIME_SECONDS = 3600
/** The identity of tokens from the STS exchange: the pool's subject `local`. */
export const FEDERATED_PRINCIPAL = `principal://iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/vpcsc-pool/subject/local`

/** An OAuth error answer (RFC 6749 section 5.2), the format STS uses, not Google's API format. */
export function oauthError(error: string, description: string, status = 400): Reply {
  return {status, body: {error, error_description: description}}
}

export class Auth {
  readonly subjectToken = randomBytes(32).toString('base64url')
  /** Issued access tokens: when they expire (epoch ms, real time) and whom they stand for. */
  readonly #tokens = new Map<string, {expiry: number; principal: string}>()

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

  /**
   * POST /v1/token, first half: check the exchange request. Answers the OAuth error, or
   * the principal the access token would be issued to (VPC-SC decides with it before
   * anything is issued).
   */
  checkExchange(raw: string, contentType: string | undefined): {error: Reply} | {principal: string} {
    let form: Record<string, string>
    if ((contentType ?? '').includes('application/json')) {
      try {
        form = JSON.parse(raw) as Record<string, string>
      } catch {
        return {error: oauthError('invalid_request', 'The request body is not valid JSON.')}
      }
    } else {
      form = Object.fromEntries(new URLSearchParams(raw))
    }
    if (form.grant_type !== GRANT_TYPE) {
      return {error: oauthError('unsupported_grant_type', `Unsupported grant_type '${String(form.grant_type)}'; expected '${GRANT_TYPE}'.`)}
    }
    if (form.subject_token_type !== SUBJECT_TOKEN_TYPE) {
      return {error: oauthError('invalid_request', `Invalid subject_token_type '${String(form.subject_token_type)}'.`)}
    }
    if (form.requested_token_type !== undefined && form.requested_token_type !== ACCESS_TOKEN_TYPE) {
      return {error: oauthError('invalid_request', `Invalid requested_token_type '${form.requested_token_type}'.`)}
    }
    if (form.audience !== AUDIENCE) {
      return {error: oauthError('invalid_target', `The audience '${String(form.audience)}' is not a known workload identity pool provider.`)}
    }
    if (form.subject_token !== this.subjectToken) {
      return {error: oauthError('invalid_grant', 'The subject token is invalid or does not match the workload identity pool provider.')}
    }
    return {principal: FEDERATED_PRINCIPAL}
  }

  /** POST /v1/token, second half: the access token for the federated principal. */
  issueExchanged(): Reply {
    const body: JsonObject = {
      access_token: this.issue(FEDERATED_PRINCIPAL, TOKEN_LIFETIME_SECONDS),
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_SECONDS,
    }
    return {status: 200, body}
  }

  /** A new access token bound to `principal`, valid for `lifetimeSeconds` of real time. */
  issue(principal: string, lifetimeSeconds: number): string {
    const accessToken = `ya29.local.${randomBytes(24).toString('base64url')}`
    this.#tokens.set(accessToken, {expiry: Date.now() + lifetimeSeconds * 1000, principal})
    return accessToken
  }

  /**
   * Throws 401 UNAUTHENTICATED unless the request carries a token this server issued;
   * returns the principal the token was issued to. `service` names the API in the error.
   */
  checkBearer(authorization: string | undefined, accessTokenParam: string | undefined, service = 'accesscontextmanager.googleapis.com'): string {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    const token = match?.[1] ?? accessTokenParam
    if (!token) throw unauthenticated('CREDENTIALS_MISSING', service)
    const issued = this.#tokens.get(token)
    if (issued === undefined) throw unauthenticated('ACCESS_TOKEN_TYPE_UNSUPPORTED', service)
    if (issued.expiry < Date.now()) throw unauthenticated('ACCESS_TOKEN_EXPIRED', service)
    return issued.principal
  }
}

const METHOD_BY_SERVICE: Record<string, string> = {
  'accesscontextmanager.googleapis.com': 'google.identity.accesscontextmanager.v1.AccessContextManager',
  'aiplatform.googleapis.com': 'google.cloud.aiplatform.v1',
  'logging.googleapis.com': 'google.logging.v2.LoggingServiceV2',
  'iamcredentials.googleapis.com': 'google.iam.credentials.v1.IAMCredentials',
}

function unauthenticated(reason: string, service: string): ApiError {
  return new ApiError(
    401,
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason,
        domain: 'googleapis.com',
        metadata: {service, method: METHOD_BY_SERVICE[service] ?? service},
      },
    ],
    {'www-authenticate': 'Bearer realm="https://accounts.google.com/"'},
  )
}
