/**
 * The scenarios of the article helmstep was born from, one test each, run by the engine on the
 * real control plane; every one ends with the real `helm history` agreeing with helmstep's.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { OperationFailed } from '../../../src/engine/sequence.ts';
import { RollbackRefused, planRollbackStep } from '../../../src/engine/rollback.ts';
import { MIGRATED_IN_LABEL } from '../../../src/engine/run-hooks.ts';
import { FIXTURE_CHARTS, clients, useNamespace, webappChart } from '../../harness/cluster.ts';
import { deploy, engineDeps, expectHelmAgrees, history, rollback } from './harness.ts';

const run = promisify(execFile);
const kubectl = (args: string[]) => run(inject('kubectl'), [...args, '--kubeconfig', inject('kubeconfig')]);

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the operation to fail');
}

describe('the seed scenarios, on the engine', () => {
  const ns = useNamespace('seed');
  const deps = engineDeps();
  const { core, batch } = clients();
  const configMessage = async (release: string) =>
    (await core.readNamespacedConfigMap({ name: `${release}-webapp-config`, namespace: ns.name })).data?.message;

  it('good upgrade: the backup hook runs before the apply, the migration after, and the migration is recorded', async () => {
    await deploy(deps, ns.name, 'good', webappChart, { set: ['message=v1'] });
    const done = await deploy(deps, ns.name, 'good', webappChart, { set: ['message=v2', 'migration.enabled=true'] });
    expect(done.info.status).toBe('deployed');
    expect(await configMessage('good')).toBe('v2');
    const backup = await batch.readNamespacedJob({ name: 'good-webapp-backup', namespace: ns.name });
    expect(backup.status?.succeeded).toBe(1); // before-hook-creation: it stays until the next run
    await expect(batch.readNamespacedJob({ name: 'good-webapp-db-migration', namespace: ns.name })).rejects.toThrow(); // hook-succeeded
    const rec = await deps.store.get({ namespace: ns.name, name: 'good' }, 2);
    expect(rec.labels[MIGRATED_IN_LABEL]).toBe('2');
    const phases: Record<string, string | undefined> = Object.fromEntries((rec.release.hooks ?? []).map((h) => [h.name ?? '', h.last_run?.phase]));
    expect(phases).toEqual({ 'good-webapp-backup': 'Succeeded', 'good-webapp-db-migration': 'Succeeded' });
    const backupRun = rec.release.hooks?.find((h) => h.name === 'good-webapp-backup')?.last_run;
    const migrationRun = rec.release.hooks?.find((h) => h.name === 'good-webapp-db-migration')?.last_run;
    expect(Date.parse(backupRun?.completed_at ?? '')).toBeLessThanOrEqual(Date.parse(migrationRun?.started_at ?? ''));
    expect(await history(deps, ns.name, 'good')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(deps, ns.name, 'good');
  });

  it('bad image with --atomic: the upgrade fails its wait, is rolled back, and the failed revision is kept', async () => {
    await deploy(deps, ns.name, 'atomic', webappChart, { set: ['message=v1'] });
    const err = await failure(deploy(deps, ns.name, 'atomic', webappChart, { set: ['message=v2', 'podBehaviour=crashloop'], rollbackOnFailure: true, timeoutMs: 6_000 }));
    expect(err).toBeInstanceOf(OperationFailed);
    expect(err.message).toMatch(/^release atomic failed, and has been rolled back due to rollback-on-failure being set: resource Deployment\/.*\/atomic-webapp not ready\. status: InProgress/);
    const rows = await history(deps, ns.name, 'atomic');
    expect(rows.map(([r, s]) => [r, s])).toEqual([
      [1, 'superseded'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
    expect(rows[1]?.[2]).toMatch(/^Upgrade "atomic" failed: resource Deployment\/.*not ready.*\ncontext deadline exceeded$/s);
    expect(rows[2]?.[2]).toBe('Rollback to 1');
    expect(await configMessage('atomic')).toBe('v1');
    await expectHelmAgrees(deps, ns.name, 'atomic');
  });

  it('failed backup hook: nothing is applied and the previous revision stays deployed', async () => {
    await deploy(deps, ns.name, 'backup', webappChart, { set: ['message=v1'] });
    const err = await failure(deploy(deps, ns.name, 'backup', webappChart, { set: ['message=v2', 'backup.podBehaviour=fail'] }));
    // helm's words, then helmstep's hint (where to look); the record below holds helm's words alone.
    expect(err.message).toMatch(
      new RegExp(`^UPGRADE FAILED: pre-upgrade hooks failed: resource Job/${ns.name}/backup-webapp-backup not ready\\. status: Failed, message: Job Failed\\. failed: 1/1 \\(release "backup" .*kubectl describe -n ${ns.name} job/backup-webapp-backup`),
    );
    expect(await configMessage('backup')).toBe('v1');
    expect(await history(deps, ns.name, 'backup')).toEqual([
      [1, 'deployed', 'Install complete'],
      [2, 'failed', `Upgrade "backup" failed: pre-upgrade hooks failed: resource Job/${ns.name}/backup-webapp-backup not ready. status: Failed, message: Job Failed. failed: 1/1`],
    ]);
    await expectHelmAgrees(deps, ns.name, 'backup');
  });

  it('failed migration that runs before the app: the release is failed and the app objects are untouched', async () => {
    await deploy(deps, ns.name, 'migfail', webappChart, { set: ['message=v1'] });
    const err = await failure(
      deploy(deps, ns.name, 'migfail', webappChart, { set: ['message=v2', 'migration.enabled=true', 'migration.hook=pre-upgrade', 'migration.podBehaviour=fail'] }),
    );
    expect(err.message).toContain(`pre-upgrade hooks failed: resource Job/${ns.name}/migfail-webapp-db-migration not ready. status: Failed`);
    expect(await configMessage('migfail')).toBe('v1');
    const rows = await history(deps, ns.name, 'migfail');
    expect(rows.map(([r, s]) => [r, s])).toEqual([
      [1, 'deployed'],
      [2, 'failed'],
    ]);
    await expectHelmAgrees(deps, ns.name, 'migfail');
  });

  it('a rollback over a migration is refused as forward-fix, and allowed with --force (recorded in the description)', async () => {
    await deploy(deps, ns.name, 'fwd', webappChart, { set: ['message=v1'] });
    await deploy(deps, ns.name, 'fwd', webappChart, { set: ['message=v2', 'migration.enabled=true'] });
    const err = await failure(rollback(deps, ns.name, 'fwd', 1));
    expect(err).toBeInstanceOf(RollbackRefused);
    expect(err.message).toContain('a migration ran after the target (revision 2: fwd-webapp-db-migration)');
    expect(err.message).toContain('forward-fix required');
    expect((await history(deps, ns.name, 'fwd')).length).toBe(2); // refused: nothing written
    const forced = await rollback(deps, ns.name, 'fwd', 1, { force: true });
    expect(forced.info.description).toBe('Rollback to 1 (forced past: MigrationSinceTarget)');
    expect(await configMessage('fwd')).toBe('v1');
    await expectHelmAgrees(deps, ns.name, 'fwd');
  });

  it('--cleanup-on-fail removes only what the failed upgrade created', async () => {
    await deploy(deps, ns.name, 'clean', webappChart, { set: ['message=v1'] });
    await failure(deploy(deps, ns.name, 'clean', webappChart, { set: ['extra.enabled=true', 'podBehaviour=crashloop'], cleanupOnFail: true, timeoutMs: 4_000 }));
    await expect(core.readNamespacedConfigMap({ name: 'clean-webapp-extra', namespace: ns.name })).rejects.toThrow();
    // What existed before the upgrade stays (updated, as helm leaves it): only the new object went.
    await expect(core.readNamespacedConfigMap({ name: 'clean-webapp-config', namespace: ns.name })).resolves.toBeTruthy();
    await expect(core.readNamespacedService({ name: 'clean-webapp', namespace: ns.name })).resolves.toBeTruthy();
    await expectHelmAgrees(deps, ns.name, 'clean');
  });

  it('helm.sh/resource-policy: keep survives a revision that drops the object; without it the object is deleted', async () => {
    for (const [name, keep] of [['kept', true], ['dropped', false]] as const) {
      await deploy(deps, ns.name, name, webappChart, { set: ['extra.enabled=true', `extra.keep=${keep}`] });
      await deploy(deps, ns.name, name, webappChart, { set: ['extra.enabled=false'] });
      const found = await core.readNamespacedConfigMap({ name: `${name}-webapp-extra`, namespace: ns.name }).then(
        () => true,
        () => false,
      );
      expect(found).toBe(keep);
      await expectHelmAgrees(deps, ns.name, name);
    }
  });

  it('a rollback to a revision whose API version the cluster no longer serves is refused, naming kind and apiVersion', async () => {
    const group = `w${randomBytes(3).toString('hex')}.helmstep.dev`;
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: ['v1alpha1', 'v1'].map((name) => ({
          name,
          served: true,
          storage: name === 'v1',
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        })),
      },
    };
    const served = async () => {
      deps.kube.rediscover();
      return (await deps.kube.resource(`${group}/v1alpha1`, 'Widget')).served;
    };
    await deps.kube.apply(crd, { force: true });
    for (let i = 0; i < 50 && !(await served()); i++) await new Promise((r) => setTimeout(r, 200));
    const chart = join(FIXTURE_CHARTS, 'widget');
    await deploy(deps, ns.name, 'api', chart, { set: [`group=${group}`, 'version=v1alpha1'] });
    await deploy(deps, ns.name, 'api', chart, { set: [`group=${group}`, 'version=v1', 'size=2'] });
    crd.spec.versions[0]!.served = false;
    await deps.kube.apply(crd, { force: true });
    for (let i = 0; i < 50 && (await served()); i++) await new Promise((r) => setTimeout(r, 200));
    expect(await served()).toBe(false);
    const err = await failure(rollback(deps, ns.name, 'api', 1));
    expect(err).toBeInstanceOf(RollbackRefused);
    expect(err.message).toContain(`Widget/api-widget uses Widget ${group}/v1alpha1, which the cluster no longer serves`);
    expect((await history(deps, ns.name, 'api')).length).toBe(2);
    await expectHelmAgrees(deps, ns.name, 'api');
    await deps.kube.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `widgets.${group}` });
  });

  it('kubectl edits made outside helm are reported as drift before a rollback', async () => {
    await deploy(deps, ns.name, 'drift', webappChart, { set: ['message=v1'] });
    await deploy(deps, ns.name, 'drift', webappChart, { set: ['message=v2'] });
    await kubectl(['patch', 'configmap', 'drift-webapp-config', '-n', ns.name, '--type', 'merge', '-p', '{"data":{"message":"edited by hand"}}']);
    await kubectl(['scale', 'deployment', 'drift-webapp', '-n', ns.name, '--replicas', '3']);
    const plan = await planRollbackStep(deps, { namespace: ns.name, name: 'drift', target: 1, owner: 'x', force: false, maxHistory: 10, ignoreLock: true });
    const drift = new Map(plan.risks.flatMap((r) => (r.kind === 'Drift' ? [[r.object, r.fields] as const] : [])));
    expect(drift.get('ConfigMap/drift-webapp-config')).toContain('data.message');
    expect(drift.get('Deployment/drift-webapp')).toContain('spec.replicas');
    expect(plan.refused).toBe(false); // drift is reported, not refused
    const clean = await planRollbackStep(deps, { namespace: ns.name, name: 'good', target: 1, owner: 'x', force: true, maxHistory: 10, ignoreLock: true });
    expect(clean.risks.filter((r) => r.kind === 'Drift')).toEqual([]);
  });

  it('a rollback that would delete a PersistentVolumeClaim is refused as a storage change', async () => {
    await deploy(deps, ns.name, 'store', webappChart, { set: ['message=v1'] });
    await deploy(deps, ns.name, 'store', webappChart, { set: ['message=v2', 'storage.enabled=true'], strategy: 'hookOnly' });
    const err = await failure(rollback(deps, ns.name, 'store', 1));
    expect(err).toBeInstanceOf(RollbackRefused);
    expect(err.message).toContain('storage would change: PersistentVolumeClaim/store-webapp-data: the target revision does not have it');
    await expect(core.readNamespacedPersistentVolumeClaim({ name: 'store-webapp-data', namespace: ns.name })).resolves.toBeTruthy();
    await expectHelmAgrees(deps, ns.name, 'store');
  });

  it('--history-max prunes the oldest revisions after the new one is written', async () => {
    for (let i = 1; i <= 5; i++) await deploy(deps, ns.name, 'pruned', webappChart, { set: [`message=v${i}`], maxHistory: 3, strategy: 'hookOnly' });
    expect(await history(deps, ns.name, 'pruned')).toEqual([
      [3, 'superseded', 'Upgrade complete'],
      [4, 'superseded', 'Upgrade complete'],
      [5, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(deps, ns.name, 'pruned');
  });

  it('rollback --dry-run plans and changes nothing: every resourceVersion is unchanged', async () => {
    await deploy(deps, ns.name, 'dry', webappChart, { set: ['message=v1'] });
    await deploy(deps, ns.name, 'dry', webappChart, { set: ['message=v2', 'extra.enabled=true'] });
    const versions = async () => {
      const secrets = await core.listNamespacedSecret({ namespace: ns.name, labelSelector: 'name=dry' });
      const cms = await core.listNamespacedConfigMap({ namespace: ns.name });
      return [...secrets.items, ...cms.items].map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();
    };
    const before = await versions();
    const plan = await planRollbackStep(deps, { namespace: ns.name, name: 'dry', target: 1, owner: 'x', force: false, maxHistory: 10, ignoreLock: true });
    expect(plan.delete).toEqual(['ConfigMap/dry-webapp-extra']);
    expect(plan.update).toEqual(expect.arrayContaining(['ConfigMap/dry-webapp-config', 'Deployment/dry-webapp', 'Service/dry-webapp']));
    expect(plan.create).toEqual([]);
    expect(await versions()).toEqual(before);
  });

  it('--timeout without --atomic leaves the revision failed with helm\'s deadline text', async () => {
    await deploy(deps, ns.name, 'slow', webappChart, { set: ['message=v1'] });
    const err = await failure(deploy(deps, ns.name, 'slow', webappChart, { set: ['podBehaviour=crashloop'], timeoutMs: 3_000 }));
    expect(err.message).toMatch(/^UPGRADE FAILED: resource Deployment\/.*\/slow-webapp not ready\. status: InProgress, message: .*\ncontext deadline exceeded$/s);
    const rows = await history(deps, ns.name, 'slow');
    expect(rows.map(([r, s]) => [r, s])).toEqual([
      [1, 'deployed'],
      [2, 'failed'],
    ]);
    await expectHelmAgrees(deps, ns.name, 'slow');
  });
});
