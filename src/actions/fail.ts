/**
 * Failure: the operation's own pending record becomes `failed` with helm's description
 * (`Release "<n>" failed: <err>` for install and for wait failures, `Upgrade "<n>" failed: …`,
 * `Rollback "<n>" failed: …`); its owner label stays, so a re-run of the operation recognises
 * its finished record.
 *
 * A failed rollback (op `rollback`) also supersedes the record it replaced, revision − 1, if that
 * one is deployed, as helm does when its rollback's update fails; that write comes AFTER the own
 * record is marked, and only while the own record is the newest. Helm's wait failures (op
 * `install`, "Release … failed") leave the replaced record as it is, as helm does.
 *
 * The record need not be the newest: marking one's own stale pending record failed is always
 * right. Idempotent: a record already `failed` counts as done, and a re-run finishes the rollback's supersede.
 * Throws NotOwner, NotPending, RevisionNotFound, ReleaseNotFound, ConcurrentUpdate (retryable).
 */
import type { ReleaseRef } from '../release/errors.ts';
import { markFailed, markSuperseded, type Operation } from '../release/lifecycle.ts';
import { isOwnedBy } from '../release/owner.ts';
import { isPending } from '../release/record.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';
import { NotOwner, NotPending } from './errors.ts';
import { findRevision, newestOf } from './shared.ts';

export interface FailOptions {
  readonly owner: string;
}

async function supersedeReplaced(store: ReleaseStore, history: readonly StoredRelease[], version: number): Promise<void> {
  if (newestOf(history)?.release.version !== version) return;
  const replaced = history.find((h) => h.release.version === version - 1);
  if (replaced?.release.info.status === 'deployed') await store.update(replaced, markSuperseded(replaced.release));
}

export async function failOperation(
  store: ReleaseStore,
  ref: ReleaseRef,
  version: number,
  op: Operation,
  err: unknown,
  opts: FailOptions,
): Promise<StoredRelease> {
  const history = await store.history(ref);
  const own = findRevision(history, ref, version);
  const status = own.release.info.status;
  if (status === 'failed') {
    if (op === 'rollback') await supersedeReplaced(store, history, version);
    return own;
  }
  if (!isPending(status)) throw new NotPending(ref, version, status);
  if (!isOwnedBy(own, opts.owner)) throw new NotOwner(ref, version, opts.owner, status);
  const failed = await store.update(own, markFailed(own.release, op, err), own.labels); // owner kept: see complete.ts
  if (op === 'rollback') await supersedeReplaced(store, history, version);
  return failed;
}
