// The Terraform module (deploy/terraform) cannot be planned here (its providers come from the
// registry, out of reach offline): it is parsed (HCL to JSON, @cdktf/hcl2json) and what
// matters is asserted against the code and the build: the event names, the role's actions
// exactly, the handler in dist/, the env names, the config file it ships (the member
// accounts) against vpcsc's config file schema. Its variables.tf needs no provider: the real
// terraform plans a copy of it, so its validation of member_accounts is run, against the
// verdicts of vpcsc's own checks.
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {after, before, describe, it} from 'node:test'

import {parse} from '@cdktf/hcl2json'

import {memberAccount, parseRoleArn, ROLE_ARN_EXAMPLE, uniqueAccounts} from '../../src/lib/aws/accounts.ts'
import {partitionRegionPatterns, regionProblem} from '../../src/lib/aws/regions.ts'
import {configFileSchema, ENV, resolveSettings, type FlagValues} from '../../src/lib/core/config.ts'
import {UsageError} from '../../src/lib/core/errors.ts'
import {CidrError, parseCidr} from '../../src/lib/level/cidr.ts'
import {classifyEvent, CLOUDTRAIL_DETAIL_TYPE, NAT_EVENT_NAMES} from '../../src/lib/reconciler/event.ts'
import {locals, MEMBER, MODULE, parseModule, shippedConfig, shippedEnvironment, VariablesPlan, type Hcl, type MemberAccountInput, type SelectionInput} from './terraform-module.ts'

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

describe('deploy/terraform: member_accounts, member_role_arns and the top-level selection are checked at terraform plan, as vpcsc checks them', () => {
  let main: {json: Hcl; text: string}
  let tf: VariablesPlan
  before(async () => {
    main = await parseModule(MODULE)
    tf = new VariablesPlan()
    await tf.version()
  })
  after(() => tf?.remove())

  const ROLE = 'arn:aws:iam::111111111111:role/vpcsc-nat-reader'
  const OTHER = 'arn:aws:iam::222222222222:role/vpcsc-nat-reader'
  const ARN_HINT = `Give arn:PARTITION:iam::ACCOUNT_ID:role/NAME (partition aws, aws-us-gov or aws-cn), e.g. ${ROLE_ARN_EXAMPLE}.`
  const ACCOUNT_HINT = `Give the member account's role ARN, e.g. ${ROLE_ARN_EXAMPLE} (the member-account module's role_arn output).`
  const SPACES_HINT = "Remove them: the function's IAM policy names each role exactly as written."

  type Variables = {member_accounts?: MemberAccountInput[] | null; member_role_arns?: (string | null)[] | null} & SelectionInput
  /**
   * vpcsc's verdict on what the module would ship, the exit-2 checks at the function's first
   * run: the config file (its schema), and the settings its environment gives (resolveSettings,
   * which checks the VPCSC_* lists with the same schema).
   */
  const functionAccepts = (variables: Variables) => {
    if (!configFileSchema.safeParse(shippedConfig(main.json, {member_accounts: variables.member_accounts ?? [], member_role_arns: variables.member_role_arns ?? []})).success) return false
    try {
      resolveSettings({} as FlagValues, {[ENV.policy]: '555000111222', [ENV.level]: 'vpcsc_allow_ec2_ip', ...shippedEnvironment(main.json, variables)}, {values: {}})
      return true
    } catch (error) {
      if (error instanceof UsageError) return false
      throw error
    }
  }
  /**
   * The rules (each message's words before its first ": ") that refuse each value, planned
   * alone: a rule's condition is then tested on that value only, and its message must name
   * the entry (`where`).
   */
  const rulesAlone = async <T,>(values: T[], variables: (value: T) => Variables, where: RegExp): Promise<string[][]> =>
    Promise.all(
      values.map(async (value) => {
        const result = await tf.plan(variables(value))
        assert.equal(result.code, result.errors.length === 0 ? 0 : 1)
        for (const error of result.errors) assert.match(error.detail, where)
        return result.errors.map((error) => error.detail.slice(0, error.detail.indexOf(': ')))
      }),
    )

  it('variables.tf holds only variable blocks: the copy terraform plans has every rule, and needs no provider', async () => {
    const parsed = (await parse('variables.tf', readFileSync(join(MODULE, 'variables.tf'), 'utf8'))) as Hcl
    assert.deepEqual(Object.keys(parsed), ['variable'])
    assert.equal(main.json.variable.member_accounts[0].validation.length, 11)
    assert.equal(main.json.variable.member_role_arns[0].validation.length, 3)
    const counts = {regions: 2, nat_tags: 2, vpcs: 1, nat_gateways: 1, keep: 3}
    for (const [name, count] of Object.entries(counts)) assert.equal(main.json.variable[name][0].validation.length, count, name)
  })

  it('accepts good entries: every attribute, a role path, the other partitions, two roles in one account, a role also in member_role_arns, none', async () => {
    const good: Variables[] = [
      {
        member_accounts: [
          {role_arn: ROLE, external_id: 'vpcsc-7f3a'},
          {role_arn: OTHER, regions: ['ap-southeast-2', 'us-gov-west-1', 'cn-north-1', 'eusc-de-east-1', 'us-isob-east-1'], nat_tags: ['vpcsc=egress', 'empty='], vpcs: ['vpc-0a'], nat_gateways: ['nat-0b']},
          {role_arn: 'arn:aws:iam::222222222222:role/team/net/vpcsc+reader=2,a.b@c-d_e', external_id: `Aa0_+=,.@:/-${'x'.repeat(1212)}`, regions: []},
          {role_arn: 'arn:aws-us-gov:iam::333333333333:role/vpcsc-nat-reader', external_id: 'ab', nat_tags: null},
          {role_arn: 'arn:aws-cn:iam::444444444444:role/vpcsc-nat-reader'},
        ],
        member_role_arns: [ROLE, 'arn:aws:iam::555555555555:role/r', 'arn:aws:iam::555555555555:role/r'],
      },
      {member_accounts: [], member_role_arns: []},
      // null is the default: no accounts (nullable = false).
      {member_accounts: null, member_role_arns: null},
      {
        regions: ['eu-west-1', 'us-gov-west-1', 'cn-north-1'],
        nat_tags: ['vpcsc=egress', 'empty=', 'a=b=c'],
        vpcs: ['vpc-0a'],
        nat_gateways: ['nat-0b', 'nat-0c'],
        keep: ['198.51.100.0/24', '203.0.113.10', '203.0.113.11/32', '2001:db8::/48', '2001:DB8:0::/32', '2001:db8::1', '8.0.0.0/7'],
      },
      {regions: [], nat_tags: [], vpcs: [], nat_gateways: [], keep: []},
      {regions: null, nat_tags: null, vpcs: null, nat_gateways: null, keep: null},
    ]
    for (const variables of good) {
      const result = await tf.plan(variables)
      assert.deepEqual(result, {code: 0, errors: []}, JSON.stringify(variables))
      assert.ok(functionAccepts(variables), `vpcsc accepts it too: ${JSON.stringify(variables)}`)
    }
  })

  // Each case breaks one rule: terraform plan fails with that rule's message alone, in one or
  // two lines, and vpcsc's own check refuses the same config file, except for the two rules
  // that are stricter than vpcsc (variables.tf says why), where it accepts it.
  const cases: {rule: string; variables: Variables; message: string; vpcsc: 'refuses' | 'accepts'}[] = [
    {
      rule: 'role_arn is an IAM role ARN (not a name, a user, a name longer than 64, or null)',
      variables: {member_accounts: [{role_arn: 'vpcsc-nat-reader'}, {role_arn: ROLE}, {role_arn: 'arn:aws:iam::111111111111:user/vpcsc'}, {role_arn: `arn:aws:iam::111111111111:role/${'r'.repeat(65)}`}, {role_arn: null}]},
      message: `Not an IAM role ARN: member_accounts[0].role_arn = "vpcsc-nat-reader", member_accounts[2].role_arn = "arn:aws:iam::111111111111:user/vpcsc", member_accounts[3].role_arn = "arn:aws:iam::111111111111:role/${'r'.repeat(65)}", member_accounts[4].role_arn = null.\n${ARN_HINT}`,
      vpcsc: 'refuses',
    },
    {
      rule: "role_arn's account id is 12 digits",
      variables: {member_accounts: [{role_arn: ROLE}, {role_arn: 'arn:aws:iam::11111111111:role/vpcsc-nat-reader'}]},
      message: `Not a 12-digit AWS account id: "11111111111" in member_accounts[1].role_arn.\n${ACCOUNT_HINT}`,
      vpcsc: 'refuses',
    },
    {
      rule: 'role_arn has no spaces around it (stricter: vpcsc trims, the IAM policy does not)',
      variables: {member_accounts: [{role_arn: `${ROLE} `}]},
      message: `Spaces around a role ARN: member_accounts[0].role_arn = "${ROLE} ".\n${SPACES_HINT}`,
      vpcsc: 'accepts',
    },
    {
      rule: 'no role in two entries (stricter: vpcsc keeps the first)',
      variables: {member_accounts: [{role_arn: ROLE, external_id: 'vpcsc-7f3a'}, {role_arn: OTHER}, {role_arn: ROLE, regions: ['eu-west-1']}]},
      message: `The same role in two member_accounts entries: "${ROLE}" in entries 0 and 2.\nvpcsc reads a role once, as its first entry says (the others' external_id and selection would be ignored): merge them.`,
      vpcsc: 'accepts',
    },
    {
      rule: 'external_id has 2 to 1224 characters (too short)',
      variables: {member_accounts: [{role_arn: ROLE, external_id: 'x'}]},
      message: 'An external id of the wrong length: member_accounts[0].external_id has length 1.\nAn external id has 2 to 1224 characters (leave it out when the role requires none).',
      vpcsc: 'refuses',
    },
    {
      rule: 'external_id has 2 to 1224 characters (too long)',
      variables: {member_accounts: [{role_arn: ROLE, external_id: 'x'.repeat(1225)}]},
      message: 'An external id of the wrong length: member_accounts[0].external_id has length 1225.\nAn external id has 2 to 1224 characters (leave it out when the role requires none).',
      vpcsc: 'refuses',
    },
    {
      rule: "external_id holds only sts:AssumeRole's characters",
      variables: {member_accounts: [{role_arn: ROLE, external_id: 'vpcsc 7f3a'}]},
      message: 'An external id that sts:AssumeRole refuses: member_accounts[0].external_id.\nAn external id holds letters, digits and _+=,.@:/- only (no spaces).',
      vpcsc: 'refuses',
    },
    {
      rule: 'regions are region names',
      variables: {member_accounts: [{role_arn: ROLE, regions: ['eu-west-1', 'eu_west_1', null]}]},
      message: 'Not an AWS region: member_accounts[0].regions[1] = "eu_west_1", member_accounts[0].regions[2] = null.\nGive region names such as eu-west-1.',
      vpcsc: 'refuses',
    },
    {
      rule: "regions are a partition's",
      variables: {member_accounts: [{role_arn: ROLE}, {role_arn: OTHER, regions: ['xx-west-1']}]},
      message:
        'Not an AWS region (no AWS partition has regions named like it): member_accounts[1].regions[0] = "xx-west-1".\nAWS regions are named us-*, eu-*, ap-*, sa-*, ca-*, me-*, af-*, il-*, mx-*, cn-*, us-gov-*, ...',
      vpcsc: 'refuses',
    },
    {
      rule: 'nat_tags are KEY=VALUE',
      variables: {member_accounts: [{role_arn: ROLE, nat_tags: ['vpcsc=egress', 'vpcsc', '=egress']}]},
      message: 'Not KEY=VALUE: member_accounts[0].nat_tags[1] = "vpcsc", member_accounts[0].nat_tags[2] = "=egress".\nGive NAT gateway tags as KEY=VALUE, e.g. vpcsc=egress.',
      vpcsc: 'refuses',
    },
    {
      rule: 'vpcs are VPC ids',
      variables: {member_accounts: [{role_arn: ROLE, vpcs: ['vpc-0A']}]},
      message: 'Not a VPC id: member_accounts[0].vpcs[0] = "vpc-0A".\nGive VPC ids such as vpc-0abc123.',
      vpcsc: 'refuses',
    },
    {
      rule: 'nat_gateways are NAT gateway ids',
      variables: {member_accounts: [{role_arn: ROLE, nat_gateways: ['nat-']}]},
      message: 'Not a NAT gateway id: member_accounts[0].nat_gateways[0] = "nat-".\nGive NAT gateway ids such as nat-0abc123.',
      vpcsc: 'refuses',
    },
    {
      rule: 'member_role_arns are IAM role ARNs',
      variables: {member_role_arns: [ROLE, 'arn:aws:iam::111111111111:role/', 'arn:aws:sts::111111111111:assumed-role/vpcsc/s']},
      message: `Not an IAM role ARN: member_role_arns[1] = "arn:aws:iam::111111111111:role/", member_role_arns[2] = "arn:aws:sts::111111111111:assumed-role/vpcsc/s".\n${ARN_HINT}`,
      vpcsc: 'refuses',
    },
    {
      rule: "member_role_arns' account ids are 12 digits",
      variables: {member_role_arns: ['arn:aws:iam::1111111111111:role/vpcsc-nat-reader']},
      message: `Not a 12-digit AWS account id: "1111111111111" in member_role_arns[0].\n${ACCOUNT_HINT}`,
      vpcsc: 'refuses',
    },
    {
      rule: 'member_role_arns have no spaces around them (stricter)',
      variables: {member_role_arns: [`\t${OTHER}`]},
      message: `Spaces around a role ARN: member_role_arns[0] = "\\t${OTHER}".\n${SPACES_HINT}`,
      vpcsc: 'accepts',
    },
    {
      rule: 'regions (top-level) are region names',
      variables: {regions: ['eu-west-1', 'eu_west_1', 'eu-west']},
      message: 'Not an AWS region: regions[1] = "eu_west_1", regions[2] = "eu-west".\nGive region names such as eu-west-1.',
      vpcsc: 'refuses',
    },
    {
      rule: "regions (top-level) are a partition's",
      variables: {regions: ['xx-west-1']},
      message: 'Not an AWS region (no AWS partition has regions named like it): regions[0] = "xx-west-1".\nAWS regions are named us-*, eu-*, ap-*, sa-*, ca-*, me-*, af-*, il-*, mx-*, cn-*, us-gov-*, ...',
      vpcsc: 'refuses',
    },
    {
      rule: 'nat_tags (top-level) are KEY=VALUE',
      variables: {nat_tags: ['vpcsc=egress', 'vpcsc', '=egress']},
      message: 'Not KEY=VALUE: nat_tags[1] = "vpcsc", nat_tags[2] = "=egress".\nGive NAT gateway tags as KEY=VALUE, e.g. vpcsc=egress.',
      vpcsc: 'refuses',
    },
    {
      rule: 'nat_tags (top-level) hold no comma (VPCSC_NAT_TAGS is split at commas)',
      variables: {nat_tags: ['team=a,b']},
      message: 'A comma in a NAT tag: nat_tags[0] = "team=a,b".\nVPCSC_NAT_TAGS is comma-separated: give each tag as its own entry (a value holding a comma cannot be matched).',
      vpcsc: 'refuses',
    },
    {
      rule: 'vpcs (top-level) are VPC ids',
      variables: {vpcs: ['vpc-0a', 'vpc-0A', 'subnet-0a']},
      message: 'Not a VPC id: vpcs[1] = "vpc-0A", vpcs[2] = "subnet-0a".\nGive VPC ids such as vpc-0abc123.',
      vpcsc: 'refuses',
    },
    {
      rule: 'nat_gateways (top-level) are NAT gateway ids',
      variables: {nat_gateways: ['nat-']},
      message: 'Not a NAT gateway id: nat_gateways[0] = "nat-".\nGive NAT gateway ids such as nat-0abc123.',
      vpcsc: 'refuses',
    },
    {
      rule: 'keep holds IP addresses or CIDR ranges (no old IPv4 shorthand, no zone, a prefix in range)',
      variables: {keep: ['198.51.100.0/24', '203.0.113', '010.1.2.3', '2001:db8::1%eth0', '198.51.100.0/33', 'example.com']},
      message:
        'Not an IP address or CIDR range: keep[1] = "203.0.113", keep[2] = "010.1.2.3", keep[3] = "2001:db8::1%eth0", keep[4] = "198.51.100.0/33", keep[5] = "example.com".\nGive IPv4 or IPv6 CIDRs, or single addresses, e.g. 198.51.100.0/24 or 2001:db8::/48.',
      vpcsc: 'refuses',
    },
    {
      rule: 'keep: no host bits set',
      variables: {keep: ['198.51.100.7/24', '2001:db8::1/32']},
      message: "Host bits set: keep[0] = \"198.51.100.7/24\", keep[1] = \"2001:db8::1/32\".\nGive the range's first address, e.g. 198.51.100.0/24 for 198.51.100.7/24, or the one address as /32 (/128 for IPv6).",
      vpcsc: 'refuses',
    },
    {
      rule: 'keep: public ranges only (none in or overlapping a refused range)',
      variables: {keep: ['10.0.0.0/8', '128.0.0.0/1', 'fd00::/8', '::ffff:203.0.113.0/120']},
      message:
        'Not a public range: keep[0] = "10.0.0.0/8", keep[1] = "128.0.0.0/1", keep[2] = "fd00::/8", keep[3] = "::ffff:203.0.113.0/120".\nOnly public egress addresses belong in an access level: none in or overlapping a private (RFC 1918), carrier-grade NAT, loopback, link-local, multicast, broadcast, unspecified, unique local or IPv4-mapped range.',
      vpcsc: 'refuses',
    },
  ]
  for (const {rule, variables, message, vpcsc} of cases) {
    it(`refuses what breaks: ${rule}`, async () => {
      const result = await tf.plan(variables)
      assert.equal(result.code, 1, JSON.stringify(result))
      assert.deepEqual(result.errors, [{summary: 'Invalid value for variable', detail: message}])
      assert.ok(message.split('\n').length <= 2, 'one or two lines')
      assert.equal(functionAccepts(variables), vpcsc === 'accepts', `vpcsc ${vpcsc} it`)
    })
  }

  it('the role in two entries is the later one ignored by vpcsc: why terraform refuses it', () => {
    const read = uniqueAccounts([memberAccount(ROLE, 'a', {externalId: 'vpcsc-7f3a'}), memberAccount(ROLE, 'b', {regions: ['eu-west-1']})])
    assert.deepEqual(read.map((a) => [a.externalId, a.regions]), [['vpcsc-7f3a', undefined]])
  })

  it("role ARNs: terraform refuses exactly what vpcsc's parseRoleArn refuses, and also spaces around one", async () => {
    const samples = [
      ROLE,
      'arn:aws-us-gov:iam::111111111111:role/a',
      'arn:aws-cn:iam::111111111111:role/p/q/r',
      `arn:aws:iam::111111111111:role/${'r'.repeat(64)}`,
      'arn:aws:iam::111111111111:role/p//r',
      'arn:aws-iso:iam::111111111111:role/r',
      'arn:aws:iam:us-east-1:111111111111:role/r',
      'arn:aws:iam::11111111111a:role/r',
      'arn:aws:iam::111111111111:role/r r',
      'arn:aws:iam::111111111111:role/r*',
      `arn:aws:iam::111111111111:role/${'r'.repeat(65)}`,
      `arn:aws:iam::111111111111:role/p/${'r'.repeat(65)}`,
      'ARN:aws:iam::111111111111:role/r',
      '',
      'arn:aws:iam::111111111111:role/r\n',
      ` ${ROLE}`,
    ]
    const [inAccounts, inRoles] = await Promise.all([
      rulesAlone(samples, (arn) => ({member_accounts: [{role_arn: arn}]}), /member_accounts\[0\]/),
      rulesAlone(samples, (arn) => ({member_role_arns: [arn]}), /member_role_arns\[0\]/),
    ])
    for (const [variable, refuses] of [['member_accounts', inAccounts], ['member_role_arns', inRoles]] as const) {
      samples.forEach((arn, i) => {
        const rules = refuses[i]!
        const why = `${variable}: ${JSON.stringify(arn)} ${JSON.stringify(rules)}`
        assert.equal(rules.some((r) => r === 'Not an IAM role ARN' || r === 'Not a 12-digit AWS account id'), parseRoleArn(arn) === undefined, why)
        assert.equal(rules.includes('Spaces around a role ARN'), arn !== arn.trim(), why)
      })
    }
    assert.equal(samples.filter((arn) => parseRoleArn(arn) === undefined).length, 10, 'both verdicts are exercised')
  })

  it("regions: terraform refuses exactly what vpcsc's regionProblem refuses, for the same reason", async () => {
    const samples = ['us-east-1', 'eu-central-2', 'ap-southeast-7', 'il-central-1', 'mx-central-1', 'cn-northwest-1', 'us-gov-east-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1', 'eusc-fr-east-1', 'xx-west-1', 'US-EAST-1', 'us-east', 'useast1', 'us-east-1a', 'global', '']
    const [refuses, refusesTop] = await Promise.all([
      rulesAlone(samples, (region) => ({member_accounts: [{role_arn: ROLE, regions: [region]}]}), /member_accounts\[0\]\.regions\[0\]/),
      rulesAlone(samples, (region) => ({regions: [region]}), /(^|: )regions\[0\]/),
    ])
    const expected = (region: string) => {
      const problem = regionProblem(region)
      if (problem === undefined) return []
      return [problem.startsWith('expected an AWS region') ? 'Not an AWS region' : 'Not an AWS region (no AWS partition has regions named like it)']
    }
    samples.forEach((region, i) => assert.deepEqual(refuses[i], expected(region), region))
    samples.forEach((region, i) => assert.deepEqual(refusesTop[i], expected(region), `regions: ${region}`))
    assert.equal(samples.filter((region) => regionProblem(region) === undefined).length, 12)
  })

  it("regions: variables.tf holds regions.ts's partition patterns, in order, in every place", () => {
    const text = readFileSync(join(MODULE, 'variables.tf'), 'utf8')
    const lists = [...text.matchAll(/for p in \[([^\]]*)\]/g)].map((m) => JSON.parse(`[${m[1]}]`) as string[])
    assert.equal(lists.length, 4, 'the condition and the message, for member_accounts and for regions')
    for (const list of lists) assert.deepEqual(list, partitionRegionPatterns.map((p) => p.source))
  })

  it("external ids: terraform refuses exactly what vpcsc refuses (2 to 1224 of sts:AssumeRole's characters)", async () => {
    const samples = ['', 'a', 'ab', 'x'.repeat(1224), 'x'.repeat(1225), 'vpcsc-7f3a', 'a b', 'a\tb', 'é-accent', 'a;b', 'a#b', 'Aa0_+=,.@:/-']
    const refuses = await rulesAlone(samples, (externalId) => ({member_accounts: [{role_arn: ROLE, external_id: externalId}]}), /member_accounts\[0\]\.external_id/)
    const vpcscRefuses = (externalId: string) => !configFileSchema.safeParse({accounts: [{roleArn: ROLE, externalId}]}).success
    samples.forEach((externalId, i) => {
      const expected = [...(externalId.length < 2 || externalId.length > 1224 ? ['An external id of the wrong length'] : []), ...(/^[\w+=,.@:/-]*$/.test(externalId) ? [] : ['An external id that sts:AssumeRole refuses'])]
      assert.deepEqual(refuses[i], expected, JSON.stringify(externalId))
      assert.equal(vpcscRefuses(externalId), expected.length > 0, `vpcsc and terraform disagree on ${JSON.stringify(externalId)}`)
    })
    assert.deepEqual(samples.map(vpcscRefuses), [true, true, false, false, true, false, true, true, true, true, true, false])
  })

  it("kept CIDRs: terraform refuses exactly what vpcsc's parseCidr refuses, for the same reason", async () => {
    const samples = [
      '198.51.100.0/24', '203.0.113.10', '8.8.8.8/32', '8.0.0.0/7', '2001:db8::/48', '2001:DB8:0::/32', '2001:db8::1', '2600::/12',
      '', 'x', '203.0.113', '010.1.2.3', '1.2.3.4/', '1.2.3.4/33', '2001:db8::/129', '2001:db8::1%eth0', '1.2.3.4,5.6.7.8', '256.1.2.3',
      '198.51.100.7/24', '2001:db8::1/32', '8.0.0.1/4', '10.0.0.1/8',
      '0.0.0.0/0', '0.1.2.3', '10.1.2.3', '172.31.0.0/16', '192.168.1.0/24', '100.64.0.0/10', '127.0.0.1', '169.254.1.1', '224.0.0.0/4', '255.255.255.255', '128.0.0.0/1', '96.0.0.0/3',
      '::/0', '::', '::1', 'fe80::/10', 'ff02::1', 'fc00::/7', 'fd12::/16', '::ffff:203.0.113.10', '::ffff:0:0/96', '2000::/3',
      // One address, typed two ways (IPv4-compatible, dotted or not), and the IPv4-mapped one.
      '::1.2.3.4/128', '::102:304/128', '::ffff:1.2.3.4/128',
    ]
    const refuses = await rulesAlone(samples, (cidr) => ({keep: [cidr]}), /(^|: )keep\[0\]/)
    const expected = (cidr: string) => {
      try {
        parseCidr(cidr)
        return []
      } catch (error) {
        if (!(error instanceof CidrError)) throw error
        return [error.message.includes('is not an IPv4 or IPv6') ? 'Not an IP address or CIDR range' : error.message.includes('host bits') ? 'Host bits set' : 'Not a public range']
      }
    }
    samples.forEach((cidr, i) => assert.deepEqual(refuses[i], expected(cidr), JSON.stringify(cidr)))
    assert.deepEqual(
      ['Not an IP address or CIDR range', 'Host bits set', 'Not a public range'].map((rule) => samples.filter((cidr) => expected(cidr)[0] === rule).length),
      [10, 4, 22],
      'every rule is exercised',
    )
  })
})
