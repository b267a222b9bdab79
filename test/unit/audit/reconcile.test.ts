import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { planReconcile, type ClusterRevision } from '../../../src/audit/reconcile.ts';
import type { Status } from '../../../src/release/record.ts';

const revs = (...xs: [number, Status][]): ClusterRevision[] => xs.map(([revision, status]) => ({ revision, status }));

describe('planReconcile', () => {
  it('copies cluster revisions missing from the log, oldest first, and leaves pending ones to their operation', () => {
    const plan = planReconcile({
      cluster: revs([3, 'superseded'], [1, 'superseded'], [4, 'deployed'], [5, 'pending-upgrade']),
      log: [3],
      historyMax: 10,
    });
    expect(plan).toEqual({ copy: [1, 4], inProgress: [5], pruned: [], unexplained: [] });
  });

  it('reads a gone revision with at least historyMax-1 newer survivors as pruned, one with fewer as unexplained', () => {
    // max 3: helm kept 8, 9, 10 after pruning 1-7.
    const pruned = planReconcile({ cluster: revs([8, 'superseded'], [9, 'superseded'], [10, 'deployed']), log: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], historyMax: 3 });
    expect(pruned.pruned.map((p) => p.revision)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(pruned.unexplained).toEqual([]);
    // 9 deleted by hand: only one newer revision survives it, helm would have kept it.
    const byHand = planReconcile({ cluster: revs([8, 'superseded'], [10, 'deployed']), log: [8, 9, 10], historyMax: 3 });
    expect(byHand.unexplained).toEqual([9]);
    expect(byHand.pruned).toEqual([]);
  });

  it('keeps the newest deployed record out of the reading: a deployed old survivor does not make newer gaps unexplained', () => {
    // helm's rule: max 3 over [3 deployed, 4 failed, 5 failed, 6 failed, 7 failed] keeps 3 and deletes 4, 5.
    const plan = planReconcile({ cluster: revs([3, 'deployed'], [6, 'failed'], [7, 'failed']), log: [3, 4, 5, 6, 7], historyMax: 3 });
    expect(plan.pruned.map((p) => p.revision)).toEqual([4, 5]);
    expect(plan.unexplained).toEqual([]);
  });

  it('never reads a deletion as pruning with history max 0 (unlimited), nor the newest revision', () => {
    expect(planReconcile({ cluster: revs([2, 'deployed']), log: [1, 2], historyMax: 0 }).unexplained).toEqual([1]);
    expect(planReconcile({ cluster: revs([1, 'superseded']), log: [1, 2], historyMax: 1 }).unexplained).toEqual([2]);
  });

  it('an Uninstall event explains the deletion of the revisions up to the one it names', () => {
    const events = [{ step: 'Uninstall', outcome: 'succeeded' as const, toRevision: 4 }];
    const plan = planReconcile({ cluster: [], log: [3, 4], historyMax: 10, events });
    expect(plan.pruned).toEqual([
      { revision: 3, why: 'uninstalled' },
      { revision: 4, why: 'uninstalled' },
    ]);
    expect(planReconcile({ cluster: [], log: [3, 4], historyMax: 10, events: [{ ...events[0]!, outcome: 'failed' as const }] }).unexplained).toEqual([3, 4]);
  });

  it('partitions: every cluster revision is in the log or copied or in progress; every log revision is in the cluster, pruned or unexplained', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 12 }),
        fc.array(fc.constantFrom<Status>('deployed', 'superseded', 'failed', 'pending-upgrade'), { minLength: 40, maxLength: 40 }),
        (cluster, log, historyMax, statuses) => {
          const plan = planReconcile({ cluster: cluster.map((revision) => ({ revision, status: statuses[revision - 1]! })), log, historyMax });
          const logSet = new Set(log);
          const clusterSet = new Set(cluster);
          expect([...plan.copy, ...plan.inProgress].sort((a, b) => a - b)).toEqual(cluster.filter((r) => !logSet.has(r)).sort((a, b) => a - b));
          expect([...plan.pruned.map((p) => p.revision), ...plan.unexplained].sort((a, b) => a - b)).toEqual(log.filter((r) => !clusterSet.has(r)).sort((a, b) => a - b));
          for (const r of plan.inProgress) expect(statuses[r - 1]).toBe('pending-upgrade');
        },
      ),
    );
  });
});
