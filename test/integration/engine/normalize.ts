/**
 * What the differential tests compare, made comparable across two namespaces: the live objects a
 * release left (server-assigned and per-namespace fields dropped or masked), the hook runs a
 * record tells (start order, phases) and the parts of a record both tools must write alike.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { parseHelmTime, type Release } from '../../../src/release/record.ts';

const run = promisify(execFile);

/** kubectl against the test control plane; resolves with stdout, rejects with kubectl's stderr. */
export async function kubectl(args: readonly string[]): Promise<string> {
  const { stdout } = await run(inject('kubectl'), [...args, '--kubeconfig', inject('kubeconfig')], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** kubectl that never throws: the exit code and both streams, for asserting on a refusal. */
export function kubectlRun(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(inject('kubectl'), [...args, '--kubeconfig', inject('kubeconfig')], (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

type Json = Record<string, unknown>;

/**
 * The kinds the fixture charts make (hook objects included). Pods are kept only when nothing owns
 * them (`helm test` pods): controller-made pods have random names and are garbage-collected on
 * the controller's schedule, not the release tool's.
 */
const KINDS = 'configmaps,services,deployments.apps,jobs.batch,pods,persistentvolumeclaims';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

const DROPPED_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'namespace', 'ownerReferences', 'selfLink'];

function dropKeys(obj: Json | undefined, keys: readonly string[]): void {
  if (!obj) return;
  for (const k of keys) delete obj[k];
}

/**
 * One live object as the comparison sees it: the fields the API server or a controller assigns
 * (uid, resourceVersion, timestamps, managedFields, status, allocated IPs, the node a pod landed
 * on, the random suffix of the service-account volume, uids in Job selectors) are dropped or
 * masked, and the namespace's name is replaced by `<ns>` (helm's `meta.helm.sh/release-namespace`
 * stays, masked). Labels and annotations, helm's ownership metadata included, are kept.
 */
export function normalizeObject(live: Json, namespace: string): Json {
  const obj = structuredClone(live);
  delete obj.status;
  const meta = (obj.metadata ?? {}) as Json;
  dropKeys(meta, DROPPED_METADATA);
  const annotations = meta.annotations as Record<string, string> | undefined;
  if (annotations) {
    delete annotations['deployment.kubernetes.io/revision'];
    if (Object.keys(annotations).length === 0) delete meta.annotations;
  }
  const labels = meta.labels as Record<string, string> | undefined;
  if (labels) delete labels['pod-template-hash'];
  const spec = obj.spec as Json | undefined;
  if (obj.kind === 'Service' && spec) dropKeys(spec, ['clusterIP', 'clusterIPs']);
  if (obj.kind === 'Pod' && spec) dropKeys(spec, ['nodeName']);
  const text = JSON.stringify(obj)
    .replace(UUID, '<uid>')
    .replace(/kube-api-access-[a-z0-9]{5}/g, 'kube-api-access-<rand>')
    .split(namespace)
    .join('<ns>');
  return JSON.parse(text) as Json;
}

/** `Kind/name` → normalised object, for everything the release left in the namespace. */
export async function liveObjects(namespace: string): Promise<Record<string, Json>> {
  const items = await settledItems(namespace);
  const out: Record<string, Json> = {};
  for (const item of items) {
    const meta = item.metadata as Json;
    if (item.kind === 'ConfigMap' && meta.name === 'kube-root-ca.crt') continue;
    if (item.kind === 'Pod' && Array.isArray(meta.ownerReferences) && meta.ownerReferences.length > 0) continue;
    out[`${String(item.kind)}/${String(meta.name)}`] = normalizeObject(item, namespace);
  }
  return out;
}

/**
 * The namespace's objects once no listed object is still being deleted: deletion of a hook Job is
 * asynchronous (its pods go first), and the moment either tool returns says nothing about it.
 */
async function settledItems(namespace: string): Promise<Json[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const list = JSON.parse(await kubectl(['get', KINDS, '-n', namespace, '-o', 'json'])) as { items: Json[] };
    const deleting = list.items.filter((i) => {
      const m = i.metadata as Json;
      const owned = i.kind === 'Pod' && Array.isArray(m.ownerReferences) && m.ownerReferences.length > 0;
      return !owned && m.deletionTimestamp !== undefined;
    });
    if (deleting.length === 0 || Date.now() > deadline) return list.items;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What a record tells about its hooks: the order they started in, and each hook's phase. */
export interface HookRuns {
  /** Hooks with a start time, oldest first (copied runs of a rollback's target included). */
  readonly started: string[];
  /** Every hook's recorded phase ("" when it never ran). */
  readonly phases: Record<string, string>;
}

export function hookRuns(rel: Release): HookRuns {
  const hooks = rel.hooks ?? [];
  const started = hooks
    .map((h) => ({ name: h.name ?? '', at: parseHelmTime(h.last_run?.started_at), raw: h.last_run?.started_at ?? '' }))
    .filter((h): h is { name: string; at: Date; raw: string } => h.at !== undefined)
    // Equal milliseconds: helm's nanosecond strings of one second still order lexically.
    .sort((a, b) => a.at.getTime() - b.at.getTime() || (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0))
    .map((h) => h.name);
  const phases = Object.fromEntries(hooks.map((h) => [h.name ?? '', h.last_run?.phase ?? '']));
  return { started, phases };
}

/**
 * The parts of a record that do not depend on when or where it was written: both tools render
 * with helm's engine, so manifest, hooks, values and chart must match exactly.
 */
export function recordEssentials(rel: Release) {
  return {
    version: rel.version,
    status: rel.info.status,
    description: rel.info.description ?? '',
    chart: { name: rel.chart?.metadata?.name, version: rel.chart?.metadata?.version, appVersion: rel.chart?.metadata?.appVersion },
    config: rel.config ?? {},
    manifest: rel.manifest ?? '',
    notes: rel.info.notes ?? '',
    apply_method: rel.apply_method ?? '',
    hooks: (rel.hooks ?? []).map((h) => ({
      name: h.name,
      kind: h.kind,
      path: h.path,
      manifest: h.manifest,
      events: h.events,
      weight: h.weight ?? 0,
      delete_policies: h.delete_policies ?? [],
    })),
  };
}

/** The managed-fields entries of a live object as [manager, operation] pairs (main resource only). */
export function managers(live: Json): [string, string][] {
  const entries = ((live.metadata as Json | undefined)?.managedFields ?? []) as { manager?: string; operation?: string; subresource?: string }[];
  return entries.filter((e) => (e.subresource ?? '') === '').map((e) => [e.manager ?? '', e.operation ?? '']);
}
