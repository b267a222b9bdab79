import { describe, expect, it } from 'vitest';
import { REMEDIATE, STOP, type StepCause } from '../../../src/orchestration/classify.ts';
import { outcomeOf } from '../../../src/orchestration/outcome.ts';
import { decideRemediation } from '../../../src/orchestration/remediation.ts';
import { DeployRequestSchema, RollbackRequestSchema, type DeployRequest, type RollbackRequest } from '../../../src/orchestration/request.ts';
import type { Doc } from '../../../src/orchestration/document.ts';
import type { OutcomeCause } from '../../../src/orchestration/outcome.ts';

const causeJson = (s: string) => JSON.parse(s) as OutcomeCause;

const deploy = (o: Record<string, unknown> = {}): DeployRequest => ({ ...DeployRequestSchema.parse({ namespace: 'shop', name: 'web', chart: './c', ...o }), cluster: 'prod' });
const rollbackReq: RollbackRequest = { ...RollbackRequestSchema.parse({ namespace: 'shop', name: 'web', target: 1 }), cluster: 'prod' };
const op = { namespace: 'shop', name: 'web', op: 'upgrade' as const, revision: 4, owner: 'exec' };
const cause = (state: string, cls = 'WaitTimedOut'): StepCause => ({ state, class: cls, reason: cls, message: `${cls} message`, text: `${cls} text` });
const history = [
  { version: 1, status: 'superseded' },
  { version: 2, status: 'deployed' },
  { version: 3, status: 'failed' },
  { version: 4, status: 'failed' },
];

describe('decideRemediation', () => {
  it('rolls back a failed health gate by default, to the last good revision', () => {
    expect(decideRemediation({ error: REMEDIATE, cause: cause('HealthGate'), request: deploy(), op, history })).toEqual({
      rollback: true,
      target: 2,
      why: 'the health gate failed: rolling back to revision 2',
    });
  });

  it('does not roll back a failed gate when rollbackOnGateFailure is off', () => {
    expect(decideRemediation({ error: REMEDIATE, cause: cause('HealthGate'), request: deploy({ rollbackOnGateFailure: false }), op, history }).rollback).toBe(false);
  });

  it('rolls back other remediable failures only with rollback-on-failure', () => {
    const hook = cause('BackupHook', 'HookFailed');
    expect(decideRemediation({ error: REMEDIATE, cause: hook, request: deploy(), op, history })).toEqual({ rollback: false, why: 'rollback-on-failure is not set' });
    expect(decideRemediation({ error: REMEDIATE, cause: hook, request: deploy({ rollbackOnFailure: true }), op, history })).toMatchObject({ rollback: true, target: 2 });
  });

  it('an interruption during the gate is not a gate failure: it rolls back only with rollback-on-failure', () => {
    const interrupted = { ...cause('HealthGate', 'Interrupted'), text: 'context canceled' };
    expect(decideRemediation({ error: REMEDIATE, cause: interrupted, request: deploy(), op, history })).toEqual({ rollback: false, why: 'rollback-on-failure is not set' });
    expect(decideRemediation({ error: REMEDIATE, cause: interrupted, request: deploy({ rollbackOnFailure: true }), op, history }).rollback).toBe(true);
  });

  it('never rolls back a Stop, a failed rollback, or a release with no good revision', () => {
    expect(decideRemediation({ error: STOP, cause: cause('Upgrade', 'OwnershipConflict'), request: deploy({ rollbackOnFailure: true }), op, history }).rollback).toBe(false);
    expect(decideRemediation({ error: REMEDIATE, cause: cause('HealthGate'), request: rollbackReq, op: { ...op, op: 'rollback' }, history }).rollback).toBe(false);
    expect(decideRemediation({ error: REMEDIATE, cause: cause('HealthGate'), request: deploy(), op: undefined, history }).rollback).toBe(false);
    const none = decideRemediation({ error: REMEDIATE, cause: cause('HealthGate'), request: deploy(), op: { ...op, revision: 1, op: 'install' }, history: [{ version: 1, status: 'failed' }] });
    expect(none).toEqual({ rollback: false, why: 'unable to find a previously successful release to roll back to' });
  });
});

describe('outcomeOf: how a failed execution ends', () => {
  const base = (over: Partial<Doc>): Doc => ({ request: deploy(), owner: 'exec', op, error: { Error: REMEDIATE, Cause: JSON.stringify(cause('HealthGate')) }, ...over });

  it('a rolled-back gate failure says so, with both revisions', () => {
    const o = outcomeOf(base({ failure: { revision: 4, rollback: true, target: 2, why: 'w' }, rollback: { ...op, op: 'rollback', revision: 5 }, rollbackRelease: { namespace: 'shop', name: 'web', revision: 5, status: 'deployed', description: 'Rollback to 2' } }));
    expect(o.error).toBe(REMEDIATE);
    expect(causeJson(o.cause)).toMatchObject({
      state: 'HealthGate',
      message: 'release web failed its health gate, and has been rolled back to revision 2: WaitTimedOut text',
      failedRevision: 4,
      rollbackRevision: 5,
      rolledBackTo: 2,
      release: { cluster: 'prod', namespace: 'shop', name: 'web' },
    });
  });

  it('with rollback-on-failure, uses helm\'s words', () => {
    const o = outcomeOf(base({ request: deploy({ rollbackOnFailure: true }), failure: { revision: 4, rollback: true, target: 2, why: 'w' }, rollbackRelease: { namespace: 'shop', name: 'web', revision: 5, status: 'deployed', description: 'Rollback to 2' } }));
    expect(causeJson(o.cause).message).toBe('release web failed, and has been rolled back due to rollback-on-failure being set: WaitTimedOut text');
  });

  it('a failed remediation names both failures', () => {
    const o = outcomeOf(base({ failure: { revision: 4, rollback: true, target: 2, why: 'w' }, rollbackError: { Error: STOP, Cause: JSON.stringify(cause('RollbackBegin', 'RollbackRefused')) } }));
    const c = causeJson(o.cause);
    expect(c.message).toBe('an error occurred while rolling back the release. original upgrade error: WaitTimedOut text: RollbackRefused text');
    expect(c.rollbackError).toMatchObject({ class: 'RollbackRefused' });
  });

  it('an upgrade that failed without rollback reads like helm\'s UPGRADE FAILED; a stop before any record keeps its own message', () => {
    expect(causeJson(outcomeOf(base({ failure: { revision: 4, rollback: false, why: 'w' } })).cause).message).toBe('UPGRADE FAILED: WaitTimedOut text');
    const early = outcomeOf({ request: deploy(), owner: 'exec', error: { Error: STOP, Cause: JSON.stringify({ ...cause('Render', 'RenderFailed'), text: undefined }) } });
    expect(early.error).toBe(STOP);
    expect(causeJson(early.cause).message).toBe('RenderFailed message');
  });
});
