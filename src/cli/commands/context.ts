import { ReleaseNotFound, type ReleaseRef } from '../../release/errors.ts';
import type { Release } from '../../release/record.ts';
import type { ReleaseStore } from '../../store/release-store.ts';

/** Anything text can be written to (process.stdout, or a string buffer in tests). */
export interface Writer {
  write(text: string): unknown;
}

/** What every command needs, injected so commands run without a process or a cluster. */
export interface CommandContext {
  readonly store: ReleaseStore;
  readonly out: Writer;
  readonly err: Writer;
}

/**
 * One revision of a release, or the newest when `revision` is undefined (helm's revision 0).
 * Throws ReleaseNotFound, RevisionNotFound, CorruptRecord and the store's cluster errors.
 */
export async function readRevision(store: ReleaseStore, ref: ReleaseRef, revision?: number): Promise<Release> {
  if (revision !== undefined) return (await store.get(ref, revision)).release;
  const history = await store.history(ref);
  const newest = history.at(-1);
  if (!newest) throw new ReleaseNotFound(ref);
  return newest.release;
}
