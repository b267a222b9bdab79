/**
 * The rollback planner: pure. Given the current and target revisions and what the cluster said
 * (which API versions it serves, which live objects drifted), it computes before anything is
 * written what a rollback would do and what makes it unsafe:
 *
 *   (a) the target uses an apiVersion the cluster no longer serves           → refuse
 *   (b) a migration hook ran in a revision after the target (forward-fix)    → refuse
 *   (c) storage would change: a PersistentVolumeClaim's spec, a StatefulSet's
 *       volumeClaimTemplates or a StorageClass differ, or one would be deleted → refuse
 *   (d) live objects changed outside helm since the current revision (drift)  → report
 *
 * Refusals can be overridden with --force; the override is written into the description.
 */
import { hooksFor, isMigration, hookRanSince } from '../kube/hooks.ts';
import { identityKey } from '../kube/manifest.ts';
import type { KubeObject, ObjectRef } from '../kube/types.ts';
import { parseHelmTime, type Labels, type Release } from '../release/record.ts';
import { MIGRATED_IN_LABEL } from './run-hooks.ts';

export type Risk =
  | { readonly kind: 'ApiNotServed'; readonly refuse: true; readonly object: string; readonly objectKind: string; readonly apiVersion: string }
  | { readonly kind: 'MigrationSinceTarget'; readonly refuse: true; readonly revisions: readonly number[]; readonly hooks: readonly string[] }
  | { readonly kind: 'StorageChange'; readonly refuse: true; readonly object: string; readonly detail: string }
  | { readonly kind: 'Drift'; readonly refuse: false; readonly object: string; readonly fields: readonly string[] };

export interface RollbackPlan {
  readonly fromRevision: number;
  readonly targetRevision: number;
  /** `Kind/name` of objects the rollback creates, updates and deletes. */
  readonly create: readonly string[];
  readonly update: readonly string[];
  readonly delete: readonly string[];
  /** Hook names the rollback runs, in order. */
  readonly hooks: { readonly pre: readonly string[]; readonly post: readonly string[] };
  readonly risks: readonly Risk[];
  /** True when a risk refuses the rollback (unless forced). */
  readonly refused: boolean;
}

/** One record of the history with its custom labels (where migrations are recorded). */
export interface PlannedRecord {
  readonly release: Release;
  readonly labels: Labels;
}

export interface PlanInput {
  readonly current: Release;
  readonly target: Release;
  /** Objects of each revision's manifest, namespaces filled in. */
  readonly currentObjects: readonly KubeObject[];
  readonly targetObjects: readonly KubeObject[];
  readonly namespace: string;
  /** Every record of the release (to find migrations that ran after the target). */
  readonly history: readonly PlannedRecord[];
  /** Whether the cluster serves `apiVersion` + `kind` (from discovery). */
  readonly served: (apiVersion: string, kind: string) => boolean;
  /** Live objects that differ from the current revision (server-side dry-run). */
  readonly drift: readonly { readonly ref: ObjectRef; readonly fields: readonly string[] }[];
}

function label(o: { kind: string; metadata: { name?: string } } | ObjectRef): string {
  return 'metadata' in o ? `${o.kind}/${o.metadata.name ?? ''}` : `${o.kind}/${o.name}`;
}

/** Revisions after the target in which a migration hook ran, and the hooks' names. */
export function migrationsAfter(history: readonly PlannedRecord[], target: number): { revisions: number[]; hooks: string[] } {
  const revisions = new Set<number>();
  const hooks = new Set<string>();
  for (const rec of history) {
    const tagged = Number(rec.labels[MIGRATED_IN_LABEL]);
    if (Number.isInteger(tagged) && tagged > target) revisions.add(tagged);
    if (rec.release.version <= target) continue;
    const since = parseHelmTime(rec.release.info.last_deployed);
    for (const hook of rec.release.hooks ?? []) {
      if (isMigration(hook) && since && hookRanSince(hook, since)) {
        revisions.add(rec.release.version);
        hooks.add(hook.name ?? '');
      }
    }
  }
  return { revisions: [...revisions].sort((a, b) => a - b), hooks: [...hooks].sort() };
}

const PVC_FIELDS = ['storageClassName', 'accessModes', 'resources', 'volumeMode', 'selector', 'volumeName'] as const;
const STORAGE_CLASS_FIELDS = ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode', 'allowVolumeExpansion'] as const;

function pick(obj: unknown, fields: readonly string[]): string {
  const src = (obj ?? {}) as Record<string, unknown>;
  return JSON.stringify(fields.map((f) => [f, src[f] ?? null]));
}

/** Storage that a rollback from `current` to `target` would change or remove. */
export function storageChanges(current: readonly KubeObject[], target: readonly KubeObject[], namespace: string): Risk[] {
  const risks: Risk[] = [];
  const byKey = new Map(target.map((o) => [identityKey(o, namespace), o]));
  for (const cur of current) {
    const tgt = byKey.get(identityKey(cur, namespace));
    const name = label(cur);
    if (cur.kind === 'PersistentVolumeClaim' || cur.kind === 'StorageClass') {
      if (!tgt) {
        risks.push({ kind: 'StorageChange', refuse: true, object: name, detail: 'the target revision does not have it: the rollback would delete it' });
        continue;
      }
      const [a, b] = cur.kind === 'PersistentVolumeClaim' ? [pick(cur.spec, PVC_FIELDS), pick(tgt.spec, PVC_FIELDS)] : [pick(cur, STORAGE_CLASS_FIELDS), pick(tgt, STORAGE_CLASS_FIELDS)];
      if (a !== b) risks.push({ kind: 'StorageChange', refuse: true, object: name, detail: `its storage settings differ: ${a} → ${b}` });
    }
    if (cur.kind === 'StatefulSet' && tgt) {
      const a = JSON.stringify((cur.spec as { volumeClaimTemplates?: unknown } | undefined)?.volumeClaimTemplates ?? null);
      const b = JSON.stringify((tgt.spec as { volumeClaimTemplates?: unknown } | undefined)?.volumeClaimTemplates ?? null);
      if (a !== b) risks.push({ kind: 'StorageChange', refuse: true, object: name, detail: 'its volumeClaimTemplates differ' });
    }
  }
  return risks;
}

export function planRollback(input: PlanInput): RollbackPlan {
  const ns = input.namespace;
  const currentKeys = new Set(input.currentObjects.map((o) => identityKey(o, ns)));
  const targetKeys = new Set(input.targetObjects.map((o) => identityKey(o, ns)));
  const risks: Risk[] = [];

  for (const obj of input.targetObjects) {
    if (!input.served(obj.apiVersion, obj.kind)) {
      risks.push({ kind: 'ApiNotServed', refuse: true, object: label(obj), objectKind: obj.kind, apiVersion: obj.apiVersion });
    }
  }
  const migrations = migrationsAfter(input.history, input.target.version);
  if (migrations.revisions.length > 0) {
    risks.push({ kind: 'MigrationSinceTarget', refuse: true, revisions: migrations.revisions, hooks: migrations.hooks });
  }
  risks.push(...storageChanges(input.currentObjects, input.targetObjects, ns));
  for (const d of input.drift) risks.push({ kind: 'Drift', refuse: false, object: label(d.ref), fields: d.fields });

  const hooks = input.target.hooks ?? [];
  return {
    fromRevision: input.current.version,
    targetRevision: input.target.version,
    create: input.targetObjects.filter((o) => !currentKeys.has(identityKey(o, ns))).map(label),
    update: input.targetObjects.filter((o) => currentKeys.has(identityKey(o, ns))).map(label),
    delete: input.currentObjects.filter((o) => !targetKeys.has(identityKey(o, ns))).map(label),
    hooks: { pre: hooksFor(hooks, 'pre-rollback').map((h) => h.name ?? ''), post: hooksFor(hooks, 'post-rollback').map((h) => h.name ?? '') },
    risks,
    refused: risks.some((r) => r.refuse),
  };
}

/** One line per risk, for the refusal message, `--dry-run` and the forced description. */
export function describeRisk(r: Risk): string {
  switch (r.kind) {
    case 'ApiNotServed':
      return `${r.object} uses ${r.objectKind} ${r.apiVersion}, which the cluster no longer serves`;
    case 'MigrationSinceTarget':
      return `a migration ran after the target (revision ${r.revisions.join(', ')}${r.hooks.length ? `: ${r.hooks.join(', ')}` : ''}); rolling back does not undo it: forward-fix required`;
    case 'StorageChange':
      return `storage would change: ${r.object}: ${r.detail}`;
    case 'Drift':
      return `drift: ${r.object} was changed outside helm (${r.fields.join(', ')}); the rollback will overwrite it`;
  }
}
