/**
 * upgrade's record half: writes revision newest + 1 `pending-upgrade` "Preparing upgrade",
 * carrying its owner, with custom labels merged from the newest record (as helm does), then prunes.
 *
 * `rendered.version` is the `.Release.Revision` helm rendered the chart with; it must be the
 * revision about to be written, else the history moved since rendering (ReleaseChanged, retryable).
 * Resume: when the newest record is this owner's `pending-upgrade`, returns it and writes nothing.
 * Throws OperationInProgress, NoDeployedRelease, ReleaseChanged, ReservedLabel, ReleaseTooLarge,
 * ReleaseExists (retryable).
 */
import type { ReleaseRef } from '../release/errors.ts';
import { currentForUpgrade, newUpgradeRecord, type RenderedRelease } from '../release/lifecycle.ts';
import { withoutOwner } from '../release/owner.ts';
import type { Labels } from '../release/record.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';
import { ReleaseChanged } from './errors.ts';
import { createThenPrune, DEFAULT_MAX_HISTORY, resumeOrRefuse, storedOf, type Begun } from './shared.ts';

export interface BeginUpgradeOptions {
  readonly owner: string;
  /** Default 10, as helm's --history-max; 0 keeps every revision. */
  readonly maxHistory?: number;
  /** User labels for this revision ("null" deletes one carried from the newest record). */
  readonly labels?: Labels;
}

/** Helm's `current` as it was when the record at `version` was begun (none if it cannot be told). */
function currentBefore(history: readonly StoredRelease[], version: number, ref: ReleaseRef): StoredRelease | undefined {
  const earlier = history.filter((h) => h.release.version < version);
  try {
    return storedOf(earlier, currentForUpgrade(earlier.map((h) => h.release), ref).current);
  } catch {
    return undefined;
  }
}

export async function beginUpgrade(
  store: ReleaseStore,
  ref: ReleaseRef,
  rendered: RenderedRelease & { readonly version: number },
  opts: BeginUpgradeOptions,
): Promise<Begun> {
  const history = await store.history(ref);
  const resumed = resumeOrRefuse(history, ref, opts.owner, 'pending-upgrade');
  if (resumed) {
    const previous = currentBefore(history, resumed.release.version, ref);
    return { pending: resumed, resumed: true, pruned: [], ...(previous ? { previous } : {}) };
  }
  const base = currentForUpgrade(
    history.map((h) => h.release),
    ref,
  );
  if (rendered.version !== base.version) throw new ReleaseChanged(ref, rendered.version, base.version);
  // Helm merges custom labels from the newest record, not from current; an owner label copied
  // from there belongs to another revision and is replaced.
  const rec = newUpgradeRecord(base.current, {
    ...rendered,
    version: base.version,
    previousLabels: withoutOwner(storedOf(history, base.newest).labels),
    ...(opts.labels ? { labels: withoutOwner(opts.labels) } : {}),
  });
  const written = await createThenPrune(store, ref, history, rec, opts.owner, opts.maxHistory ?? DEFAULT_MAX_HISTORY);
  return { ...written, resumed: false, previous: storedOf(history, base.current) };
}
