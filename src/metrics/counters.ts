/**
 * The rollback and failed-upgrade counters of one release, folded from its audit events in
 * sequence order. Pure: the caller reads only the events after `lastSeq` and folds them in, so a
 * scrape costs one Query per release that usually returns nothing, and the totals are the same
 * on every replica and after a restart (a new process folds the log from event 1 once).
 *
 * What counts (the events are those src/orchestration/audit.ts writes per state transition):
 * - a rollback: `Rollback` (rollback machine) or `RollbackBegin` (the deploy machine's automatic
 *   rollback) with outcome `started` — the `pending-rollback` record was written, so the cluster
 *   was rolled back whether or not the rollback then finished; a rollback the planner refused
 *   never starts and does not count;
 * - a failed upgrade: a deploy execution's `FailRelease` (outcome `failed`) or `ReleaseLease`
 *   (`failed` / `rolled-back`), once per execution (a failure that is rolled back logs both).
 *   Failures of the rollback machine are failed rollbacks, not failed upgrades: an execution is
 *   a rollback one when it logged a `Rollback` step, a deploy one when it logged `Render`.
 *   `upgrade --install` of a new release is a deploy execution too, so its failure counts.
 */

/** The fields of an audit event the counters need. */
export interface CountedEvent {
  readonly seq: number;
  readonly executionId: string;
  readonly step: string;
  readonly outcome: string;
}

interface ExecutionMark {
  readonly kind?: 'deploy' | 'rollback';
  readonly failureCounted: boolean;
}

export interface Tally {
  /** The newest event folded in (0: none yet). */
  readonly lastSeq: number;
  readonly rollbacks: number;
  readonly failedUpgrades: number;
  /** The latest executions seen, oldest first (the lease runs one at a time per release). */
  readonly executions: ReadonlyMap<string, ExecutionMark>;
}

export const EMPTY_TALLY: Tally = { lastSeq: 0, rollbacks: 0, failedUpgrades: 0, executions: new Map() };

/** Executions remembered per release: one runs at a time, a few cover an expired lease's straggler. */
const REMEMBERED_EXECUTIONS = 8;

const ROLLBACK_STARTS = new Set(['Rollback', 'RollbackBegin']);

function isFailure(e: CountedEvent): boolean {
  if (e.step === 'FailRelease') return e.outcome === 'failed';
  if (e.step === 'ReleaseLease') return e.outcome === 'failed' || e.outcome === 'rolled-back';
  return false;
}

function kindOf(e: CountedEvent): ExecutionMark['kind'] {
  if (e.step === 'Render' || e.step === 'RollbackBegin') return 'deploy';
  if (e.step === 'Rollback') return 'rollback';
  return undefined;
}

/**
 * The tally after `events`; events at or before `lastSeq` (already folded) are ignored.
 * `readUpTo`: the highest sequence number read, when items that could not be counted came after the last event.
 */
export function foldEvents(t: Tally, events: readonly CountedEvent[], readUpTo = 0): Tally {
  let { lastSeq, rollbacks, failedUpgrades } = t;
  const executions = new Map(t.executions);
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if (e.seq <= lastSeq) continue;
    lastSeq = e.seq;
    const seen = executions.get(e.executionId) ?? { failureCounted: false };
    let mark: ExecutionMark = { ...seen, kind: seen.kind ?? kindOf(e) };
    if (ROLLBACK_STARTS.has(e.step) && e.outcome === 'started') rollbacks++;
    if (isFailure(e) && mark.kind !== 'rollback' && !mark.failureCounted) {
      failedUpgrades++;
      mark = { ...mark, failureCounted: true };
    }
    executions.delete(e.executionId); // re-insert: Map order is recency
    executions.set(e.executionId, mark);
    if (executions.size > REMEMBERED_EXECUTIONS) executions.delete(executions.keys().next().value!);
  }
  return { lastSeq: Math.max(lastSeq, readUpTo), rollbacks, failedUpgrades, executions };
}
