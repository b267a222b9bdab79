/**
 * What the engine's integration tests share: engine deps on the test control plane (the real
 * Secrets store, the real API server, the real helm 4 for rendering), deploy/rollback shorthands
 * with fast polls, and the comparison with the real `helm history` every scenario ends with.
 */
import { inject, expect } from 'vitest';
import { openKubeClient } from '../../../src/kube/client.ts';
import { connect } from '../../../src/store/kube.ts';
import { historyRows } from '../../../src/release/views.ts';
import { runDeploy, runRollback, type DeployOptions, type RollbackOptions } from '../../../src/engine/sequence.ts';
import type { EngineDeps, ProgressEvent } from '../../../src/engine/types.ts';
import { helmOk } from '../../harness/cluster.ts';

export function engineDeps(events?: ProgressEvent[]): EngineDeps {
  const cluster = connect({ kubeconfig: inject('kubeconfig') });
  return {
    store: cluster.store,
    kube: openKubeClient(cluster.kubeConfig),
    helm: inject('helm4'),
    kubeconfig: inject('kubeconfig'),
    now: () => new Date(),
    ...(events ? { progress: (e: ProgressEvent) => void events.push(e) } : {}),
  };
}

type Deploy = Partial<Omit<DeployOptions, 'request'>> & { set?: string[]; chart?: string; mode?: 'install' | 'upgrade'; maxHistory?: number; owner?: string };

/** helmstep upgrade --install NAME CHART --set … (watcher wait, 60 s timeout, 0.5 s polls). */
export function deploy(deps: EngineDeps, namespace: string, name: string, chart: string, o: Deploy = {}) {
  return runDeploy(deps, {
    request: {
      namespace,
      name,
      chart: o.chart ?? chart,
      values: { set: (o.set ?? []).map((value) => ({ kind: 'set' as const, value })) },
      mode: o.mode ?? 'upgrade',
      installIfMissing: true,
      maxHistory: o.maxHistory ?? 10,
      ...(o.owner ? { owner: o.owner } : {}),
    },
    strategy: o.strategy ?? 'watcher',
    waitForJobs: o.waitForJobs ?? false,
    timeoutMs: o.timeoutMs ?? 60_000,
    rollbackOnFailure: o.rollbackOnFailure ?? false,
    cleanupOnFail: o.cleanupOnFail ?? false,
    forceConflicts: o.forceConflicts ?? false,
    pollSeconds: o.pollSeconds ?? 0.5,
    ...(o.description ? { description: o.description } : {}),
  });
}

type Rollback = Partial<Omit<RollbackOptions, 'request'>> & { force?: boolean; owner?: string; maxHistory?: number };

export function rollback(deps: EngineDeps, namespace: string, name: string, target: number, o: Rollback = {}) {
  return runRollback(deps, {
    request: { namespace, name, target, force: o.force ?? false, maxHistory: o.maxHistory ?? 10, ignoreLock: true, ...(o.owner ? { owner: o.owner } : {}) },
    strategy: o.strategy ?? 'watcher',
    waitForJobs: false,
    timeoutMs: o.timeoutMs ?? 60_000,
    cleanupOnFail: o.cleanupOnFail ?? false,
    pollSeconds: o.pollSeconds ?? 0.5,
  });
}

/** [revision, status, description] rows as helmstep reads them. */
export async function history(deps: EngineDeps, namespace: string, name: string): Promise<[number, string, string][]> {
  const rows = historyRows((await deps.store.history({ namespace, name })).map((h) => h.release), 256);
  return rows.map((r) => [r.revision, r.status, r.description]);
}

/** The real `helm history -o json` must agree with helmstep's reading of the same release. */
export async function expectHelmAgrees(deps: EngineDeps, namespace: string, name: string): Promise<void> {
  const helmRows = JSON.parse(await helmOk(4, ['history', name, '-n', namespace, '-o', 'json'])) as { revision: number; status: string; description: string }[];
  expect(helmRows.map((r) => [r.revision, r.status, r.description])).toEqual(await history(deps, namespace, name));
}
