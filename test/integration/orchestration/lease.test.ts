/** The DynamoDB lease on dynalite: conditional writes only, the same decisions as the pure rules. */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { LeaseHeld, LeaseLost, LeaseNotExpired, LeaseStoreFailed } from '../../../src/orchestration/errors.ts';
import { DynamoLeaseStore } from '../../../src/orchestration/lease.ts';
import { TABLE, useLeaseDb } from './harness.ts';

const ref = (name: string) => ({ cluster: 'prod-eu', namespace: 'shop', name });
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));

describe('DynamoLeaseStore on dynalite', () => {
  const db = useLeaseDb();

  it('of ten executions racing for one release, exactly one gets the lease', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => db.store(db.newClient()).acquire(ref('race'), `exec-${i}`, t(0), 60_000)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LeaseHeld);
    const holder = (won[0] as PromiseFulfilledResult<{ lease: { owner: string } }>).value.lease.owner;
    expect((await db.store().read(ref('race')))?.owner).toBe(holder);
  });

  it('stores one item per release with its owner, expiry and a TTL attribute a day after expiry', async () => {
    await db.store().acquire(ref('item'), 'exec-1', t(0), 60_000);
    const item = await db.client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'lease#prod-eu/shop/item' } } }));
    expect(item.Item).toMatchObject({ owner: { S: 'exec-1' }, expiresAt: { N: String(t(60).getTime()) }, ttl: { N: String(t(60).getTime() / 1000 + 86_400) } });
  });

  it('gives the lease again to its owner (a retried acquire), refuses others until expiry, then hands it over', async () => {
    const s = db.store();
    await s.acquire(ref('own'), 'a', t(0), 10_000);
    await s.acquire(ref('own'), 'a', t(1), 10_000);
    await expect(s.acquire(ref('own'), 'b', t(5), 10_000)).rejects.toBeInstanceOf(LeaseHeld);
    const grant = await s.acquire(ref('own'), 'b', t(11), 10_000);
    expect(grant.tookOver?.owner).toBe('a');
    await expect(s.renew(ref('own'), 'a', t(12), 10_000)).rejects.toSatisfy((e: unknown) => e instanceof LeaseLost && e.holder === 'b');
    expect((await s.renew(ref('own'), 'b', t(12), 10_000)).expiresAt).toEqual(t(22));
  });

  it('releases only its own lease, and unlock takes over only an expired one', async () => {
    const s = db.store();
    await s.acquire(ref('rel'), 'a', t(0), 10_000);
    expect(await s.release(ref('rel'), 'b')).toBe(false);
    await expect(s.takeOver(ref('rel'), 'alice', t(5), 10_000, false)).rejects.toBeInstanceOf(LeaseNotExpired);
    expect((await s.takeOver(ref('rel'), 'alice', t(10), 10_000, false))?.owner).toBe('a');
    expect(await s.release(ref('rel'), 'alice')).toBe(true);
    expect(await s.read(ref('rel'))).toBeUndefined();
    expect(await s.release(ref('rel'), 'alice')).toBe(true);
  });

  it('names a missing table as a failure a retry cannot fix', async () => {
    const e = await new DynamoLeaseStore(db.client, 'no-such-table').acquire(ref('x'), 'a', t(0), 1_000).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(LeaseStoreFailed);
    expect((e as Error).message).toMatch(/^the lease table no-such-table refused a request for release "x" in namespace "shop" of cluster "prod-eu": ResourceNotFoundException/);
  });
});
