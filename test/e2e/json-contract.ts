// The `--json` contract: every JSON result an end-to-end test sees is validated against the
// committed schema of its command (schemas/, generated from the result types by
// scripts/schemas.ts), a failure against schemas/error.json.
import {readFileSync} from 'node:fs'

import {Ajv, type ValidateFunction} from 'ajv'

const ajv = new Ajv({allErrors: true, strict: false})
const validators = new Map<string, ValidateFunction>()

function validator(name: string): ValidateFunction {
  let validate = validators.get(name)
  if (!validate) {
    const schema = JSON.parse(readFileSync(new URL(`../../schemas/${name}.json`, import.meta.url), 'utf8')) as object
    validate = ajv.compile(schema)
    validators.set(name, validate)
  }
  return validate
}

/** The schema name of a command line: `ip sync --plan` -> ip-sync. */
export function schemaFor(args: string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'))
  // `vpcsc --version --json` runs `vpcsc version --json` (src/cli/run.ts).
  const name = words.length === 0 && args.includes('--version') ? 'version' : words[0] === 'ip' ? `ip-${words[1]}` : words[0]
  try {
    readFileSync(new URL(`../../schemas/${name}.json`, import.meta.url))
    return name
  } catch {
    return undefined
  }
}

/** Throws, naming the first problems, when a command's JSON output breaks its schema. */
export function assertJsonContract(args: string[], stdout: string): void {
  if (!args.includes('--json') || stdout.trim() === '') return
  let value: unknown
  try {
    value = JSON.parse(stdout)
  } catch {
    throw new Error(`vpcsc ${args.join(' ')} --json printed something that is not one JSON value:\n${stdout.slice(0, 500)}`)
  }
  const name = value && typeof value === 'object' && 'error' in value ? 'error' : schemaFor(args)
  if (!name) throw new Error(`no schema for vpcsc ${args.join(' ')}: add it to scripts/schemas.ts`)
  const validate = validator(name)
  if (!validate(value)) {
    const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    throw new Error(`vpcsc ${args.join(' ')} --json does not match schemas/${name}.json:\n  ${problems.join('\n  ')}`)
  }
}
