/**
 * Every error code vpcsc can put in `--json`'s `{"error": {"code", ...}}`, with its exit code
 * and meaning: a closed union that scripts can switch on. The README's table is checked
 * against this list by test/unit/error-codes.test.ts.
 */
export const ERROR_CODES = {
  // 1: runtime failures
  AUTHENTICATION: [1, 'Getting a Google token failed (token endpoint, credential file, impersonation).'],
  NO_CREDENTIALS: [1, 'No usable Google Application Default Credentials.'],
  UNAUTHENTICATED: [1, 'Google refused the token (401).'],
  PERMISSION_DENIED: [1, 'The caller lacks an Access Context Manager (or Logging) permission.'],
  QUOTA_PROJECT: [1, 'User credentials without a quota project.'],
  NOT_FOUND: [1, 'The policy, level or perimeter does not exist (the hint lists the levels or perimeters that do; for a policy, how to list them).'],
  INVALID_ARGUMENT: [1, 'The API refused the request as invalid.'],
  RATE_LIMITED: [1, 'Access Context Manager write quota (about 50 a minute per organization).'],
  SERVER_ERROR: [1, 'The Google API kept answering 5xx after retries.'],
  GOOGLE_API: [1, 'Another Google API error.'],
  NETWORK: [1, 'No answer from a Google endpoint (connection refused, reset, DNS).'],
  TIMEOUT: [1, 'No answer from a Google endpoint within the request timeout.'],
  INTERRUPTED: [1, 'A call was stopped by Ctrl-C or SIGTERM.'],
  OPERATION_FAILED: [1, 'A long-running operation finished with an error; nothing was applied.'],
  OPERATION_TIMEOUT: [1, 'A long-running operation was not done within its deadline.'],
  CONFLICT: [1, 'Someone else changed what vpcsc was about to write; nothing was overwritten.'],
  NOT_WRITTEN: [1, 'The write was refused or failed, and reading confirmed it did not land.'],
  WRITE_UNKNOWN: [1, 'The API stopped answering; whether the write landed could not be confirmed.'],
  READ_BACK_MISMATCH: [1, 'A write finished but the resource read back differs.'],
  CHANGED_DURING_SWAP: [1, "The level changed right after the deny test's swap."],
  AWS: [1, 'An AWS call failed.'],
  AWS_AUTH: [1, 'AWS refused the credentials.'],
  AWS_CREDENTIALS: [1, 'No usable AWS credentials.'],
  AWS_PERMISSION: [1, 'The AWS caller lacks a permission (ec2:DescribeNatGateways, ssm:SendCommand, ...).'],
  AWS_NETWORK: [1, 'No answer from an AWS endpoint.'],
  AWS_TIMEOUT: [1, 'No answer from an AWS endpoint within the request timeout.'],
  AWS_UNREADABLE: [1, 'An AWS endpoint answered something that is not AWS (often a region it does not serve).'],
  AWS_ASSUME_ROLE_DENIED: [1, "AWS denied sts:AssumeRole on a member account's role (permission, trust policy, external id)."],
  PARTIAL_READ: [1, 'Some account or region could not be read: nothing was removed (the additions read may be written).'],
  BAD_JOURNAL: [1, 'A local deny-test journal cannot be read.'],
  BAD_MARKER: [1, "A deny test's marker in the access policy is damaged."],
  BASELINE_ERROR: [1, "The deny test's first probe failed before anything was changed."],
  PROBE_FAILING: [1, 'The probe kept failing during the deny test.'],
  TFVARS_WRITE: [1, 'The Terraform variables file could not be written.'],
  TFVARS_AFTER_LEVEL: [1, 'The level was written, but the Terraform variables file was not.'],
  INTERNAL: [1, 'An error vpcsc did not foresee: a bug (DEBUG=vpcsc* shows where; please report it).'],
  // 2: usage and configuration
  USAGE: [2, 'A bad flag, argument, setting or config file; or a confirmation without a terminal, or with --json.'],
  UNSUPPORTED_NODE: [2, 'The Node.js running vpcsc is older than it supports (22 or newer; bin/node-version.js).'],
  // 4: the deny test failed
  BASELINE_NOT_ALLOWED: [4, 'The call was not allowed before the swap: a deny test would prove nothing.'],
  // 5: refused for safety
  EMPTY_LIST: [5, 'No NAT egress IP was found and no CIDR is kept: the write would leave an empty ipSubnetworks, which admits every IP (refused with --add-only too).'],
  TOO_MANY: [5, 'More CIDRs than a condition may hold (200).'],
  CUSTOM_LEVEL: [5, 'The level is a custom (CEL) level; vpcsc manages basic levels.'],
  NAT_NOT_FOUND: [5, 'A NAT gateway named in the selection was not found.'],
  NAT_PENDING: [5, 'The reconciler waited for a pending NAT gateway, and no other egress IP exists.'],
  BAD_EGRESS_IP: [5, 'AWS reported an egress address that is not a public IP; the level is not written.'],
  NO_ETAG: [5, 'The API gave no etag, so the write cannot be conflict-safe (--force to write anyway).'],
  TEST_RUNNING: [5, 'A deny test holds the level (from this host or another).'],
  ALREADY_SWAPPED: [5, 'The level already holds only the deny CIDR.'],
  NOT_ENFORCED: [5, 'The perimeter is not enforced (dry-run only or empty).'],
  NOT_RESTRICTED: [5, 'The perimeter does not restrict aiplatform.googleapis.com.'],
  LEVEL_UNUSED: [5, 'The enforced perimeter admits nobody through the level (no access level or ingress source is it or requires it).'],
  NO_DRY_RUN_SPEC: [5, 'No explicit dry-run spec to promote.'],
  PENDING_DRY_RUN_SPEC: [5, 'Demoting would overwrite a different dry-run spec.'],
  DRY_RUN_VIOLATIONS: [5, 'The dry-run spec would have denied calls (--force to promote anyway).'],
  // 6: a restore is owed
  RESTORE_NEEDED: [6, 'An interrupted deny test left the level swapped: run vpcsc restore.'],
  RESTORE_CONFLICT: [6, 'The level changed after the swap; the restore overwrote nothing.'],
  RESTORE_FAILED: [6, 'The restore could not finish; the marker and the journal are kept.'],
  SWAP_UNCERTAIN: [6, 'A swap was sent and may still land; restore again later.'],
  // 130: Ctrl-C (128 + SIGINT)
  CANCELLED: [130, 'Ctrl-C at a confirmation: nothing was written.'],
} as const satisfies Record<string, readonly [number, string]>

export type ErrorCode = keyof typeof ERROR_CODES

/** The codes whose exit code is `exit`: each error class (errors.ts) takes only its own. */
export type ErrorCodeFor<Exit extends number> = {[Code in ErrorCode]: (typeof ERROR_CODES)[Code][0] extends Exit ? Code : never}[ErrorCode]
