import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { beginInstall, beginUpgrade, completeOperation } from '../../../src/actions/index.ts';
import { CorruptRecord, ReleaseTooLarge } from '../../../src/release/errors.ts';
import type { Release, Status } from '../../../src/release/record.ts';
import { clients, createCorruptReleaseSecret, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { render, store } from './helpers.ts';

/** Names and resourceVersions of every helm Secret in a namespace: "nothing changed" means equal snapshots. */
async function snapshot(namespace: string): Promise<string[]> {
  const list = await clients().core.listNamespacedSecret({ namespace, labelSelector: 'owner=helm' });
  return list.items.map((s) => `${s.metadata?.name}@${s.metadata?.resourceVersion}`).sort();
}

/** Writes revisions 1..N with the given statuses (no apply): the history a test starts from. */
async function seedHistory(namespace: string, name: string, statuses: Status[]): Promise<void> {
  const s = store();
  const { pending } = await beginInstall(s, { ...(await render({ namespace, name })), name, namespace }, { owner: 'seed' });
  const first = pending.release;
  for (const [i, status] of statuses.entries()) {
    const rec: Release = { ...first, version: i + 1, info: { ...first.info, status, description: 'seeded' } };
    if (i === 0) await s.update(pending, rec, {});
    else await s.create(rec, {});
  }
}

describe('refusals and pruning on the real control plane', () => {
  const ns = useNamespace('refuse');
  const twin = useNamespace('refuse-helm');

  it('prunes with helm’s rule: max 3 over [superseded, failed, deployed, failed] deletes 1 and 2, as helm does', async () => {
    const statuses: Status[] = ['superseded', 'failed', 'deployed', 'failed'];
    await seedHistory(ns.name, 'pruned', statuses);
    await seedHistory(twin.name, 'pruned', statuses);

    const ref = { namespace: ns.name, name: 'pruned' };
    // Rendered outside the lock, then begun: the record is written first, then 1 and 2 pruned.
    const begun = await beginUpgrade(store(), ref, await render(ref), { owner: 'p', maxHistory: 3 });
    expect(begun.pruned).toEqual([1, 2]);
    const ours = (await store().history(ref)).map((h) => h.release.version);

    await helmOk(4, ['upgrade', 'pruned', webappChart, '-n', twin.name, '--history-max', '3']);
    const helms = (await store().history({ namespace: twin.name, name: 'pruned' })).map((h) => h.release.version);
    expect(ours).toEqual([3, 4, 5]);
    expect(helms).toEqual(ours);
  });

  it('refuses a record over 1 MiB before writing anything, naming the release, size and limit', async () => {
    const ref = { namespace: ns.name, name: 'huge' };
    const s = store();
    await beginInstall(s, { ...(await render(ref)), name: ref.name, namespace: ref.namespace }, { owner: 'h', maxHistory: 1 });
    await completeOperation(s, ref, 1, { owner: 'h' });
    const before = await snapshot(ns.name);

    const rendered = await render(ref);
    // Random bytes do not compress: ~1.5 MiB of base64 text in a ConfigMap.
    const blob = randomBytes(1_100_000).toString('base64');
    const huge = { ...rendered, manifest: `${rendered.manifest}---\n# Source: webapp/templates/blob.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blob\ndata:\n  blob: ${blob}\n` };
    const err = await beginUpgrade(s, ref, huge, { owner: 'h2', maxHistory: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReleaseTooLarge);
    expect((err as Error).message).toMatch(/"huge"/);
    expect((err as Error).message).toMatch(/1048576/);
    expect((err as Error).message).toMatch(/\d{7,} bytes/);
    expect(await snapshot(ns.name)).toEqual(before); // not even pruned
  });

  it('names a corrupt record and changes nothing, never skipping or overwriting it', async () => {
    const ref = { namespace: ns.name, name: 'broken' };
    const s = store();
    await beginInstall(s, { ...(await render(ref)), name: ref.name, namespace: ref.namespace }, { owner: 'b' });
    await completeOperation(s, ref, 1, { owner: 'b' });
    await createCorruptReleaseSecret(ns.name, 'broken', 2);
    const before = await snapshot(ns.name);

    const err = await s.history(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptRecord);
    expect((err as Error).message).toContain(`${ns.name}/sh.helm.release.v1.broken.v2`);
    await expect(beginUpgrade(s, ref, await render(ref), { owner: 'b2' })).rejects.toBeInstanceOf(CorruptRecord);
    expect(await snapshot(ns.name)).toEqual(before);
  });
});
