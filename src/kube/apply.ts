/**
 * The I/O half of helm 4's KubeClient.Update for a release: the ownership check of objects new
 * in the revision, the CSA→SSA managed-fields takeover, the server-side apply of every target in
 * order, the deletion of objects the revision dropped (honouring `helm.sh/resource-policy: keep`),
 * the clean-up of created objects, and drift detection before a rollback.
 */
import { refOf } from './client.ts';
import { KindNotServed, ObjectChanged } from './errors.ts';
import { identityKey, keepsResource, ownershipError, OwnershipConflict } from './manifest.ts';
import { upgradeManagedFields } from './managed-fields.ts';
import type { KubeClient, KubeObject, ObjectRef } from './types.ts';

export interface ApplyReleaseInput {
  readonly release: string;
  readonly namespace: string;
  /** The revision's objects: namespaces resolved, helm's ownership metadata set, in kind order. */
  readonly targets: readonly KubeObject[];
  /** identityKeys of the previous revision's objects: anything else is new and is checked for ownership. */
  readonly currentKeys: ReadonlySet<string>;
  /** --force-conflicts. */
  readonly force: boolean;
  /** Move helm's client-side (`Update`) field ownership to its `Apply` entry before applying. */
  readonly takeOverClientSide: boolean;
  /** --take-ownership: adopt live objects whatever their ownership metadata says. */
  readonly adopt?: boolean;
  /** Which helm wrapper the ownership error carries: `unable to continue with <verb>: …` (default update). */
  readonly verb?: 'install' | 'update';
}

export interface ApplyReleaseResult {
  /** Objects the apply created (HTTP 201): what --cleanup-on-fail removes. */
  readonly created: ObjectRef[];
  /** Every target, in the order applied (created ones included). */
  readonly applied: ObjectRef[];
}

/** csaupgrade runs under client-go's retry.DefaultRetry: five tries on a resourceVersion conflict. */
const TAKEOVER_ATTEMPTS = 5;

/**
 * Applies a revision's objects as helm 4 does: first every object new in the revision that
 * already exists must belong to the release (else OwnershipConflict, before anything is
 * written); then, one object at a time, the managed-fields takeover when asked and a
 * server-side apply with field manager `helm`. Throws ApplyConflict, InvalidObject,
 * KindNotServed and the retryable API errors of the first object that fails.
 */
export async function applyRelease(client: KubeClient, input: ApplyReleaseInput): Promise<ApplyReleaseResult> {
  const { release, namespace, targets } = input;
  const known = new Map<KubeObject, KubeObject | undefined>();
  for (const target of targets) {
    if (input.currentKeys.has(identityKey(target, namespace)) || !target.metadata.name) continue;
    const live = await client.get(refOf(target));
    known.set(target, live);
    if (!live || input.adopt) continue;
    const text = ownershipError(live, release, namespace);
    if (text) {
      throw new OwnershipConflict(
        { name: release, namespace },
        { kind: live.kind, name: live.metadata.name ?? '', namespace: live.metadata.namespace ?? '' },
        `unable to continue with ${input.verb ?? 'update'}: ${text}`,
      );
    }
  }

  const created: ObjectRef[] = [];
  const applied: ObjectRef[] = [];
  for (const target of targets) {
    const ref = refOf(target);
    if (input.takeOverClientSide) {
      const live = known.has(target) ? known.get(target) : await client.get(ref);
      if (live) await takeOverClientSide(client, live);
    }
    const result = await client.apply(target, { force: input.force });
    applied.push(ref);
    if (result.created) created.push(ref);
  }
  return { created, applied };
}

/**
 * Moves helm's client-side field ownership of a live object to its server-side apply entry
 * (csaupgrade.UpgradeManagedFieldsPatch with {"helm"} → "helm"). No request when there is
 * nothing to move; re-reads and retries when the object changed in between. Returns whether
 * it patched.
 */
export async function takeOverClientSide(client: KubeClient, live: KubeObject): Promise<boolean> {
  let current: KubeObject | undefined = live;
  for (let attempt = 1; ; attempt++) {
    const entries = upgradeManagedFields(current.metadata.managedFields);
    if (!entries) return false;
    try {
      await client.replaceManagedFields(current, entries);
      return true;
    } catch (err) {
      if (!(err instanceof ObjectChanged) || attempt >= TAKEOVER_ATTEMPTS) throw err;
    }
    current = await client.get(refOf(live));
    if (!current) return false;
  }
}

/**
 * Deletes the objects a revision dropped, in the order given (helm: the previous manifest's
 * order), with propagationPolicy Background. An object already gone, or of a kind the cluster
 * no longer serves, is skipped; one whose live annotation `helm.sh/resource-policy` is exactly
 * `keep` is kept. Like helm, every object is tried; the first failure is thrown afterwards.
 */
export async function deleteDropped(
  client: KubeClient,
  dropped: readonly KubeObject[],
): Promise<{ readonly deleted: ObjectRef[]; readonly kept: ObjectRef[] }> {
  const deleted: ObjectRef[] = [];
  const kept: ObjectRef[] = [];
  let failure: Error | undefined;
  for (const obj of dropped) {
    const ref = refOf(obj);
    try {
      const live = await client.get(ref);
      if (!live) continue;
      if (keepsResource(live)) {
        kept.push(ref);
        continue;
      }
      if (await client.delete(ref)) deleted.push(ref);
    } catch (err) {
      if (err instanceof KindNotServed) continue;
      failure ??= err instanceof Error ? err : new Error(String(err));
    }
  }
  if (failure) throw failure;
  return { deleted, kept };
}

/**
 * --cleanup-on-fail: deletes what an operation created. Objects already gone count as deleted
 * (helm's Delete ignores NotFound); every object is tried and the first failure thrown afterwards.
 */
export async function deleteCreated(client: KubeClient, refs: readonly ObjectRef[]): Promise<{ readonly deleted: ObjectRef[] }> {
  const deleted: ObjectRef[] = [];
  let failure: Error | undefined;
  for (const ref of refs) {
    try {
      await client.delete(ref);
      deleted.push(ref);
    } catch (err) {
      if (err instanceof KindNotServed) {
        deleted.push(ref);
        continue;
      }
      failure ??= err instanceof Error ? err : new Error(String(err));
    }
  }
  if (failure) throw failure;
  return { deleted };
}

// ---------------------------------------------------------------------------------------------
// Drift

/** Metadata the server or controllers maintain: never drift. */
const VOLATILE_METADATA = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink'];

/** Annotations and labels controllers add or bump on their own. */
const CONTROLLER_KEYS = [
  /^deployment\.kubernetes\.io\//,
  /^kubectl\.kubernetes\.io\/last-applied-configuration$/,
  /^control-plane\.alpha\.kubernetes\.io\//,
  /^endpoints\.kubernetes\.io\//,
  /^pv\.kubernetes\.io\//,
  /^volume\.(beta\.)?kubernetes\.io\//,
  /^batch\.kubernetes\.io\//,
  /^controller-uid$/,
];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function withoutControllerKeys(map: unknown): unknown {
  if (!isPlainObject(map)) return map;
  return Object.fromEntries(Object.entries(map).filter(([k]) => !CONTROLLER_KEYS.some((re) => re.test(k))));
}

/** The parts of an object a person or the chart decides: no status, no server-kept metadata. */
function comparable(obj: KubeObject): Record<string, unknown> {
  const { status: _status, metadata, ...rest } = obj;
  const meta: Record<string, unknown> = { ...metadata };
  for (const key of VOLATILE_METADATA) delete meta[key];
  meta.annotations = withoutControllerKeys(meta.annotations);
  meta.labels = withoutControllerKeys(meta.labels);
  return { ...rest, metadata: meta };
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

function child(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || (isPlainObject(v) && Object.keys(v).length === 0);
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    for (const k of keys) {
      // An empty map and no map are the same to the API server (labels: {} vs none).
      if (isEmpty(a[k]) && isEmpty(b[k])) continue;
      diff(a[k], b[k], child(path, k), out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => diff(item, b[i], `${path}[${i}]`, out));
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
}

/**
 * The JSON paths where `live` differs from `desired` (what applying the revision would make
 * of it), sorted, status and server-kept metadata aside: `spec.replicas`, `data.message`,
 * `spec.template.spec.containers[0].image`, `metadata.labels["app.kubernetes.io/version"]`.
 */
export function driftPaths(live: KubeObject, desired: KubeObject): string[] {
  const out: string[] = [];
  diff(comparable(live), comparable(desired), '', out);
  return out.sort();
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Read-only requests in flight at once while looking for drift. */
const DRIFT_CONCURRENCY = 4;

/**
 * Which objects of a revision were changed outside helm (`kubectl edit`, `kubectl scale`):
 * for each, a server-side dry-run apply with force (what re-applying the revision would
 * produce) compared with the live object. Objects that are gone, or of a kind the cluster does
 * not serve, are not reported (the rollback recreates or refuses them elsewhere).
 * Writes nothing.
 */
export async function detectDrift(
  client: KubeClient,
  objects: readonly KubeObject[],
): Promise<Array<{ readonly ref: ObjectRef; readonly fields: string[] }>> {
  const found = await mapLimited(objects, DRIFT_CONCURRENCY, async (obj) => {
    const ref = refOf(obj);
    try {
      const live = await client.get(ref);
      if (!live) return undefined;
      const { object: desired } = await client.apply(obj, { force: true, dryRun: true });
      const fields = driftPaths(live, desired);
      return fields.length > 0 ? { ref, fields } : undefined;
    } catch (err) {
      if (err instanceof KindNotServed) return undefined;
      throw err;
    }
  });
  return found.filter((d): d is { ref: ObjectRef; fields: string[] } => d !== undefined);
}
