import { describe, expect, it } from 'vitest';
import { clients, helm, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';

interface HistoryRow {
  revision: number;
  status: string;
  chart: string;
  app_version: string;
  description: string;
}

async function history(major: 3 | 4, release: string, namespace: string): Promise<HistoryRow[]> {
  return JSON.parse(await helmOk(major, ['history', release, '-n', namespace, '-o', 'json'])) as HistoryRow[];
}

// The ground every later test stands on: the real helm binaries drive a release through the
// real control plane, where kwok plays the kubelet.
describe.each([4, 3] as const)('helm %i on the local control plane', (major) => {
  const ns = useNamespace(`found-h${major}`);

  it('installs, upgrades through a pre-upgrade hook Job, and rolls back', async () => {
    const { apps, batch } = clients();
    await helmOk(major, ['install', 'web', webappChart, '-n', ns.name, '--wait', '--timeout', '90s']);

    const dep = await apps.readNamespacedDeployment({ name: 'web-webapp', namespace: ns.name });
    expect(dep.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    expect(dep.status?.readyReplicas).toBe(2);

    await helmOk(major, ['upgrade', 'web', webappChart, '-n', ns.name, '--set', 'message=v2', '--wait', '--timeout', '90s']);
    const hook = await batch.readNamespacedJob({ name: 'web-webapp-backup', namespace: ns.name });
    expect(hook.status?.succeeded).toBe(1);
    expect(hook.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');

    await helmOk(major, ['rollback', 'web', '1', '-n', ns.name, '--wait', '--timeout', '90s']);

    const rows = await history(major, 'web', ns.name);
    expect(rows.map((r) => [r.revision, r.status, r.description])).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'superseded', 'Upgrade complete'],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    expect(rows.every((r) => r.chart === 'webapp-0.1.0' && r.app_version === '1.0.0')).toBe(true);
    const values = JSON.parse(await helmOk(major, ['get', 'values', 'web', '-n', ns.name, '-o', 'json'])) as unknown;
    expect(values).toBeNull(); // revision 1 had no user values, and the rollback restored them
  });

  it('fails `helm upgrade --wait` when the new pods are staged to crash-loop', async () => {
    await helmOk(major, ['install', 'crashy', webappChart, '-n', ns.name, '--wait', '--timeout', '90s']);
    const r = await helm(major, [
      'upgrade', 'crashy', webappChart, '-n', ns.name,
      '--set', 'podBehaviour=crashloop', '--set', 'backup.enabled=false', '--wait', '--timeout', '20s',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/context deadline exceeded|timed out|not ready/i);
    const rows = await history(major, 'crashy', ns.name);
    expect(rows.map((x) => x.status)).toEqual(['deployed', 'failed']);
    expect(rows[1]?.description).toMatch(/^Upgrade "crashy" failed: /);
  });

  it('fails the upgrade before touching resources when the backup hook pod is staged to fail', async () => {
    await helmOk(major, ['install', 'hooky', webappChart, '-n', ns.name, '--wait', '--timeout', '90s']);
    const r = await helm(major, [
      'upgrade', 'hooky', webappChart, '-n', ns.name, '--set', 'backup.podBehaviour=fail', '--set', 'message=never', '--timeout', '60s',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/pre-upgrade hooks failed/);
    const { core } = clients();
    const cm = await core.readNamespacedConfigMap({ name: 'hooky-webapp-config', namespace: ns.name });
    expect(cm.data?.message).toBe('hello');
    const rows = await history(major, 'hooky', ns.name);
    expect(rows.map((x) => x.status)).toEqual(['deployed', 'failed']);
  });
});
