/**
 * The reconciler: the cluster's release Secrets are the truth, the audit log a copy. For each
 * release it copies every revision the cluster has and the log lacks (a `helm upgrade` run by
 * hand, a copy lost or deleted), and reports log revisions whose Secret is gone: pruned by
 * `--history-max` (expected) or unexplained (deleted by hand — an auditor should look).
 *
 * `planReconcile` is the pure decision; `reconcile` does the reading and writing over a
 * ReleaseStore and the audit store. Copies are `putRevision` (first copy stays, so re-running is
 * harmless), each followed by an event of actor `system:reconciler` in the release's chain.
 */
import { randomBytes } from 'node:crypto';

import type { ReleaseRef } from '../release/errors.ts';
import type { Status } from '../release/record.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';
import { canonicalJson, sha256Hex, type AuditEvent, type AuditRef } from './events.ts';
import type { AuditQueries, Page } from './queries.ts';
import type { AuditStore } from './store.ts';

/** helm's and helmstep's default `--history-max`. */
export const DEFAULT_HISTORY_MAX = 10;

export const RECONCILER_ACTOR = 'system:reconciler';

/** An event step that says the release's records were deleted on purpose (an uninstall) up to a revision. */
export const UNINSTALL_STEP = 'Uninstall';

export interface ClusterRevision {
  readonly revision: number;
  readonly status: Status;
}

export interface PlanInput {
  /** Revisions of the release in the cluster (any order). */
  readonly cluster: readonly ClusterRevision[];
  /** Revisions of the release in the audit log (any order). */
  readonly log: readonly number[];
  /** The history max the release is deployed with; 0 means unlimited (helm never prunes). */
  readonly historyMax: number;
  /** The release's events, when read: an `Uninstall` event explains the deletion of what it names. */
  readonly events?: readonly Pick<AuditEvent, 'step' | 'outcome' | 'fromRevision' | 'toRevision'>[];
}

export type GoneReason = 'history-max' | 'uninstalled';

export interface ReconcilePlan {
  /** Cluster revisions missing from the log: copy them. */
  readonly copy: number[];
  /** Cluster revisions missing from the log but still pending: their operation copies them when it ends. */
  readonly inProgress: number[];
  /** Log revisions whose Secret is gone, as helm's pruning (or an uninstall event) explains. */
  readonly pruned: { readonly revision: number; readonly why: GoneReason }[];
  /** Log revisions whose Secret is gone with no explanation: deleted outside helm and helmstep. */
  readonly unexplained: number[];
}

const isPending = (status: string) => status.startsWith('pending-');

/**
 * Decides what to copy and how to read what is gone. Helm prunes oldest first (sparing the
 * newest deployed record) until `historyMax` records remain, so after revision r was pruned at
 * least historyMax − 1 records newer than r remain, and later prunes keep it so: a gone revision
 * with fewer newer survivors was not pruned by helm.
 */
export function planReconcile(input: PlanInput): ReconcilePlan {
  const inCluster = new Map(input.cluster.map((c) => [c.revision, c.status]));
  const inLog = new Set(input.log);
  const newestFirst = [...inCluster.keys()].sort((a, b) => b - a);
  const copy: number[] = [];
  const inProgress: number[] = [];
  for (const rev of [...inCluster.keys()].sort((a, b) => a - b)) {
    if (inLog.has(rev)) continue;
    if (isPending(String(inCluster.get(rev)))) inProgress.push(rev);
    else copy.push(rev);
  }
  const uninstalledUpTo = Math.max(
    0,
    ...(input.events ?? [])
      .filter((e) => e.step === UNINSTALL_STEP && e.outcome === 'succeeded')
      .map((e) => Math.max(e.toRevision ?? 0, e.fromRevision ?? 0)),
  );
  const pruned: ReconcilePlan['pruned'][number][] = [];
  const unexplained: number[] = [];
  for (const rev of [...inLog].sort((a, b) => a - b)) {
    if (inCluster.has(rev)) continue;
    const newer = newestFirst.filter((r) => r > rev).length;
    if (input.historyMax > 0 && newer >= input.historyMax - 1 && newer > 0) pruned.push({ revision: rev, why: 'history-max' });
    else if (rev <= uninstalledUpTo) pruned.push({ revision: rev, why: 'uninstalled' });
    else unexplained.push(rev);
  }
  return { copy, inProgress, pruned, unexplained };
}

// ---------------------------------------------------------------------------------------------
// I/O

export interface ReconcileDeps {
  readonly store: ReleaseStore;
  readonly audit: AuditStore;
  readonly queries: AuditQueries;
  /** The cluster's name in the audit keys. */
  readonly cluster: string;
  /** History max of every release (default 10, helm's default); `historyMaxOf` overrides per release. */
  readonly historyMax?: number;
  readonly historyMaxOf?: (ref: ReleaseRef) => number | undefined;
  /** This run's id in the events it appends (default `reconcile-<time>-<random>`). */
  readonly runId?: string;
}

export interface ReleaseReconcile extends ReconcilePlan {
  readonly ref: AuditRef;
  /** Of `copy`, the revisions this run wrote (others were written meanwhile by someone else). */
  readonly copied: number[];
}

export interface ReconcileReport {
  readonly runId: string;
  readonly releases: ReleaseReconcile[];
}

export type ReconcileScope = { readonly namespace?: string } | { readonly release: ReleaseRef };

async function allPages<T>(read: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}

export function reconcilerRunId(now = new Date()): string {
  return `reconcile-${now.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
}

/** Reconciles one release given its cluster records. */
async function reconcileRelease(deps: ReconcileDeps, runId: string, ref: ReleaseRef, records: readonly StoredRelease[]): Promise<ReleaseReconcile> {
  const aref: AuditRef = { cluster: deps.cluster, namespace: ref.namespace, name: ref.name };
  const logged = await allPages((cursor) => deps.queries.releaseRevisions(aref, { limit: 1000, ...(cursor ? { cursor } : {}) }));
  const historyMax = deps.historyMaxOf?.(ref) ?? deps.historyMax ?? DEFAULT_HISTORY_MAX;
  const input: PlanInput = {
    cluster: records.map((r) => ({ revision: r.release.version, status: r.release.info.status })),
    log: logged.map((s) => s.revision),
    historyMax,
  };
  let plan = planReconcile(input);
  if (plan.unexplained.length > 0) {
    // Events are read only when the history max does not explain a deletion: a long log is costly to read each run.
    const events = await allPages((cursor) => deps.queries.releaseEvents(aref, { limit: 1000, ...(cursor ? { cursor } : {}) }));
    plan = planReconcile({ ...input, events });
  }
  const copied: number[] = [];
  for (const rev of plan.copy) {
    const stored = records.find((r) => r.release.version === rev)!;
    const put = await deps.audit.putRevision(aref, stored.release, stored.labels);
    if (!put.written) continue;
    copied.push(rev);
    await deps.audit.append({
      release: aref,
      actor: RECONCILER_ACTOR,
      trigger: { kind: 'reconcile' },
      executionId: runId,
      step: `CopyRevision v${rev}`,
      outcome: 'succeeded',
      toRevision: rev,
      manifestDigest: sha256Hex(stored.release.manifest ?? ''),
      valuesDigest: sha256Hex(canonicalJson(stored.release.config ?? {})),
    });
  }
  return { ref: aref, ...plan, copied };
}

/**
 * Reconciles the releases of a namespace (all namespaces when none is given) or one release.
 * Per release: read the cluster's history and the log's revisions, plan, copy.
 */
export async function reconcile(deps: ReconcileDeps, scope: ReconcileScope = {}): Promise<ReconcileReport> {
  const runId = deps.runId ?? reconcilerRunId();
  const refs: ReleaseRef[] =
    'release' in scope
      ? [scope.release]
      : (await deps.store.list(scope.namespace)).map((s) => ({ namespace: s.release.namespace ?? scope.namespace ?? '', name: s.release.name }));
  refs.sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1));
  const releases: ReleaseReconcile[] = [];
  for (const ref of refs) releases.push(await reconcileRelease(deps, runId, ref, await deps.store.history(ref)));
  return { runId, releases };
}
