/**
 * The deploy state machine end to end on the real control plane, run by the local engine: each
 * path, and after every scenario the real `helm history` agrees with helmstep.
 */
import { describe, expect, it } from 'vitest';
import { clients, useNamespace, webappChart } from '../../harness/cluster.ts';
import { expectHelmAgrees, history } from '../engine/harness.ts';
import { GateFailed } from '../../../src/gate/errors.ts';
import type { GatePoller } from '../../../src/orchestration/deps.ts';
import { failure, orchestrationDeps, runDeploy, succeeded, useLeaseDb } from './harness.ts';

describe('the deploy state machine', () => {
  const ns = useNamespace('sfn-deploy');
  const leases = useLeaseDb();
  const { core } = clients();
  const configMessage = async (release: string) => (await core.readNamespacedConfigMap({ name: `${release}-webapp-config`, namespace: ns.name })).data?.message;

  it('happy upgrade: every state in order, the migration after the gate, the lease released, helm agrees', async () => {
    const deps = orchestrationDeps(leases.store());
    const first = await runDeploy(deps, ns.name, 'happy', webappChart, { set: ['message=v1'] });
    expect(succeeded(first)).toMatchObject({ revision: 1, status: 'deployed', description: 'Install complete' });
    const second = await runDeploy(deps, ns.name, 'happy', webappChart, { set: ['message=v2', 'migration.enabled=true'] });
    expect(succeeded(second)).toEqual({ namespace: ns.name, name: 'happy', revision: 2, status: 'deployed', description: 'Upgrade complete' });
    const main = second.path.filter((s) => !s.endsWith('Done') && !s.endsWith('Wait'));
    expect([...new Set(main)]).toEqual(['ValidateLock', 'Render', 'BackupHook', 'Upgrade', 'HealthGate', 'Migrate', 'Finalize', 'Deployed']);
    expect(second.path).toContain('BackupHookWait'); // the backup Job is polled, not waited for in a Lambda
    expect(await configMessage('happy')).toBe('v2');
    expect(await leases.store().read({ cluster: 'kwok-test', namespace: ns.name, name: 'happy' })).toBeUndefined();
    expect(await history(deps.engine, ns.name, 'happy')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'happy');
  });

  it('pre-upgrade hook failure: the execution stops, nothing applied, the previous revision stays deployed', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'prehook', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'prehook', webappChart, { set: ['message=v2', 'backup.podBehaviour=fail'] });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'BackupHook', class: 'HookFailed', reason: 'HookFailed', failedRevision: 2, remediation: 'rollback-on-failure is not set' });
    expect(cause.message).toBe(
      `UPGRADE FAILED: pre-upgrade hooks failed: resource Job/${ns.name}/prehook-webapp-backup not ready. status: Failed, message: Job Failed. failed: 1/1`,
    );
    expect(run.path).not.toContain('Upgrade');
    expect(run.path.slice(-4)).toEqual(['FailRelease', 'ShouldRollBack', 'ReleaseLease', 'Failed']);
    expect(await configMessage('prehook')).toBe('v1');
    expect(await history(deps.engine, ns.name, 'prehook')).toEqual([
      [1, 'deployed', 'Install complete'],
      [2, 'failed', `Upgrade "prehook" failed: pre-upgrade hooks failed: resource Job/${ns.name}/prehook-webapp-backup not ready. status: Failed, message: Job Failed. failed: 1/1`],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'prehook');
  });

  it('readiness gate failure: the release is rolled back to the last good revision automatically, and the execution says why', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'gate', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'gate', webappChart, { set: ['message=v2', 'podBehaviour=crashloop'], timeoutSeconds: 4 });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'WaitTimedOut', failedRevision: 2, rollbackRevision: 3, rolledBackTo: 1 });
    expect(cause.message).toMatch(
      new RegExp(`^release gate failed its health gate, and has been rolled back to revision 1: resource Deployment/${ns.name}/gate-webapp not ready\\. status: InProgress`),
    );
    expect(cause.message).toContain('context deadline exceeded');
    const main = [...new Set(run.path.filter((s) => !/(Done|Wait)$/.test(s)))];
    expect(main).toEqual([
      'ValidateLock', 'Render', 'BackupHook', 'Upgrade', 'HealthGate', 'FailRelease', 'ShouldRollBack',
      'RollbackBegin', 'RollbackPreHooks', 'RollbackUpgrade', 'RollbackHealthGate', 'RollbackPostHooks', 'RollbackFinalize', 'ReleaseLease', 'Failed',
    ]);
    expect(await configMessage('gate')).toBe('v1');
    const rows = await history(deps.engine, ns.name, 'gate');
    expect(rows.map(([r, st]) => [r, st])).toEqual([
      [1, 'superseded'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
    expect(rows[1]?.[2]).toMatch(/^Upgrade "gate" failed: resource Deployment\/.*not ready.*\ncontext deadline exceeded$/s);
    expect(rows[2]?.[2]).toBe('Rollback to 1');
    expect(await leases.store().read({ cluster: 'kwok-test', namespace: ns.name, name: 'gate' })).toBeUndefined();
    await expectHelmAgrees(deps.engine, ns.name, 'gate');
  });

  it('readiness gate failure with rollbackOnGateFailure off: failed, not rolled back (helm --wait without --atomic)', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'noroll', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'noroll', webappChart, { set: ['message=v2', 'podBehaviour=crashloop'], timeoutSeconds: 3, rollbackOnGateFailure: false });
    const { cause } = failure(run);
    expect(cause.remediation).toBe('the health gate failed and rollbackOnGateFailure is off');
    expect(cause.message).toMatch(/^UPGRADE FAILED: resource Deployment\/.*not ready/);
    expect(run.path).not.toContain('RollbackBegin');
    expect((await history(deps.engine, ns.name, 'noroll')).map(([r, st]) => [r, st])).toEqual([
      [1, 'deployed'],
      [2, 'failed'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'noroll');
  });

  it('migration failure: the release is failed after the apply and the migration is recorded', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'mig', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'mig', webappChart, { set: ['message=v2', 'migration.enabled=true', 'migration.podBehaviour=fail'] });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'Migrate', class: 'HookFailed', failedRevision: 2 });
    expect(cause.message).toBe(
      `UPGRADE FAILED: post-upgrade hooks failed: resource Job/${ns.name}/mig-webapp-db-migration not ready. status: Failed, message: Job Failed. failed: 1/1`,
    );
    expect(await configMessage('mig')).toBe('v2'); // applied before the migration, as helm's post-upgrade hooks
    expect((await deps.engine.store.get({ namespace: ns.name, name: 'mig' }, 2)).labels['helmstep.dev/migrated-in']).toBe('2');
    expect((await history(deps.engine, ns.name, 'mig')).map(([r, st]) => [r, st])).toEqual([
      [1, 'deployed'],
      [2, 'failed'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'mig');
  });

  it('migration failure with rollback-on-failure: the automatic rollback is refused as forward-fix, and the execution says both', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'migatomic', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'migatomic', webappChart, {
      set: ['message=v2', 'migration.enabled=true', 'migration.podBehaviour=fail'],
      rollbackOnFailure: true,
    });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause.rollbackError).toMatchObject({ state: 'RollbackBegin', class: 'RollbackRefused' });
    expect(cause.message).toMatch(/^an error occurred while rolling back the release\. original upgrade error: post-upgrade hooks failed: .*: rollback of release "migatomic" .* refused: .*forward-fix required/s);
    expect(run.path).toContain('RollbackFailRelease');
    expect(run.path).not.toContain('RollbackUpgrade');
    expect((await history(deps.engine, ns.name, 'migatomic')).map(([r, st]) => [r, st])).toEqual([
      [1, 'deployed'],
      [2, 'failed'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'migatomic');
  });

  it('a backup hook that never finishes times out in the BackupHook loop', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'bto', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'bto', webappChart, { set: ['message=v2', 'backup.podBehaviour=crashloop'], timeoutSeconds: 2 });
    const { cause } = failure(run);
    expect(cause).toMatchObject({ state: 'BackupHook', class: 'HookFailed' });
    expect(cause.message).toMatch(/^UPGRADE FAILED: pre-upgrade hooks failed: resource Job\/.*\/bto-webapp-backup not ready\. status: InProgress.*\ncontext deadline exceeded$/s);
    expect(run.path.filter((s) => s === 'BackupHookWait').length).toBeGreaterThan(0);
    expect(await configMessage('bto')).toBe('v1');
    await expectHelmAgrees(deps.engine, ns.name, 'bto');
  });

  it('a migration that never finishes times out in the Migrate loop', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'mto', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'mto', webappChart, { set: ['message=v2', 'migration.enabled=true', 'migration.podBehaviour=crashloop'], timeoutSeconds: 2 });
    const { cause } = failure(run);
    expect(cause).toMatchObject({ state: 'Migrate', class: 'HookFailed' });
    expect(cause.message).toMatch(/^UPGRADE FAILED: post-upgrade hooks failed: .*mto-webapp-db-migration not ready\. status: InProgress.*\ncontext deadline exceeded$/s);
    expect(run.path.filter((s) => s === 'MigrateWait').length).toBeGreaterThan(0);
    await expectHelmAgrees(deps.engine, ns.name, 'mto');
  });

  it('a chart that does not render stops before any record is written, and the lease is released', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'norender', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'norender', `${webappChart}-does-not-exist`);
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Stop');
    expect(cause).toMatchObject({ state: 'Render', class: 'RenderFailed', remediation: expect.stringMatching(/^nothing to fail: no revision was written/) as unknown });
    expect(cause.message).toMatch(/^helm could not render chart .*webapp-does-not-exist for release "norender"/);
    expect(await leases.store().read({ cluster: 'kwok-test', namespace: ns.name, name: 'norender' })).toBeUndefined();
    expect(await history(deps.engine, ns.name, 'norender')).toEqual([[1, 'deployed', 'Install complete']]);
    await expectHelmAgrees(deps.engine, ns.name, 'norender');
  });

  it('an invalid request is rejected by ValidateLock before anything is touched', async () => {
    const deps = orchestrationDeps(leases.store());
    const run = await runDeploy(deps, ns.name, 'Bad_Name', webappChart, { timeoutSeconds: -1 });
    expect(run.path).toEqual(['ValidateLock', 'Rejected']);
    const r = run.result as { error: string; cause: string };
    expect(r.error).toBe('helmstep.Stop');
    const cause = JSON.parse(r.cause) as { reason: string; message: string };
    expect(cause.reason).toBe('InvalidRequest');
    expect(cause.message).toContain('timeoutSeconds');
  });

  it('the gate extension point: after readiness, HealthGate polls the request\'s gate, passing its state back, until it passes', async () => {
    const calls: { spec: unknown; state: unknown }[] = [];
    const gate: GatePoller = (_d, spec, state) => {
      calls.push({ spec, state });
      return Promise.resolve(state ? { done: true, progress: 'bake passed' } : { done: false, seconds: 1, progress: 'baking 1/2', state: { samples: 1 } });
    };
    const deps = { ...orchestrationDeps(leases.store()), gate };
    succeeded(await runDeploy(deps, ns.name, 'gated', webappChart, { set: ['message=v1'] }));
    calls.length = 0;
    const run = await runDeploy(deps, ns.name, 'gated', webappChart, { set: ['message=v2'], gate: { bakeSeconds: 2 } });
    expect(succeeded(run).revision).toBe(2);
    expect(calls).toEqual([
      { spec: { bakeSeconds: 2 }, state: undefined },
      { spec: { bakeSeconds: 2 }, state: { samples: 1 } },
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'gated');
  });

  it('a failed gate check rolls back automatically and the execution names the check and its value', async () => {
    const gate: GatePoller = () => Promise.reject(new GateFailed('error-rate', 0.2, 'prometheus check error-rate (rate(errors[1m])) = 0.2, limit < 0.01'));
    const deps = { ...orchestrationDeps(leases.store()), gate };
    succeeded(await runDeploy(deps, ns.name, 'gatefail', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'gatefail', webappChart, { set: ['message=v2'], gate: { bakeSeconds: 2 } });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'GateFailed', rolledBackTo: 1 });
    expect(cause.message).toBe('release gatefail failed its health gate, and has been rolled back to revision 1: prometheus check error-rate (rate(errors[1m])) = 0.2, limit < 0.01');
    expect(await configMessage('gatefail')).toBe('v1');
    expect((await history(deps.engine, ns.name, 'gatefail')).map(([r, st]) => [r, st])).toEqual([
      [1, 'superseded'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'gatefail');
  });
});
