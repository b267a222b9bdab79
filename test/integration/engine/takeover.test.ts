/**
 * Takeovers: helm 4 carries on a release helmstep made and helmstep one helm 4 made, and a helm 3
 * (client-side apply) release passes between helm 3, helmstep and helm 4, with no field-manager
 * conflicts. A field another manager changed (`kubectl scale`) is a conflict for helmstep exactly
 * as it is for helm 4, and --force-conflicts takes it in both.
 */
import { describe, expect, it } from 'vitest';
import { OperationFailed } from '../../../src/engine/sequence.ts';
import { clients, helm, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { deploy, engineDeps, expectHelmAgrees, history, rollback } from './harness.ts';
import { kubectl, managers } from './normalize.ts';

const wait = ['--wait', '--timeout', '60s'];

/** The kinds webapp applies (not hooks) and that a manager can own fields of. */
const APP_OBJECTS = (release: string) => [`configmap/${release}-webapp-config`, `service/${release}-webapp`, `deployment/${release}-webapp`];

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the operation to fail');
}

describe('taking over each other releases', () => {
  const ns = useNamespace('takeover');
  const deps = engineDeps();
  const { core, apps } = clients();

  /** What the live app says: the ConfigMap's message, the Deployment's replicas and image. */
  async function live(release: string) {
    const cm = await core.readNamespacedConfigMap({ name: `${release}-webapp-config`, namespace: ns.name });
    const d = await apps.readNamespacedDeployment({ name: `${release}-webapp`, namespace: ns.name });
    return { message: cm.data?.message, replicas: d.spec?.replicas, image: d.spec?.template.spec?.containers[0]?.image };
  }

  /** [manager, operation] pairs of each app object (main resource), `kubectl get -o json --show-managed-fields`. */
  async function fieldManagers(release: string): Promise<Record<string, [string, string][]>> {
    const out: Record<string, [string, string][]> = {};
    for (const obj of APP_OBJECTS(release)) {
      out[obj] = managers(JSON.parse(await kubectl(['get', obj, '-n', ns.name, '-o', 'json', '--show-managed-fields'])) as Record<string, unknown>);
    }
    return out;
  }

  /** helm's own field manager holds each app object through server-side apply only. */
  async function expectOnlyHelmApply(release: string): Promise<void> {
    for (const [obj, entries] of Object.entries(await fieldManagers(release))) {
      expect(
        entries.filter(([m]) => m === 'helm'),
        obj,
      ).toEqual([['helm', 'Apply']]);
    }
  }

  const applyMethods = async (release: string) => (await deps.store.history({ namespace: ns.name, name: release })).map((h) => h.release.apply_method ?? '');

  it('helm 4 upgrades and rolls back a release helmstep made, and helmstep carries on after it', async () => {
    await deploy(deps, ns.name, 'byengine', webappChart, { set: ['message=engine-1'], mode: 'install' });
    await helmOk(4, ['upgrade', 'byengine', webappChart, '-n', ns.name, '--set', 'message=helm-2,replicaCount=3,image.tag=2.0.0', ...wait]);
    expect(await live('byengine')).toEqual({ message: 'helm-2', replicas: 3, image: 'registry.example.com/webapp:2.0.0' });
    await expectOnlyHelmApply('byengine');

    await helmOk(4, ['rollback', 'byengine', '1', '-n', ns.name, ...wait]);
    expect(await live('byengine')).toEqual({ message: 'engine-1', replicas: 2, image: 'registry.example.com/webapp:1.0.0' });

    await deploy(deps, ns.name, 'byengine', webappChart, { set: ['message=engine-4'] });
    expect((await live('byengine')).message).toBe('engine-4');
    await expectOnlyHelmApply('byengine');
    expect(await history(deps, ns.name, 'byengine')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'superseded', 'Upgrade complete'],
      [3, 'superseded', 'Rollback to 1'],
      [4, 'deployed', 'Upgrade complete'],
    ]);
    expect(await applyMethods('byengine')).toEqual(['ssa', 'ssa', 'ssa', 'ssa']);
    await expectHelmAgrees(deps, ns.name, 'byengine');
  });

  it('helmstep upgrades and rolls back a release helm 4 made, and helm 4 carries on after it', async () => {
    await helmOk(4, ['install', 'byhelm', webappChart, '-n', ns.name, '--set', 'message=helm-1', ...wait]);
    await deploy(deps, ns.name, 'byhelm', webappChart, { set: ['message=engine-2', 'replicaCount=3', 'image.tag=2.0.0'] });
    expect(await live('byhelm')).toEqual({ message: 'engine-2', replicas: 3, image: 'registry.example.com/webapp:2.0.0' });
    await expectOnlyHelmApply('byhelm');

    await rollback(deps, ns.name, 'byhelm', 1);
    expect(await live('byhelm')).toEqual({ message: 'helm-1', replicas: 2, image: 'registry.example.com/webapp:1.0.0' });

    await helmOk(4, ['upgrade', 'byhelm', webappChart, '-n', ns.name, '--set', 'message=helm-4', ...wait]);
    expect((await live('byhelm')).message).toBe('helm-4');
    await expectOnlyHelmApply('byhelm');
    expect(await history(deps, ns.name, 'byhelm')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'superseded', 'Upgrade complete'],
      [3, 'superseded', 'Rollback to 1'],
      [4, 'deployed', 'Upgrade complete'],
    ]);
    expect(await applyMethods('byhelm')).toEqual(['ssa', 'ssa', 'ssa', 'ssa']);
    await expectHelmAgrees(deps, ns.name, 'byhelm');
  });

  it("a helm 3 release passes helm 3 → helmstep → helm 3 → helmstep → helm 4; helmstep takes helm's client-side fields over each time", async () => {
    const release = 'byhelm3';
    const helmUpdate = async () =>
      Object.entries(await fieldManagers(release))
        .filter(([, entries]) => entries.some(([m, o]) => m === 'helm' && o === 'Update'))
        .map(([obj]) => obj);

    await helmOk(3, ['install', release, webappChart, '-n', ns.name, '--set', 'message=helm3-1', ...wait]);
    // helm 3 applies client-side: every object it made is owned by helm/Update.
    expect(await helmUpdate()).toEqual(APP_OBJECTS(release));

    const taken = await deploy(deps, ns.name, release, webappChart, { set: ['message=engine-2', 'replicaCount=3'] });
    expect(taken.apply_method).toBe('ssa');
    expect(await live(release)).toMatchObject({ message: 'engine-2', replicas: 3 });
    await expectOnlyHelmApply(release);

    await helmOk(3, ['upgrade', release, webappChart, '-n', ns.name, '--set', 'message=helm3-3,replicaCount=1', ...wait]);
    expect(await live(release)).toMatchObject({ message: 'helm3-3', replicas: 1 });
    // helm 3's patches own what they changed client-side again.
    expect(await helmUpdate()).toEqual(expect.arrayContaining([`configmap/${release}-webapp-config`, `deployment/${release}-webapp`]));

    await deploy(deps, ns.name, release, webappChart, { set: ['message=engine-4', 'replicaCount=2', 'image.tag=4.0.0'] });
    expect(await live(release)).toEqual({ message: 'engine-4', replicas: 2, image: 'registry.example.com/webapp:4.0.0' });
    await expectOnlyHelmApply(release);

    await helmOk(4, ['upgrade', release, webappChart, '-n', ns.name, '--set', 'message=helm4-5,replicaCount=3', ...wait]);
    expect(await live(release)).toEqual({ message: 'helm4-5', replicas: 3, image: 'registry.example.com/webapp:1.0.0' });
    await expectOnlyHelmApply(release);

    expect(await history(deps, ns.name, release)).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'superseded', 'Upgrade complete'],
      [3, 'superseded', 'Upgrade complete'],
      [4, 'superseded', 'Upgrade complete'],
      [5, 'deployed', 'Upgrade complete'],
    ]);
    // helm 3 writes no apply method (client-side), and drops helmstep's "ssa" from revision 2 when
    // it supersedes it (a field helm 3 does not know); helmstep and helm 4 after it apply server-side.
    expect(await applyMethods(release)).toEqual(['', '', '', 'ssa', 'ssa']);
    await expectHelmAgrees(deps, ns.name, release);
  });
});

describe('a field another manager changed (kubectl scale): helmstep conflicts exactly as helm 4 does', () => {
  const viaHelm = useNamespace('conflict-helm');
  const viaEngine = useNamespace('conflict-engine');
  const deps = engineDeps();
  const { apps, core } = clients();
  const message = async (namespace: string) => (await core.readNamespacedConfigMap({ name: 'web-webapp-config', namespace })).data?.message;
  const replicas = async (namespace: string) => (await apps.readNamespacedDeployment({ name: 'web-webapp', namespace })).spec?.replicas;
  const masked = (text: string, namespace: string) => text.split(namespace).join('<ns>');

  it('fails the upgrade with helm\'s conflict text, and --force-conflicts takes the field back', async () => {
    await helmOk(4, ['install', 'web', webappChart, '-n', viaHelm.name, ...wait]);
    await deploy(deps, viaEngine.name, 'web', webappChart, { mode: 'install' });
    for (const namespace of [viaHelm.name, viaEngine.name]) await kubectl(['scale', 'deployment/web-webapp', '-n', namespace, '--replicas=4']);

    const byHelm = await helm(4, ['upgrade', 'web', webappChart, '-n', viaHelm.name, '--set', 'message=v2', ...wait]);
    expect(byHelm.code).toBe(1);
    const helmError = /^Error: (.*)$/m.exec(byHelm.stderr)?.[1] ?? '';
    expect(helmError).toBe(
      `UPGRADE FAILED: conflict occurred while applying object ${viaHelm.name}/web-webapp apps/v1, Kind=Deployment: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas`,
    );
    const err = await failure(deploy(deps, viaEngine.name, 'web', webappChart, { set: ['message=v2'] }));
    expect(err).toBeInstanceOf(OperationFailed);
    // helm's words first; what to do next may follow them.
    expect(masked(err.message, viaEngine.name).startsWith(masked(helmError, viaHelm.name))).toBe(true);
    expect([await replicas(viaHelm.name), await replicas(viaEngine.name)]).toEqual([4, 4]);
    // What was applied before the conflicting object stays applied, in both.
    expect(await message(viaEngine.name)).toBe(await message(viaHelm.name));

    await helmOk(4, ['upgrade', 'web', webappChart, '-n', viaHelm.name, '--set', 'message=v3', '--force-conflicts', ...wait]);
    await deploy(deps, viaEngine.name, 'web', webappChart, { set: ['message=v3'], forceConflicts: true });
    expect([await replicas(viaHelm.name), await replicas(viaEngine.name)]).toEqual([2, 2]);
    await expectHelmAgrees(deps, viaHelm.name, 'web');
    await expectHelmAgrees(deps, viaEngine.name, 'web');

    const helmRows = (await history(deps, viaHelm.name, 'web')).map(([r, s, d]) => [r, s, masked(d, viaHelm.name)]);
    const engineRows = (await history(deps, viaEngine.name, 'web')).map(([r, s, d]) => [r, s, masked(d, viaEngine.name)]);
    // The failed revision's description is helm's text alone, as helm writes it.
    expect(engineRows).toEqual(helmRows);
    expect(helmRows.map(([r, s]) => [r, s])).toEqual([
      [1, 'superseded'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
  });
});
