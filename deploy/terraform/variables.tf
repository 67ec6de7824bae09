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

variable "regions" {
  description = "AWS regions whose NAT gateways are read (VPCSC_REGIONS); empty: the function's region."
  type        = list(string)
  default     = []
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
}

variable "vpcs" {
  description = "Only NAT gateways in these VPCs (VPCSC_VPCS)."
  type        = list(string)
  default     = []
}

variable "nat_gateways" {
  description = "Only these NAT gateways (VPCSC_NAT_GATEWAYS)."
  type        = list(string)
  default     = []
}

variable "keep" {
  description = "CIDRs always kept in the level (VPCSC_KEEP)."
  type        = list(string)
  default     = []
}

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
}

variable "member_role_arns" {
  description = "Shorthand for member_accounts entries with a role ARN only (no external id, the top-level selection)."
  type        = list(string)
  default     = []
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
