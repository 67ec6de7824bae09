// Generates schemas/*.json: the JSON Schema of every command's `--json` result, from the
// TypeScript types the commands return (the types are the source of truth). CI checks
// the committed files are fresh (test/unit/schemas.test.ts); the end-to-end tests
// validate real outputs against them (test/e2e/json-contract.test.ts).
// Usage: node scripts/schemas.ts [--check]
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {createGenerator} from 'ts-json-schema-generator'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

/** command -> [source file, exported type]. */
export const RESULTS: Record<string, [string, string]> = {
  status: ['src/lib/report/status.ts', 'StatusReport'],
  'ip-sync': ['src/commands/ip/sync.ts', 'SyncResult'],
  'deny-test': ['src/lib/deny-test/run.ts', 'DenyTestResult'],
  restore: ['src/lib/deny-test/restore-plan.ts', 'RestoreReport'],
  promote: ['src/commands/promote.ts', 'PromoteResult'],
  demote: ['src/commands/demote.ts', 'DemoteResult'],
  violations: ['src/lib/perimeter/violations.ts', 'ViolationsReport'],
  explain: ['src/lib/report/explain.ts', 'Explanation'],
  version: ['src/commands/version.ts', 'VersionInfo'],
  error: ['src/lib/core/errors.ts', 'JsonErrorOutput'],
  // The Lambda handler's return value (not a command: no --json flag, the same contract).
  lambda: ['src/lib/reconciler/reconcile.ts', 'ReconcileResult'],
}

export function generateSchemas(): Record<string, string> {
  const out: Record<string, string> = {}
  // One program for every type: building it is what takes the time.
  const files = [...new Set(Object.values(RESULTS).map(([path]) => path))]
  const generator = createGenerator({path: `${ROOT}{${files.join(',')}}`, tsconfig: `${ROOT}tsconfig.json`, skipTypeCheck: true, additionalProperties: false, expose: 'export', topRef: true})
  for (const [name, [, type]] of Object.entries(RESULTS)) {
    const schema = generator.createSchema(type)
    schema.$id = `https://vpcsc.dev/schemas/${name}.json`
    out[name] = `${JSON.stringify(schema, null, 2)}\n`
  }
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check')
  const schemas = generateSchemas()
  mkdirSync(`${ROOT}schemas`, {recursive: true})
  let stale = 0
  for (const [name, text] of Object.entries(schemas)) {
    const file = `${ROOT}schemas/${name}.json`
    let old = ''
    try {
      old = readFileSync(file, 'utf8')
    } catch {
      // new schema
    }
    if (old === text) continue
    stale++
    if (!check) writeFileSync(file, text)
    console.error(`${check ? 'stale' : 'wrote'} schemas/${name}.json`)
  }
  if (check && stale > 0) process.exit(1)
}
