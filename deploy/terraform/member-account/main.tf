# In each member account: a role the reconciler assumes to read that account's NAT
# gateways. EC2 describe calls only; trusted by the reconciler's role and nothing else.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "name" {
  type    = string
  default = "vpcsc-nat-reader"
}

variable "reconciler_role_arn" {
  description = "The reconciler function's role (the main module's role_arn output)."
  type        = string
}

variable "external_id" {
  description = "Optional sts:ExternalId the reconciler must present: give it the same (the main module's member_accounts[].external_id, or accounts[].externalId in vpcsc's config file)."
  type        = string
  default     = null
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.reconciler_role_arn]
    }
    dynamic "condition" {
      for_each = var.external_id == null ? [] : [var.external_id]
      content {
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [condition.value]
      }
    }
  }
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "ReadNatGateways"
    actions   = ["ec2:DescribeNatGateways", "ec2:DescribeRegions"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "reader" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "read" {
  name   = var.name
  role   = aws_iam_role.reader.id
  policy = data.aws_iam_policy_document.read.json
}

output "role_arn" {
  description = "Give it to the reconciler: the main module's member_accounts[].role_arn (with external_id, when set), or accounts[].roleArn in vpcsc's config file."
  value       = aws_iam_role.reader.arn
}
