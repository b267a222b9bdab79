/**
 * Unlock a release whose execution died: take over its lease once it has expired (or forced),
 * mark the pending record it left `failed` ("Unlocked by …"), then release the lease. An expired
 * lease proves the holder stopped renewing, so its pending record is unlocked whatever its age;
 * with no lease at all (a pending record written by some other tool), the engine's age rule
 * applies unless forced. Says what it took over.
 */
import { runUnlock } from '../engine/sequence.ts';
import type { Release } from '../release/record.ts';
import type { OrchestrationDeps } from './deps.ts';
import type { LeaseRef } from './errors.ts';
import type { Lease } from './lease.ts';

export interface UnlockResult {
  /** The lease that was taken over (expired, or forced), if there was one. */
  readonly lease?: Lease;
  /** The record that became failed; undefined when nothing was pending. */
  readonly release?: Release;
  /** One line for people: what was taken over and what was unlocked. */
  readonly summary: string;
}

/** A pending record younger than this with no lease behind it may belong to a running helm. */
export const UNLOCK_STALE_AFTER_MS = 15 * 60_000;

export async function unlockRelease(
  deps: OrchestrationDeps,
  ref: LeaseRef,
  opts: { readonly by: string; readonly reason: string; readonly force?: boolean },
): Promise<UnlockResult> {
  const now = deps.engine.now();
  const force = opts.force === true;
  const lease = await deps.lease.takeOver(ref, opts.by, now, deps.leaseTtlMs, force);
  const parts: string[] = [];
  if (lease) {
    const expired = lease.expiresAt.getTime() <= now.getTime();
    parts.push(`took over the ${expired ? 'expired' : 'live (forced)'} lease of execution ${lease.owner} (expiry ${lease.expiresAt.toISOString()})`);
  }
  let release: Release | undefined;
  try {
    release = await runUnlock(deps.engine, ref, { by: opts.by, reason: opts.reason, force: force || lease !== undefined, staleAfterMs: UNLOCK_STALE_AFTER_MS });
    parts.push(`revision ${release.version} is now failed: ${release.info.description ?? ''}`);
  } catch (err) {
    if ((err as { reason?: unknown }).reason !== 'NotLocked') {
      await deps.lease.release(ref, opts.by);
      throw err;
    }
    parts.push('no pending record to unlock');
  }
  await deps.lease.release(ref, opts.by);
  return { ...(lease ? { lease } : {}), ...(release ? { release } : {}), summary: `release "${ref.name}" in namespace "${ref.namespace}": ${parts.join('; ')}` };
}
