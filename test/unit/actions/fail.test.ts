import { describe, expect, it } from 'vitest';

import { beginRollback, failOperation, NotOwner, NotPending } from '../../../src/actions/index.ts';
import { OWNER_LABEL, ownerToken } from '../../../src/release/owner.ts';
import { Crash, Recording, ref, rejection, rows, storeWith } from './helpers.ts';

describe('failOperation', () => {
  it.each([
    ['upgrade', 'Upgrade "web" failed: context deadline exceeded'],
    ['install', 'Release "web" failed: context deadline exceeded'],
  ] as const)('%s: own record failed with helm\'s words, owner label kept (a re-run recognises it), the deployed one untouched', async (op, description) => {
    const store = storeWith(['deployed', 'pending-upgrade'], { 2: 'e' }, { team: 'a' });
    const failed = await failOperation(store, ref, 2, op, new Error('context deadline exceeded'), { owner: 'e' });
    expect(failed.labels).toEqual({ team: 'a', [OWNER_LABEL]: ownerToken('e', 2) });
    expect(await rows(store)).toEqual([
      [1, 'deployed', 'rev 1'],
      [2, 'failed', description],
    ]);
  });

  it('a failed rollback supersedes the record it replaced, after marking itself failed', async () => {
    const store = new Recording(storeWith(['superseded', 'deployed']));
    await beginRollback(store, ref, 1, { owner: 'e' });
    await failOperation(store, ref, 3, 'rollback', new Error('boom'), { owner: 'e' });
    expect(await rows(store)).toEqual([
      [1, 'superseded', 'rev 1'],
      [2, 'superseded', 'rev 2'],
      [3, 'failed', 'Rollback "web" failed: boom'],
    ]);
    expect(store.writes.slice(1).map((w) => `${w.version} ${w.status}`)).toEqual(['3 failed', '2 superseded']);
  });

  it('a crash between the two writes of a failed rollback: the re-run finishes the supersede', async () => {
    const store = new Recording(storeWith(['deployed', 'pending-rollback'], { 2: 'e' }));
    store.crashAfter = 1;
    await expect(failOperation(store, ref, 2, 'rollback', 'boom', { owner: 'e' })).rejects.toBeInstanceOf(Crash);
    expect((await rows(store)).map((r) => r[1])).toEqual(['deployed', 'failed']);
    store.crashAfter = undefined;
    await failOperation(store, ref, 2, 'rollback', 'boom', { owner: 'e' });
    expect(await rows(store)).toEqual([
      [1, 'superseded', 'rev 1'],
      [2, 'failed', 'Rollback "web" failed: boom'],
    ]);
  });

  it('is idempotent: a second call writes nothing', async () => {
    const store = new Recording(storeWith(['deployed', 'pending-upgrade'], { 2: 'e' }));
    await failOperation(store, ref, 2, 'upgrade', 'x', { owner: 'e' });
    await failOperation(store, ref, 2, 'upgrade', 'x', { owner: 'e' });
    expect(store.writes).toHaveLength(1);
  });

  it('marks its own stale pending record failed even when not the newest, but supersedes nothing then', async () => {
    // Our rollback 2 was pending when helm rolled back (3 deployed).
    const store = storeWith(['superseded', 'pending-rollback', 'deployed'], { 2: 'e' });
    await failOperation(store, ref, 2, 'rollback', 'stopped', { owner: 'e' });
    expect((await rows(store)).map((r) => r[1])).toEqual(['superseded', 'failed', 'deployed']);
    expect((await store.get(ref, 2)).labels[OWNER_LABEL]).toBe(ownerToken('e', 2)); // kept: a re-run recognises it
  });

  it('refuses another owner\'s record (NotOwner) and a finished one (NotPending), changing nothing', async () => {
    const other = new Recording(storeWith(['deployed', 'pending-upgrade'], { 2: 'other' }));
    expect(await rejection(failOperation(other, ref, 2, 'upgrade', 'x', { owner: 'e' }))).toBeInstanceOf(NotOwner);
    const done = new Recording(storeWith(['superseded', 'deployed']));
    expect(await rejection(failOperation(done, ref, 2, 'upgrade', 'x', { owner: 'e' }))).toBeInstanceOf(NotPending);
    expect([...other.writes, ...done.writes]).toEqual([]);
  });
});
