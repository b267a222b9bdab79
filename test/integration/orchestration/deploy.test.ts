/**
 * The deploy state machine end to end on the real control plane, run by the local engine: each
 * path, and after every scenario the real `helm history` agrees with helmstep.
 */
import { describe, expect, it } from 'vitest';
import { clients, useNamespace, webappChart } from '../../harness/cluster.ts';
import { expectHelmAgrees, history } from '../engine/harness.ts';
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
});
