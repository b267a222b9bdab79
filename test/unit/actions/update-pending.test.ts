import { describe, expect, it } from 'vitest';

import { NotOwner, NotPending, updatePending } from '../../../src/actions/index.ts';
import { OWNER_LABEL, ownerToken } from '../../../src/release/owner.ts';
import type { Release } from '../../../src/release/record.ts';
import { ConcurrentUpdate } from '../../../src/store/errors.ts';
import { Recording, ref, rejection, storeWith } from './helpers.ts';

const describeAs = (d: string) => (r: Release): Release => ({ ...r, info: { ...r.info, notes: d } });

describe('updatePending', () => {
  it('applies the change to the own pending record; labels merged, the owner kept', async () => {
    const store = storeWith(['deployed', 'pending-upgrade'], { 2: 'e' }, { team: 'a' });
    const out = await updatePending(store, ref, 2, 'e', describeAs('hook ran'), { 'helmstep.dev/migrated-in': '2', team: 'null' });
    expect(out.release.info.notes).toBe('hook ran');
    expect(out.labels).toEqual({ 'helmstep.dev/migrated-in': '2', [OWNER_LABEL]: ownerToken('e', 2) });
    expect((await store.get(ref, 2)).release.info.status).toBe('pending-upgrade');
  });

  it('retries once on ConcurrentUpdate, applying the change to the record read again', async () => {
    const store = new Recording(storeWith(['deployed', 'pending-upgrade'], { 2: 'e' }));
    store.failNext = { op: 'update', error: new ConcurrentUpdate(ref, 2) };
    const seen: (string | undefined)[] = [];
    const out = await updatePending(store, ref, 2, 'e', (r) => {
      seen.push(r.info.notes);
      return describeAs('done')(r);
    });
    expect(seen).toHaveLength(2);
    expect(out.release.info.notes).toBe('done');
  });

  it('gives up after the second conflict', async () => {
    const store = storeWith(['deployed', 'pending-upgrade'], { 2: 'e' });
    let calls = 0;
    const racing = {
      ...store,
      history: store.history.bind(store),
      get: store.get.bind(store),
      list: store.list.bind(store),
      create: store.create.bind(store),
      delete: store.delete.bind(store),
      update: () => {
        calls++;
        return Promise.reject(new ConcurrentUpdate(ref, 2));
      },
    };
    await expect(updatePending(racing, ref, 2, 'e', describeAs('x'))).rejects.toBeInstanceOf(ConcurrentUpdate);
    expect(calls).toBe(2);
  });

  it('refuses a record it does not own or that is finished, and a change of status', async () => {
    expect(await rejection(updatePending(storeWith(['pending-upgrade'], { 1: 'other' }), ref, 1, 'e', describeAs('x')))).toBeInstanceOf(NotOwner);
    expect(await rejection(updatePending(storeWith(['failed'], { 1: 'e' }), ref, 1, 'e', describeAs('x')))).toBeInstanceOf(NotPending);
    const store = new Recording(storeWith(['pending-upgrade'], { 1: 'e' }));
    const err = await rejection(updatePending(store, ref, 1, 'e', (r) => ({ ...r, info: { ...r.info, status: 'deployed' } })));
    expect(err.message).toMatch(/may not alter the name, version or status/);
    expect(store.writes).toEqual([]);
  });
});
