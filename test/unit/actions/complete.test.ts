import { describe, expect, it } from 'vitest';

import { beginRollback, beginUpgrade, completeOperation, NotNewest, NotOwner, NotPending } from '../../../src/actions/index.ts';
import { OWNER_LABEL, ownerToken } from '../../../src/release/owner.ts';
import type { Status } from '../../../src/release/record.ts';
import { Crash, Recording, ref, rejection, rendered, rows, storeWith } from './helpers.ts';

describe('completeOperation', () => {
  it('upgrade: own record deployed "Upgrade complete" and its owner label kept (a re-run recognises it), the previous deployed superseded', async () => {
    const store = new Recording(storeWith(['superseded', 'deployed'], {}, { team: 'a' }));
    await beginUpgrade(store, ref, rendered(3), { owner: 'e' });
    const done = await completeOperation(store, ref, 3, { owner: 'e' });
    expect(done.labels).toEqual({ team: 'a', [OWNER_LABEL]: ownerToken('e', 3) });
    expect(await rows(store)).toEqual([
      [1, 'superseded', 'rev 1'],
      [2, 'superseded', 'rev 2'],
      [3, 'deployed', 'Upgrade complete'],
    ]);
    // Deployed first, then the supersede: never a moment with no deployed record.
    expect(store.writes.map((w) => `${w.op} ${w.version} ${w.status}`)).toEqual(['create 3 pending-upgrade', 'update 3 deployed', 'update 2 superseded']);
  });

  it('takes helm\'s --description', async () => {
    const store = storeWith(['deployed', 'pending-upgrade'], { 2: 'e' });
    expect((await completeOperation(store, ref, 2, { owner: 'e', description: 'ship it' })).release.info.description).toBe('ship it');
  });

  it('upgrade over a failed current (nothing deployed) supersedes it, as helm does; a failed record beside a deployed one stays failed', async () => {
    const a = storeWith(['failed', 'pending-upgrade'], { 2: 'e' });
    await completeOperation(a, ref, 2, { owner: 'e' });
    expect((await rows(a)).map((r) => r[1])).toEqual(['superseded', 'deployed']);

    const b = storeWith(['deployed', 'failed', 'pending-upgrade'], { 3: 'e' });
    await completeOperation(b, ref, 3, { owner: 'e' });
    expect((await rows(b)).map((r) => r[1])).toEqual(['superseded', 'failed', 'deployed']);
    // A re-run decides the same: revision 2 is not superseded now that nothing else is deployed.
    await completeOperation(b, ref, 3, { owner: 'e' });
    expect((await rows(b)).map((r) => r[1])).toEqual(['superseded', 'failed', 'deployed']);
  });

  it('rollback: every other deployed record superseded; "Rollback to N" kept', async () => {
    const store = storeWith(['deployed', 'deployed', 'failed']);
    await beginRollback(store, ref, 1, { owner: 'e' });
    await completeOperation(store, ref, 4, { owner: 'e' });
    expect(await rows(store)).toEqual([
      [1, 'superseded', 'rev 1'],
      [2, 'superseded', 'rev 2'],
      [3, 'failed', 'rev 3'],
      [4, 'deployed', 'Rollback to 1'],
    ]);
  });

  it('is idempotent: a second call changes nothing and returns the deployed record', async () => {
    const store = new Recording(storeWith(['deployed', 'pending-upgrade'], { 2: 'e' }));
    const first = await completeOperation(store, ref, 2, { owner: 'e' });
    const writes = store.writes.length;
    const again = await completeOperation(store, ref, 2, { owner: 'e' });
    expect(again.release).toEqual(first.release);
    expect(store.writes).toHaveLength(writes);
  });

  it('refuses another owner\'s record, and a record with no owner (NotOwner), changing nothing', async () => {
    for (const owners of [{ 2: 'other' }, {}] as Record<number, string>[]) {
      const store = new Recording(storeWith(['deployed', 'pending-upgrade'], owners));
      const err = await rejection(completeOperation(store, ref, 2, { owner: 'e' }));
      expect(err).toBeInstanceOf(NotOwner);
      expect(err.message).toContain('revision 2 of release "web" in namespace "shop" is pending-upgrade but not held by e');
      expect(store.writes).toEqual([]);
    }
  });

  it('refuses once helm rolled back over the pending record (NotNewest, not retryable), changing nothing', async () => {
    // 1 deployed → 2 pending-upgrade (ours) → helm rollback: 3 deployed, 1 superseded.
    const store = new Recording(storeWith(['superseded', 'pending-upgrade', 'deployed'], { 2: 'e' }));
    const err = await rejection(completeOperation(store, ref, 2, { owner: 'e' }));
    expect(err).toBeInstanceOf(NotNewest);
    expect((err as NotNewest).retryable).toBe(false);
    expect(err.message).toMatch(/revision 2 .* is no longer the newest: revision 3 \(deployed\)/);
    expect(store.writes).toEqual([]);
  });

  it('refuses a record that is neither pending nor deployed (NotPending)', async () => {
    await expect(completeOperation(storeWith(['deployed', 'failed']), ref, 2, { owner: 'e' })).rejects.toBeInstanceOf(NotPending);
  });

  describe('a crash between any two writes, then a re-run, ends as if nothing crashed', () => {
    const cases: [string, Status[], number][] = [
      ['upgrade over two deployed records', ['deployed', 'deployed', 'pending-upgrade'], 3],
      ['upgrade over a failed current', ['failed', 'pending-upgrade'], 2],
      ['install over an uninstalled release', ['deployed', 'uninstalled', 'pending-install'], 3],
      ['rollback', ['deployed', 'failed', 'pending-rollback'], 3],
    ];
    it.each(cases)('%s', async (_label, statuses, own) => {
      const clean = storeWith(statuses, { [own]: 'e' });
      await completeOperation(clean, ref, own, { owner: 'e' });
      const want = await rows(clean);
      const total = (await rows(clean)).filter((r, i) => r[1] !== statuses[i]).length;
      expect(total).toBeGreaterThanOrEqual(2);

      for (let n = 0; n < total; n++) {
        const store = new Recording(storeWith(statuses, { [own]: 'e' }));
        store.crashAfter = n;
        await expect(completeOperation(store, ref, own, { owner: 'e' })).rejects.toBeInstanceOf(Crash);
        // Whatever was written so far: a deployed record whenever there was one before.
        const mid = await rows(store);
        if (statuses.includes('deployed')) expect(mid.some((r) => r[1] === 'deployed')).toBe(true);
        expect(['deployed', statuses[own - 1]]).toContain(mid[own - 1]?.[1]);
        store.crashAfter = undefined;
        await completeOperation(store, ref, own, { owner: 'e' });
        expect(await rows(store)).toEqual(want);
        expect((await store.get(ref, own)).labels[OWNER_LABEL]).toBe(ownerToken('e', own)); // kept: a re-run recognises it
      }
    });
  });
});
