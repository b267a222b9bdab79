/**
 * The orchestration's own typed errors: the lease, the request, the poll loops. Each names the
 * release (and cluster), the cause and the next step, like the engine's errors.
 */
import { HelmstepError, type ReleaseRef } from '../release/errors.ts';

/** A release as the orchestration keys it: one cluster may be one of many. */
export interface LeaseRef extends ReleaseRef {
  readonly cluster: string;
}

function where(ref: LeaseRef): string {
  return `release "${ref.name}" in namespace "${ref.namespace}" of cluster "${ref.cluster}"`;
}

/**
 * Another execution holds the release's lease and it has not expired: two executions never
 * interleave on one release. Not retryable: the holder must finish, or its lease expire.
 */
export class LeaseHeld extends HelmstepError {
  override readonly name = 'LeaseHeld';
  readonly reason = 'LeaseHeld';
  override readonly helmText = 'another operation (install/upgrade/rollback) is in progress';
  constructor(
    readonly ref: LeaseRef,
    readonly holder: string,
    readonly expiresAt: Date,
  ) {
    super(
      `another operation (install/upgrade/rollback) is in progress: ${where(ref)} is leased by execution ${holder} until ${expiresAt.toISOString()}; ` +
        `wait for it to finish, or if it died, run helmstep unlock ${ref.name} -n ${ref.namespace} once the lease has expired`,
    );
  }
}

/** The lease this execution held was taken over (it expired and someone unlocked the release). */
export class LeaseLost extends HelmstepError {
  override readonly name = 'LeaseLost';
  readonly reason = 'LeaseLost';
  constructor(
    readonly ref: LeaseRef,
    readonly owner: string,
    readonly holder: string | undefined,
  ) {
    super(
      `execution ${owner} no longer holds the lease of ${where(ref)} (${holder ? `now held by ${holder}` : 'it was released'}); ` +
        `it stops here without changing anything: see helmstep history ${ref.name} -n ${ref.namespace}`,
    );
  }
}

/** The lease table could not be reached or throttled the request: retry with backoff. */
export class LeaseStoreUnavailable extends HelmstepError {
  override readonly name = 'LeaseStoreUnavailable';
  readonly reason = 'LeaseStoreUnavailable';
  override readonly retryable = true;
  constructor(
    readonly table: string,
    readonly ref: LeaseRef,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`the lease table ${table} did not answer for ${where(ref)}: ${detail}; retry later`, options);
  }
}

/** The lease table refused the request for a reason a retry cannot fix (missing table, no permission). */
export class LeaseStoreFailed extends HelmstepError {
  override readonly name = 'LeaseStoreFailed';
  readonly reason = 'LeaseStoreFailed';
  constructor(
    readonly table: string,
    readonly ref: LeaseRef,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`the lease table ${table} refused a request for ${where(ref)}: ${detail}; check that the table exists and the function may use it`, options);
  }
}

/** unlock found a lease that has not expired yet: its execution may still run. */
export class LeaseNotExpired extends HelmstepError {
  override readonly name = 'LeaseNotExpired';
  readonly reason = 'LeaseNotExpired';
  constructor(
    readonly ref: LeaseRef,
    readonly holder: string,
    readonly expiresAt: Date,
  ) {
    super(
      `${where(ref)} is leased by execution ${holder} until ${expiresAt.toISOString()}; it may still be running: ` +
        `wait for it or for the lease to expire, or unlock with --force if you know it is dead`,
    );
  }
}

/** The execution's input (or a state's input) does not match its schema. */
export class InvalidRequest extends HelmstepError {
  override readonly name = 'InvalidRequest';
  readonly reason = 'InvalidRequest';
  constructor(
    readonly state: string,
    readonly issues: readonly string[],
  ) {
    super(`the input of state ${state} is invalid: ${issues.join('; ')}; fix the request and start a new execution`);
  }
}

/** A request for another cluster reached functions configured for this one. */
export class WrongCluster extends HelmstepError {
  override readonly name = 'WrongCluster';
  readonly reason = 'WrongCluster';
  constructor(
    readonly ref: LeaseRef,
    readonly configured: string,
  ) {
    super(`${where(ref)} was sent to the functions of cluster "${configured}"; start the execution on that cluster's state machine`);
  }
}

/** The request asks for Prometheus/CloudWatch gate checks, but no gate is configured here. */
export class GateUnavailable extends HelmstepError {
  override readonly name = 'GateUnavailable';
  readonly reason = 'GateUnavailable';
  constructor(readonly ref: LeaseRef) {
    super(`the request for ${where(ref)} has a health gate, but these functions have no gate checker configured; remove the gate or deploy the gate support`);
  }
}

/**
 * A poll loop passed its deadline (the request's timeout) without finishing: the backstop for
 * waits the engine does not time out itself. Remediated like a failed wait.
 */
export class PollTimedOut extends HelmstepError {
  override readonly name = 'PollTimedOut';
  readonly reason = 'PollTimedOut';
  constructor(
    readonly ref: ReleaseRef,
    readonly state: string,
    readonly deadline: Date,
    readonly progress: string,
  ) {
    super(
      `${state} of release "${ref.name}" in namespace "${ref.namespace}" did not finish by ${deadline.toISOString()} (the request's timeout): ${progress || 'no progress reported'}; ` +
        `raise the timeout or see what it waits for (kubectl get all -n ${ref.namespace})`,
    );
  }

  /** helm's wording for a wait that ran out of time, as the failed record says it. */
  get text(): string {
    return `${this.state}: ${this.progress}\ncontext deadline exceeded`;
  }
}

/**
 * A re-run deploy execution found its own pending-rollback record: it was interrupted while
 * rolling back. Render cannot resume a rollback as an upgrade, so a person decides.
 */
export class RemediationInterrupted extends HelmstepError {
  override readonly name = 'RemediationInterrupted';
  readonly reason = 'RemediationInterrupted';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    readonly owner: string,
  ) {
    super(
      `release "${ref.name}" in namespace "${ref.namespace}" revision ${revision} is the pending rollback of execution ${owner}, which was interrupted while remediating; ` +
        `a re-run cannot continue it: unlock the release (helmstep unlock ${ref.name} -n ${ref.namespace}) and roll back or deploy again`,
    );
  }
}

/**
 * A re-run of an execution whose operation already finished (its record is deployed or failed):
 * nothing is done again. Start a new execution (a new name) to deploy again.
 */
export class AlreadyFinished extends HelmstepError {
  override readonly name = 'AlreadyFinished';
  readonly reason = 'AlreadyFinished';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    readonly status: string,
    readonly owner: string,
  ) {
    super(
      `execution ${owner} already finished its operation on release "${ref.name}" in namespace "${ref.namespace}": revision ${revision} is ${status}; ` +
        `nothing was done again. Start a new execution to deploy again (helmstep history ${ref.name} -n ${ref.namespace})`,
    );
  }
}
