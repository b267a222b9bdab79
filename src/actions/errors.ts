/** Typed refusals of the record operations. Each names the release, the revision and what to do next. */
import { HelmstepError, type ReleaseRef } from '../release/errors.ts';

function where(ref: ReleaseRef): string {
  return `release "${ref.name}" in namespace "${ref.namespace}"`;
}

/** Install over a name that already has records helm would not replace (helm 4's text). */
export class NameInUse extends HelmstepError {
  override readonly name = 'NameInUse';
  readonly reason = 'NameInUse';
  override readonly helmText = 'cannot reuse a name that is still in use';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    readonly status: string,
  ) {
    super(
      `cannot reuse a name that is still in use: ${where(ref)} exists (revision ${revision} is ${status}); ` +
        `upgrade it instead; a replacing install is allowed only over an uninstalled or failed release`,
    );
  }
}

/** complete/fail/updatePending was asked for a record that is not pending. Nothing was changed. */
export class NotPending extends HelmstepError {
  override readonly name = 'NotPending';
  readonly reason = 'NotPending';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    readonly status: string,
  ) {
    super(`revision ${revision} of ${where(ref)} is ${status}, not pending; nothing to finish: see helmstep history ${ref.name} -n ${ref.namespace}`);
  }
}

/** The pending record belongs to another operation (or to none: written by helm or an older helmstep). */
export class NotOwner extends HelmstepError {
  override readonly name = 'NotOwner';
  readonly reason = 'NotOwner';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    readonly owner: string,
    readonly status: string,
  ) {
    super(
      `revision ${revision} of ${where(ref)} is ${status} but not held by ${owner}: another operation wrote it; ` +
        `nothing was changed. Let that operation finish, or unlock the release (helmstep unlock ${ref.name} -n ${ref.namespace})`,
    );
  }
}

/**
 * The operation's record is no longer the newest: someone (helm rollback, which ignores the lock)
 * wrote a later revision. Finishing it now would undo that work, so nothing was changed. Not retryable.
 */
export class NotNewest extends HelmstepError {
  override readonly name = 'NotNewest';
  readonly reason = 'NotNewest';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    readonly newest: number,
    readonly newestStatus: string,
  ) {
    super(
      `revision ${revision} of ${where(ref)} is no longer the newest: revision ${newest} (${newestStatus}) was written after it; ` +
        `nothing was changed. See helmstep history ${ref.name} -n ${ref.namespace} and decide from there`,
    );
  }
}

/**
 * The chart was rendered for another `.Release.Revision` than the one the record would get: the
 * history moved between rendering and writing. Retryable: render again, then begin again.
 */
export class ReleaseChanged extends HelmstepError {
  override readonly name = 'ReleaseChanged';
  readonly reason = 'ReleaseChanged';
  override readonly retryable = true;
  constructor(
    readonly ref: ReleaseRef,
    readonly rendered: number,
    readonly expected: number,
  ) {
    super(
      `the history of ${where(ref)} changed since the chart was rendered: it was rendered as revision ${rendered}, ` +
        `but the next revision is ${expected}; nothing was written. Render again and retry`,
    );
  }
}

/** unlock refused: the lock may still be held by a running operation. */
export class LockHeld extends HelmstepError {
  override readonly name = 'LockHeld';
  readonly reason = 'LockHeld';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    readonly status: string,
    since: string,
  ) {
    super(
      `${where(ref)} is locked by revision ${revision} (${status}, ${since}); the operation may still be running: ` +
        `wait for it, or unlock with force if you know it is dead (helmstep unlock ${ref.name} -n ${ref.namespace} --force)`,
    );
  }
}

/** unlock found no lock: the newest record is not pending (or there is no record). */
export class NotLocked extends HelmstepError {
  override readonly name = 'NotLocked';
  readonly reason = 'NotLocked';
  constructor(
    readonly ref: ReleaseRef,
    readonly newest?: { readonly revision: number; readonly status: string },
  ) {
    super(
      newest
        ? `${where(ref)} is not locked: its newest revision ${newest.revision} is ${newest.status}; nothing to unlock`
        : `${where(ref)} has no records; nothing to unlock (helm list -n ${ref.namespace})`,
    );
  }
}
