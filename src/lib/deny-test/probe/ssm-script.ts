import {classifyHttp, classifyText, type ProbeOutcome} from './classify.ts'

/**
 * The shell script a probe runs on the instance through SSM Run Command, and how its
 * output is read back. Pure.
 *
 * The script gets its token ON the instance, from the instance's own Workload Identity
 * Federation credential file: SSM command parameters are kept in SSM history and
 * CloudTrail, so no token or secret may ever travel in them.
 *
 * It reports one line, `VPCSC-PROBE <fields> b64=<answer>`, on stdout AND stderr: SSM
 * cuts inline stdout at 24,000 characters (stderr at 8,000), and anything the instance
 * prints first (a login banner, a noisy profile) could push the line past the cut.
 */

export const RESULT_MARKER = 'VPCSC-PROBE'
/** SSM's inline output limit for stdout. */
export const SSM_STDOUT_LIMIT = 24_000

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

const REPORT_FUNCTION = [
  // report FIELDS TEXT: the text is cut to 3,000 bytes (head for API answers, tail for a
  // command's output, where the error usually is) and base64-encoded onto one line.
  'report() {',
  '  local cut="head"; [ "${3:-}" = tail ] && cut="tail"',
  `  local line="${RESULT_MARKER} $1 b64=$(printf '%s' "$2" | "$cut" -c 3000 | base64 | tr -d '\\n')"`,
  '  printf "%s\\n" "$line"; printf "%s\\n" "$line" >&2',
  '}',
]

/** The probe: get a token with gcloud and the credential file, then one Vertex AI call. */
export function vertexProbeScript(options: {credentialFile: string; url: string}): string {
  return [
    '#!/bin/bash',
    '# vpcsc probe: one read-only Vertex AI call with this instance\'s own credentials.',
    'set -u',
    `cred=${shellQuote(options.credentialFile)}`,
    `url=${shellQuote(options.url)}`,
    ...REPORT_FUNCTION,
    'export CLOUDSDK_CONFIG="$(mktemp -d)"',
    'trap \'rm -rf "$CLOUDSDK_CONFIG"\' EXIT',
    'if ! out="$(gcloud auth login --cred-file="$cred" --quiet 2>&1)"; then report "stage=token" "$out"; exit 0; fi',
    'if ! token="$(gcloud auth print-access-token 2>"$CLOUDSDK_CONFIG/stderr")"; then report "stage=token" "$(cat "$CLOUDSDK_CONFIG/stderr")"; exit 0; fi',
    // The token goes to curl on stdin (-H @-), so it never shows in the process list.
    'answer="$(printf \'Authorization: Bearer %s\\n\' "$token" | curl -sS --max-time 30 -H @- -w \'\\n%{http_code}\' "$url" 2>&1)"',
    'report "stage=vertex http=${answer##*$\'\\n\'}" "${answer%$\'\\n\'*}"',
  ].join('\n')
}

/** The user's own probe command (e.g. the seed's `python vertex_ai_client.py`), classified by its output. */
export function commandProbeScript(command: string): string {
  return [
    '#!/bin/bash',
    '# vpcsc probe: the operator\'s own Vertex AI call, classified by its output.',
    'set -u',
    ...REPORT_FUNCTION,
    `out="$( { ${command}\n} 2>&1 )"`,
    'report "stage=command exit=$?" "$out" tail',
  ].join('\n')
}

/** Reads the result line back from what SSM returned and classifies it. */
export function parseProbeOutput(stdout: string, stderr: string): ProbeOutcome {
  // stderr first: it carries nothing but the result line, while stdout may have been cut
  // by SSM in the middle of it (the agent then appends "---Output truncated---").
  const line = lastMarker(stderr) ?? lastMarker(stdout, {untruncated: true})
  if (!line) {
    const truncated = stdout.length >= SSM_STDOUT_LIMIT
    return {
      verdict: 'ERROR',
      detail: truncated
        ? `the probe's output was cut at SSM's ${SSM_STDOUT_LIMIT} characters before its result line`
        : `no result line in the command output${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)!.slice(0, 200)}` : ''}`,
    }
  }
  const fields = Object.fromEntries(
    line
      .slice(RESULT_MARKER.length)
      .trim()
      .split(/\s+/)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  ) as Record<string, string>
  const text = Buffer.from(fields.b64 ?? '', 'base64').toString('utf8')
  switch (fields.stage) {
    case 'vertex': {
      const status = Number(fields.http)
      if (!Number.isInteger(status) || status === 0) return {verdict: 'ERROR', detail: `Vertex AI call failed: ${text.trim().split('\n').at(-1) ?? 'no answer'}`.slice(0, 240)}
      return classifyHttp(status, text, 'vertex')
    }
    case 'token':
      return classifyText(text, {stage: 'token', exitCode: 1})
    case 'command':
      return classifyText(text, {stage: 'vertex', exitCode: Number(fields.exit)})
    default:
      return {verdict: 'ERROR', detail: `unreadable result line: ${line.slice(0, 120)}`}
  }
}

function lastMarker(text: string, options: {untruncated?: boolean} = {}): string | undefined {
  const lines = text.split('\n')
  const index = lines.findLastIndex((l) => l.startsWith(`${RESULT_MARKER} `))
  if (index < 0) return undefined
  // A line that ends the text, or that SSM's truncation notice follows, may be cut short.
  const cut = /Output truncated/.test(lines[index + 1] ?? '') || (index === lines.length - 1 && text.length >= SSM_STDOUT_LIMIT)
  if (options.untruncated && cut) return undefined
  return lines[index]
}
