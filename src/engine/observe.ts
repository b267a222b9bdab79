/**
 * Observe: read what the cluster says about an operation before a step decides anything.
 * Pure selection over the history lives here too, so steps stay small.
 */
import { isOwnedBy } from '../release/owner.ts';
import { HelmstepError, RevisionNotFound } from '../release/errors.ts';
import { isPending, type Release } from '../release/record.ts';
import type { StoredRelease } from '../store/release-store.ts';
import type { EngineDeps, OperationRef } from './types.ts';

/**
 * The operation's record is no longer its own pending record: another writer finished or replaced
 * it (helm rollback, `helmstep unlock`, a duplicate execution). Nothing is changed; a person
 * decides what happens next.
 */
export class OperationSuperseded extends HelmstepError {
  override readonly name = 'OperationSuperseded';
  readonly reason = 'OperationSuperseded';
  constructor(
    readonly op: OperationRef,
    readonly found: string,
  ) {
    super(
      `release "${op.name}" in namespace "${op.namespace}" revision ${op.revision} is no longer held by ${op.owner}: ${found}; ` +
        `nothing was changed: check helmstep history ${op.name} -n ${op.namespace}`,
    );
  }
}

export interface Observed {
  readonly history: readonly StoredRelease[];
  /** The operation's own pending record. */
  readonly own: StoredRelease;
  /** The record the operation replaces (helm's `current`): see {@link replacedBy}. */
  readonly previous: StoredRelease | undefined;
}

/**
 * Helm's `current` for an operation that wrote `own`:
 * - upgrade: the newest earlier record if deployed, else the highest deployed, else the newest
 *   earlier record when it is failed or superseded (prepareUpgrade);
 * - rollback and install: the newest earlier record (rollback's `currentRelease`).
 */
export function replacedBy(history: readonly StoredRelease[], own: Release): StoredRelease | undefined {
  const earlier = history.filter((h) => h.release.version < own.version).sort((a, b) => b.release.version - a.release.version);
  const newest = earlier[0];
  if (own.info.status !== 'pending-upgrade') return newest;
  if (!newest || newest.release.info.status === 'deployed') return newest;
  const deployed = earlier.find((h) => h.release.info.status === 'deployed');
  if (deployed) return deployed;
  return newest.release.info.status === 'failed' || newest.release.info.status === 'superseded' ? newest : undefined;
}

/** Reads the history and checks the operation still holds its pending record. Throws OperationSuperseded. */
export async function observe(deps: EngineDeps, op: OperationRef): Promise<Observed> {
  const history = await deps.store.history(op);
  const own = history.find((h) => h.release.version === op.revision);
  if (!own) throw new RevisionNotFound(op, op.revision);
  if (!isPending(own.release.info.status)) {
    throw new OperationSuperseded(op, `it is ${own.release.info.status} ("${own.release.info.description ?? ''}")`);
  }
  if (!isOwnedBy(own, op.owner)) throw new OperationSuperseded(op, 'its pending record belongs to another operation');
  return { history, own, previous: replacedBy(history, own.release) };
}

/**
 * The record this owner wrote, whatever its status now (the owner label stays on finished
 * records): how a re-run of an operation finds that it already began, or already finished.
 */
export function ownedBy(history: readonly StoredRelease[], owner: string): StoredRelease | undefined {
  return [...history].reverse().find((h) => isOwnedBy(h, owner));
}
