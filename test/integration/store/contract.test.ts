import { describe, expect, it } from 'vitest';
import { beginInstall, beginUpgrade, completeOperation } from '../../../src/actions/records.ts';
import { ReleaseNotFound, ReservedLabel, RevisionNotFound } from '../../../src/release/errors.ts';
import type { Release } from '../../../src/release/record.ts';
import { ConcurrentUpdate, ReleaseExists } from '../../../src/store/errors.ts';
import type { ReleaseStore } from '../../../src/store/release-store.ts';
import { clients, useNamespace } from '../../harness/cluster.ts';
import { render, store } from './helpers.ts';

/**
 * The ReleaseStore contract, written once and run against every implementation (today the
 * Secrets driver on the real API server), so a new backend cannot drift from helm's semantics.
 */
function releaseStoreContract(label: string, open: () => ReleaseStore, ns: { readonly name: string }) {
  describe(`ReleaseStore contract: ${label}`, () => {
    async function install(name: string, labels: Record<string, string> = {}): Promise<Release> {
      const ref = { namespace: ns.name, name };
      const { pending } = await beginInstall(open(), { ...(await render(ref)), name, namespace: ns.name, labels });
      return pending.release;
    }

    it('create then get returns the same record and custom labels', async () => {
      const rel = await install('c-get', { team: 'payments' });
      const got = await open().get({ namespace: ns.name, name: 'c-get' }, 1);
      expect(got.release).toEqual(rel);
      expect(got.labels).toEqual({ team: 'payments' });
      expect(got.objectName).toBe('sh.helm.release.v1.c-get.v1');
    });

    it('create of an existing revision fails with ReleaseExists and leaves the first untouched', async () => {
      const rel = await install('c-race');
      const s = open();
      const other: Release = { ...rel, info: { ...rel.info, description: 'the loser' } };
      await expect(s.create(other, {})).rejects.toBeInstanceOf(ReleaseExists);
      expect((await s.get({ namespace: ns.name, name: 'c-race' }, 1)).release.info.description).toBe('Initial install underway');
    });

    it('update is a compare-and-swap: a stale read fails with ConcurrentUpdate', async () => {
      await install('c-cas');
      const s = open();
      const ref = { namespace: ns.name, name: 'c-cas' };
      const stale = await s.get(ref, 1);
      await s.update(stale, { ...stale.release, info: { ...stale.release.info, description: 'first writer' } });
      await expect(s.update(stale, { ...stale.release, info: { ...stale.release.info, description: 'second' } })).rejects.toBeInstanceOf(
        ConcurrentUpdate,
      );
      expect((await s.get(ref, 1)).release.info.description).toBe('first writer');
    });

    it('history is ordered by revision number, not by name (v10 after v9)', async () => {
      const first = await install('c-order');
      const s = open();
      for (let v = 2; v <= 11; v++) await s.create({ ...first, version: v }, {});
      const versions = (await s.history({ namespace: ns.name, name: 'c-order' })).map((h) => h.release.version);
      expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    });

    it('get of an unknown release or revision says which', async () => {
      const s = open();
      await expect(s.get({ namespace: ns.name, name: 'c-nobody' }, 1)).rejects.toBeInstanceOf(ReleaseNotFound);
      await install('c-some');
      await expect(s.get({ namespace: ns.name, name: 'c-some' }, 7)).rejects.toBeInstanceOf(RevisionNotFound);
    });

    it('delete is idempotent', async () => {
      await install('c-del');
      const s = open();
      const ref = { namespace: ns.name, name: 'c-del' };
      await s.delete(ref, 1);
      await s.delete(ref, 1);
      expect(await s.history(ref)).toEqual([]);
    });

    it('labels: reserved names refused, custom labels carried to the next revision, "null" deletes', async () => {
      await expect(install('c-reserved', { owner: 'me' })).rejects.toBeInstanceOf(ReservedLabel);
      await install('c-labels', { team: 'payments', tier: 'web' });
      const s = open();
      const ref = { namespace: ns.name, name: 'c-labels' };
      await completeOperation(s, ref, 1);
      await beginUpgrade(s, ref, await render(ref), { labels: { tier: 'null', cost: 'eu' } });
      expect((await s.get(ref, 2)).labels).toEqual({ team: 'payments', cost: 'eu' });
    });
  });
}

const ns = useNamespace('contract');
releaseStoreContract('Kubernetes Secrets (helm.sh/release.v1)', store, ns);

describe('Secrets driver specifics', () => {
  it('stamps createdAt on create and, like helm’s Update, modifiedAt without createdAt on update', async () => {
    const s = store();
    const ref = { namespace: ns.name, name: 'stamps' };
    await beginInstall(s, { ...(await render(ref)), name: ref.name, namespace: ref.namespace });
    const read = () => clients().core.readNamespacedSecret({ name: 'sh.helm.release.v1.stamps.v1', namespace: ns.name });
    const created = await read();
    expect(Object.keys(created.metadata?.labels ?? {}).sort()).toEqual(['createdAt', 'name', 'owner', 'status', 'version']);
    expect(created.metadata?.labels?.createdAt).toMatch(/^\d{10}$/);
    await completeOperation(s, ref, 1);
    const updated = await read();
    expect(updated.metadata?.labels).toMatchObject({ status: 'deployed', owner: 'helm', name: 'stamps', version: '1' });
    expect(updated.metadata?.labels?.modifiedAt).toMatch(/^\d{10}$/);
    expect(updated.metadata?.labels?.createdAt).toBeUndefined();
  });
});
