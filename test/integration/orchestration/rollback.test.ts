/**
 * The rollback state machine end to end, and the deploy machine's remediation rollback loops, on
 * the real control plane through the local engine; after every scenario `helm history` agrees.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { clients, useNamespace, webappChart } from '../../harness/cluster.ts';
import { expectHelmAgrees, history } from '../engine/harness.ts';
import { failure, orchestrationDeps, runDeploy, runRollback, succeeded, useLeaseDb } from './harness.ts';

const rollhooks = fileURLToPath(new URL('./charts/rollhooks', import.meta.url));

describe('the rollback state machine', () => {
  const ns = useNamespace('sfn-rollback');
  const leases = useLeaseDb();
  const { core, batch } = clients();
  const generation = async (release: string) => (await core.readNamespacedConfigMap({ name: `${release}-settings`, namespace: ns.name })).data?.generation;

  it('rolls back through its hooks, apply and readiness: a new revision "Rollback to 1"', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'rb', rollhooks, { set: ['generation=1'] }));
    succeeded(await runDeploy(deps, ns.name, 'rb', rollhooks, { set: ['generation=2'] }));
    const run = await runRollback(deps, ns.name, 'rb', 1);
    expect(succeeded(run)).toEqual({ namespace: ns.name, name: 'rb', revision: 3, status: 'deployed', description: 'Rollback to 1' });
    expect([...new Set(run.path.filter((s) => !/(Done|Wait)$/.test(s)))]).toEqual([
      'ValidateLock', 'Rollback', 'PreRollbackHooks', 'Upgrade', 'HealthGate', 'PostRollbackHooks', 'Finalize', 'RolledBack',
    ]);
    expect(await generation('rb')).toBe('1');
    expect((await batch.readNamespacedJob({ name: 'rb-post-rollback', namespace: ns.name })).status?.succeeded).toBe(1);
    expect(await history(deps.engine, ns.name, 'rb')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'superseded', 'Upgrade complete'],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'rb');
  });

  it('a rollback over a migration is refused (forward-fix): the execution stops with the plan\'s reason and writes nothing', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'fwd', webappChart, { set: ['message=v1'] }));
    succeeded(await runDeploy(deps, ns.name, 'fwd', webappChart, { set: ['message=v2', 'migration.enabled=true'] }));
    const run = await runRollback(deps, ns.name, 'fwd', 1);
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Stop');
    expect(cause).toMatchObject({ state: 'Rollback', class: 'RollbackRefused', reason: 'RollbackRefused' });
    expect(cause.message).toContain('a migration ran after the target (revision 2: fwd-webapp-db-migration)');
    expect(cause.message).toContain('forward-fix required');
    expect(run.path).toEqual(['ValidateLock', 'Rollback', 'FailRelease', 'ReleaseLease', 'Failed']);
    expect((await history(deps.engine, ns.name, 'fwd')).map(([r, s]) => [r, s])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    expect(await leases.store().read({ cluster: 'kwok-test', namespace: ns.name, name: 'fwd' })).toBeUndefined();
    // --force goes through, recorded in the description.
    expect(succeeded(await runRollback(deps, ns.name, 'fwd', 1, { force: true })).description).toBe('Rollback to 1 (forced past: MigrationSinceTarget)');
    await expectHelmAgrees(deps.engine, ns.name, 'fwd');
  });

  it('a pre-rollback hook that never finishes times out in PreRollbackHooks: the rollback record is failed', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'preto', rollhooks, { set: ['generation=1', 'preRollback.behaviour=crashloop'] }));
    succeeded(await runDeploy(deps, ns.name, 'preto', rollhooks, { set: ['generation=2'] }));
    const run = await runRollback(deps, ns.name, 'preto', 1, { timeoutSeconds: 2 });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'PreRollbackHooks', class: 'HookFailed', failedRevision: 3 });
    expect(cause.message).toMatch(/^resource Job\/.*\/preto-pre-rollback not ready\. status: InProgress.*\ncontext deadline exceeded$/s);
    expect(run.path).not.toContain('Upgrade');
    const rows = await history(deps.engine, ns.name, 'preto');
    expect(rows.map(([r, s]) => [r, s])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'failed'],
    ]);
    expect(rows[2]?.[2]).toMatch(/^Rollback "preto" failed: resource Job/);
    expect(await generation('preto')).toBe('2');
    await expectHelmAgrees(deps.engine, ns.name, 'preto');
  });

  it('a post-rollback hook that never finishes times out in PostRollbackHooks', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'postto', rollhooks, { set: ['generation=1', 'postRollback.behaviour=crashloop'] }));
    succeeded(await runDeploy(deps, ns.name, 'postto', rollhooks, { set: ['generation=2'] }));
    const run = await runRollback(deps, ns.name, 'postto', 1, { timeoutSeconds: 2 });
    const { cause } = failure(run);
    expect(cause).toMatchObject({ state: 'PostRollbackHooks', class: 'HookFailed', failedRevision: 3 });
    expect(cause.message).toContain('context deadline exceeded');
    expect(await generation('postto')).toBe('1'); // applied before the post-rollback hook
    expect((await history(deps.engine, ns.name, 'postto')).at(-1)?.[1]).toBe('failed');
    await expectHelmAgrees(deps.engine, ns.name, 'postto');
  });

  it('a target that never becomes ready times out in HealthGate', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'gto', rollhooks, { set: ['generation=1', 'podBehaviour=crashloop'], wait: 'hookOnly' }));
    succeeded(await runDeploy(deps, ns.name, 'gto', rollhooks, { set: ['generation=2'] }));
    const run = await runRollback(deps, ns.name, 'gto', 1, { timeoutSeconds: 3 });
    const { cause } = failure(run);
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'WaitTimedOut', failedRevision: 3 });
    expect(cause.message).toMatch(/^resource Deployment\/.*\/gto-app not ready\. status: InProgress.*\ncontext deadline exceeded$/s);
    expect(run.path).not.toContain('RollbackBegin'); // a failed rollback is not rolled back
    expect((await history(deps.engine, ns.name, 'gto')).map(([r, s]) => [r, s])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'failed'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'gto');
  });
});

describe('the deploy machine\'s remediation rollback loops', () => {
  const ns = useNamespace('sfn-remedy');
  const leases = useLeaseDb();

  const bad = ['generation=2', 'podBehaviour=crashloop'];

  it('RollbackPreHooks times out: the remediation rollback is failed too, and the execution says both', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'rpre', rollhooks, { set: ['generation=1', 'preRollback.behaviour=crashloop'] }));
    const run = await runDeploy(deps, ns.name, 'rpre', rollhooks, { set: bad, timeoutSeconds: 2 });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'WaitTimedOut', failedRevision: 2, rollbackRevision: 3 });
    expect(cause.rollbackError).toMatchObject({ state: 'RollbackPreHooks', class: 'HookFailed' });
    expect(cause.message).toMatch(/^an error occurred while rolling back the release\. original upgrade error: resource Deployment.*: resource Job\/.*rpre-pre-rollback not ready/s);
    expect(run.path).toContain('RollbackPreHooksWait');
    expect(run.path).toContain('RollbackFailRelease');
    expect((await history(deps.engine, ns.name, 'rpre')).map(([r, s]) => [r, s])).toEqual([
      [1, 'deployed'], // a failed rollback supersedes only a deployed revision − 1, as helm
      [2, 'failed'],
      [3, 'failed'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'rpre');
  });

  it('RollbackHealthGate times out when the last good revision no longer becomes ready', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'rgate', rollhooks, { set: ['generation=1', 'podBehaviour=crashloop'], wait: 'hookOnly' }));
    const run = await runDeploy(deps, ns.name, 'rgate', rollhooks, { set: bad, timeoutSeconds: 2 });
    const { cause } = failure(run);
    expect(cause.rollbackError).toMatchObject({ state: 'RollbackHealthGate', class: 'WaitTimedOut' });
    expect(run.path).toContain('RollbackHealthGateWait');
    expect((await history(deps.engine, ns.name, 'rgate')).map(([r, s]) => [r, s])).toEqual([
      [1, 'deployed'], // a failed rollback supersedes only a deployed revision − 1, as helm
      [2, 'failed'],
      [3, 'failed'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'rgate');
  });

  it('RollbackPostHooks times out', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'rpost', rollhooks, { set: ['generation=1', 'postRollback.behaviour=crashloop'] }));
    const run = await runDeploy(deps, ns.name, 'rpost', rollhooks, { set: bad, timeoutSeconds: 2 });
    const { cause } = failure(run);
    expect(cause.rollbackError).toMatchObject({ state: 'RollbackPostHooks', class: 'HookFailed' });
    expect(run.path).toContain('RollbackPostHooksWait');
    expect((await history(deps.engine, ns.name, 'rpost')).at(-1)?.[1]).toBe('failed');
    await expectHelmAgrees(deps.engine, ns.name, 'rpost');
  });
});
