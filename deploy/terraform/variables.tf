variable "name" {
  description = "Name of the function, its role, log group and rules."
  type        = string
  default     = "vpcsc-reconciler"
}

variable "dist_dir" {
  description = "vpcsc's build output (npm run build): lambda.js and lambda-chunks/."
  type        = string
  default     = null
}

# What to reconcile: the same settings as vpcsc ip sync (README, Settings).
variable "policy" {
  description = "Access policy number (VPCSC_POLICY)."
  type        = string
}

variable "level" {
  description = "Access level id or full name (VPCSC_LEVEL)."
  type        = string
}

variable "condition" {
  description = "Index of the level condition holding the IP list, when several do (VPCSC_CONDITION)."
  type        = number
  default     = null
}

# The top-level selection reaches vpcsc as VPCSC_* comma lists (main.tf, local.environment),
# checked at its first run by the config file's schema (src/lib/core/config.ts,
# sourceProblems). The validation blocks below apply the same rules as member_accounts'
# (cited above it), naming the variable's entries. Entries are checked as written: a space
# or an empty entry, which the comma list would trim or drop, is refused too.
variable "regions" {
  description = "AWS regions whose NAT gateways are read (VPCSC_REGIONS); empty: the function's region."
  type        = list(string)
  default     = []
  # null is the default, none (the rules below iterate over the list).
  nullable = false

  validation {
    condition     = length([for i, r in var.regions : i if !can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r))]) == 0
    error_message = "Not an AWS region: ${join(", ", [for i, r in var.regions : "regions[${i}] = ${jsonencode(r)}" if !can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r))])}.\nGive region names such as eu-west-1."
  }

  # The partitions' patterns, as for member_accounts (the same list, in the same order).
  validation {
    condition     = length([for i, r in var.regions : i if(can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r)) ? !anytrue([for p in ["^(us|eu|ap|sa|ca|me|af|il|mx)-\\w+-\\d+$", "^cn-\\w+-\\d+$", "^eusc-(de)-\\w+-\\d+$", "^us-iso-\\w+-\\d+$", "^us-isob-\\w+-\\d+$", "^eu-isoe-\\w+-\\d+$", "^us-isof-\\w+-\\d+$", "^us-gov-\\w+-\\d+$"] : can(regex(p, r))]) : false)]) == 0
    error_message = "Not an AWS region (no AWS partition has regions named like it): ${join(", ", [for i, r in var.regions : "regions[${i}] = ${jsonencode(r)}" if(can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r)) ? !anytrue([for p in ["^(us|eu|ap|sa|ca|me|af|il|mx)-\\w+-\\d+$", "^cn-\\w+-\\d+$", "^eusc-(de)-\\w+-\\d+$", "^us-iso-\\w+-\\d+$", "^us-isob-\\w+-\\d+$", "^eu-isoe-\\w+-\\d+$", "^us-isof-\\w+-\\d+$", "^us-gov-\\w+-\\d+$"] : can(regex(p, r))]) : false)])}.\nAWS regions are named us-*, eu-*, ap-*, sa-*, ca-*, me-*, af-*, il-*, mx-*, cn-*, us-gov-*, ..."
  }
}

variable "all_regions" {
  description = "Read every enabled region (VPCSC_ALL_REGIONS)."
  type        = bool
  default     = false
}

variable "nat_tags" {
  description = "Only NAT gateways with all these tags, KEY=VALUE (VPCSC_NAT_TAGS)."
  type        = list(string)
  default     = []
  # null is the default, none (the rules below iterate over the list).
  nullable = false

  validation {
    condition     = length([for i, t in var.nat_tags : i if !can(regex("^[^=]+=.*$", t))]) == 0
    error_message = "Not KEY=VALUE: ${join(", ", [for i, t in var.nat_tags : "nat_tags[${i}] = ${jsonencode(t)}" if !can(regex("^[^=]+=.*$", t))])}.\nGive NAT gateway tags as KEY=VALUE, e.g. vpcsc=egress."
  }

  # Stricter: VPCSC_NAT_TAGS is split at commas, so "a=b,c=d" would be two tags, "a=b,c" a bad one.
  validation {
    condition     = length([for i, t in var.nat_tags : i if(t == null ? false : strcontains(t, ","))]) == 0
    error_message = "A comma in a NAT tag: ${join(", ", [for i, t in var.nat_tags : "nat_tags[${i}] = ${jsonencode(t)}" if(t == null ? false : strcontains(t, ","))])}.\nVPCSC_NAT_TAGS is comma-separated: give each tag as its own entry (a value holding a comma cannot be matched)."
  }
}

variable "vpcs" {
  description = "Only NAT gateways in these VPCs (VPCSC_VPCS)."
  type        = list(string)
  default     = []
  # null is the default, none (the rules below iterate over the list).
  nullable = false

  validation {
    condition     = length([for i, x in var.vpcs : i if !can(regex("^vpc-[0-9a-f]+$", x))]) == 0
    error_message = "Not a VPC id: ${join(", ", [for i, x in var.vpcs : "vpcs[${i}] = ${jsonencode(x)}" if !can(regex("^vpc-[0-9a-f]+$", x))])}.\nGive VPC ids such as vpc-0abc123."
  }
}

variable "nat_gateways" {
  description = "Only these NAT gateways (VPCSC_NAT_GATEWAYS)."
  type        = list(string)
  default     = []
  # null is the default, none (the rules below iterate over the list).
  nullable = false

  validation {
    condition     = length([for i, n in var.nat_gateways : i if !can(regex("^nat-[0-9a-f]+$", n))]) == 0
    error_message = "Not a NAT gateway id: ${join(", ", [for i, n in var.nat_gateways : "nat_gateways[${i}] = ${jsonencode(n)}" if !can(regex("^nat-[0-9a-f]+$", n))])}.\nGive NAT gateway ids such as nat-0abc123."
  }
}

# src/lib/level/cidr.ts, parseCidr, in its order: the form (IPv4 in four decimal parts without
# leading zeros, as ipaddr.js's isValidFourPartDecimal; IPv6 without a zone), host bits, then
# REFUSED_RANGES. Terraform reads a CIDR with its own parser (cidrhost), not ipaddr.js: the
# tests compare the two verdicts on samples. Left to the function: the range or address its
# host-bits message suggests, and the size of the level (src/lib/level/plan.ts, at most 200).
variable "keep" {
  description = "CIDRs always kept in the level (VPCSC_KEEP)."
  type        = list(string)
  default     = []
  # null is the default, none (the rules below iterate over the list).
  nullable = false

  validation {
    condition     = length([for i, k in var.keep : i if !(can(cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0)) && can(regex("^((0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){3}|[^/%]*:[^/%]*)(/|$)", k)))]) == 0
    error_message = "Not an IP address or CIDR range: ${join(", ", [for i, k in var.keep : "keep[${i}] = ${jsonencode(k)}" if !(can(cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0)) && can(regex("^((0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){3}|[^/%]*:[^/%]*)(/|$)", k)))])}.\nGive IPv4 or IPv6 CIDRs, or single addresses, e.g. 198.51.100.0/24 or 2001:db8::/48."
  }

  # Only for CIDRs Terraform reads (above): the network of the prefix against the address itself.
  validation {
    condition     = length([for i, k in var.keep : i if((can(cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0)) && can(regex("^((0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){3}|[^/%]*:[^/%]*)(/|$)", k))) ? cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0) != cidrhost("${split("/", k)[0]}/${(strcontains(k, ":") ? 128 : 32)}", 0) : false)]) == 0
    error_message = "Host bits set: ${join(", ", [for i, k in var.keep : "keep[${i}] = ${jsonencode(k)}" if((can(cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0)) && can(regex("^((0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){3}|[^/%]*:[^/%]*)(/|$)", k))) ? cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0) != cidrhost("${split("/", k)[0]}/${(strcontains(k, ":") ? 128 : 32)}", 0) : false)])}.\nGive the range's first address, e.g. 198.51.100.0/24 for 198.51.100.7/24, or the one address as /32 (/128 for IPv6)."
  }

  # cidr.ts's REFUSED_RANGES, as ipaddr.js defines them: two ranges overlap when their networks
  # agree on the shorter prefix. Only for readable CIDRs without host bits (vpcsc says host bits first).
  validation {
    condition     = length([for i, k in var.keep : i if((can(cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0)) && can(regex("^((0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){3}|[^/%]*:[^/%]*)(/|$)", k))) ? (cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0) != cidrhost("${split("/", k)[0]}/${(strcontains(k, ":") ? 128 : 32)}", 0) ? false : anytrue([for r in ["0.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32", "::/128", "fe80::/10", "ff00::/8", "::1/128", "fc00::/7", "::ffff:0:0/96"] : cidrhost("${split("/", k)[0]}/${min(tonumber(split("/", (strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"))[1]), tonumber(split("/", r)[1]))}", 0) == cidrhost("${split("/", r)[0]}/${min(tonumber(split("/", (strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"))[1]), tonumber(split("/", r)[1]))}", 0) if strcontains(r, ":") == strcontains(k, ":")])) : false)]) == 0
    error_message = "Not a public range: ${join(", ", [for i, k in var.keep : "keep[${i}] = ${jsonencode(k)}" if((can(cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0)) && can(regex("^((0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){3}|[^/%]*:[^/%]*)(/|$)", k))) ? (cidrhost((strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"), 0) != cidrhost("${split("/", k)[0]}/${(strcontains(k, ":") ? 128 : 32)}", 0) ? false : anytrue([for r in ["0.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32", "::/128", "fe80::/10", "ff00::/8", "::1/128", "fc00::/7", "::ffff:0:0/96"] : cidrhost("${split("/", k)[0]}/${min(tonumber(split("/", (strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"))[1]), tonumber(split("/", r)[1]))}", 0) == cidrhost("${split("/", r)[0]}/${min(tonumber(split("/", (strcontains(k, "/") ? k : "${k}/${strcontains(k, ":") ? 128 : 32}"))[1]), tonumber(split("/", r)[1]))}", 0) if strcontains(r, ":") == strcontains(k, ":")])) : false)])}.\nOnly public egress addresses belong in an access level: none in or overlapping a private (RFC 1918), carrier-grade NAT, loopback, link-local, multicast, broadcast, unspecified, unique local or IPv4-mapped range."
  }
}

# member_accounts and member_role_arns become the config file the function reads
# (main.tf, local.vpcsc_config), which vpcsc checks at its first run (exit 2, naming the
# field). The validation blocks below apply the same rules at `terraform plan`, so a bad
# entry never reaches a deployed function:
#   role ARN     src/lib/aws/accounts.ts, ROLE_ARN (parseRoleArn, after trimming): partition
#                aws, aws-us-gov or aws-cn; a 12-digit account id; role/, an optional path,
#                a name of at most 64, both in IAM's characters (letters, digits, _+=,.@-)
#   external id  src/lib/core/config.ts, accountEntry.externalId: 2 to 1224 characters of
#                sts:AssumeRole's [\w+=,.@:/-] (docs/api-facts.md, AWS STS)
#   regions      src/lib/aws/regions.ts, regionProblem: REGION_FORMAT, then one of
#                PARTITION_REGION_PATTERNS (test/e2e/lambda-terraform.test.ts keeps them equal)
#   nat_tags, vpcs, nat_gateways   src/lib/core/config.ts, tagString, vpcList, natGatewayList
# Two rules are stricter here than there, each refusing a value that cannot work as meant:
# spaces around a role ARN (vpcsc trims them, but the function's IAM policy, main.tf
# local.member_role_arns, takes the ARN as written), and one role in two entries (vpcsc reads it once, as the first says: src/lib/aws/accounts.ts,
# uniqueAccounts, so the other's external id and selection would be ignored). Two roles in
# one account are fine (src/lib/aws/nat.ts counts each gateway once). Each message names the
# entries, then says what is expected. A rule's condition and message hold the same list
# expression (no local value can be shared before Terraform 1.9): change both; the tests
# plan each sample value alone, so either one drifting fails them. Terraform's || does not
# short-circuit (1.11): an optional attribute is tested with ? : before it is used.
variable "member_accounts" {
  description = <<-EOT
    Member accounts whose NAT gateways are read through sts:AssumeRole: each the role's ARN
    (the member-account module's role_arn output), the external id its trust policy requires
    (that module's external_id), and optionally the account's own regions, nat_tags, vpcs or
    nat_gateways, each replacing the top-level one for that account only. vpcsc reads them
    as its config file's accounts (roleArn, externalId, regions, natTags, vpcs, natGateways).
  EOT
  type = list(object({
    role_arn     = string
    external_id  = optional(string)
    regions      = optional(list(string))
    nat_tags     = optional(list(string))
    vpcs         = optional(list(string))
    nat_gateways = optional(list(string))
  }))
  default = []
  # null is the default, no accounts (the rules below iterate over the list).
  nullable = false

  validation {
    condition     = length([for i, a in var.member_accounts : i if !can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::([^:]*):role/((?:[\\w+=,.@-]+/)*)([\\w+=,.@-]{1,64})$", trimspace(a.role_arn)))]) == 0
    error_message = "Not an IAM role ARN: ${join(", ", [for i, a in var.member_accounts : "member_accounts[${i}].role_arn = ${jsonencode(a.role_arn)}" if !can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::([^:]*):role/((?:[\\w+=,.@-]+/)*)([\\w+=,.@-]{1,64})$", trimspace(a.role_arn)))])}.\nGive arn:PARTITION:iam::ACCOUNT_ID:role/NAME (partition aws, aws-us-gov or aws-cn), e.g. arn:aws:iam::123456789012:role/vpcsc-reader."
  }

  # The ARN's shape is checked above with any account id; this one says when the id is wrong.
  validation {
    condition     = length([for i, a in var.member_accounts : i if(can(regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(a.role_arn))) ? !can(regex("^[0-9]{12}$", regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(a.role_arn))[0])) : false)]) == 0
    error_message = "Not a 12-digit AWS account id: ${join(", ", [for i, a in var.member_accounts : "${jsonencode(regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(a.role_arn))[0])} in member_accounts[${i}].role_arn" if(can(regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(a.role_arn))) ? !can(regex("^[0-9]{12}$", regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(a.role_arn))[0])) : false)])}.\nGive the member account's role ARN, e.g. arn:aws:iam::123456789012:role/vpcsc-reader (the member-account module's role_arn output)."
  }

  validation {
    condition     = length([for i, a in var.member_accounts : i if(a.role_arn == null ? false : a.role_arn != trimspace(a.role_arn))]) == 0
    error_message = "Spaces around a role ARN: ${join(", ", [for i, a in var.member_accounts : "member_accounts[${i}].role_arn = ${jsonencode(a.role_arn)}" if(a.role_arn == null ? false : a.role_arn != trimspace(a.role_arn))])}.\nRemove them: the function's IAM policy names each role exactly as written."
  }

  validation {
    condition     = length([for arn in distinct([for a in var.member_accounts : a.role_arn if a.role_arn != null]) : arn if length([for a in var.member_accounts : a if a.role_arn == arn]) > 1]) == 0
    error_message = "The same role in two member_accounts entries: ${join(", ", [for arn in distinct([for a in var.member_accounts : a.role_arn if a.role_arn != null]) : "${jsonencode(arn)} in entries ${join(" and ", [for i, a in var.member_accounts : tostring(i) if a.role_arn == arn])}" if length([for a in var.member_accounts : a if a.role_arn == arn]) > 1])}.\nvpcsc reads a role once, as its first entry says (the others' external_id and selection would be ignored): merge them."
  }

  validation {
    condition     = length([for i, a in var.member_accounts : i if(a.external_id == null ? false : length(a.external_id) < 2 || length(a.external_id) > 1224)]) == 0
    error_message = "An external id of the wrong length: ${join(", ", [for i, a in var.member_accounts : "member_accounts[${i}].external_id has length ${length(a.external_id)}" if(a.external_id == null ? false : length(a.external_id) < 2 || length(a.external_id) > 1224)])}.\nAn external id has 2 to 1224 characters (leave it out when the role requires none)."
  }

  validation {
    condition     = length([for i, a in var.member_accounts : i if(a.external_id == null ? false : !can(regex("^[\\w+=,.@:/-]*$", a.external_id)))]) == 0
    error_message = "An external id that sts:AssumeRole refuses: ${join(", ", [for i, a in var.member_accounts : "member_accounts[${i}].external_id" if(a.external_id == null ? false : !can(regex("^[\\w+=,.@:/-]*$", a.external_id)))])}.\nAn external id holds letters, digits and _+=,.@:/- only (no spaces)."
  }

  validation {
    condition     = length(flatten([for i, a in var.member_accounts : [for j, r in(a.regions == null ? [] : a.regions) : j if !can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r))]])) == 0
    error_message = "Not an AWS region: ${join(", ", flatten([for i, a in var.member_accounts : [for j, r in(a.regions == null ? [] : a.regions) : "member_accounts[${i}].regions[${j}] = ${jsonencode(r)}" if !can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r))]]))}.\nGive region names such as eu-west-1."
  }

  # The partitions' patterns, in the order of regions.ts; only for names of a region's form.
  validation {
    condition     = length(flatten([for i, a in var.member_accounts : [for j, r in(a.regions == null ? [] : a.regions) : j if(can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r)) ? !anytrue([for p in ["^(us|eu|ap|sa|ca|me|af|il|mx)-\\w+-\\d+$", "^cn-\\w+-\\d+$", "^eusc-(de)-\\w+-\\d+$", "^us-iso-\\w+-\\d+$", "^us-isob-\\w+-\\d+$", "^eu-isoe-\\w+-\\d+$", "^us-isof-\\w+-\\d+$", "^us-gov-\\w+-\\d+$"] : can(regex(p, r))]) : false)]])) == 0
    error_message = "Not an AWS region (no AWS partition has regions named like it): ${join(", ", flatten([for i, a in var.member_accounts : [for j, r in(a.regions == null ? [] : a.regions) : "member_accounts[${i}].regions[${j}] = ${jsonencode(r)}" if(can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r)) ? !anytrue([for p in ["^(us|eu|ap|sa|ca|me|af|il|mx)-\\w+-\\d+$", "^cn-\\w+-\\d+$", "^eusc-(de)-\\w+-\\d+$", "^us-iso-\\w+-\\d+$", "^us-isob-\\w+-\\d+$", "^eu-isoe-\\w+-\\d+$", "^us-isof-\\w+-\\d+$", "^us-gov-\\w+-\\d+$"] : can(regex(p, r))]) : false)]]))}.\nAWS regions are named us-*, eu-*, ap-*, sa-*, ca-*, me-*, af-*, il-*, mx-*, cn-*, us-gov-*, ..."
  }

  validation {
    condition     = length(flatten([for i, a in var.member_accounts : [for j, t in(a.nat_tags == null ? [] : a.nat_tags) : j if !can(regex("^[^=]+=.*$", t))]])) == 0
    error_message = "Not KEY=VALUE: ${join(", ", flatten([for i, a in var.member_accounts : [for j, t in(a.nat_tags == null ? [] : a.nat_tags) : "member_accounts[${i}].nat_tags[${j}] = ${jsonencode(t)}" if !can(regex("^[^=]+=.*$", t))]]))}.\nGive NAT gateway tags as KEY=VALUE, e.g. vpcsc=egress."
  }

  validation {
    condition     = length(flatten([for i, a in var.member_accounts : [for j, v in(a.vpcs == null ? [] : a.vpcs) : j if !can(regex("^vpc-[0-9a-f]+$", v))]])) == 0
    error_message = "Not a VPC id: ${join(", ", flatten([for i, a in var.member_accounts : [for j, v in(a.vpcs == null ? [] : a.vpcs) : "member_accounts[${i}].vpcs[${j}] = ${jsonencode(v)}" if !can(regex("^vpc-[0-9a-f]+$", v))]]))}.\nGive VPC ids such as vpc-0abc123."
  }

  validation {
    condition     = length(flatten([for i, a in var.member_accounts : [for j, n in(a.nat_gateways == null ? [] : a.nat_gateways) : j if !can(regex("^nat-[0-9a-f]+$", n))]])) == 0
    error_message = "Not a NAT gateway id: ${join(", ", flatten([for i, a in var.member_accounts : [for j, n in(a.nat_gateways == null ? [] : a.nat_gateways) : "member_accounts[${i}].nat_gateways[${j}] = ${jsonencode(n)}" if !can(regex("^nat-[0-9a-f]+$", n))]]))}.\nGive NAT gateway ids such as nat-0abc123."
  }
}

# The same role ARN rules as member_accounts' (see above); a role listed twice here, or
# also in member_accounts, is harmless: it is read once, as member_accounts says (main.tf).
variable "member_role_arns" {
  description = "Shorthand for member_accounts entries with a role ARN only (no external id, the top-level selection)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length([for i, arn in var.member_role_arns : i if !can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::([^:]*):role/((?:[\\w+=,.@-]+/)*)([\\w+=,.@-]{1,64})$", trimspace(arn)))]) == 0
    error_message = "Not an IAM role ARN: ${join(", ", [for i, arn in var.member_role_arns : "member_role_arns[${i}] = ${jsonencode(arn)}" if !can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::([^:]*):role/((?:[\\w+=,.@-]+/)*)([\\w+=,.@-]{1,64})$", trimspace(arn)))])}.\nGive arn:PARTITION:iam::ACCOUNT_ID:role/NAME (partition aws, aws-us-gov or aws-cn), e.g. arn:aws:iam::123456789012:role/vpcsc-reader."
  }

  validation {
    condition     = length([for i, arn in var.member_role_arns : i if(can(regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(arn))) ? !can(regex("^[0-9]{12}$", regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(arn))[0])) : false)]) == 0
    error_message = "Not a 12-digit AWS account id: ${join(", ", [for i, arn in var.member_role_arns : "${jsonencode(regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(arn))[0])} in member_role_arns[${i}]" if(can(regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(arn))) ? !can(regex("^[0-9]{12}$", regex("^arn:[^:]*:iam::([^:]*):role/", trimspace(arn))[0])) : false)])}.\nGive the member account's role ARN, e.g. arn:aws:iam::123456789012:role/vpcsc-reader (the member-account module's role_arn output)."
  }

  validation {
    condition     = length([for i, arn in var.member_role_arns : i if(arn == null ? false : arn != trimspace(arn))]) == 0
    error_message = "Spaces around a role ARN: ${join(", ", [for i, arn in var.member_role_arns : "member_role_arns[${i}] = ${jsonencode(arn)}" if(arn == null ? false : arn != trimspace(arn))])}.\nRemove them: the function's IAM policy names each role exactly as written."
  }
}

variable "notify_url" {
  description = "Slack incoming webhook (or any http(s) URL taking {\"text\": ...}) told of every write, refusal, failure and skip (VPCSC_NOTIFY_URL)."
  type        = string
  default     = null
  sensitive   = true
}

variable "schedule" {
  description = "The full sweep, besides the NAT/EIP events: an EventBridge schedule expression."
  type        = string
  default     = "rate(15 minutes)"
}

variable "timeout_seconds" {
  description = "Function timeout: a pending NAT gateway is waited for up to 20 s, then the write and its operation."
  type        = number
  default     = 120
}

variable "log_retention_days" {
  type    = number
  default = 30
}

# The Google side: the Workload Identity Federation pool that already admits the AWS account
# (the reference setup's), in which a provider for the function's role is created.
variable "google_project_number" {
  description = "Number of the Google Cloud project holding the workload identity pool."
  type        = string
}

variable "workload_identity_pool_id" {
  description = "Id of the existing workload identity pool (e.g. PREFIX-aws-pool)."
  type        = string
}

variable "workload_identity_provider_id" {
  description = "Id of the provider created for the function's role."
  type        = string
  default     = "vpcsc-reconciler"
}
