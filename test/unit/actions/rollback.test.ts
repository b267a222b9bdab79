import { describe, expect, it } from 'vitest';

import { beginRollback } from '../../../src/actions/index.ts';
import { OperationInProgress } from '../../../src/release/errors.ts';
import { OWNER_LABEL, ownerToken } from '../../../src/release/owner.ts';
import { Recording, ref, rows, storeWith } from './helpers.ts';

describe('beginRollback', () => {
  it('writes newest + 1 pending-rollback "Rollback to N" from the target, with its own owner token', async () => {
    // Revision 1 carries an owner token (left by an older helmstep, copied by helm): not carried over.
    const store = storeWith(['superseded', 'deployed'], {}, { team: 'a' });
    await store.update((await store.get(ref, 1)), (await store.get(ref, 1)).release, { team: 'old', [OWNER_LABEL]: ownerToken('e', 1) });
    const begun = await beginRollback(store, ref, 1, { owner: 'e', now: new Date('2025-06-01T00:00:00Z') });
    expect(begun.pending.release.version).toBe(3);
    expect(begun.pending.release.info).toMatchObject({ status: 'pending-rollback', description: 'Rollback to 1', last_deployed: '2025-06-01T00:00:00Z' });
    expect(begun.pending.release.config).toEqual({ message: 'm1' });
    expect(begun.pending.labels).toEqual({ team: 'old', [OWNER_LABEL]: ownerToken('e', 3) });
    expect([begun.targetVersion, begun.target?.release.version, begun.previous?.release.version]).toEqual([1, 1, 2]);
  });

  it('refuses another operation\'s pending record, unless told to ignore the lock as helm\'s rollback does', async () => {
    const store = new Recording(storeWith(['deployed', 'pending-upgrade'], { 2: 'stuck' }));
    await expect(beginRollback(store, ref, 1, { owner: 'e' })).rejects.toBeInstanceOf(OperationInProgress);
    expect(store.writes).toEqual([]);
    const begun = await beginRollback(store, ref, 1, { owner: 'e', ignoreLock: true });
    expect(begun.pending.release.version).toBe(3);
    expect(await rows(store)).toEqual([
      [1, 'deployed', 'rev 1'],
      [2, 'pending-upgrade', 'rev 2'],
      [3, 'pending-rollback', 'Rollback to 1'],
    ]);
  });

  it('resumes its own pending-rollback (target 0 meant the revision before the one it replaced)', async () => {
    const store = new Recording(storeWith(['superseded', 'deployed', 'failed']));
    const first = await beginRollback(store, ref, 0, { owner: 'e' });
    expect(first.targetVersion).toBe(2);
    const again = await beginRollback(store, ref, 0, { owner: 'e' });
    expect([again.resumed, again.pending.release.version, again.targetVersion, again.previous?.release.version]).toEqual([true, 4, 2, 3]);
    expect(store.writes).toHaveLength(1);
  });
});
