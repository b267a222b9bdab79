/**
 * rollback's record half: writes revision newest + 1 `pending-rollback` "Rollback to N" with the
 * target's chart, values, manifest, hooks and labels, carrying its owner, then prunes.
 *
 * The lock: helm's rollback ignores it (that is how people unstick a release). helmstep refuses a
 * pending newest record of another operation unless `ignoreLock` (the CLI's `rollback` passes it,
 * to behave like helm); a state machine's remediation does not.
 * Resume: when the newest record is this owner's `pending-rollback`, returns it and writes nothing.
 * Throws OperationInProgress, ReleaseNotFound, RevisionNotFound, InvalidRevision, ReleaseTooLarge,
 * ReleaseExists (retryable).
 */
import type { ReleaseRef } from '../release/errors.ts';
import { newRollbackRecord, resolveRollbackTarget } from '../release/lifecycle.ts';
import { withoutOwner } from '../release/owner.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';
import { createThenPrune, DEFAULT_MAX_HISTORY, resumeOrRefuse, storedOf, type Begun } from './shared.ts';

export interface BeginRollbackOptions {
  readonly owner: string;
  /** Default 10, as helm's --history-max; 0 keeps every revision. */
  readonly maxHistory?: number;
  readonly now?: Date;
  /** Roll back over another operation's pending record, as helm does. */
  readonly ignoreLock?: boolean;
  /** How this rollback applies (helmstep: "ssa"); default the target's, as helm's `auto`. */
  readonly applyMethod?: string;
  /** Replaces "Rollback to N" (a forced rollback says what it overrode, after those words). */
  readonly description?: string;
  /**
   * The history the caller just read (saves a read). Safe when stale: the create of the next
   * revision then collides with the record written meanwhile (ReleaseExists, retryable).
   */
  readonly history?: readonly StoredRelease[];
}

export interface BegunRollback extends Begun {
  /** The revision rolled back to. */
  readonly targetVersion: number;
  /** The target record as read (absent on resume if it has been pruned since). */
  readonly target?: StoredRelease;
}

/** The N of "Rollback to N". */
function targetOfDescription(description: string | undefined): number | undefined {
  const m = /^Rollback to (\d+)\b/.exec(description ?? '');
  return m ? Number(m[1]) : undefined;
}

export async function beginRollback(
  store: ReleaseStore,
  ref: ReleaseRef,
  target: number,
  opts: BeginRollbackOptions,
): Promise<BegunRollback> {
  const history = opts.history ?? (await store.history(ref));
  const resumed = resumeOrRefuse(history, ref, opts.owner, 'pending-rollback', opts.ignoreLock);
  if (resumed) {
    const targetVersion = targetOfDescription(resumed.release.info.description) ?? target;
    const targetStored = history.find((h) => h.release.version === targetVersion);
    const previous = history.filter((h) => h.release.version < resumed.release.version).at(-1);
    return {
      pending: resumed,
      resumed: true,
      pruned: [],
      targetVersion,
      ...(targetStored ? { target: targetStored } : {}),
      ...(previous ? { previous } : {}),
    };
  }
  const plan = resolveRollbackTarget(
    history.map((h) => h.release),
    ref,
    target,
  );
  const targetStored = storedOf(history, plan.target);
  const base = newRollbackRecord(plan.current, plan.target, opts.now ?? new Date(), withoutOwner(targetStored.labels));
  const release = { ...base.release, info: { ...base.release.info, ...(opts.description ? { description: opts.description } : {}) } };
  if (opts.applyMethod) release.apply_method = opts.applyMethod;
  const rec = { ...base, release };
  const written = await createThenPrune(store, ref, history, rec, opts.owner, opts.maxHistory ?? DEFAULT_MAX_HISTORY);
  return {
    ...written,
    resumed: false,
    targetVersion: plan.target.version,
    target: targetStored,
    previous: storedOf(history, plan.current),
  };
}
