/**
 * Whether a failed execution rolls back, and to which revision. Pure.
 *
 * Only helmstep.Remediate failures roll back (Stop and anything unclassified wait for a person),
 * only an install/upgrade (a failed rollback is not rolled back), and only when the request asks
 * for it: --rollback-on-failure for any remediable failure, `rollbackOnGateFailure` (default on)
 * for a failed HealthGate. The target is helm's: the highest earlier revision that is superseded
 * or deployed (the last good one).
 */
import { REMEDIATE, type StepCause } from './classify.ts';
import type { OpRefDoc } from './document.ts';
import { isDeploy, type AnyRequest } from './request.ts';

export interface Remediation {
  readonly rollback: boolean;
  readonly target?: number;
  readonly why: string;
}

/** The states whose failure is a failed health gate. */
export const GATE_STATES: ReadonlySet<string> = new Set(['HealthGate']);

export function decideRemediation(input: {
  readonly error: string;
  readonly cause: StepCause;
  readonly request: AnyRequest;
  readonly op: OpRefDoc | undefined;
  readonly history: readonly { readonly version: number; readonly status: string }[];
}): Remediation {
  const { error, cause, request, op } = input;
  if (error !== REMEDIATE) return { rollback: false, why: `${cause.class} in ${cause.state} stops the execution: a person decides what happens next` };
  if (!op) return { rollback: false, why: 'no revision was written: nothing to roll back' };
  if (op.op === 'rollback' || !isDeploy(request)) return { rollback: false, why: 'a failed rollback is not rolled back' };
  // An interrupted run is not a failed gate, wherever it was interrupted.
  const gateFailed = GATE_STATES.has(cause.state) && cause.reason !== 'Interrupted';
  const wanted = request.rollbackOnFailure || (gateFailed && request.rollbackOnGateFailure);
  if (!wanted) {
    return { rollback: false, why: gateFailed ? 'the health gate failed and rollbackOnGateFailure is off' : 'rollback-on-failure is not set' };
  }
  const good = [...input.history]
    .filter((h) => h.version < op.revision && (h.status === 'superseded' || h.status === 'deployed'))
    .sort((a, b) => b.version - a.version)[0];
  if (!good) return { rollback: false, why: 'unable to find a previously successful release to roll back to' };
  return {
    rollback: true,
    target: good.version,
    why: request.rollbackOnFailure ? `rollback-on-failure is set: rolling back to revision ${good.version}` : `the health gate failed: rolling back to revision ${good.version}`,
  };
}
