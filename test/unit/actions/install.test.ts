import { describe, expect, it } from 'vitest';

import { beginInstall, completeOperation, NameInUse } from '../../../src/actions/index.ts';
import { OperationInProgress } from '../../../src/release/errors.ts';
import { isOwnedBy, OWNER_LABEL, ownerToken } from '../../../src/release/owner.ts';
import { ReleaseExists } from '../../../src/store/errors.ts';
import { MemoryReleaseStore } from '../../../src/store/memory.ts';
import { Recording, ref, rejection, rendered, rows, storeWith } from './helpers.ts';

const input = (message = 'one') => ({ ...rendered(1, message), name: ref.name, namespace: ref.namespace });

describe('beginInstall', () => {
  it('writes revision 1 pending-install carrying the owner token bound to revision 1', async () => {
    const store = new MemoryReleaseStore();
    const begun = await beginInstall(store, { ...input(), labels: { team: 'a' } }, { owner: 'exec-1' });
    expect(begun.resumed).toBe(false);
    expect(begun.pending.release.info).toMatchObject({ status: 'pending-install', description: 'Initial install underway' });
    expect(begun.pending.labels).toEqual({ team: 'a', [OWNER_LABEL]: ownerToken('exec-1', 1) });
    expect(ownerToken('exec-1', 1)).toMatch(/^o-[0-9a-f]{40}$/);
    expect(isOwnedBy(begun.pending, 'exec-1')).toBe(true);
    expect(isOwnedBy(begun.pending, 'exec-2')).toBe(false);
  });

  it('resumes its own pending record on a retry and writes nothing', async () => {
    const store = new Recording(new MemoryReleaseStore());
    const first = await beginInstall(store, input(), { owner: 'exec-1' });
    const again = await beginInstall(store, input('changed'), { owner: 'exec-1' });
    expect(again.resumed).toBe(true);
    expect(again.pending).toEqual(first.pending);
    expect(store.writes).toHaveLength(1);
  });

  it('refuses, writing nothing, when another operation or nobody (helm, an older helmstep) holds the lock', async () => {
    for (const store of [storeWith(['pending-install'], { 1: 'exec-other' }), storeWith(['pending-install'])]) {
      const rec = new Recording(store);
      const err = await rejection(beginInstall(rec, input(), { owner: 'exec-1' }));
      expect(err).toBeInstanceOf(OperationInProgress);
      expect((err as OperationInProgress).helmText).toBe('another operation (install/upgrade/rollback) is in progress');
      expect(rec.writes).toEqual([]);
    }
  });

  it('refuses a name with history as helm 4 does ("reuse"), unless replacing an uninstalled or failed release', async () => {
    for (const [statuses, replace] of [
      [['deployed'], false],
      [['deployed'], true],
      [['superseded', 'uninstalled'], false],
      [['failed'], false],
      [['deployed', 'superseded'], true],
    ] as const) {
      const err = await rejection(beginInstall(storeWith(statuses), input(), { owner: 'e', replace }));
      expect(err).toBeInstanceOf(NameInUse);
      expect((err as NameInUse).helmText).toBe('cannot reuse a name that is still in use');
      expect(err.message).toContain(`revision ${statuses.length} is ${statuses.at(-1)}`);
    }
  });

  it('replaces an uninstalled release at newest + 1; completing supersedes the old record "superseded by new release"', async () => {
    const store = storeWith(['superseded', 'uninstalled']);
    const begun = await beginInstall(store, input(), { owner: 'e', replace: true });
    expect(begun.pending.release.version).toBe(3);
    expect(begun.previous?.release.version).toBe(2);
    expect(await rows(store)).toEqual([
      [1, 'superseded', 'rev 1'],
      [2, 'uninstalled', 'rev 2'],
      [3, 'pending-install', 'Initial install underway'],
    ]);
    await completeOperation(store, ref, 3, { owner: 'e' });
    expect(await rows(store)).toEqual([
      [1, 'superseded', 'rev 1'],
      [2, 'superseded', 'superseded by new release'],
      [3, 'deployed', 'Install complete'],
    ]);
  });

  it('replaces a failed release and leaves the failed record as it is (helm 4)', async () => {
    const store = storeWith(['failed']);
    await beginInstall(store, input(), { owner: 'e', replace: true });
    await completeOperation(store, ref, 2, { owner: 'e' });
    expect(await rows(store)).toEqual([
      [1, 'failed', 'rev 1'],
      [2, 'deployed', 'Install complete'],
    ]);
  });

  it('of two owners beginning at once, one wins; the loser wrote nothing and, retried, is refused', async () => {
    const store = new MemoryReleaseStore();
    const results = await Promise.allSettled([beginInstall(store, input('a'), { owner: 'a' }), beginInstall(store, input('b'), { owner: 'b' })]);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const lost = results[1 - won];
    expect(lost?.status).toBe('rejected');
    const reason = (lost as PromiseRejectedResult).reason as ReleaseExists;
    expect(reason).toBeInstanceOf(ReleaseExists);
    expect(reason.retryable).toBe(true);
    expect((await store.history(ref)).map((h) => h.release.config)).toEqual([{ message: won === 0 ? 'a' : 'b' }]);
    const loser = won === 0 ? 'b' : 'a';
    await expect(beginInstall(store, input(), { owner: loser })).rejects.toBeInstanceOf(OperationInProgress);
    expect((await beginInstall(store, input(), { owner: won === 0 ? 'a' : 'b' })).resumed).toBe(true);
  });

  it('a duplicate invocation of the same owner: one writes, the other loses the race and resumes on retry', async () => {
    const store = new MemoryReleaseStore();
    const results = await Promise.allSettled([beginInstall(store, input(), { owner: 'e' }), beginInstall(store, input(), { owner: 'e' })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const retry = await beginInstall(store, input(), { owner: 'e' });
    expect(retry.resumed).toBe(true);
    expect(await rows(store)).toHaveLength(1);
  });
});
