// The Terraform module (deploy/terraform) has no terraform binary to validate it here: it is
// parsed (HCL to JSON, @cdktf/hcl2json) and what matters is asserted against the code and
// the build: the event names, the role's actions exactly, the handler in dist/, the env names,
// the config file it ships (the member accounts) against vpcsc's config file schema.
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {before, describe, it} from 'node:test'

import {configFileSchema, ENV} from '../../src/lib/core/config.ts'
import {classifyEvent, CLOUDTRAIL_DETAIL_TYPE, NAT_EVENT_NAMES} from '../../src/lib/reconciler/event.ts'
import {locals, MEMBER, MODULE, parseModule, shippedConfig, type Hcl} from './terraform-module.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURES = join(REPO, 'test', 'fixtures', 'eventbridge')

/** Names Lambda's environment may carry besides vpcsc's own settings: read by google-auth-library (ADC). */
const LIBRARY_ENV = ['GOOGLE_APPLICATION_CREDENTIALS']

/** Every action of a policy document: its statements and its dynamic statements' content. */
function actionsOf(doc: Hcl): string[] {
  const statements = [...(doc.statement ?? []), ...(doc.dynamic?.statement ?? []).flatMap((d: Hcl) => d.content)]
  return statements.flatMap((s: Hcl) => s.actions as string[]).sort()
}

/** EventBridge matching for patterns of exact values (what the module uses). */
function matches(pattern: Hcl, event: Hcl): boolean {
  return Object.entries(pattern).every(([key, want]) =>
    Array.isArray(want) ? want.includes(event?.[key]) : typeof event?.[key] === 'object' && matches(want as Hcl, event[key] as Hcl),
  )
}

/** `var.x` references against the declared variables: there is no `terraform validate` here. */
function undeclared(json: Hcl, text: string): string[] {
  const declared = new Set(Object.keys(json.variable ?? {}))
  const used = new Set([...text.matchAll(/\bvar\.([a-z_][a-z0-9_]*)/g)].map((m) => m[1]!))
  return [...used].filter((name) => !declared.has(name))
}

describe('deploy/terraform', () => {
  let main: {json: Hcl; text: string}
  let member: {json: Hcl; text: string}
  before(async () => {
    main = await parseModule(MODULE)
    member = await parseModule(MEMBER)
  })

  it('the event pattern names exactly the NAT/EIP calls the handler knows, from CloudTrail', () => {
    const pattern = locals(main.json).nat_event_pattern
    assert.deepEqual(pattern.detail.eventName, [...NAT_EVENT_NAMES])
    assert.deepEqual(pattern.source, ['aws.ec2'])
    assert.deepEqual(pattern['detail-type'], [CLOUDTRAIL_DETAIL_TYPE])
    assert.deepEqual(pattern.detail.eventSource, ['ec2.amazonaws.com'])
    assert.equal(main.json.resource.aws_cloudwatch_event_rule.nat_changes[0].event_pattern, '${jsonencode(local.nat_event_pattern)}')
    // The recorded events match the rule, and the handler reads each as that NAT change.
    for (const name of NAT_EVENT_NAMES) {
      const event = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Hcl
      assert.ok(matches(pattern, event), `${name} matches the rule`)
      assert.equal(classifyEvent(event).kind, 'nat-change')
    }
    assert.ok(!matches(pattern, JSON.parse(readFileSync(join(FIXTURES, 'ScheduledEvent.json'), 'utf8')) as Hcl))
  })

  it('the schedule: rate(15 minutes) by default, a variable', () => {
    assert.equal(main.json.variable.schedule[0].default, 'rate(15 minutes)')
    assert.equal(main.json.resource.aws_cloudwatch_event_rule.sweep[0].schedule_expression, '${var.schedule}')
    const targets = main.json.resource.aws_cloudwatch_event_target
    assert.deepEqual(Object.keys(targets).sort(), ['nat_changes', 'sweep'])
    assert.deepEqual(Object.keys(main.json.resource.aws_lambda_permission).sort(), ['nat_changes', 'sweep'])
  })

  it("the function's role: exactly these actions, trusted by Lambda only", () => {
    const docs = main.json.data.aws_iam_policy_document
    assert.deepEqual(actionsOf(docs.reconciler[0]), ['ec2:DescribeNatGateways', 'ec2:DescribeRegions', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sts:AssumeRole'])
    const assume = docs.reconciler[0].dynamic.statement[0].content[0]
    assert.equal(assume.resources, '${local.member_role_arns}', 'sts:AssumeRole only on the listed member roles')
    assert.equal(locals(main.json).member_role_arns, '${distinct(concat(var.member_accounts[*].role_arn, var.member_role_arns))}', 'both lists of member roles')
    const logs = docs.reconciler[0].statement.find((s: Hcl) => s.sid === 'OwnLogs')
    assert.deepEqual(logs.resources, ['${aws_cloudwatch_log_group.reconciler.arn}:*'], 'only its own log group')
    assert.deepEqual(docs.trust[0].statement[0].principals[0].identifiers, ['lambda.amazonaws.com'])
    assert.deepEqual(docs.trust[0].statement[0].actions, ['sts:AssumeRole'])
  })

  it('the member-account role: EC2 describe only, trusted by the function\'s role only', () => {
    const docs = member.json.data.aws_iam_policy_document
    assert.deepEqual(actionsOf(docs.read[0]), ['ec2:DescribeNatGateways', 'ec2:DescribeRegions'])
    assert.deepEqual(docs.trust[0].statement[0].principals[0].identifiers, ['${var.reconciler_role_arn}'])
    assert.deepEqual(docs.trust[0].statement[0].dynamic.condition[0].content[0].variable, 'sts:ExternalId')
  })

  it('the function runs dist/lambda.js on Node 22, and its package holds what the build wrote', async () => {
    const fn = main.json.resource.aws_lambda_function.reconciler[0]
    assert.equal(fn.runtime, 'nodejs22.x')
    const [file, exported] = (fn.handler as string).split('.')
    assert.ok(existsSync(join(REPO, 'dist', `${file}.js`)), `dist/${file}.js (npm run build)`)
    const module = (await import(pathToFileURL(join(REPO, 'dist', `${file}.js`)).href)) as Record<string, unknown>
    assert.equal(typeof module[exported!], 'function')
    const archive = main.json.data.archive_file.package[0]
    assert.ok(archive.source.some((s: Hcl) => s.filename === `${file}.js` && s.content === `\${file("\${local.dist_dir}/${file}.js")}`))
    assert.equal(archive.dynamic.source[0].for_each, '${fileset(local.dist_dir, "lambda-chunks/*.js")}')
    assert.ok(readdirSync(join(REPO, 'dist', 'lambda-chunks')).length > 0)
    assert.ok(archive.source.some((s: Hcl) => s.filename === 'package.json'))
    const google = archive.source.find((s: Hcl) => s.filename === 'google-wif.json')
    assert.equal(locals(main.json).environment.GOOGLE_APPLICATION_CREDENTIALS, `/var/task/${google.filename}`)
  })

  it('every environment variable it sets is one vpcsc reads (its settings table)', () => {
    const names = Object.keys(locals(main.json).environment)
    const read = new Set<string>([...Object.values(ENV), ...LIBRARY_ENV])
    assert.deepEqual(names.filter((n) => !read.has(n)), [])
    assert.ok(names.includes(ENV.policy) && names.includes(ENV.level) && names.includes(ENV.notifyUrl))
    const fn = main.json.resource.aws_lambda_function.reconciler[0]
    assert.match(fn.environment[0].variables, /in local\.environment/)
  })

  it('member accounts reach vpcsc as its config file in the package: role, external id and own selection, every attribute a config key', () => {
    const l = locals(main.json)
    // Every attribute of member_accounts has its config key, and every key of a config file's accounts entry is reachable.
    const attributes = [...String(main.json.variable.member_accounts[0].type).matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1]!)
    assert.deepEqual(Object.keys(l.account_keys).sort(), attributes.sort())
    const entryKeys = Object.keys(configFileSchema.shape.accounts.def.innerType.def.element.shape)
    assert.deepEqual(Object.values(l.account_keys).sort(), [...entryKeys].sort())
    // What the module ships passes vpcsc's own config file schema, with every attribute set.
    const config = shippedConfig(main.json, {
      member_accounts: [
        {role_arn: 'arn:aws:iam::111111111111:role/vpcsc-nat-reader', external_id: 'vpcsc-7f3a'},
        {role_arn: 'arn:aws:iam::222222222222:role/vpcsc-nat-reader', regions: ['ap-southeast-2'], nat_tags: ['vpcsc=egress'], vpcs: ['vpc-0a'], nat_gateways: ['nat-0b']},
      ],
      member_role_arns: ['arn:aws:iam::333333333333:role/vpcsc-nat-reader'],
    })
    const parsed = configFileSchema.safeParse(config)
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues))
    assert.deepEqual(parsed.data.accounts, [
      {roleArn: 'arn:aws:iam::111111111111:role/vpcsc-nat-reader', externalId: 'vpcsc-7f3a'},
      {roleArn: 'arn:aws:iam::222222222222:role/vpcsc-nat-reader', regions: ['ap-southeast-2'], natTags: ['vpcsc=egress'], vpcs: ['vpc-0a'], natGateways: ['nat-0b']},
      {roleArn: 'arn:aws:iam::333333333333:role/vpcsc-nat-reader'},
    ])
    // The file is in the package, where VPCSC_CONFIG points.
    const archive = main.json.data.archive_file.package[0]
    const file = archive.source.find((s: Hcl) => s.content === '${jsonencode(local.vpcsc_config)}')
    assert.equal(file?.filename, '${local.config_file}')
    assert.equal(l.config_file, 'vpcsc.config.json')
    assert.equal(l.environment[ENV.config], '/var/task/${local.config_file}')
    // A role list in the environment would replace the file's accounts (flag > environment > file).
    assert.ok(!(ENV.assumeRoles in l.environment), `${ENV.assumeRoles} is not set: the file holds every member account`)
    // The member-account module's external id and role ARN go to member_accounts.
    assert.match(member.json.variable.external_id[0].description, /member_accounts\[\]\.external_id/)
    assert.match(member.json.output.role_arn[0].description, /member_accounts\[\]\.role_arn/)
  })

  it('Google: a WIF provider admitting only the function\'s role, policyEditor on the policy', () => {
    const provider = main.json.resource.google_iam_workload_identity_pool_provider.reconciler[0]
    assert.match(provider.attribute_condition, /attribute\.aws_role == \\?"\$\{local\.assumed_role\}\\?"/)
    assert.equal(provider.aws[0].account_id, '${local.account}')
    assert.match(locals(main.json).assumed_role, /:assumed-role\/\$\{var\.name\}$/)
    const member = main.json.resource.google_access_context_manager_access_policy_iam_member.reconciler[0]
    assert.equal(member.role, 'roles/accesscontextmanager.policyEditor')
    assert.equal(member.name, 'accessPolicies/${var.policy}')
    assert.equal(member.member, 'principalSet://iam.googleapis.com/${local.pool_name}/attribute.aws_role/${local.assumed_role}')
  })

  it('every var.X used is declared (both modules)', () => {
    assert.deepEqual(undeclared(main.json, main.text), [])
    assert.deepEqual(undeclared(member.json, member.text), [])
  })
})
