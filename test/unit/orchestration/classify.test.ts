import { describe, expect, it } from 'vitest';
import { NameInUse, NotNewest, NotOwner, ReleaseChanged } from '../../../src/actions/errors.ts';
import { RenderFailed } from '../../../src/chart/render.ts';
import { WaitFailed, WaitTimedOut } from '../../../src/engine/health-gate.ts';
import { OperationSuperseded } from '../../../src/engine/observe.ts';
import { RollbackRefused } from '../../../src/engine/rollback.ts';
import type { RollbackPlan } from '../../../src/engine/rollback-plan.ts';
import { HookFailed } from '../../../src/engine/run-hooks.ts';
import { Interrupted, OperationFailed } from '../../../src/engine/sequence.ts';
import { ApplyConflict, InvalidObject, KubeApiUnavailable, KubeForbidden } from '../../../src/kube/errors.ts';
import { OwnershipConflict } from '../../../src/kube/manifest.ts';
import { InvalidReleaseName, OperationInProgress, ReleaseNotFound } from '../../../src/release/errors.ts';
import { ClusterBusy, ClusterUnavailable, ConcurrentUpdate, ReleaseExists } from '../../../src/store/errors.ts';
import { causeOf, classify, parseCause, REMEDIATE, RETRYABLE, STOP, StepError, toStepError } from '../../../src/orchestration/classify.ts';
import { InvalidRequest, LeaseHeld, LeaseLost, LeaseStoreFailed, LeaseStoreUnavailable, PollTimedOut } from '../../../src/orchestration/errors.ts';

const ref = { namespace: 'shop', name: 'web' };
const lref = { ...ref, cluster: 'prod' };
const op = { ...ref, op: 'upgrade' as const, revision: 2, owner: 'exec-1' };
const obj = { apiVersion: 'v1', kind: 'ConfigMap', name: 'web', namespace: 'shop' };
const plan: RollbackPlan = {
  fromRevision: 2,
  targetRevision: 1,
  create: [],
  update: [],
  delete: [],
  hooks: { pre: [], post: [] },
  risks: [{ kind: 'MigrationSinceTarget', refuse: true, revisions: [2], hooks: ['web-db-migration'] }],
  refused: true,
};

describe('classify: the outcome the state machines route on, from the error class', () => {
  const table: [string, unknown, string][] = [
    // Transient: nothing changed, the same call may succeed.
    ['ClusterBusy 429', new ClusterBusy('https://k', 429, 'list Secrets'), RETRYABLE],
    ['ClusterUnavailable (network)', new ClusterUnavailable('https://k', 'ECONNRESET'), RETRYABLE],
    ['KubeApiUnavailable 503', new KubeApiUnavailable('https://k', 503, 'apply', 'unavailable'), RETRYABLE],
    ['ReleaseExists (lost create race)', new ReleaseExists(ref, 2), RETRYABLE],
    ['ConcurrentUpdate', new ConcurrentUpdate(ref, 2), RETRYABLE],
    ['ReleaseChanged', new ReleaseChanged(ref, 2, 3), RETRYABLE],
    ['LeaseStoreUnavailable (DynamoDB throttling)', new LeaseStoreUnavailable('t', lref, 'ProvisionedThroughputExceededException'), RETRYABLE],
    // The operation failed after it began: remediate.
    ['HookFailed (pre-upgrade)', new HookFailed(ref, 'upgrade', 'pre-upgrade', 'web-backup', 'resource Job/shop/web-backup not ready', false), REMEDIATE],
    ['HookFailed (migration)', new HookFailed(ref, 'upgrade', 'post-upgrade', 'web-db-migration', 'x', true), REMEDIATE],
    ['WaitFailed', new WaitFailed(op, 'resource Deployment/shop/web not ready. status: Failed'), REMEDIATE],
    ['WaitTimedOut', new WaitTimedOut(op, 'resource Deployment/shop/web not ready\ncontext deadline exceeded'), REMEDIATE],
    ['PollTimedOut', new PollTimedOut(ref, 'BackupHook', new Date(0), 'hook running'), REMEDIATE],
    ['OperationFailed', new OperationFailed(ref, 'UPGRADE FAILED: x', undefined), REMEDIATE],
    ['ApplyConflict', new ApplyConflict(obj, 'Apply failed with 1 conflict', []), REMEDIATE],
    ['InvalidObject', new InvalidObject(obj, 422, 'spec.x: Invalid value'), REMEDIATE],
    // A person decides.
    ['OperationInProgress', new OperationInProgress(ref, 2, 'pending-upgrade'), STOP],
    ['RollbackRefused', new RollbackRefused(ref, plan), STOP],
    ['OwnershipConflict', new OwnershipConflict(ref, { kind: 'ConfigMap', name: 'web', namespace: 'shop' }, 'ConfigMap "web" exists'), STOP],
    ['RenderFailed', new RenderFailed(ref, './chart', 'Error: parse error'), STOP],
    ['InvalidRequest', new InvalidRequest('ValidateLock', ['name: required']), STOP],
    ['InvalidReleaseName', new InvalidReleaseName('Bad_Name'), STOP],
    ['LeaseHeld', new LeaseHeld(lref, 'exec-0', new Date(0)), STOP],
    ['LeaseLost', new LeaseLost(lref, 'exec-1', 'alice'), STOP],
    ['LeaseStoreFailed', new LeaseStoreFailed('t', lref, 'ResourceNotFoundException'), STOP],
    ['OperationSuperseded', new OperationSuperseded(op, 'it is failed'), STOP],
    ['NotOwner', new NotOwner(ref, 2, 'exec-1', 'pending-upgrade'), STOP],
    ['NotNewest', new NotNewest(ref, 2, 3, 'deployed'), STOP],
    ['NameInUse', new NameInUse(ref, 1, 'deployed'), STOP],
    ['ReleaseNotFound', new ReleaseNotFound(ref), STOP],
    ['KubeForbidden', new KubeForbidden('patch', 'ConfigMap "web"', 403, 'forbidden'), STOP],
    ['Interrupted (Ctrl-C of a local run: failed, or rolled back with --atomic)', new Interrupted(), REMEDIATE],
    ['ClusterUnavailable (TLS, not retryable)', new ClusterUnavailable('https://k', 'certificate', { retryable: false }), STOP],
    ['a plain TypeError', new TypeError('x is undefined'), STOP],
    ['a thrown string', 'boom', STOP],
  ];
  it.each(table)('%s', (_label, err, outcome) => {
    expect(classify(err)).toBe(outcome);
  });

  it('never looks at the message: the same class with any text classifies the same', () => {
    const a = new KubeForbidden('patch', 'x', 403, 'please retry later, temporarily unavailable (429)');
    expect(classify(a)).toBe(STOP);
  });
});

describe('the error a handler throws', () => {
  it('is named by the outcome and carries the original class, reason, message and helm text as JSON', () => {
    const hook = new HookFailed(ref, 'upgrade', 'pre-upgrade', 'web-backup', 'resource Job/shop/web-backup not ready. status: Failed', false);
    const e = toStepError(hook, 'BackupHook');
    expect(e).toBeInstanceOf(StepError);
    expect(e.name).toBe(REMEDIATE);
    expect(JSON.parse(e.message)).toEqual({
      state: 'BackupHook',
      class: 'HookFailed',
      reason: 'HookFailed',
      message: hook.message,
      text: 'pre-upgrade hooks failed: resource Job/shop/web-backup not ready. status: Failed',
    });
    expect(causeOf(new OperationInProgress(ref, 2, 'pending-upgrade'), 'Render').helmText).toBe('another operation (install/upgrade/rollback) is in progress');
  });

  it('is not wrapped twice', () => {
    const e = toStepError(new LeaseHeld(lref, 'x', new Date(0)), 'ValidateLock');
    expect(toStepError(e, 'Other')).toBe(e);
  });

  it('cuts a huge message so the Cause stays under Step Functions\' 32 KiB', () => {
    const e = toStepError(new RenderFailed(ref, './c', 'x'.repeat(100_000)), 'Render');
    expect(e.message.length).toBeLessThan(32_768);
    expect((JSON.parse(e.message) as { message: string }).message).toMatch(/more characters\)$/);
  });
});

describe('parseCause: reading a caught error back', () => {
  const ours = { state: 'Upgrade', class: 'ApplyConflict', reason: 'ApplyConflict', message: 'conflict' };

  it('reads the local engine\'s Cause (our JSON)', () => {
    expect(parseCause({ Error: REMEDIATE, Cause: JSON.stringify(ours) })).toEqual(ours);
  });

  it('reads AWS Lambda\'s Cause (the runtime\'s JSON whose errorMessage is ours)', () => {
    const aws = JSON.stringify({ errorType: REMEDIATE, errorMessage: JSON.stringify(ours), trace: ['at x'] });
    expect(parseCause({ Error: REMEDIATE, Cause: aws })).toEqual(ours);
  });

  it('keeps a foreign failure as its Error with its text (States.Timeout, a crashed runtime)', () => {
    expect(parseCause({ Error: 'States.Timeout', Cause: 'Task timed out after 300 seconds' }, 'Render')).toEqual({
      state: 'Render',
      class: 'States.Timeout',
      reason: 'States.Timeout',
      message: 'Task timed out after 300 seconds',
    });
    const crashed = JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: 'signal: killed' });
    expect(parseCause({ Error: 'Runtime.ExitError', Cause: crashed }).message).toBe('signal: killed');
    expect(parseCause(undefined).reason).toBe('Unknown');
  });
});
