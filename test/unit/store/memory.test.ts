import { describe, expect, it } from 'vitest';

import { newInstallRecord } from '../../../src/release/lifecycle.ts';
import { ReleaseExists } from '../../../src/store/errors.ts';
import { MemoryReleaseStore } from '../../../src/store/memory.ts';
import { releaseStoreContract, sampleRendered } from '../../contract/release-store.ts';

const store = new MemoryReleaseStore();
releaseStoreContract('memory', () => store, { name: 'contract' });

describe('MemoryReleaseStore specifics', () => {
  const { release } = newInstallRecord({ ...sampleRendered(), name: 'web', namespace: 'shop' });

  it('starts from seeds, with or without labels, keyed by their own namespace', async () => {
    const s = new MemoryReleaseStore([release, { release: { ...release, version: 2 }, labels: { team: 'a' } }]);
    const h = await s.history({ namespace: 'shop', name: 'web' });
    expect(h.map((r) => [r.release.version, r.labels])).toEqual([
      [1, {}],
      [2, { team: 'a' }],
    ]);
    expect(await s.history({ namespace: 'other', name: 'web' })).toEqual([]);
  });

  it('copies what it is given: a caller mutating its object afterwards changes nothing stored', async () => {
    const s = new MemoryReleaseStore();
    const mine = structuredClone(release);
    const labels = { team: 'a' };
    await s.create(mine, labels);
    mine.info.description = 'changed after';
    labels.team = 'b';
    const got = await s.get({ namespace: 'shop', name: 'web' }, 1);
    expect(got.release.info.description).toBe('Initial install underway');
    expect(got.labels).toEqual({ team: 'a' });
  });

  it('of two creates of one revision started together, exactly one wins', async () => {
    const s = new MemoryReleaseStore();
    const results = await Promise.allSettled([s.create(release, { who: 'a' }), s.create(release, { who: 'b' })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')?.reason).toBeInstanceOf(ReleaseExists);
  });

  it('stamps createdAt from its clock and keeps it across updates', async () => {
    let t = new Date('2025-01-01T00:00:00Z');
    const s = new MemoryReleaseStore([], () => t);
    const created = await s.create(release, {});
    t = new Date('2025-01-02T00:00:00Z');
    const updated = await s.update(created, { ...created.release, info: { ...created.release.info, status: 'deployed' } });
    expect([created.createdAt, updated.createdAt]).toEqual(['1735689600', '1735689600']);
  });
});
