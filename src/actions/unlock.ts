/**
 * Releases a stale lock, as Flux's unlock does: the newest record, if pending, becomes `failed`
 * with "Unlocked by <by>: <reason> (was <status>)", and its owner label is removed. After that
 * both helm and helmstep upgrade from the deployed record again, and the operation that held the
 * lock (if it still runs) gets NotPending/NotOwner instead of finishing.
 *
 * Refuses (LockHeld) unless `force`, or the record's last_deployed is older than `olderThan`:
 * a lock that young may belong to a running operation.
 * Throws NotLocked, LockHeld, ConcurrentUpdate (retryable: the holder just wrote), ReleaseNotFound.
 */
import type { ReleaseRef } from '../release/errors.ts';
import { markUnlocked } from '../release/lifecycle.ts';
import { withoutOwner } from '../release/owner.ts';
import { isPending, parseHelmTime } from '../release/record.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';
import { LockHeld, NotLocked } from './errors.ts';
import { newestOf } from './shared.ts';

export interface UnlockOptions {
  /** Who unlocks (a user, or an execution id); written into the description. */
  readonly by: string;
  readonly reason: string;
  /** Unlock whatever the lock's age. */
  readonly force?: boolean;
  /** Unlock only a lock whose last_deployed is before this time. */
  readonly olderThan?: Date;
  readonly now: Date;
}

function describeAge(since: Date | undefined, now: Date): string {
  if (!since) return 'since an unknown time';
  const minutes = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60_000));
  return `since ${since.toISOString()}, ${minutes} min ago`;
}

export async function unlock(store: ReleaseStore, ref: ReleaseRef, opts: UnlockOptions): Promise<StoredRelease> {
  const history = await store.history(ref);
  const newest = newestOf(history);
  if (!newest) throw new NotLocked(ref);
  const { version, info } = newest.release;
  if (!isPending(info.status)) throw new NotLocked(ref, { revision: version, status: info.status });
  const since = parseHelmTime(info.last_deployed);
  const stale = opts.olderThan !== undefined && since !== undefined && since.getTime() < opts.olderThan.getTime();
  if (opts.force !== true && !stale) throw new LockHeld(ref, version, info.status, describeAge(since, opts.now));
  return store.update(newest, markUnlocked(newest.release, opts.by, opts.reason), withoutOwner(newest.labels));
}
