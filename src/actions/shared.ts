/**
 * What the begin* actions share: the lock check with resume, and the write of the pending record
 * followed by pruning.
 */
import { encodeForSecret } from '../release/codec.ts';
import { HelmstepError, OperationInProgress, ReleaseNotFound, RevisionNotFound, type ReleaseRef } from '../release/errors.ts';
import { planPrune, type NewRecord } from '../release/lifecycle.ts';
import { isOwnedBy, withOwner } from '../release/owner.ts';
import { isPending, type Release, type Status } from '../release/record.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';

/** Helm's default --history-max for upgrade and rollback. */
export const DEFAULT_MAX_HISTORY = 10;

export interface Begun {
  /** The operation's pending record: just written, or found again on resume. */
  readonly pending: StoredRelease;
  /** True when the pending record was already there, written by the same owner: nothing was written. */
  readonly resumed: boolean;
  /** The record the operation replaces (upgrade's current, rollback's newest, install's replaced record). */
  readonly previous?: StoredRelease;
  /** Revisions deleted after the write to honour maxHistory (none on resume). */
  readonly pruned: readonly number[];
  /**
   * Pruning is best effort once the record is written: the lock is taken and the operation goes
   * on; what is left is pruned by the next operation. The store's error, when pruning stopped.
   */
  readonly pruneError?: HelmstepError;
}

/** The newest record (history is oldest first). */
export function newestOf(history: readonly StoredRelease[]): StoredRelease | undefined {
  return history.at(-1);
}

/** The stored record a pure decision picked: decisions return the very objects of `history`. */
export function storedOf(history: readonly StoredRelease[], rel: Release): StoredRelease {
  const found = history.find((h) => h.release === rel);
  if (!found) throw new Error(`internal: revision ${rel.version} of "${rel.name}" is not in the history it was chosen from`);
  return found;
}

/** One revision of a history read, or helm's not-found errors. */
export function findRevision(history: readonly StoredRelease[], ref: ReleaseRef, version: number): StoredRelease {
  const found = history.find((h) => h.release.version === version);
  if (found) return found;
  throw history.length === 0 ? new ReleaseNotFound(ref) : new RevisionNotFound(ref, version);
}

/**
 * The lock: a pending newest record. Returns it when it is `owner`'s own record of the same kind
 * (a retry: resume it); throws OperationInProgress when another operation (or nobody, after a
 * crash of helm or an older helmstep) holds it; undefined when the release is not locked.
 * With `ignoreLock`, another holder's record does not stop the caller (helm's rollback).
 */
export function resumeOrRefuse(
  history: readonly StoredRelease[],
  ref: ReleaseRef,
  owner: string,
  status: Status,
  ignoreLock = false,
): StoredRelease | undefined {
  const newest = newestOf(history);
  if (!newest || !isPending(newest.release.info.status)) return undefined;
  if (newest.release.info.status === status && isOwnedBy(newest, owner)) return newest;
  if (ignoreLock) return undefined;
  throw new OperationInProgress(ref, newest.release.version, newest.release.info.status);
}

/**
 * Writes the pending record (carrying its owner), THEN prunes to maxHistory: a begin that loses
 * the create race, is forbidden or times out has deleted nothing. The size is checked before
 * anything is written.
 */
export async function createThenPrune(
  store: ReleaseStore,
  ref: ReleaseRef,
  history: readonly StoredRelease[],
  rec: NewRecord,
  owner: string,
  maxHistory: number,
): Promise<{ pending: StoredRelease; pruned: number[]; pruneError?: HelmstepError }> {
  encodeForSecret(rec.release); // ReleaseTooLarge before any write
  const pending = await store.create(rec.release, withOwner(rec.labels, owner, rec.release.version));
  const plan = planPrune([...history.map((h) => h.release), pending.release], maxHistory, pending.release.version);
  const pruned: number[] = [];
  for (const v of plan) {
    try {
      await store.delete(ref, v);
    } catch (err) {
      if (err instanceof HelmstepError) return { pending, pruned, pruneError: err };
      throw err;
    }
    pruned.push(v);
  }
  return { pending, pruned };
}
