/**
 * How a failed execution ends: the Error and Cause of its Fail state, from the state document.
 * Pure. The Error is the first failure's classification (helmstep.Remediate, helmstep.Stop, or a
 * Step Functions error such as States.Timeout); the Cause is JSON with helm's wording of what
 * happened (`UPGRADE FAILED: …`, `release web failed, and has been rolled back due to
 * rollback-on-failure being set: …`), the original error's class and reason, and the revisions.
 */
import { failureTextOf, parseCause, STOP, type StepCause } from './classify.ts';
import type { Doc, OutcomeDoc } from './document.ts';
import { isDeploy } from './request.ts';

export interface OutcomeCause extends StepCause {
  readonly release: { readonly cluster: string; readonly namespace: string; readonly name: string };
  /** The revision the execution wrote and failed. */
  readonly failedRevision?: number;
  /** The revision of the remediation rollback, and the revision it restored. */
  readonly rollbackRevision?: number;
  readonly rolledBackTo?: number;
  /** Why the execution did or did not roll back. */
  readonly remediation?: string;
  /** The remediation rollback's own failure. */
  readonly rollbackError?: StepCause;
  /** The original failure as the step reported it. */
  readonly original: StepCause;
}

export function outcomeOf(doc: Doc): OutcomeDoc {
  const request = doc.request;
  const original = parseCause(doc.error, 'unknown');
  const error = doc.error?.Error ?? STOP;
  const text = failureTextOf(original);
  const failedRevision = doc.failure?.revision ?? doc.op?.revision;
  let message: string;
  let rollbackError: StepCause | undefined;
  if (doc.rollbackRelease) {
    message = isDeploy(request) && request.rollbackOnFailure
      ? `release ${request.name} failed, and has been rolled back due to rollback-on-failure being set: ${text}`
      : `release ${request.name} failed its health gate, and has been rolled back to revision ${doc.failure?.target ?? '?'}: ${text}`;
  } else if (doc.rollbackError) {
    rollbackError = parseCause(doc.rollbackError, 'RollbackBegin');
    message = `an error occurred while rolling back the release. original upgrade error: ${text}: ${failureTextOf(rollbackError)}`;
  } else if (doc.op && failedRevision !== undefined) {
    const verb = doc.op.op === 'install' ? 'INSTALLATION FAILED: ' : doc.op.op === 'upgrade' ? 'UPGRADE FAILED: ' : '';
    message = `${verb}${text}`;
  } else {
    message = original.message;
  }
  const cause: OutcomeCause = {
    state: original.state,
    class: original.class,
    reason: original.reason,
    message,
    ...(original.text ? { text: original.text } : {}),
    ...(original.helmText ? { helmText: original.helmText } : {}),
    release: { cluster: request.cluster, namespace: request.namespace, name: request.name },
    ...(failedRevision !== undefined ? { failedRevision } : {}),
    ...(doc.rollback ? { rollbackRevision: doc.rollback.revision } : {}),
    ...(doc.rollbackRelease ? { rolledBackTo: doc.failure?.target } : {}),
    ...(doc.failure ? { remediation: doc.failure.why } : {}),
    ...(rollbackError ? { rollbackError } : {}),
    original,
  };
  return { error, cause: JSON.stringify(cause) };
}
