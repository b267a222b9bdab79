import { describe, expect, it } from 'vitest';
import { beginInstall, beginRollback, beginUpgrade, completeOperation, failOperation } from '../../../src/actions/index.ts';
import { OperationInProgress } from '../../../src/release/errors.ts';
import { historyRows, manifestOf, userValues, type HistoryRow } from '../../../src/release/views.ts';
import { clients, helm, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { render, store } from './helpers.ts';


const helmHistory = async (major: 3 | 4, name: string, ns: string) =>
  JSON.parse(await helmOk(major, ['history', name, '-n', ns, '-o', 'json'])) as HistoryRow[];

async function deployedSecrets(ns: string, name: string): Promise<string[]> {
  const list = await clients().core.listNamespacedSecret({ namespace: ns, labelSelector: `owner=helm,name=${name},status=deployed` });
  return list.items.map((s) => s.metadata?.name ?? '');
}

describe.each([4, 3] as const)('release records shared with helm %i', (major) => {
  const ns = useNamespace(`compat-h${major}`);

  it('reads what helm wrote: history, values and manifest equal helm’s own views', async () => {
    await helmOk(major, ['install', 'read', webappChart, '-n', ns.name, '--set', 'message=one']);
    await helmOk(major, ['upgrade', 'read', webappChart, '-n', ns.name, '--set', 'message=two', '--set', 'replicaCount=3']);
    const ref = { namespace: ns.name, name: 'read' };
    const history = (await store().history(ref)).map((h) => h.release);

    const ours = historyRows(history, 256, { helm: major });
    expect(JSON.parse(JSON.stringify(ours))).toEqual(await helmHistory(major, 'read', ns.name));
    for (const rev of [1, 2]) {
      const rec = history.find((r) => r.version === rev)!;
      const helmValues = JSON.parse(await helmOk(major, ['get', 'values', 'read', '-n', ns.name, '--revision', String(rev), '-o', 'json'])) as unknown;
      expect(userValues(rec)).toEqual(helmValues);
      const helmManifest = await helmOk(major, ['get', 'manifest', 'read', '-n', ns.name, '--revision', String(rev)]);
      expect(manifestOf(rec).trimEnd()).toBe(helmManifest.trimEnd());
    }
  });

  it('writes install and upgrade records that helm lists, inspects and shows correctly', async () => {
    const ref = { namespace: ns.name, name: 'written' };
    const s = store();
    const first = await render(ref, ['message=first']);
    const installed = await beginInstall(s, { ...first, name: ref.name, namespace: ref.namespace, labels: { team: 'payments' } }, { owner: 'w-1' });
    expect(installed.pending.release.info.status).toBe('pending-install');
    await completeOperation(s, ref, 1, { owner: 'w-1' });
    const second = await render(ref, ['message=second']);
    expect(second.version).toBe(2);
    await beginUpgrade(s, ref, second, { owner: 'w-2' });
    await completeOperation(s, ref, 2, { owner: 'w-2' });

    const rows = await helmHistory(major, 'written', ns.name);
    expect(rows.map((r) => [r.revision, r.status, r.chart, r.app_version, r.description])).toEqual([
      [1, 'superseded', 'webapp-0.1.0', '1.0.0', 'Install complete'],
      [2, 'deployed', 'webapp-0.1.0', '1.0.0', 'Upgrade complete'],
    ]);
    const status = JSON.parse(await helmOk(major, ['status', 'written', '-n', ns.name, '-o', 'json'])) as {
      name: string;
      version: number;
      namespace: string;
      info: { status: string; description: string; notes: string };
    };
    expect([status.name, status.version, status.namespace, status.info.status]).toEqual(['written', 2, ns.name, 'deployed']);
    expect(status.info.notes).toContain('serves "second"');
    const values = JSON.parse(await helmOk(major, ['get', 'values', 'written', '-n', ns.name, '-o', 'json'])) as unknown;
    expect(values).toEqual({ message: 'second' });
    expect(await helmOk(major, ['get', 'manifest', 'written', '-n', ns.name])).toBe(`${second.manifest}\n`); // helm prints the stored text and a newline
    const list = JSON.parse(await helmOk(major, ['list', '-n', ns.name, '-o', 'json'])) as { name: string; revision: string; status: string }[];
    expect(list.find((r) => r.name === 'written')).toMatchObject({ revision: '2', status: 'deployed' });
    // Custom labels stay on every revision's Secret; system labels are helm's.
    const secret = await clients().core.readNamespacedSecret({ name: 'sh.helm.release.v1.written.v2', namespace: ns.name });
    expect(secret.type).toBe('helm.sh/release.v1');
    expect(secret.metadata?.labels).toMatchObject({ team: 'payments', name: 'written', owner: 'helm', status: 'deployed', version: '2' });
    expect(secret.metadata?.labels?.['helmstep.dev/owner']).toMatch(/^o-[0-9a-f]{40}$/); // the finishing operation's owner stays (bound to revision 2)
    expect(Object.keys(secret.data ?? {})).toEqual(['release']);
  });

  it('hands over to helm: helm upgrade and rollback work on helmstep’s records, and helmstep’s rollback on helm’s', async () => {
    const ref = { namespace: ns.name, name: 'handover' };
    const s = store();
    await beginInstall(s, { ...(await render(ref, ['message=a'])), name: ref.name, namespace: ref.namespace }, { owner: 'h-1' });
    await completeOperation(s, ref, 1, { owner: 'h-1' });

    // helm upgrade on top of helmstep's deployed revision 1
    await helmOk(major, ['upgrade', 'handover', webappChart, '-n', ns.name, '--set', 'message=b']);
    let rows = await helmHistory(major, 'handover', ns.name);
    expect(rows.map((r) => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    expect(await deployedSecrets(ns.name, 'handover')).toEqual(['sh.helm.release.v1.handover.v2']);

    // helmstep rolls helm's revision 2 back to its own revision 1
    const rb = await beginRollback(s, ref, 1, { owner: 'h-3' });
    expect(rb.pending.release.info.description).toBe('Rollback to 1');
    await completeOperation(s, ref, 3, { owner: 'h-3' });
    rows = await helmHistory(major, 'handover', ns.name);
    expect(rows.map((r) => [r.revision, r.status, r.description])).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'superseded', 'Upgrade complete'],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    expect(JSON.parse(await helmOk(major, ['get', 'values', 'handover', '-n', ns.name, '-o', 'json']))).toEqual({ message: 'a' });

    // helm rolls back helmstep's rollback record
    await helmOk(major, ['rollback', 'handover', '2', '-n', ns.name]);
    rows = await helmHistory(major, 'handover', ns.name);
    expect(rows.at(-1)).toMatchObject({ revision: 4, status: 'deployed', description: 'Rollback to 2' });
    expect(await deployedSecrets(ns.name, 'handover')).toEqual(['sh.helm.release.v1.handover.v4']);
    const h = (await s.history(ref)).map((x) => x.release);
    expect(h.find((r) => r.version === 4)?.config).toEqual({ message: 'b' });
    expect(h.find((r) => r.version === 4)?.info.first_deployed).toBe(h.find((r) => r.version === 1)?.info.first_deployed);
  });

  it('a pending-upgrade record written by helmstep locks out helm upgrade, and helmstep refuses likewise', async () => {
    const ref = { namespace: ns.name, name: 'locked' };
    const s = store();
    await beginInstall(s, { ...(await render(ref)), name: ref.name, namespace: ref.namespace }, { owner: 'l-1' });
    await completeOperation(s, ref, 1, { owner: 'l-1' });
    await beginUpgrade(s, ref, await render(ref, ['message=pending']), { owner: 'l-2' });

    const r = await helm(major, ['upgrade', 'locked', webappChart, '-n', ns.name, '--set', 'message=other']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('another operation (install/upgrade/rollback) is in progress');
    const before = (await s.history(ref)).map((h) => [h.release.version, h.release.info.status]);
    // (helm's dry-run render refuses a locked release too, so render the chart under another name)
    const other = { ...(await render({ ...ref, name: 'locked-copy' })), version: 3 };
    await expect(beginUpgrade(s, ref, other, { owner: 'l-3' })).rejects.toBeInstanceOf(OperationInProgress);
    await expect(beginUpgrade(s, ref, other, { owner: 'l-3' })).rejects.toThrow('another operation (install/upgrade/rollback) is in progress');
    // The lock's own owner resumes it instead.
    expect((await beginUpgrade(s, ref, other, { owner: 'l-2' })).resumed).toBe(true);
    expect((await s.history(ref)).map((h) => [h.release.version, h.release.info.status])).toEqual(before);

    // helm rollback does not check the lock (helm's behaviour): it recovers a stuck release.
    await helmOk(major, ['rollback', 'locked', '1', '-n', ns.name]);
    const rows = await helmHistory(major, 'locked', ns.name);
    expect(rows.map((x) => x.status)).toEqual(['superseded', 'pending-upgrade', 'deployed']);
  });

  it('records a failed upgrade with helm’s message, which helm then shows', async () => {
    const ref = { namespace: ns.name, name: 'failing' };
    const s = store();
    await beginInstall(s, { ...(await render(ref)), name: ref.name, namespace: ref.namespace }, { owner: 'f-1' });
    await completeOperation(s, ref, 1, { owner: 'f-1' });
    await beginUpgrade(s, ref, await render(ref, ['message=broken']), { owner: 'f-2' });
    await failOperation(s, ref, 2, 'upgrade', new Error('context deadline exceeded'), { owner: 'f-2' });
    const rows = await helmHistory(major, 'failing', ns.name);
    expect(rows.map((r) => [r.status, r.description])).toEqual([
      ['deployed', 'Install complete'],
      ['failed', 'Upgrade "failing" failed: context deadline exceeded'],
    ]);
    // helm upgrades from the deployed revision after a failed one
    await helmOk(major, ['upgrade', 'failing', webappChart, '-n', ns.name]);
    expect((await helmHistory(major, 'failing', ns.name)).map((r) => r.status)).toEqual(['superseded', 'failed', 'deployed']);
  });
});
