import { describe, expect, it } from 'vitest';

import { beginInstall, beginUpgrade, completeOperation } from '../../../src/actions/index.ts';
import { encodeRelease } from '../../../src/release/codec.ts';
import { OperationInProgress } from '../../../src/release/errors.ts';
import { newInstallRecord } from '../../../src/release/lifecycle.ts';
import { releaseStoreContract, sampleRendered } from '../../contract/release-store.ts';
import { clients, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { render, store } from './helpers.ts';

const ns = useNamespace('contract');
releaseStoreContract('Kubernetes Secrets (helm.sh/release.v1)', store, ns);

describe('Secrets driver specifics', () => {
  const read = (name: string, v: number) => clients().core.readNamespacedSecret({ name: `sh.helm.release.v1.${name}.v${v}`, namespace: ns.name });

  it('stamps createdAt on create and keeps it through updates, as helm\'s Update keeps the labels it read', async () => {
    const s = store();
    const ref = { namespace: ns.name, name: 'stamps' };
    await beginInstall(s, { ...(await render(ref)), name: ref.name, namespace: ref.namespace }, { owner: 'run-1' });
    const created = (await read('stamps', 1)).metadata?.labels ?? {};
    expect(Object.keys(created).sort()).toEqual(['createdAt', 'helmstep.dev/owner', 'name', 'owner', 'status', 'version']);
    await completeOperation(s, ref, 1, { owner: 'run-1' });
    const deployed = (await read('stamps', 1)).metadata?.labels ?? {};
    expect(Object.keys(deployed).sort()).toEqual(['createdAt', 'helmstep.dev/owner', 'modifiedAt', 'name', 'owner', 'status', 'version']); // the owner stays: a re-run knows it finished
    expect(deployed.createdAt).toBe(created.createdAt);

    // The real helm 4 supersedes that record: it reads it with all its labels and writes them back.
    await helmOk(4, ['upgrade', 'stamps', webappChart, '-n', ns.name]);
    const byHelm = (await read('stamps', 1)).metadata?.labels ?? {};
    expect(byHelm).toMatchObject({ status: 'superseded', createdAt: created.createdAt });
    expect(Object.keys(byHelm).sort()).toEqual(Object.keys(deployed).sort());

    // helmstep supersedes helm's revision 2 the same way: whatever labels it had, plus modifiedAt.
    const helms = (await read('stamps', 2)).metadata?.labels ?? {};
    await beginUpgrade(s, ref, await render(ref), { owner: 'run-2' });
    await completeOperation(s, ref, 3, { owner: 'run-2' });
    const byUs = (await read('stamps', 2)).metadata?.labels ?? {};
    expect(Object.keys(byUs).sort()).toEqual([...new Set([...Object.keys(helms), 'modifiedAt'])].sort());
    expect(byUs).toMatchObject({ status: 'superseded', ...(helms.createdAt ? { createdAt: helms.createdAt } : {}) });
  });

  it('decodes a release Secret whose type is not helm.sh/release.v1, as helm does: a mistyped pending record still locks', async () => {
    const { release, labels } = newInstallRecord({ ...sampleRendered(), name: 'mistyped', namespace: ns.name });
    await clients().core.createNamespacedSecret({
      namespace: ns.name,
      body: {
        metadata: { name: 'sh.helm.release.v1.mistyped.v1', labels: { ...labels, name: 'mistyped', owner: 'helm', status: 'pending-install', version: '1' } },
        type: 'Opaque',
        data: { release: Buffer.from(encodeRelease(release)).toString('base64') },
      },
    });
    const ref = { namespace: ns.name, name: 'mistyped' };
    const h = await store().history(ref);
    expect(h.map((r) => [r.release.version, r.release.info.status])).toEqual([[1, 'pending-install']]);
    const listed = JSON.parse(await helmOk(4, ['list', '-n', ns.name, '--pending', '-o', 'json'])) as { name: string }[];
    expect(listed.map((r) => r.name)).toContain('mistyped');
    await expect(beginInstall(store(), { ...sampleRendered(), name: 'mistyped', namespace: ns.name }, { owner: 'x' })).rejects.toBeInstanceOf(OperationInProgress);
  });
});
