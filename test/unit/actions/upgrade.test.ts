import { describe, expect, it } from 'vitest';

import { beginUpgrade, completeOperation, ReleaseChanged } from '../../../src/actions/index.ts';
import { NoDeployedRelease, OperationInProgress, ReleaseTooLarge } from '../../../src/release/errors.ts';
import { OWNER_LABEL, isOwnedBy, ownerToken } from '../../../src/release/owner.ts';
import { ClusterForbidden, ClusterUnavailable, ReleaseExists } from '../../../src/store/errors.ts';
import { Crash, Recording, ref, rejection, rendered, rows, storeWith } from './helpers.ts';

describe('beginUpgrade', () => {
  it('writes newest + 1 pending-upgrade with its owner, labels merged from the newest record', async () => {
    const store = storeWith(['deployed', 'failed'], {}, { team: 'a', tier: 'web' });
    const begun = await beginUpgrade(store, ref, rendered(3), { owner: 'e', labels: { tier: 'null', env: 'prod' } });
    expect(begun.pending.release.info).toMatchObject({ status: 'pending-upgrade', description: 'Preparing upgrade' });
    expect(begun.pending.labels).toEqual({ team: 'a', env: 'prod', [OWNER_LABEL]: ownerToken('e', 3) });
    expect(begun.previous?.release.version).toBe(1); // helm's current: the deployed one
  });

  it('does not carry an owner label that helm copied from another revision: the token is its own', async () => {
    // Revision 2 carries a token (helm copied it there from revision 1's pending record).
    const store = storeWith(['superseded', 'deployed'], {}, { [OWNER_LABEL]: ownerToken('e', 1) });
    const begun = await beginUpgrade(store, ref, rendered(3), { owner: 'e' });
    expect(begun.resumed).toBe(false);
    expect(begun.pending.labels[OWNER_LABEL]).toBe(ownerToken('e', 3));
  });

  it('refuses with ReleaseChanged (retryable) when the chart was rendered for another revision, writing nothing', async () => {
    const store = new Recording(storeWith(['deployed', 'superseded', 'deployed']));
    const err = await rejection(beginUpgrade(store, ref, rendered(3), { owner: 'e' }));
    expect(err).toBeInstanceOf(ReleaseChanged);
    expect((err as ReleaseChanged).retryable).toBe(true);
    expect(err.message).toMatch(/rendered as revision 3, but the next revision is 4/);
    expect(store.writes).toEqual([]);
  });

  it('refuses another operation\'s lock (OperationInProgress, not retryable) and a history with nothing to upgrade', async () => {
    const locked = await rejection(beginUpgrade(storeWith(['deployed', 'pending-upgrade'], { 2: 'other' }), ref, rendered(3), { owner: 'e' }));
    expect(locked).toBeInstanceOf(OperationInProgress);
    expect((locked as OperationInProgress).retryable).toBe(false);
    await expect(beginUpgrade(storeWith([]), ref, rendered(1), { owner: 'e' })).rejects.toBeInstanceOf(NoDeployedRelease);
  });

  it('resumes its own pending-upgrade, and tells what it replaces', async () => {
    const store = new Recording(storeWith(['deployed']));
    await beginUpgrade(store, ref, rendered(2), { owner: 'e' });
    const again = await beginUpgrade(store, ref, rendered(2), { owner: 'e' });
    expect([again.resumed, again.pending.release.version, again.previous?.release.version]).toEqual([true, 2, 1]);
    expect(store.writes).toHaveLength(1);
  });

  it('does not resume its own record of another kind (a pending-install of the same owner)', async () => {
    await expect(beginUpgrade(storeWith(['pending-install'], { 1: 'e' }), ref, rendered(2), { owner: 'e' })).rejects.toBeInstanceOf(OperationInProgress);
  });
});

describe('pruning after the write', () => {
  const statuses = ['superseded', 'failed', 'deployed', 'failed'] as const;

  it('writes first, then deletes oldest-first until maxHistory remain, never the newest deployed (helm\'s result)', async () => {
    const store = new Recording(storeWith(statuses));
    const begun = await beginUpgrade(store, ref, rendered(5), { owner: 'e', maxHistory: 3 });
    expect(begun.pruned).toEqual([1, 2]);
    expect(store.writes.map((w) => `${w.op} ${w.version}`)).toEqual(['create 5', 'delete 1', 'delete 2']);
    expect((await rows(store)).map((r) => r[0])).toEqual([3, 4, 5]);
  });

  it('a begin that loses the race, is forbidden, times out or is too large has deleted nothing', async () => {
    const failures = [
      new ReleaseExists(ref, 5),
      new ClusterForbidden('the API server refused to create Secret shop/sh.helm.release.v1.web.v5 (HTTP 403)'),
      new ClusterUnavailable('https://k8s', 'create Secret: ETIMEDOUT'),
    ];
    for (const error of failures) {
      const store = new Recording(storeWith(statuses));
      store.failNext = { op: 'create', error };
      await expect(beginUpgrade(store, ref, rendered(5), { owner: 'e', maxHistory: 3 })).rejects.toBe(error);
      expect((await rows(store)).map((r) => r[0])).toEqual([1, 2, 3, 4]);
    }
    const store = new Recording(storeWith(statuses));
    const huge = { ...rendered(5), config: { blob: (await import('node:crypto')).randomBytes(1_100_000).toString('base64') } };
    await expect(beginUpgrade(store, ref, huge, { owner: 'e', maxHistory: 3 })).rejects.toBeInstanceOf(ReleaseTooLarge);
    expect(store.writes).toEqual([]);
  });

  it('a crash during pruning: the retry resumes without writing; the next operation prunes the rest', async () => {
    for (const crashAfter of [1, 2]) {
      const store = new Recording(storeWith(statuses));
      store.crashAfter = crashAfter; // 1: right after the create; 2: after the first delete
      await expect(beginUpgrade(store, ref, rendered(5), { owner: 'e', maxHistory: 3 })).rejects.toBeInstanceOf(Crash);
      store.crashAfter = undefined;
      const retry = await beginUpgrade(store, ref, rendered(5), { owner: 'e', maxHistory: 3 });
      expect([retry.resumed, retry.pruned]).toEqual([true, []]);
      expect(isOwnedBy(retry.pending, 'e')).toBe(true);
      await completeOperation(store, ref, 5, { owner: 'e' });
      await beginUpgrade(store, ref, rendered(6), { owner: 'f', maxHistory: 3 });
      expect((await rows(store)).map((r) => r[0])).toEqual([4, 5, 6]);
    }
  });

  it('a typed store error while pruning is reported, not thrown: the lock is taken and the record written', async () => {
    const store = new Recording(storeWith(statuses));
    const error = new ClusterForbidden('the API server refused to delete Secret (HTTP 403)');
    store.failNext = { op: 'delete', error };
    const begun = await beginUpgrade(store, ref, rendered(5), { owner: 'e', maxHistory: 3 });
    expect(begun.pruneError).toBe(error);
    expect(begun.pruned).toEqual([]);
    expect(begun.pending.release.version).toBe(5);
  });
});
