import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_TALLY, foldEvents, type CountedEvent } from '../../../src/metrics/counters.ts';

/** Events of one execution, as src/orchestration/audit.ts logs its state transitions: [step, outcome]. */
function run(executionId: string, steps: readonly [string, string][], from = 1): CountedEvent[] {
  return steps.map(([step, outcome], i) => ({ seq: from + i, executionId, step, outcome }));
}

const OK = 'succeeded';
const deployOk: [string, string][] = [['ValidateLock', OK], ['Render', OK], ['BackupHook', OK], ['Upgrade', OK], ['HealthGate', OK], ['Migrate', OK], ['Finalize', OK]];
const deployRolledBack: [string, string][] = [
  ['ValidateLock', OK], ['Render', OK], ['BackupHook', OK], ['Upgrade', OK], ['HealthGate', 'timed-out'], ['FailRelease', 'failed'],
  ['RollbackBegin', 'started'], ['RollbackPreHooks', OK], ['RollbackUpgrade', OK], ['RollbackHealthGate', OK], ['RollbackPostHooks', OK], ['RollbackFinalize', OK],
  ['ReleaseLease', 'rolled-back'],
];
const deployFailed: [string, string][] = [['ValidateLock', OK], ['Render', OK], ['BackupHook', 'failed'], ['FailRelease', 'failed'], ['ReleaseLease', 'failed']];
const rollbackOk: [string, string][] = [['ValidateLock', OK], ['Rollback', 'started'], ['PreRollbackHooks', OK], ['Upgrade', OK], ['HealthGate', OK], ['PostRollbackHooks', OK], ['Finalize', OK]];
const rollbackRefused: [string, string][] = [['ValidateLock', OK], ['Rollback', 'failed'], ['FailRelease', 'failed'], ['ReleaseLease', 'failed']];
const rollbackFailedMidway: [string, string][] = [['ValidateLock', OK], ['Rollback', 'started'], ['PreRollbackHooks', 'failed'], ['FailRelease', 'failed'], ['ReleaseLease', 'failed']];
const refused: [string, string][] = [['ValidateLock', 'refused']];

describe('rollback and failed-upgrade counters from audit events', () => {
  it.each([
    ['a successful deploy', deployOk, 0, 0],
    ['a deploy whose health gate failed and was rolled back automatically', deployRolledBack, 1, 1],
    ['a deploy that failed without rollback', deployFailed, 0, 1],
    ['a rollback machine run', rollbackOk, 1, 0],
    ['a rollback the planner refused (never started)', rollbackRefused, 0, 0],
    ['a rollback that started and then failed: a rollback, not a failed upgrade', rollbackFailedMidway, 1, 0],
    ['a deploy refused by the lease', refused, 0, 0],
  ] as const)('%s → rollbacks %i, failed upgrades %i', (_, steps, rollbacks, failed) => {
    const t = foldEvents(EMPTY_TALLY, run('x1', steps));
    expect([t.rollbacks, t.failedUpgrades]).toEqual([rollbacks, failed]);
    expect(t.lastSeq).toBe(steps.length);
  });

  it('a failure logged across two scrapes (FailRelease, then ReleaseLease later) counts once', () => {
    const events = run('x1', deployRolledBack);
    const first = foldEvents(EMPTY_TALLY, events.slice(0, 7));
    expect([first.rollbacks, first.failedUpgrades]).toEqual([1, 1]);
    const second = foldEvents(first, events.slice(7));
    expect([second.rollbacks, second.failedUpgrades, second.lastSeq]).toEqual([1, 1, 13]);
  });

  it('events already folded are ignored, so reading the same page again changes nothing', () => {
    const events = run('x1', deployRolledBack);
    const once = foldEvents(EMPTY_TALLY, events);
    expect(foldEvents(once, events)).toMatchObject({ rollbacks: 1, failedUpgrades: 1, lastSeq: 13 });
  });

  it('items that could not be counted still move the read position on', () => {
    const t = foldEvents(EMPTY_TALLY, run('x1', deployOk), 9);
    expect(t.lastSeq).toBe(9);
  });

  it('folding in any number of pieces gives the totals of one fold (property)', () => {
    const kinds = [deployOk, deployRolledBack, deployFailed, rollbackOk, rollbackRefused, rollbackFailedMidway, refused];
    fc.assert(
      fc.property(fc.array(fc.nat(kinds.length - 1), { maxLength: 30 }), fc.array(fc.nat(400), { maxLength: 6 }), (picks, cuts) => {
        const events: CountedEvent[] = [];
        picks.forEach((k, i) => events.push(...run(`x${i}`, kinds[k]!, events.length + 1)));
        const whole = foldEvents(EMPTY_TALLY, events);
        let t = EMPTY_TALLY;
        let at = 0;
        for (const c of [...cuts.map((x) => x % (events.length + 1)).sort((a, b) => a - b), events.length]) {
          t = foldEvents(t, events.slice(at, Math.max(at, c)));
          at = Math.max(at, c);
        }
        expect([t.rollbacks, t.failedUpgrades, t.lastSeq]).toEqual([whole.rollbacks, whole.failedUpgrades, whole.lastSeq]);
        const expectRollbacks = picks.filter((k) => [1, 3, 5].includes(k)).length;
        const expectFailed = picks.filter((k) => [1, 2].includes(k)).length;
        expect([whole.rollbacks, whole.failedUpgrades]).toEqual([expectRollbacks, expectFailed]);
      }),
    );
  });
});
