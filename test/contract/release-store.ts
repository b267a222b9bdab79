/**
 * The ReleaseStore contract, written once and run against every implementation: the Secrets
 * driver on the real API server (integration project) and MemoryReleaseStore (unit project), so
 * a backend cannot drift from helm's semantics and the fast tests stand on the same ground.
 */
import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { beginInstall, beginUpgrade, completeOperation } from '../../src/actions/index.ts';
import { InvalidReleaseName, ReleaseNotFound, ReleaseTooLarge, ReservedLabel, RevisionNotFound } from '../../src/release/errors.ts';
import { newInstallRecord, type RenderedRelease } from '../../src/release/lifecycle.ts';
import type { Release } from '../../src/release/record.ts';
import { ConcurrentUpdate, ReleaseExists } from '../../src/store/errors.ts';
import type { ReleaseStore } from '../../src/store/release-store.ts';

/** A small rendered chart, enough for records that helm also reads. */
export function sampleRendered(message = 'hello', now = new Date('2025-05-06T07:08:09.5Z')): RenderedRelease {
  return {
    chart: { metadata: { name: 'sample', version: '1.0.0', apiVersion: 'v2', appVersion: '1.0' }, lock: null, templates: [], values: { message: 'default' }, schema: null, files: [] },
    config: { message },
    manifest: `---\n# Source: sample/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sample\ndata:\n  message: ${message}\n`,
    hooks: [],
    now,
  };
}

export function releaseStoreContract(label: string, open: () => ReleaseStore, ns: { readonly name: string }): void {
  describe(`ReleaseStore contract: ${label}`, () => {
    const ref = (name: string) => ({ namespace: ns.name, name });
    const owner = 'contract-run';

    async function install(name: string, labels: Record<string, string> = {}): Promise<Release> {
      const { pending } = await beginInstall(open(), { ...sampleRendered(), name, namespace: ns.name, labels }, { owner });
      return pending.release;
    }

    it('create then get returns the same record and custom labels', async () => {
      const rel = await install('c-get', { team: 'payments' });
      const got = await open().get(ref('c-get'), 1);
      expect(got.release).toEqual(rel);
      expect(got.labels).toMatchObject({ team: 'payments' });
      expect(got.objectName).toBe('sh.helm.release.v1.c-get.v1');
      expect(got.createdAt).toMatch(/^\d+$/);
    });

    it('create of an existing revision fails with ReleaseExists (retryable) and leaves the first untouched', async () => {
      const rel = await install('c-race');
      const s = open();
      const other: Release = { ...rel, info: { ...rel.info, description: 'the loser' } };
      const err = await s.create(other, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReleaseExists);
      expect((err as ReleaseExists).retryable).toBe(true);
      expect((await s.get(ref('c-race'), 1)).release.info.description).toBe('Initial install underway');
    });

    it('update is a compare-and-swap: a stale read fails with ConcurrentUpdate (retryable)', async () => {
      await install('c-cas');
      const s = open();
      const stale = await s.get(ref('c-cas'), 1);
      const first = await s.update(stale, { ...stale.release, info: { ...stale.release.info, description: 'first writer' } });
      expect(first.resourceVersion).not.toBe(stale.resourceVersion);
      const err = await s.update(stale, { ...stale.release, info: { ...stale.release.info, description: 'second' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConcurrentUpdate);
      expect((err as ConcurrentUpdate).retryable).toBe(true);
      expect((await s.get(ref('c-cas'), 1)).release.info.description).toBe('first writer');
    });

    it('update of a deleted revision fails with RevisionNotFound and does not recreate it', async () => {
      await install('c-gone');
      const s = open();
      const read = await s.get(ref('c-gone'), 1);
      await s.delete(ref('c-gone'), 1);
      await expect(s.update(read, read.release)).rejects.toBeInstanceOf(RevisionNotFound);
      expect(await s.history(ref('c-gone'))).toEqual([]);
    });

    it('update keeps the custom labels unless given new ones, keeps createdAt, and never lets a custom label override a system one', async () => {
      await install('c-lbl', { team: 'payments' });
      const s = open();
      const read = await s.get(ref('c-lbl'), 1);
      const kept = await s.update(read, read.release);
      expect(kept.labels).toEqual(read.labels);
      expect(kept.createdAt).toBe(read.createdAt);
      const replaced = await s.update(kept, kept.release, { tier: 'web', status: 'forged' });
      expect(replaced.labels).toEqual({ tier: 'web' });
      expect(replaced.createdAt).toBe(read.createdAt);
    });

    it('history is ordered by revision number, not by name (v10 after v9)', async () => {
      const first = await install('c-order');
      const s = open();
      for (let v = 2; v <= 11; v++) await s.create({ ...first, version: v }, {});
      const versions = (await s.history(ref('c-order'))).map((h) => h.release.version);
      expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    });

    it('get of an unknown release or revision says which', async () => {
      const s = open();
      await expect(s.get(ref('c-nobody'), 1)).rejects.toBeInstanceOf(ReleaseNotFound);
      await install('c-some');
      await expect(s.get(ref('c-some'), 7)).rejects.toBeInstanceOf(RevisionNotFound);
    });

    it('delete is idempotent', async () => {
      await install('c-del');
      const s = open();
      await s.delete(ref('c-del'), 1);
      await s.delete(ref('c-del'), 1);
      expect(await s.history(ref('c-del'))).toEqual([]);
    });

    it('list gives the newest record of each release in the namespace', async () => {
      const first = await install('c-list-a');
      await open().create({ ...first, version: 2 }, {});
      await install('c-list-b');
      const mine = (await open().list(ns.name)).filter((r) => r.release.name.startsWith('c-list-'));
      expect(mine.map((r) => [r.release.name, r.release.version])).toEqual([
        ['c-list-a', 2],
        ['c-list-b', 1],
      ]);
    });

    it('a record over 1 MiB is refused before anything is written', async () => {
      const { release, labels } = newInstallRecord({ ...sampleRendered(), name: 'c-huge', namespace: ns.name });
      // Random bytes do not compress: ~1.5 MiB of base64 text.
      const blob = randomBytes(1_100_000).toString('base64');
      const err = await open().create({ ...release, manifest: blob }, labels).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReleaseTooLarge);
      expect(await open().history(ref('c-huge'))).toEqual([]);
    });

    it('refuses a release name helm would refuse, in every method, before any call', async () => {
      const s = open();
      const bad = { namespace: ns.name, name: 'Bad_Name' };
      const rel = (await s.history(ref('c-get')))[0]!;
      await expect(s.history(bad)).rejects.toBeInstanceOf(InvalidReleaseName);
      await expect(s.get(bad, 1)).rejects.toBeInstanceOf(InvalidReleaseName);
      await expect(s.delete(bad, 1)).rejects.toBeInstanceOf(InvalidReleaseName);
      await expect(s.create({ ...rel.release, name: 'Bad_Name' }, {})).rejects.toBeInstanceOf(InvalidReleaseName);
      await expect(s.update(rel, { ...rel.release, name: 'x'.repeat(54) })).rejects.toBeInstanceOf(InvalidReleaseName);
    });

    it('hands out copies: changing a returned record changes nothing stored', async () => {
      await install('c-copy', { team: 'a' });
      const s = open();
      const read = await s.get(ref('c-copy'), 1);
      read.release.info.description = 'mutated';
      (read.labels as Record<string, string>).team = 'b';
      const again = await s.get(ref('c-copy'), 1);
      expect(again.release.info.description).toBe('Initial install underway');
      expect(again.labels.team).toBe('a');
    });

    it('labels: reserved names refused, custom labels carried to the next revision, "null" deletes', async () => {
      await expect(install('c-reserved', { owner: 'me' })).rejects.toBeInstanceOf(ReservedLabel);
      await install('c-labels', { team: 'payments', tier: 'web' });
      const s = open();
      await completeOperation(s, ref('c-labels'), 1, { owner });
      await beginUpgrade(s, ref('c-labels'), { ...sampleRendered('two'), version: 2 }, { owner, labels: { tier: 'null', cost: 'eu' } });
      const { 'helmstep.dev/owner': token, ...custom } = (await s.get(ref('c-labels'), 2)).labels;
      expect(custom).toEqual({ team: 'payments', cost: 'eu' });
      expect(token).toMatch(/^o-[0-9a-f]{40}$/);
    });
  });
}
