import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {classifyHttp, classifyText, VERTEX_SERVICE, type ProbeOutcome} from '../../src/lib/deny-test/probe/classify.ts'

/** The VPC-SC denial body of docs/api-facts.md, with the service and uid filled in. */
function vpcscBody(service: string, uid: string): string {
  return JSON.stringify({
    error: {
      code: 403,
      status: 'PERMISSION_DENIED',
      message: `Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: ${uid}`,
      details: [
        {'@type': 'type.googleapis.com/google.rpc.PreconditionFailure', violations: [{type: 'VPC_SERVICE_CONTROLS', description: uid}]},
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'SECURITY_POLICY_VIOLATED',
          domain: 'googleapis.com',
          metadata: {consumer: 'projects/123456789012', service, uid},
        },
      ],
    },
  })
}

const IAM_403_BODY = JSON.stringify({
  error: {
    code: 403,
    status: 'PERMISSION_DENIED',
    message: "Permission 'aiplatform.models.list' denied on resource '//aiplatform.googleapis.com/projects/p/locations/us-central1' (or it may not exist).",
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'aiplatform.googleapis.com',
        metadata: {permission: 'aiplatform.models.list', resource: 'projects/p/locations/us-central1'},
      },
    ],
  },
})

const DENIALS = new Set(['DENIED_VPCSC', 'DENIED_VPCSC_OTHER_SERVICE', 'DENIED_OTHER'])

function assertNotAPass(outcome: ProbeOutcome): void {
  assert.notEqual(outcome.verdict, 'DENIED_VPCSC', `must never count as a pass: ${JSON.stringify(outcome)}`)
}

describe('classifyHttp: answers of the Vertex AI call', () => {
  it('200 is ALLOWED', () => {
    const outcome = classifyHttp(200, '{"models":[]}')
    assert.equal(outcome.verdict, 'ALLOWED')
    assert.equal(outcome.httpStatus, 200)
    assert.equal(outcome.uid, undefined)
  })

  it('204 with an empty body is ALLOWED too (any 2xx)', () => {
    assert.equal(classifyHttp(204, '').verdict, 'ALLOWED')
  })

  it('the VPC-SC 403 of docs/api-facts.md for aiplatform.googleapis.com is DENIED_VPCSC, uid from ErrorInfo.metadata.uid', () => {
    const body = vpcscBody('aiplatform.googleapis.com', 'Uid_From-ErrorInfo')
    // Make the three places that carry a uid disagree, to see which one is read.
    const parsed = JSON.parse(body) as {error: {message: string; details: {violations?: {description: string}[]}[]}}
    parsed.error.message = "Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: FromMessage"
    parsed.error.details[0]!.violations![0]!.description = 'FromViolation'
    const outcome = classifyHttp(403, JSON.stringify(parsed))
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.service, VERTEX_SERVICE)
    assert.equal(outcome.uid, 'Uid_From-ErrorInfo')
    assert.equal(outcome.httpStatus, 403)
    assert.match(outcome.detail, /403/)
    assert.match(outcome.detail, /prohibited by organization's policy/)
  })

  it('the exact body, unmodified: DENIED_VPCSC with its uid', () => {
    const outcome = classifyHttp(403, vpcscBody('aiplatform.googleapis.com', 'UID'))
    assert.deepEqual({verdict: outcome.verdict, service: outcome.service, uid: outcome.uid}, {verdict: 'DENIED_VPCSC', service: VERTEX_SERVICE, uid: 'UID'})
  })

  it('the same body naming sts.googleapis.com is DENIED_VPCSC_OTHER_SERVICE (not a pass)', () => {
    const outcome = classifyHttp(403, vpcscBody('sts.googleapis.com', 'StsUid1'))
    assert.equal(outcome.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
    assert.equal(outcome.service, 'sts.googleapis.com')
    assert.equal(outcome.uid, 'StsUid1')
  })

  it('the same body naming iamcredentials.googleapis.com, even at stage vertex, is DENIED_VPCSC_OTHER_SERVICE', () => {
    const outcome = classifyHttp(403, vpcscBody('iamcredentials.googleapis.com', 'IamUid'), 'vertex')
    assert.equal(outcome.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
    assert.equal(outcome.service, 'iamcredentials.googleapis.com')
  })

  it('only a PreconditionFailure VPC_SERVICE_CONTROLS (no ErrorInfo): DENIED_VPCSC, uid from the violation description', () => {
    const body = JSON.stringify({
      error: {
        code: 403,
        status: 'PERMISSION_DENIED',
        message: 'Forbidden.',
        details: [{'@type': 'type.googleapis.com/google.rpc.PreconditionFailure', violations: [{type: 'VPC_SERVICE_CONTROLS', description: 'ViolationUid42'}]}],
      },
    })
    const outcome = classifyHttp(403, body)
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.service, VERTEX_SERVICE)
    assert.equal(outcome.uid, 'ViolationUid42')
  })

  it('an IAM 403 (IAM_PERMISSION_DENIED, no VPC-SC details) is DENIED_OTHER, never a pass', () => {
    const outcome = classifyHttp(403, IAM_403_BODY)
    assert.equal(outcome.verdict, 'DENIED_OTHER')
    assert.equal(outcome.httpStatus, 403)
    assert.equal(outcome.uid, undefined)
    assert.match(outcome.detail, /Permission 'aiplatform\.models\.list' denied/)
    assertNotAPass(outcome)
  })

  it('an IAM 403 at the token stage is DENIED_OTHER too', () => {
    assert.equal(classifyHttp(403, IAM_403_BODY, 'token').verdict, 'DENIED_OTHER')
  })

  it('401 UNAUTHENTICATED is DENIED_OTHER', () => {
    const body = JSON.stringify({
      error: {code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'},
    })
    const outcome = classifyHttp(401, body)
    assert.equal(outcome.verdict, 'DENIED_OTHER')
    assert.equal(outcome.httpStatus, 401)
    assertNotAPass(outcome)
  })

  for (const [status, name] of [
    [500, 'INTERNAL'],
    [503, 'UNAVAILABLE'],
  ] as const) {
    it(`${status} ${name} is ERROR`, () => {
      const outcome = classifyHttp(status, JSON.stringify({error: {code: status, status: name, message: 'The service is currently unavailable.'}}))
      assert.equal(outcome.verdict, 'ERROR')
      assert.equal(outcome.httpStatus, status)
      assert.match(outcome.detail, new RegExp(String(status)))
    })
  }

  it('a non-JSON 502 page is ERROR (no crash)', () => {
    const outcome = classifyHttp(502, '<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>')
    assert.equal(outcome.verdict, 'ERROR')
    assert.equal(outcome.httpStatus, 502)
    assert.ok(!DENIALS.has(outcome.verdict))
  })

  it('a non-JSON 403 whose text is a VPC-SC denial is still read as one (falls back to the text)', () => {
    const outcome = classifyHttp(403, "Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: PlainText9")
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.uid, 'PlainText9')
    assert.equal(outcome.httpStatus, 403)
  })

  it('an empty body with 500 is ERROR', () => {
    assert.equal(classifyHttp(500, '').verdict, 'ERROR')
  })
})

describe('classifyHttp: OAuth-format answers of the token exchange', () => {
  it('access_denied with the VPC-SC description at stage token: DENIED_VPCSC_OTHER_SERVICE, sts.googleapis.com, uid ABC', () => {
    const body = JSON.stringify({error: 'access_denied', error_description: "Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: ABC"})
    const outcome = classifyHttp(403, body, 'token')
    assert.equal(outcome.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
    assert.equal(outcome.service, 'sts.googleapis.com')
    assert.equal(outcome.uid, 'ABC')
    assert.equal(outcome.httpStatus, 403)
    assert.match(outcome.detail, /access_denied/)
  })

  it('the same answer with HTTP 400 is still the token exchange denied', () => {
    const body = JSON.stringify({error: 'access_denied', error_description: "Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: ABC"})
    const outcome = classifyHttp(400, body, 'token')
    assert.equal(outcome.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
    assert.equal(outcome.uid, 'ABC')
  })

  it('invalid_grant is DENIED_OTHER (even with HTTP 400)', () => {
    const body = JSON.stringify({error: 'invalid_grant', error_description: 'The audience in ID Token [x] does not match the expected audience.'})
    const outcome = classifyHttp(400, body, 'token')
    assert.equal(outcome.verdict, 'DENIED_OTHER')
    assert.match(outcome.detail, /invalid_grant/)
    assertNotAPass(outcome)
  })

  it('an OAuth error that is no denial (temporarily_unavailable, 503) is ERROR', () => {
    const outcome = classifyHttp(503, JSON.stringify({error: 'temporarily_unavailable', error_description: 'try later'}), 'token')
    assert.equal(outcome.verdict, 'ERROR')
  })
})

describe('classifyText: what gcloud, google-genai and commands print', () => {
  it("google-genai's 403 PERMISSION_DENIED with SECURITY_POLICY_VIOLATED for aiplatform: DENIED_VPCSC, uid Xyz123", () => {
    const text =
      "403 PERMISSION_DENIED. {'error': {'code': 403, 'message': \"Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: Xyz123\", 'status': 'PERMISSION_DENIED', 'details': [{'@type': 'type.googleapis.com/google.rpc.ErrorInfo', 'reason': 'SECURITY_POLICY_VIOLATED', 'domain': 'googleapis.com', 'metadata': {'service': 'aiplatform.googleapis.com', 'uid': 'Xyz123', 'consumer': 'projects/1'}}]}}"
    const outcome = classifyText(`Traceback (most recent call last):\n  File "vertex_ai_client.py", line 12, in <module>\ngoogle.genai.errors.ClientError: ${text}\n`, {exitCode: 1})
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.service, VERTEX_SERVICE)
    assert.equal(outcome.uid, 'Xyz123')
  })

  it("google-genai's text with the uid only in the metadata: uid from 'uid'", () => {
    const text =
      "403 PERMISSION_DENIED. {'error': {'code': 403, 'message': 'Forbidden', 'status': 'PERMISSION_DENIED', 'details': [{'@type': 'type.googleapis.com/google.rpc.ErrorInfo', 'reason': 'SECURITY_POLICY_VIOLATED', 'metadata': {'service': 'aiplatform.googleapis.com', 'uid': 'MetaOnly7'}}]}}"
    const outcome = classifyText(text, {exitCode: 1})
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.uid, 'MetaOnly7')
  })

  it("gcloud's ERROR: (gcloud.ai.models.list) PERMISSION_DENIED ... vpcServiceControlsUniqueIdentifier: Q1w2E3 is DENIED_VPCSC", () => {
    const outcome = classifyText(
      "ERROR: (gcloud.ai.models.list) PERMISSION_DENIED: Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: Q1w2E3\n",
      {exitCode: 1},
    )
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.service, VERTEX_SERVICE)
    assert.equal(outcome.uid, 'Q1w2E3')
    assert.match(outcome.detail, /gcloud\.ai\.models\.list/)
  })

  it("the stand-in gcloud's token error at stage token: DENIED_VPCSC_OTHER_SERVICE (sts), uid T0k3n", () => {
    const text =
      'ERROR: (gcloud.auth.print-access-token) ("Error code access_denied: Request is prohibited by organization\'s policy. vpcServiceControlsUniqueIdentifier: T0k3n", \'{"error":"access_denied","error_description":"Request is prohibited by organization\\\'s policy. vpcServiceControlsUniqueIdentifier: T0k3n"}\')'
    const outcome = classifyText(text, {stage: 'token', exitCode: 1})
    assert.equal(outcome.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
    assert.equal(outcome.service, 'sts.googleapis.com')
    assert.equal(outcome.uid, 'T0k3n')
  })

  it("a text naming 'service': 'iamcredentials.googleapis.com' is DENIED_VPCSC_OTHER_SERVICE even at stage vertex", () => {
    const text =
      "google.auth.exceptions.RefreshError: ('Unable to acquire impersonated credentials', '{\"error\": {\"code\": 403, \"message\": \"Request is prohibited by organization\\'s policy. vpcServiceControlsUniqueIdentifier: Imp1\", \"status\": \"PERMISSION_DENIED\", \"details\": [{\"@type\": \"type.googleapis.com/google.rpc.ErrorInfo\", \"reason\": \"SECURITY_POLICY_VIOLATED\", \"metadata\": {'service': 'iamcredentials.googleapis.com', 'uid': 'Imp1'}}]}}')"
    const outcome = classifyText(text, {stage: 'vertex', exitCode: 1})
    assert.equal(outcome.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
    assert.equal(outcome.service, 'iamcredentials.googleapis.com')
    assertNotAPass(outcome)
  })

  it('the same with JSON double quotes ("service": "iamcredentials.googleapis.com") is OTHER_SERVICE too', () => {
    const text = 'SECURITY_POLICY_VIOLATED {"metadata": {"service": "iamcredentials.googleapis.com", "uid": "Imp2"}}'
    const outcome = classifyText(text, {exitCode: 1})
    assert.equal(outcome.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
    assert.equal(outcome.service, 'iamcredentials.googleapis.com')
    assert.equal(outcome.uid, 'Imp2')
  })

  it("google-auth's OAuthError from the STS token exchange, printed by the user's command (stage vertex), is not a Vertex AI denial", () => {
    // google/oauth2/utils.py handle_error_response: "Error code {error}: {error_description}" plus the raw body.
    // Only the token endpoint answers in this OAuth format; Vertex AI never does. A token
    // exchange denied by VPC-SC must not count as the perimeter denying Vertex AI.
    const text = [
      'Traceback (most recent call last):',
      '  File "/home/ec2-user/vertex_ai_client.py", line 20, in <module>',
      '    response = client.models.generate_content(model="gemini-2.0-flash", contents="ping")',
      '  File "/home/ec2-user/venv/lib/python3.11/site-packages/google/auth/external_account.py", line 401, in refresh',
      '    response_data = self._sts_client.exchange_token(',
      'google.auth.exceptions.OAuthError: (\'Error code access_denied: Request is prohibited by organization\\\'s policy. vpcServiceControlsUniqueIdentifier: StsDenied1\', \'{"error":"access_denied","error_description":"Request is prohibited by organization\\\'s policy. vpcServiceControlsUniqueIdentifier: StsDenied1"}\')',
    ].join('\n')
    const outcome = classifyText(text, {stage: 'vertex', exitCode: 1})
    assert.equal(outcome.uid, 'StsDenied1')
    assert.notEqual(outcome.service, VERTEX_SERVICE, `the token exchange was denied, not Vertex AI: ${JSON.stringify(outcome)}`)
    assert.equal(outcome.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
  })

  it('an IAM-only 403 text (google-genai) is DENIED_OTHER, never a pass', () => {
    const text =
      "403 PERMISSION_DENIED. {'error': {'code': 403, 'message': \"Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash' (or it may not exist).\", 'status': 'PERMISSION_DENIED', 'details': [{'@type': 'type.googleapis.com/google.rpc.ErrorInfo', 'reason': 'IAM_PERMISSION_DENIED', 'domain': 'aiplatform.googleapis.com', 'metadata': {'permission': 'aiplatform.endpoints.predict'}}]}}"
    const outcome = classifyText(text, {exitCode: 1})
    assert.equal(outcome.verdict, 'DENIED_OTHER')
    assert.equal(outcome.uid, undefined)
    assertNotAPass(outcome)
  })

  it("gcloud's IAM-only PERMISSION_DENIED is DENIED_OTHER", () => {
    const outcome = classifyText("ERROR: (gcloud.ai.models.list) PERMISSION_DENIED: Permission 'aiplatform.models.list' denied on resource '//aiplatform.googleapis.com/projects/p/locations/us-central1' (or it may not exist). This command is authenticated as x@y.iam.gserviceaccount.com.", {exitCode: 1})
    assert.equal(outcome.verdict, 'DENIED_OTHER')
  })

  it('401 UNAUTHENTICATED text is DENIED_OTHER', () => {
    assert.equal(classifyText('401 UNAUTHENTICATED. Request had invalid authentication credentials.', {exitCode: 1}).verdict, 'DENIED_OTHER')
  })

  it('exit 0 with normal output is ALLOWED, detail is the last line', () => {
    const outcome = classifyText('Listing models...\nmodels: []\nThe capital of France is Paris.\n', {exitCode: 0})
    assert.equal(outcome.verdict, 'ALLOWED')
    assert.equal(outcome.detail, 'The capital of France is Paris.')
  })

  it('exit 0 with no output is ALLOWED', () => {
    assert.equal(classifyText('', {exitCode: 0}).verdict, 'ALLOWED')
  })

  it('a non-zero exit with unrelated output is ERROR', () => {
    const outcome = classifyText("Traceback (most recent call last):\nModuleNotFoundError: No module named 'google.genai'\n", {exitCode: 1})
    assert.equal(outcome.verdict, 'ERROR')
    assert.match(outcome.detail, /ModuleNotFoundError/)
  })

  it('unrelated output with no exit code known is ERROR (never ALLOWED)', () => {
    assert.equal(classifyText('something happened').verdict, 'ERROR')
  })

  it('a VPC-SC denial printed by a command that exits 0 is still DENIED_VPCSC (scripts that catch and print)', () => {
    const outcome = classifyText("Error: 403 PERMISSION_DENIED. Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: Caught0", {exitCode: 0})
    assert.equal(outcome.verdict, 'DENIED_VPCSC')
    assert.equal(outcome.uid, 'Caught0')
  })
})
