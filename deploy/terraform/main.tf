# The vpcsc reconciler on AWS Lambda: `vpcsc ip sync --yes` on every NAT gateway or Elastic
# IP change (EventBridge events of the CloudTrail API calls) and on a schedule, calling
# Google with Workload Identity Federation as the function's own role: no key anywhere.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  dist_dir = coalesce(var.dist_dir, "${path.module}/../../dist")
  account  = data.aws_caller_identity.current.account_id

  # The role as Google's STS sees the function: assumed-role/ROLE (the session name is the
  # function's, and is cut off by the attribute mapping below).
  assumed_role = "arn:${data.aws_partition.current.partition}:sts::${local.account}:assumed-role/${var.name}"
  pool_name    = "projects/${var.google_project_number}/locations/global/workloadIdentityPools/${var.workload_identity_pool_id}"

  # google-auth-library signs the token exchange with the credentials Lambda puts in the
  # environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION):
  # no metadata URLs are needed, and nothing in this file is a secret.
  google_credential_config = {
    type               = "external_account"
    universe_domain    = "googleapis.com"
    audience           = "//iam.googleapis.com/${local.pool_name}/providers/${var.workload_identity_provider_id}"
    subject_token_type = "urn:ietf:params:aws:token-type:aws4_request"
    token_url          = "https://sts.googleapis.com/v1/token"
    credential_source = {
      environment_id                 = "aws1"
      regional_cred_verification_url = "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"
    }
  }

  # The NAT gateway and Elastic IP calls that change an egress address. Any event only says
  # "look now": the function reconciles the whole selection.
  nat_event_pattern = {
    source        = ["aws.ec2"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource = ["ec2.amazonaws.com"]
      eventName = [
        "CreateNatGateway",
        "DeleteNatGateway",
        "AssociateNatGatewayAddress",
        "DisassociateNatGatewayAddress",
        "AssociateAddress",
        "DisassociateAddress",
        "ReleaseAddress",
      ]
    }
  }

  # Member accounts go to vpcsc as its config file's `accounts` (README, Many AWS accounts),
  # shipped in the package: an external id and an account's own selection have no
  # environment form (VPCSC_ASSUME_ROLES holds role ARNs only), and the file has no size
  # limit where Lambda's whole environment has 4 KB. vpcsc checks the file with the config
  # file's own schema, naming the field, before any call. Each attribute of member_accounts
  # is the config key on the right; unset ones are left out (the schema takes no null).
  account_keys = {
    role_arn     = "roleArn"
    external_id  = "externalId"
    regions      = "regions"
    nat_tags     = "natTags"
    vpcs         = "vpcs"
    nat_gateways = "natGateways"
  }
  # member_accounts first: a role listed in both is read once, as the first entry says.
  member_accounts = concat(
    [for account in var.member_accounts : { for attribute, key in local.account_keys : key => account[attribute] if account[attribute] != null }],
    [for arn in var.member_role_arns : { roleArn = arn }],
  )
  member_role_arns = distinct(concat(var.member_accounts[*].role_arn, var.member_role_arns))
  vpcsc_config = {
    accounts = local.member_accounts
  }
  config_file = "vpcsc.config.json"

  # The settings vpcsc reads (README, Settings); unset ones are left out.
  environment = {
    VPCSC_POLICY                   = var.policy
    VPCSC_LEVEL                    = var.level
    VPCSC_CONDITION                = var.condition == null ? null : tostring(var.condition)
    VPCSC_REGIONS                  = join(",", var.regions)
    VPCSC_ALL_REGIONS              = var.all_regions ? "true" : null
    VPCSC_NAT_TAGS                 = join(",", var.nat_tags)
    VPCSC_VPCS                     = join(",", var.vpcs)
    VPCSC_NAT_GATEWAYS             = join(",", var.nat_gateways)
    VPCSC_KEEP                     = join(",", var.keep)
    VPCSC_NOTIFY_URL               = var.notify_url
    VPCSC_CONFIG                   = "/var/task/${local.config_file}"
    VPCSC_STATE_DIR                = "/tmp/vpcsc"
    GOOGLE_APPLICATION_CREDENTIALS = "/var/task/google-wif.json"
  }
}

# The package: vpcsc's handler and its chunks, a package.json that makes them ES modules
# (the same files npm run package:lambda zips), the credential configuration, and vpcsc's
# config file with the member accounts.
data "archive_file" "package" {
  type        = "zip"
  output_path = "${path.root}/.terraform/${var.name}.zip"

  source {
    filename = "lambda.js"
    content  = file("${local.dist_dir}/lambda.js")
  }
  dynamic "source" {
    for_each = fileset(local.dist_dir, "lambda-chunks/*.js")
    content {
      filename = source.value
      content  = file("${local.dist_dir}/${source.value}")
    }
  }
  source {
    filename = "package.json"
    content  = jsonencode({ type = "module" })
  }
  source {
    filename = "google-wif.json"
    content  = jsonencode(local.google_credential_config)
  }
  source {
    filename = local.config_file
    content  = jsonencode(local.vpcsc_config)
  }
}

resource "aws_cloudwatch_log_group" "reconciler" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# The minimum: read NAT gateways (and the regions, for all_regions), assume the member
# accounts' reader roles, write its own logs. Nothing in EC2 is ever written.
data "aws_iam_policy_document" "reconciler" {
  statement {
    sid       = "ReadNatGateways"
    actions   = ["ec2:DescribeNatGateways", "ec2:DescribeRegions"]
    resources = ["*"]
  }
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.reconciler.arn}:*"]
  }
  dynamic "statement" {
    for_each = length(local.member_role_arns) > 0 ? [1] : []
    content {
      sid       = "ReadMemberAccounts"
      actions   = ["sts:AssumeRole"]
      resources = local.member_role_arns
    }
  }
}

resource "aws_iam_role" "reconciler" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "reconciler" {
  name   = var.name
  role   = aws_iam_role.reconciler.id
  policy = data.aws_iam_policy_document.reconciler.json
}

resource "aws_lambda_function" "reconciler" {
  function_name    = var.name
  role             = aws_iam_role.reconciler.arn
  runtime          = "nodejs22.x"
  handler          = "lambda.handler"
  filename         = data.archive_file.package.output_path
  source_code_hash = data.archive_file.package.output_base64sha256
  architectures    = ["arm64"]
  memory_size      = 512
  timeout          = var.timeout_seconds
  # One reconcile at a time: a burst of events queues (Lambda retries throttled async
  # invocations) instead of racing; a race would be safe (etag), only noisy.
  reserved_concurrent_executions = 1

  environment {
    variables = { for key, value in local.environment : key => value if value != null && value != "" }
  }

  depends_on = [aws_iam_role_policy.reconciler, aws_cloudwatch_log_group.reconciler]
}

resource "aws_cloudwatch_event_rule" "nat_changes" {
  name          = "${var.name}-nat-changes"
  description   = "NAT gateway and Elastic IP changes: run vpcsc ip sync"
  event_pattern = jsonencode(local.nat_event_pattern)
}

resource "aws_cloudwatch_event_rule" "sweep" {
  name                = "${var.name}-sweep"
  description         = "The full sweep: run vpcsc ip sync"
  schedule_expression = var.schedule
}

resource "aws_cloudwatch_event_target" "nat_changes" {
  rule = aws_cloudwatch_event_rule.nat_changes.name
  arn  = aws_lambda_function.reconciler.arn
}

resource "aws_cloudwatch_event_target" "sweep" {
  rule = aws_cloudwatch_event_rule.sweep.name
  arn  = aws_lambda_function.reconciler.arn
}

resource "aws_lambda_permission" "nat_changes" {
  statement_id  = "nat-changes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.reconciler.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.nat_changes.arn
}

resource "aws_lambda_permission" "sweep" {
  statement_id  = "sweep"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.reconciler.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep.arn
}

# Google: a provider in the existing pool that admits only this function's role, and the
# right to edit the access policy's levels for the identities it maps.
resource "google_iam_workload_identity_pool_provider" "reconciler" {
  project                            = var.google_project_number
  workload_identity_pool_id          = var.workload_identity_pool_id
  workload_identity_pool_provider_id = var.workload_identity_provider_id
  display_name                       = "vpcsc reconciler (Lambda)"
  attribute_mapping = {
    "google.subject"     = "assertion.arn"
    "attribute.aws_role" = "assertion.arn.contains('assumed-role') ? assertion.arn.extract('{account_arn}assumed-role/') + 'assumed-role/' + assertion.arn.extract('assumed-role/{role_name}/') : assertion.arn"
  }
  attribute_condition = "attribute.aws_role == \"${local.assumed_role}\""
  aws {
    account_id = local.account
  }
}

resource "google_access_context_manager_access_policy_iam_member" "reconciler" {
  name   = "accessPolicies/${var.policy}"
  role   = "roles/accesscontextmanager.policyEditor"
  member = "principalSet://iam.googleapis.com/${local.pool_name}/attribute.aws_role/${local.assumed_role}"
}
