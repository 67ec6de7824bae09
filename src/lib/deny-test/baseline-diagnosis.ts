import {ipCondition} from '../level/condition.ts'
import {discoverNatEgress} from '../aws/nat.ts'
import type {Clients} from '../core/clients.ts'
import type {Settings} from '../core/config.ts'
import {computeDrift} from '../level/drift.ts'
import {VpcscError} from '../core/errors.ts'
import type {ProbeOutcome} from './probe/classify.ts'

/**
 * What a failed deny-test baseline most likely means, in the user's terms. The baseline
 * errors of deny-test.ts say that the probe failed; this says which of the usual causes
 * it was: probing from this machine (no instance id), SSM not delivering the probe, or a
 * level change (a restore, an ip sync) still propagating.
 */
export interface BaselineContext {
  probe: 'ssm' | 'local'
  instanceId?: string
  /** Whether the user gave their own probe command. */
  command: boolean
  /**
   * The NAT egress IPs the level does not admit (read only after a VPC-SC denial), or
   * undefined when that could not be read. None missing means the level is right and the
   * denial is a recent change still propagating.
   */
  notAdmitted?: string[]
}

/** The NAT egress IPs the level's managed condition does not admit. */
export async function natIpsNotAdmitted(settings: Settings, clients: Clients): Promise<string[] | undefined> {
  try {
    const [level, nat] = await Promise.all([clients.acm.getLevel(settings.level!), discoverNatEgress(settings)])
    return computeDrift(ipCondition(level, settings.condition).ipSubnetworks, nat.egressIps.map((e) => e.ip), settings.keep).missing
  } catch {
    return undefined // the diagnosis is a courtesy: the baseline's own error stands
  }
}

const SSM_DELIVERY = /SSM|SendCommand|GetCommandInvocation|not delivered|agent|managed instance|timed out on the instance|ended (Cancelled|Failed|Undeliverable|Terminated)/i

export function diagnoseBaseline(error: VpcscError, context: BaselineContext): VpcscError {
  if (error.code !== 'BASELINE_ERROR' && error.code !== 'BASELINE_NOT_ALLOWED') return error
  const baseline = (error.details as {baseline?: ProbeOutcome} | undefined)?.baseline
  // The probe's own words, never the baseline error's message around them: one message, not one inside another.
  const detail = baseline?.detail ?? error.message.replace(/^The baseline probe failed before anything was changed: /, '').replace(/\.$/, '')
  const withCause = (message: string, hint: string) => new VpcscError({message, exitCode: error.exitCode, code: error.code, hint, details: error.details, cause: error})
  const failed = error.code === 'BASELINE_ERROR' || baseline?.verdict === 'ERROR'

  // A probe that got no verdict (no answer, no token, an error answer) says nothing of this
  // machine's IP: only a denial does.
  if (context.probe === 'local' && !context.command && failed) {
    if (baseline?.httpStatus === undefined) {
      return withCause(
        `The baseline probe from this machine could not run: ${detail}; nothing was changed.`,
        "Check this machine's network or proxy to Vertex AI (and VPCSC_VERTEX_ENDPOINT, if you set it) and its Google credentials, then run again.",
      )
    }
    return withCause(
      `The baseline probe from this machine failed: ${detail}; nothing was changed.`,
      "Check the Vertex AI project and location (--project, --location) and this machine's Google credentials; a server error (5xx) may pass: run again later.",
    )
  }
  // Refused, but not by VPC Service Controls (IAM, a refused token): the caller's identity,
  // never its IP, is what to fix, wherever the probe ran.
  if (baseline?.verdict === 'DENIED_OTHER' && !context.command) {
    const where = context.probe === 'local' ? ' from this machine' : context.instanceId ? ` on ${context.instanceId}` : ''
    const status = baseline.httpStatus ? `HTTP ${baseline.httpStatus}: ` : ''
    return withCause(
      `The baseline probe${where} was refused, but not by VPC Service Controls (${status}${detail}); nothing was changed.`,
      context.probe === 'local'
        ? "The caller's Google identity is what to fix, not its IP: grant this machine's credentials roles/aiplatform.user on the project (--project), or probe from the instance (--instance-id, --probe ssm)."
        : "The caller's Google identity is what to fix, not its IP: grant the identity of the instance's credential file (--credential-file) roles/aiplatform.user on the project (--project).",
    )
  }
  if (context.probe === 'local' && !context.command) {
    const reason = baseline ? `${baseline.verdict}, ${baseline.httpStatus ? `HTTP ${baseline.httpStatus}` : detail}` : detail
    return withCause(
      `The baseline probe from this machine was not allowed (${reason}); nothing was changed. ${context.instanceId ? 'With --probe local it ran here, ' : 'No instance id is set, so the probe ran here, '}from this machine's IP, which the level admits only if it is a NAT egress IP.`,
      'Probe from the instance behind the NAT: --instance-id ID (or VPCSC_INSTANCE_ID) with --probe ssm.',
    )
  }
  if (context.probe === 'ssm' && failed && SSM_DELIVERY.test(detail)) {
    return withCause(
      `The baseline probe never ran on ${context.instanceId ?? 'the instance'}: SSM could not deliver it (${detail}); nothing was changed.`,
      'Check that the instance is online in SSM (aws ssm describe-instance-information), its region (--region) and ssm:SendCommand / ssm:GetCommandInvocation.',
    )
  }
  if (baseline?.verdict === 'DENIED_VPCSC') {
    const status = baseline.httpStatus ? `, HTTP ${baseline.httpStatus}` : ''
    if (context.notAdmitted && context.notAdmitted.length > 0) {
      return withCause(
        `The baseline probe was not allowed (DENIED_VPCSC${status}): the level does not admit the NAT egress IP ${context.notAdmitted.join(', ')}; nothing was changed. A test that starts from a denied call proves nothing.`,
        'vpcsc ip sync puts the NAT IPs in the level; then, once it has propagated (up to 30 minutes), run the deny test again.',
      )
    }
    if (context.notAdmitted) {
      return withCause(
        `The baseline probe was not allowed (DENIED_VPCSC${status}), though the level admits every NAT egress IP: a recent change of the level (a restore, an ip sync) is probably still propagating. Nothing was changed.`,
        'Changes take up to 30 minutes to reach every caller: run the deny test again later.',
      )
    }
    return withCause(
      `The baseline probe was not allowed (DENIED_VPCSC${status}): VPC Service Controls denied the call before anything was changed, and a test that starts from a denied call proves nothing.`,
      'vpcsc status shows whether the level admits the NAT IPs (vpcsc ip sync fixes that); if the level changed in the last 30 minutes (a restore, an ip sync), it may still be propagating: run again later.',
    )
  }
  return error
}
