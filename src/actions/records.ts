/**
 * Release records through an operation's life, as helm's pkg/action writes them: plan from the
 * history (pure, src/release/lifecycle.ts), then one store call per record. These are the
 * record-keeping halves of the install, upgrade and rollback steps; applying manifests and
 * running hooks happen between begin* and complete/fail.
 *
 * Every begin* writes exactly one new record (pending-*), after pruning; a retry after a lost
 * race gets ReleaseExists and writes nothing. complete/fail are idempotent.
 */
import { encodeForSecret } from '../release/codec.ts';
import { HelmstepError, type ReleaseRef } from '../release/errors.ts';
import {
  currentForUpgrade,
  latest,
  markDeployed,
  markFailed,
  markSuperseded,
  newInstallRecord,
  newRollbackRecord,
  newUpgradeRecord,
  planPrune,
  resolveRollbackTarget,
  type InstallInput,
  type Operation,
  type RenderedRelease,
} from '../release/lifecycle.ts';
import { isPending, type Labels, type Release } from '../release/record.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';

/** Helm's default --history-max for upgrade and rollback. */
export const DEFAULT_MAX_HISTORY = 10;

/** Install over a name whose newest record is not uninstalled (helm's text). */
export class NameInUse extends HelmstepError {
  override readonly name = 'NameInUse';
  readonly reason = 'NameInUse';
  override readonly helmText = 'cannot re-use a name that is still in use';
  constructor(readonly ref: ReleaseRef) {
    super(
      `cannot re-use a name that is still in use: release "${ref.name}" in namespace "${ref.namespace}" exists; upgrade it instead, or uninstall it first`,
    );
  }
}

/** complete/fail was asked for a record that is not pending (not the operation's own record). */
export class NotPending extends HelmstepError {
  override readonly name = 'NotPending';
  readonly reason = 'NotPending';
  constructor(ref: ReleaseRef, version: number, status: string) {
    super(`revision ${version} of release "${ref.name}" in namespace "${ref.namespace}" is ${status}, not pending; nothing to finish`);
  }
}

export interface Begun {
  /** The pending record just written. */
  readonly pending: StoredRelease;
  /** The record the operation replaces (upgrade's current, rollback's newest); none for install. */
  readonly previous?: StoredRelease;
  /** Revisions pruned before the write. */
  readonly pruned: readonly number[];
}

/** The stored record a pure decision picked: decisions return the very objects of `history`. */
function storedOf(history: readonly StoredRelease[], rel: Release): StoredRelease {
  const found = history.find((h) => h.release === rel);
  if (!found) throw new Error(`internal: revision ${rel.version} of "${rel.name}" is not in the history it was chosen from`);
  return found;
}

async function pruneAndCreate(
  store: ReleaseStore,
  ref: ReleaseRef,
  history: readonly StoredRelease[],
  rec: { release: Release; labels: Labels },
  maxHistory: number,
): Promise<{ pending: StoredRelease; pruned: number[] }> {
  // Size first: a record that cannot be stored must change nothing, not even the pruning.
  encodeForSecret(rec.release);
  const pruned = planPrune(
    history.map((h) => h.release),
    maxHistory,
  );
  for (const v of pruned) await store.delete(ref, v);
  const pending = await store.create(rec.release, rec.labels);
  return { pending, pruned };
}

/** install: a `pending-install` revision 1 (or newest+1 over an uninstalled history). Throws NameInUse. */
export async function beginInstall(
  store: ReleaseStore,
  input: InstallInput,
  opts: { maxHistory?: number } = {},
): Promise<Begun> {
  const ref = { namespace: input.namespace, name: input.name };
  const history = await store.history(ref);
  const newest = latest(history.map((h) => h.release));
  if (newest && newest.info.status !== 'uninstalled') throw new NameInUse(ref);
  const rec = newInstallRecord({ ...input, version: (newest?.version ?? 0) + 1 });
  return pruneAndCreate(store, ref, history, rec, opts.maxHistory ?? 0);
}

/**
 * upgrade: a `pending-upgrade` "Preparing upgrade" revision newest+1, with custom labels merged
 * from the current record. Throws OperationInProgress (the newest record is pending),
 * NoDeployedRelease, ReleaseExists, ReleaseTooLarge.
 */
export async function beginUpgrade(
  store: ReleaseStore,
  ref: ReleaseRef,
  rendered: RenderedRelease,
  opts: { maxHistory?: number; labels?: Labels } = {},
): Promise<Begun> {
  const history = await store.history(ref);
  const base = currentForUpgrade(
    history.map((h) => h.release),
    ref,
  );
  const previous = storedOf(history, base.current);
  // Helm merges custom labels from the newest record, not from current.
  const newestLabels = storedOf(history, base.newest).labels;
  const rec = newUpgradeRecord(base.current, {
    ...rendered,
    version: base.version,
    previousLabels: newestLabels,
    ...(opts.labels ? { labels: opts.labels } : {}),
  });
  const { pending, pruned } = await pruneAndCreate(store, ref, history, rec, opts.maxHistory ?? DEFAULT_MAX_HISTORY);
  return { pending, pruned, previous };
}

/**
 * rollback: a `pending-rollback` "Rollback to N" revision newest+1 with the target's chart, values,
 * manifest and hooks. Target 0 means the revision before the newest. Throws ReleaseNotFound,
 * RevisionNotFound, InvalidRevision, ReleaseExists.
 */
export async function beginRollback(
  store: ReleaseStore,
  ref: ReleaseRef,
  target: number,
  opts: { maxHistory?: number; now?: Date } = {},
): Promise<Begun & { readonly target: StoredRelease }> {
  const history = await store.history(ref);
  const plan = resolveRollbackTarget(
    history.map((h) => h.release),
    ref,
    target,
  );
  const targetStored = storedOf(history, plan.target);
  const rec = newRollbackRecord(plan.current, plan.target, opts.now ?? new Date(), targetStored.labels);
  const { pending, pruned } = await pruneAndCreate(store, ref, history, rec, opts.maxHistory ?? DEFAULT_MAX_HISTORY);
  return { pending, pruned, target: targetStored, previous: storedOf(history, plan.current) };
}

/**
 * Success: every other `deployed` record becomes superseded (so exactly one stays deployed),
 * then the pending record becomes deployed ("Install complete", "Upgrade complete", or its
 * "Rollback to N"). Idempotent: an already deployed record is returned as is.
 */
export async function completeOperation(store: ReleaseStore, ref: ReleaseRef, version: number): Promise<StoredRelease> {
  const history = await store.history(ref);
  const own = history.find((h) => h.release.version === version);
  if (!own) return store.get(ref, version); // throws RevisionNotFound
  if (own.release.info.status === 'deployed') return own;
  if (!isPending(own.release.info.status)) throw new NotPending(ref, version, own.release.info.status);
  for (const h of history) {
    if (h.release.version !== version && h.release.info.status === 'deployed') {
      await store.update(h, markSuperseded(h.release));
    }
  }
  return store.update(own, markDeployed(own.release));
}

/**
 * Failure: the pending record becomes `failed` with helm's message. A failed rollback also
 * supersedes the record it tried to replace, as helm does. Idempotent for an already failed record.
 */
export async function failOperation(
  store: ReleaseStore,
  ref: ReleaseRef,
  version: number,
  op: Operation,
  err: unknown,
): Promise<StoredRelease> {
  const own = await store.get(ref, version);
  if (own.release.info.status === 'failed') return own;
  if (!isPending(own.release.info.status)) throw new NotPending(ref, version, own.release.info.status);
  return store.update(own, markFailed(own.release, op, err));
}
