/**
 * Fail: the operation did not succeed. With --cleanup-on-fail, the objects this operation
 * created are deleted first (derived from the cluster, not remembered: objects of the revision
 * that the replaced revision did not have, owned by this release and created since the
 * operation started, so a retried or re-run step finds the same set). Then the pending record
 * becomes `failed` with helm's description (`Upgrade "<n>" failed: <err>`, `Release "<n>" failed:
 * <err>`, `Rollback "<n>" failed: <err>`). Idempotent for its owner.
 */
import { failOperation } from '../actions/index.ts';
import { HelmstepError } from '../release/errors.ts';
import { refOf } from '../kube/client.ts';
import { identityKey } from '../kube/manifest.ts';
import type { ObjectRef } from '../kube/types.ts';
import { parseHelmTime, type Release } from '../release/record.ts';
import { observe, OperationSuperseded } from './observe.ts';
import { manifestObjects } from './upgrade.ts';
import type { EngineDeps, OperationRef } from './types.ts';

/**
 * What failed, as helm words it in the failed record's description (after `Upgrade "<n>" failed: `):
 * an error's `text` (hooks, waits) or `helmText` (apply conflicts, ownership), else its message.
 * The record holds helm's words alone, so `helm history` reads the same for both tools.
 */
export function failureText(err: unknown): string {
  if (err && typeof err === 'object' && 'text' in err && typeof err.text === 'string') return err.text;
  if (err instanceof HelmstepError && err.helmText) return err.helmText;
  return err instanceof Error ? err.message : String(err);
}

/**
 * What a person reads: helm's words, then helmstep's hint (what to do next) when the error's
 * message adds one after them.
 */
export function failureMessage(err: unknown): string {
  const text = failureText(err);
  const message = err instanceof Error ? err.message : '';
  return message.startsWith(text) && message.length > text.length ? message : text;
}

async function createdByOperation(deps: EngineDeps, op: OperationRef): Promise<ObjectRef[]> {
  let observed;
  try {
    observed = await observe(deps, op);
  } catch (err) {
    if (err instanceof OperationSuperseded) return []; // already failed (a re-run): nothing left to clean
    throw err;
  }
  const { own, previous } = observed;
  const started = parseHelmTime(own.release.info.last_deployed);
  if (!started) return [];
  // Kubernetes stamps creationTimestamp in whole seconds.
  const since = Math.floor(started.getTime() / 1000) * 1000;
  const before = new Set((await manifestObjects(deps, previous?.release, op.namespace)).map((o) => identityKey(o, op.namespace)));
  const out: ObjectRef[] = [];
  for (const obj of await manifestObjects(deps, own.release, op.namespace)) {
    if (before.has(identityKey(obj, op.namespace))) continue;
    const ref = refOf(obj);
    const live = await deps.kube.get(ref);
    const created = Date.parse(live?.metadata.creationTimestamp ?? '');
    const ours = live?.metadata.annotations?.['meta.helm.sh/release-name'] === op.name;
    if (live && ours && created >= since) out.push(ref);
  }
  return out;
}

export interface FailOptions {
  readonly cleanupOnFail: boolean;
}

export async function failStep(deps: EngineDeps, op: OperationRef, err: unknown, opts: FailOptions): Promise<{ readonly release: Release; readonly cleaned: readonly ObjectRef[] }> {
  const cleaned: ObjectRef[] = [];
  if (opts.cleanupOnFail) {
    for (const ref of await createdByOperation(deps, op)) {
      await deps.kube.delete(ref);
      cleaned.push(ref);
      deps.progress?.({ kind: 'object', action: 'cleaned-up', object: `${ref.kind}/${ref.name}` });
    }
  }
  const failed = await failOperation(deps.store, op, op.revision, op.op, new Error(failureText(err)), { owner: op.owner });
  return { release: failed.release, cleaned };
}
