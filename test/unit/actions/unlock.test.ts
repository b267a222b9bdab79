import { describe, expect, it } from 'vitest';

import { beginUpgrade, completeOperation, LockHeld, NotLocked, NotPending, unlock } from '../../../src/actions/index.ts';
import { OWNER_LABEL } from '../../../src/release/owner.ts';
import { MemoryReleaseStore } from '../../../src/store/memory.ts';
import { now, Recording, ref, rejection, rendered, rows, storeWith } from './helpers.ts';

// The seeded records' last_deployed is `now` (2025-05-06T07:08:09Z).
const later = new Date(now.getTime() + 60 * 60_000);

describe('unlock', () => {
  it('makes the pending newest record failed, saying who and why, and removes its owner', async () => {
    const store = storeWith(['deployed', 'pending-upgrade'], { 2: 'dead-exec' });
    const done = await unlock(store, ref, { by: 'alice', reason: 'the runner died', force: true, now: later });
    expect(done.labels[OWNER_LABEL]).toBeUndefined();
    expect(await rows(store)).toEqual([
      [1, 'deployed', 'rev 1'],
      [2, 'failed', 'Unlocked by alice: the runner died (was pending-upgrade)'],
    ]);
    // The release moves on; the dead execution cannot finish its record any more.
    await expect(completeOperation(store, ref, 2, { owner: 'dead-exec' })).rejects.toBeInstanceOf(NotPending);
    await beginUpgrade(store, ref, rendered(3), { owner: 'next' });
  });

  it('refuses a young lock (LockHeld) unless forced or older than the given age, changing nothing', async () => {
    const store = new Recording(storeWith(['deployed', 'pending-upgrade'], { 2: 'e' }));
    const err = await rejection(unlock(store, ref, { by: 'bob', reason: 'r', now: later }));
    expect(err).toBeInstanceOf(LockHeld);
    expect(err.message).toMatch(/locked by revision 2 \(pending-upgrade, since 2025-05-06T07:08:09\.000Z, 60 min ago\)/);
    await expect(unlock(store, ref, { by: 'bob', reason: 'r', olderThan: new Date(now.getTime() - 1000), now: later })).rejects.toBeInstanceOf(LockHeld);
    expect(store.writes).toEqual([]);
    await unlock(store, ref, { by: 'bob', reason: 'r', olderThan: new Date(now.getTime() + 1000), now: later });
    expect((await rows(store)).at(-1)?.[1]).toBe('failed');
  });

  it('says there is no lock (NotLocked) when the newest record is not pending or there is none', async () => {
    const err = await rejection(unlock(storeWith(['pending-upgrade', 'deployed']), ref, { by: 'a', reason: 'r', force: true, now }));
    expect(err).toBeInstanceOf(NotLocked);
    expect(err.message).toContain('newest revision 2 is deployed');
    await expect(unlock(new MemoryReleaseStore(), ref, { by: 'a', reason: 'r', force: true, now })).rejects.toBeInstanceOf(NotLocked);
  });
});
