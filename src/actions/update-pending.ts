/**
 * Writes a change to the operation's own pending record (the engine records hooks' last_run and
 * a `helmstep.dev/migrated-in` label through it): owner-checked, compare-and-swap, and retried once
 * on ConcurrentUpdate by re-reading and applying `change` again (so `change` must be a pure
 * function of the record it is given). The change may not alter name, version or status:
 * finishing a record is complete/fail's job.
 * `labels` are merged over the record's custom labels ("null" deletes one); its owner label stays.
 * Throws NotOwner, NotPending, RevisionNotFound, ReservedLabel, ReleaseTooLarge, ConcurrentUpdate.
 */
import type { ReleaseRef } from '../release/errors.ts';
import { mergeLabels } from '../release/lifecycle.ts';
import { OWNER_LABEL, isOwnedBy, withoutOwner } from '../release/owner.ts';
import { isPending, type Labels, type Release } from '../release/record.ts';
import { ConcurrentUpdate } from '../store/errors.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';
import { NotOwner, NotPending } from './errors.ts';

export async function updatePending(
  store: ReleaseStore,
  ref: ReleaseRef,
  version: number,
  owner: string,
  change: (r: Release) => Release,
  labels?: Labels,
): Promise<StoredRelease> {
  for (let attempt = 1; ; attempt++) {
    const own = await store.get(ref, version);
    const { status } = own.release.info;
    if (!isPending(status)) throw new NotPending(ref, version, status);
    if (!isOwnedBy(own, owner)) throw new NotOwner(ref, version, owner, status);
    const next = change(structuredClone(own.release));
    if (next.name !== own.release.name || next.version !== version || next.info.status !== status) {
      throw new Error(`updatePending: the change may not alter the name, version or status of revision ${version} of "${ref.name}"`);
    }
    const merged = labels ? { ...mergeLabels(withoutOwner(own.labels), withoutOwner(labels), ref), [OWNER_LABEL]: own.labels[OWNER_LABEL]! } : own.labels;
    try {
      return await store.update(own, next, merged);
    } catch (err) {
      if (!(err instanceof ConcurrentUpdate) || attempt >= 2) throw err;
    }
  }
}
