/**
 * Success: the operation's own pending record becomes `deployed` ("Install complete", "Upgrade
 * complete", or its "Rollback to N"), then the records it replaces are superseded, as helm does:
 * - every other `deployed` record (rollback's rule, and upgrade's current; for install over an
 *   old history too, so that one record stays deployed);
 * - upgrade with no other deployed record: the newest earlier record if it is `failed` (helm's
 *   failed `current`);
 * - install over an uninstalled release: that record, "superseded by new release" (helm 4).
 *
 * Order of writes: the last two touch records that are not deployed, so they come first, while the
 * own record is still pending; then own → deployed; then the other deployed records → superseded.
 * So no crash leaves the release without a deployed record, and a re-run decides the same writes.
 *
 * Only the owner finishes its record (NotOwner), and only while it is the newest (NotNewest: a
 * helm rollback wrote after it; finishing it would undo that). Idempotent: a record that is
 * already deployed and newest counts as done (its owner label stays, so a re-run of the operation
 * recognises its finished record), and
 * a re-run finishes the supersedes a crash interrupted.
 * Throws NotOwner, NotNewest, NotPending, RevisionNotFound, ReleaseNotFound, ConcurrentUpdate (retryable).
 */
import type { ReleaseRef } from '../release/errors.ts';
import { markDeployed, markSuperseded } from '../release/lifecycle.ts';
import { isOwnedBy } from '../release/owner.ts';
import { isPending } from '../release/record.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';
import { NotNewest, NotOwner, NotPending } from './errors.ts';
import { findRevision, newestOf } from './shared.ts';

export interface CompleteOptions {
  readonly owner: string;
  /** helm's --description; default helm's "Install complete" / "Upgrade complete" / "Rollback to N". */
  readonly description?: string;
}

/** Writes for records that are not deployed, decided while the own record is still pending. */
function replacedBeforeDeploy(history: readonly StoredRelease[], own: StoredRelease): StoredRelease[] {
  const earlier = history.filter((h) => h.release.version < own.release.version);
  const last = earlier.at(-1);
  if (!last) return [];
  const status = own.release.info.status;
  if (status === 'pending-install' && last.release.info.status === 'uninstalled') {
    return [{ ...last, release: markSuperseded(last.release, 'superseded by new release') }];
  }
  const anyDeployed = earlier.some((h) => h.release.info.status === 'deployed');
  if (status === 'pending-upgrade' && !anyDeployed && last.release.info.status === 'failed') {
    return [{ ...last, release: markSuperseded(last.release) }];
  }
  return [];
}

async function supersedeOtherDeployed(store: ReleaseStore, history: readonly StoredRelease[], version: number): Promise<void> {
  for (const h of history) {
    if (h.release.version !== version && h.release.info.status === 'deployed') await store.update(h, markSuperseded(h.release));
  }
}

export async function completeOperation(
  store: ReleaseStore,
  ref: ReleaseRef,
  version: number,
  opts: CompleteOptions,
): Promise<StoredRelease> {
  const history = await store.history(ref);
  const own = findRevision(history, ref, version);
  const newest = newestOf(history)!;
  const status = own.release.info.status;
  if (isPending(status) && !isOwnedBy(own, opts.owner)) throw new NotOwner(ref, version, opts.owner, status);
  if (isPending(status) || status === 'deployed') {
    if (newest.release.version !== version) throw new NotNewest(ref, version, newest.release.version, newest.release.info.status);
  }
  if (status === 'deployed') {
    await supersedeOtherDeployed(store, history, version);
    return own;
  }
  if (!isPending(status)) throw new NotPending(ref, version, status);

  for (const r of replacedBeforeDeploy(history, own)) {
    const stored = history.find((h) => h.release.version === r.release.version)!;
    await store.update(stored, r.release);
  }
  // The owner label stays: it tells a re-run of the same operation that it already finished
  // (bound to this revision, so helm copying it into later records does not confuse anyone).
  const done = await store.update(own, markDeployed(own.release, opts.description), own.labels);
  await supersedeOtherDeployed(store, history, version);
  return done;
}
