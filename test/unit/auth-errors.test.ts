import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {credentialFilePath, credentialsLoadFailure, debugAnswer, redactSecrets, tokenFailure} from '../../src/lib/gcp/auth-errors.ts'
import {VpcscError} from '../../src/lib/core/errors.ts'

const API = 'https://accesscontextmanager.googleapis.com'

function gaxiosLike(fields: object): Error {
  return Object.assign(new Error('request failed'), fields)
}

describe('redactSecrets', () => {
  it('removes keys, tokens, AWS key ids and JSON.parse excerpts', () => {
    const text = 'key -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- id AKIAFAKEKEYID0123456 tok ya29.a0AfH6SMBx3vQ1234567890abcdefghijklmnopqrstuv Unexpected token \'A\', "AKIAFAKEKE"... is not valid JSON'
    const out = redactSecrets(text)
    for (const secret of ['MIIE', 'AKIAFAKEKEYID0123456', 'a0AfH6SMBx3vQ1234567890abcdefghijklmnopqrstuv', 'AKIAFAKEKE']) assert.ok(!out.includes(secret), out)
  })

  it('keeps ordinary words, hosts and resource paths', () => {
    const text = 'The audience //iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/p is not known'
    assert.equal(redactSecrets(text), text)
  })
})

describe('tokenFailure', () => {
  it('no answer from a token URL is an authentication failure at that host', () => {
    const error = tokenFailure(API, gaxiosLike({code: 'ECONNREFUSED', config: {url: 'http://127.0.0.1:9/v1/token'}}))
    assert.ok(error instanceof VpcscError)
    assert.equal(error.exitCode, 1)
    assert.match(error.message, /^Google authentication failed at 127\.0\.0\.1:9 \(.*\): no answer \(ECONNREFUSED\)\.$/)
  })

  it('a dropped connection and a timeout are named', () => {
    assert.match(tokenFailure(API, gaxiosLike({code: 'ECONNRESET', config: {url: 'https://sts.googleapis.com/v1/token'}}))?.message ?? '', /at sts\.googleapis\.com .*the connection was closed without an answer/)
    assert.match(tokenFailure(API, gaxiosLike({name: 'TimeoutError', message: 'The operation was aborted due to timeout', config: {url: 'https://sts.googleapis.com/v1/token'}}), 5000)?.message ?? '', /no answer within 5s \(TimeoutError\)/)
  })

  it("an OAuth-shaped answer is the token endpoint's, whatever the URL", () => {
    const error = tokenFailure(API, gaxiosLike({response: {status: 400, data: {error: 'invalid_grant', error_description: 'The subject token is invalid.'}}, config: {url: 'https://sts.googleapis.com/v1/token'}}))
    assert.match(error?.message ?? '', /Google authentication failed at sts\.googleapis\.com .*: The subject token is invalid\./)
  })

  it('a key that cannot sign is named, without the key', () => {
    const error = tokenFailure(API, Object.assign(new Error('error:1E08010C:DECODER routines::unsupported'), {code: 'ERR_OSSL_UNSUPPORTED'}))
    assert.match(error?.message ?? '', /the private key cannot be used to sign \(ERR_OSSL_UNSUPPORTED\)/)
  })

  it("the API's own failures are not token failures", () => {
    assert.equal(tokenFailure(API, gaxiosLike({code: 'ECONNREFUSED', config: {url: `${API}/v1/accessPolicies/1`}})), undefined)
    assert.equal(tokenFailure(API, gaxiosLike({response: {status: 503, data: {error: {code: 503, message: 'x'}}}, config: {url: `${API}/v1/accessPolicies/1`}})), undefined)
  })

  it("a token exchange on the API's own host, answering in Google's error shape, is still the token's failure when it is known to be one", () => {
    const sameHost = gaxiosLike({response: {status: 400, data: {error: {code: 400, message: 'Invalid value for "audience".', status: 'INVALID_ARGUMENT'}}}, config: {url: `${API}/v1/token`}})
    assert.equal(tokenFailure(API, sameHost), undefined, 'from its URL and shape alone it reads as the API')
    assert.match(tokenFailure(API, sameHost, undefined, true)?.message ?? '', /Google authentication failed at .*: Invalid value for "audience"\./)
    assert.match(tokenFailure(API, gaxiosLike({code: 'ECONNRESET', config: {url: `${API}/v1/token`}}), undefined, true)?.message ?? '', /authentication failed .*closed without an answer/)
    assert.match(debugAnswer(API, sameHost, true), /token call to .*HTTP 400 \(body not shown\)/)
  })
})

describe('credentialsLoadFailure', () => {
  it('a file that is not JSON: named, never quoted', () => {
    const error = credentialsLoadFailure(new SyntaxError('Unexpected token \'A\', "AKIAFAKEKE"... is not valid JSON'))
    assert.match(error.message, /Google authentication failed \(.*\): the file is not valid JSON\./)
    assert.doesNotMatch(error.message, /AKIA/)
  })

  it('no credentials anywhere is its own message', () => {
    assert.match(credentialsLoadFailure(new Error('Could not load the default credentials. Browse to ...')).message, /No Google credentials found/)
  })
})

describe('debugAnswer', () => {
  it("shows an API's error body, but never a token endpoint's", () => {
    assert.match(debugAnswer(API, gaxiosLike({response: {status: 403, data: {error: {message: 'denied'}}}, config: {url: `${API}/v1/x`}})), /denied/)
    const token = debugAnswer(API, gaxiosLike({response: {status: 200, data: {access_token: 'ya29.secret-token-value'}}, config: {url: 'https://oauth2.googleapis.com/token'}}))
    assert.doesNotMatch(token, /ya29|secret/)
    assert.match(token, /token call to oauth2\.googleapis\.com: HTTP 200 \(body not shown\)/)
  })
})

describe('credentialFilePath', () => {
  it('GOOGLE_APPLICATION_CREDENTIALS first, else the well-known file when it exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcsc-adc-'))
    assert.equal(credentialFilePath({GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'x.json'), HOME: dir}), join(dir, 'x.json'))
    assert.equal(credentialFilePath({HOME: dir}), undefined)
    mkdirSync(join(dir, '.config', 'gcloud'), {recursive: true})
    writeFileSync(join(dir, '.config', 'gcloud', 'application_default_credentials.json'), '{}')
    assert.equal(credentialFilePath({HOME: dir}), join(dir, '.config', 'gcloud', 'application_default_credentials.json'))
    assert.equal(credentialFilePath({HOME: dir, CLOUDSDK_CONFIG: join(dir, 'elsewhere')}), undefined)
  })
})
