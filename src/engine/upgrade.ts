/**
 * Upgrade (the ASL state of the same name; install and rollback apply through it too): helm's
 * KubeClient.Update for the operation's pending record. Every target object, in helm's kind
 * order and with helm's ownership metadata, is server-side applied with field manager `helm`;
 * objects the revision dropped are deleted afterwards, unless the live object says
 * `helm.sh/resource-policy: keep`. A release last applied client-side (helm 3, or helm 4 with
 * --server-side=false) has helm's managed fields moved to server-side apply first, as
 * `helm upgrade --server-side=true` does, so neither helmstep nor helm meets field conflicts later.
 *
 * Writes: Kubernetes objects only (the record is untouched). Idempotent: applying the same
 * objects again changes nothing. Throws OwnershipConflict, ApplyConflict, InvalidObject (the
 * caller fails the release) and retryable API errors.
 */
import { parseManifest, sortByKind, withOwnership, dropped, identityKey } from '../kube/manifest.ts';
import { resolveNamespace } from '../kube/client.ts';
import { applyRelease, deleteDropped } from '../kube/apply.ts';
import type { KubeObject } from '../kube/types.ts';
import type { Release } from '../release/record.ts';
import { observe } from './observe.ts';
import type { EngineDeps, OperationRef } from './types.ts';

/** A revision's manifest as objects, namespaces filled in as helm's resource builder does. */
export async function manifestObjects(deps: EngineDeps, rel: Release | undefined, namespace: string): Promise<KubeObject[]> {
  if (!rel?.manifest) return [];
  const out: KubeObject[] = [];
  for (const m of parseManifest(rel.manifest)) out.push(await resolveNamespace(deps.kube, m.object, namespace));
  return out;
}

export interface UpgradeOptions {
  /** --force-conflicts: take fields other managers own. */
  readonly forceConflicts: boolean;
}

export interface UpgradeResult {
  readonly applied: number;
  readonly created: number;
  readonly deleted: number;
  readonly kept: number;
}

export async function upgradeStep(deps: EngineDeps, op: OperationRef, opts: UpgradeOptions): Promise<UpgradeResult> {
  const { own, previous } = await observe(deps, op);
  const ns = op.namespace;
  const current = await manifestObjects(deps, previous?.release, ns);
  const targetObjects = await manifestObjects(deps, own.release, ns);
  const sorted = sortByKind(
    targetObjects.map((object) => ({ source: '', object })),
    'install',
  ).map((m) => withOwnership(m.object, op.name, ns));
  // helm's client-side field ownership is moved to server-side apply when the live objects may
  // still carry it: the replaced revision was applied client-side (helm 3, or helm 4 with
  // --server-side=false). helm's rollback always tries; after a server-side revision there is
  // nothing to move (whoever applied it took the fields over), so helmstep spares a GET per object.
  const clientSide = (rel: { apply_method?: string } | undefined) => rel !== undefined && (rel.apply_method ?? '') !== 'ssa';
  const takeOverClientSide = clientSide(previous?.release);
  const result = await applyRelease(deps.kube, {
    release: op.name,
    namespace: ns,
    targets: sorted,
    currentKeys: new Set(current.map((o) => identityKey(o, ns))),
    force: opts.forceConflicts,
    takeOverClientSide,
    verb: op.op === 'install' ? 'install' : 'update',
  });
  for (const ref of result.applied) {
    const created = result.created.some((c) => c.kind === ref.kind && c.name === ref.name && c.namespace === ref.namespace);
    deps.progress?.({ kind: 'object', action: created ? 'created' : 'applied', object: `${ref.kind}/${ref.name}` });
  }
  const gone = dropped(
    current.map((object) => ({ source: '', object })),
    targetObjects.map((object) => ({ source: '', object })),
    ns,
  ).map((m) => m.object);
  const { deleted, kept } = await deleteDropped(deps.kube, gone);
  for (const ref of deleted) deps.progress?.({ kind: 'object', action: 'deleted', object: `${ref.kind}/${ref.name}` });
  for (const ref of kept) deps.progress?.({ kind: 'object', action: 'kept', object: `${ref.kind}/${ref.name} (helm.sh/resource-policy: keep)` });
  return { applied: result.applied.length, created: result.created.length, deleted: deleted.length, kept: kept.length };
}
