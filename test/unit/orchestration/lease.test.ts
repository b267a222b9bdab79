import { describe, expect, it } from 'vitest';
import { LeaseHeld, LeaseLost, LeaseNotExpired, LeaseStoreFailed, LeaseStoreUnavailable } from '../../../src/orchestration/errors.ts';
import {
  classifyDynamoError,
  decideAcquire,
  decideRelease,
  decideRenew,
  decideTakeOver,
  leaseKey,
  MemoryLeaseStore,
  type Lease,
} from '../../../src/orchestration/lease.ts';

const ref = { cluster: 'prod-eu', namespace: 'shop', name: 'web' };
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));
const lease = (owner: string, expiresAtS: number): Lease => ({ owner, expiresAt: t(expiresAtS), acquiredAt: t(0) });

describe('lease decisions (pure)', () => {
  it('keys one item per release, cluster first', () => {
    expect(leaseKey(ref)).toBe('lease#prod-eu/shop/web');
  });

  it.each([
    ['no lease', undefined, 'a', 10, 'free'],
    ['our own lease (a retry or a re-run)', lease('a', 30), 'a', 10, 'ours'],
    ['our own expired lease', lease('a', 5), 'a', 10, 'ours'],
    ["another's live lease", lease('b', 30), 'a', 10, 'held'],
    ["another's lease expiring right now", lease('b', 10), 'a', 10, 'expired'],
    ["another's expired lease", lease('b', 5), 'a', 10, 'expired'],
  ] as const)('acquire with %s → %s', (_l, current, owner, now, want) => {
    expect(decideAcquire(current, owner, t(now))).toBe(want);
  });

  it.each([
    [lease('a', 30), 'a', 'ours'],
    [lease('a', 5), 'a', 'ours'], // expired but nobody took it: still ours
    [lease('b', 30), 'a', 'lost'],
    [undefined, 'a', 'lost'],
  ] as const)('renew %# → %s', (current, owner, want) => {
    expect(decideRenew(current, owner)).toBe(want);
  });

  it.each([
    [lease('a', 30), 'a', 'release'],
    [undefined, 'a', 'absent'],
    [lease('b', 30), 'a', 'not-ours'],
  ] as const)('release %# → %s', (current, owner, want) => {
    expect(decideRelease(current, owner)).toBe(want);
  });

  it.each([
    [undefined, false, 'free'],
    [lease('b', 5), false, 'expired'],
    [lease('b', 30), false, 'held'],
    [lease('b', 30), true, 'forced'],
  ] as const)('unlock take-over %# → %s', (current, force, want) => {
    expect(decideTakeOver(current, t(10), force)).toBe(want);
  });
});

describe('MemoryLeaseStore (the decisions as a store)', () => {
  it('lets one execution hold the lease, refuses another until it expires, then hands it over and says so', async () => {
    const s = new MemoryLeaseStore();
    await s.acquire(ref, 'a', t(0), 10_000);
    expect((await s.acquire(ref, 'a', t(1), 10_000)).lease.expiresAt).toEqual(t(11)); // a retry: ours again
    const held = await s.acquire(ref, 'b', t(2), 10_000).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(LeaseHeld);
    expect((held as LeaseHeld).message).toMatch(/^another operation \(install\/upgrade\/rollback\) is in progress: .* leased by execution a until 2026-01-01T12:00:11\.000Z/);
    const later = await s.acquire(ref, 'b', t(11), 10_000);
    expect(later.tookOver?.owner).toBe('a');
  });

  it('renews only for the holder, and the old holder learns it lost the lease', async () => {
    const s = new MemoryLeaseStore();
    await s.acquire(ref, 'a', t(0), 10_000);
    expect((await s.renew(ref, 'a', t(5), 10_000)).expiresAt).toEqual(t(15));
    await s.takeOver(ref, 'alice', t(20), 10_000, false);
    const lost = await s.renew(ref, 'a', t(21), 10_000).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(LeaseLost);
    expect((lost as LeaseLost).holder).toBe('alice');
  });

  it('releases only its own lease', async () => {
    const s = new MemoryLeaseStore();
    await s.acquire(ref, 'a', t(0), 10_000);
    expect(await s.release(ref, 'b')).toBe(false);
    expect(await s.read(ref)).toBeDefined();
    expect(await s.release(ref, 'a')).toBe(true);
    expect(await s.read(ref)).toBeUndefined();
    expect(await s.release(ref, 'a')).toBe(true); // idempotent
  });

  it('unlock takes over only an expired lease, unless forced', async () => {
    const s = new MemoryLeaseStore();
    await s.acquire(ref, 'a', t(0), 10_000);
    await expect(s.takeOver(ref, 'alice', t(5), 1_000, false)).rejects.toBeInstanceOf(LeaseNotExpired);
    expect((await s.takeOver(ref, 'alice', t(5), 1_000, true))?.owner).toBe('a');
    expect((await s.read(ref))?.owner).toBe('alice');
  });
});

describe('classifyDynamoError', () => {
  const err = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${name} happened`), { name, ...extra });
  it.each([
    ['ProvisionedThroughputExceededException', true],
    ['ThrottlingException', true],
    ['RequestLimitExceeded', true],
    ['InternalServerError', true],
    ['ServiceUnavailable', true],
    ['ResourceNotFoundException', false],
    ['AccessDeniedException', false],
    ['ValidationException', false],
  ])('%s → retryable %s', (name, retryable) => {
    const e = classifyDynamoError(err(name), 'leases', ref);
    expect(e).toBeInstanceOf(retryable ? LeaseStoreUnavailable : LeaseStoreFailed);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toContain('leases');
    expect(e.message).toContain('release "web" in namespace "shop" of cluster "prod-eu"');
  });

  it('treats network failures and 5xx answers as retryable', () => {
    expect(classifyDynamoError(err('Error', { code: 'ECONNREFUSED' }), 'leases', ref).retryable).toBe(true);
    expect(classifyDynamoError(err('UnknownError', { $metadata: { httpStatusCode: 502 } }), 'leases', ref).retryable).toBe(true);
  });
});
