import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AUDIT_TABLE_SCHEMA } from '../../../lib/audit-table.ts';
import { sealEvent } from '../../../src/audit/events.ts';
import { KEYS, dayKey, derivedEventKeys, eventSk, releasePk, revisionSk, timeKey, utcDays } from '../../../src/audit/keys.ts';
import { REF, input } from './fixtures.ts';

describe('audit keys', () => {
  it('use the attribute and index names of the CDK table', () => {
    expect(KEYS.partitionKey).toBe(AUDIT_TABLE_SCHEMA.partitionKey);
    expect(KEYS.sortKey).toBe(AUDIT_TABLE_SCHEMA.sortKey);
    expect(KEYS.revisionDigits).toBe(AUDIT_TABLE_SCHEMA.revisionDigits);
    expect(KEYS.byActor).toEqual(AUDIT_TABLE_SCHEMA.byActor);
    expect(KEYS.byTime).toEqual(AUDIT_TABLE_SCHEMA.byTime);
    expect(KEYS.byRevision).toEqual(AUDIT_TABLE_SCHEMA.byRevision);
  });

  it('sort events by seq and revisions by number as strings', () => {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999_999 }), fc.integer({ min: 1, max: 999_999_999_999 }), (a, b) => {
        expect(cmp(eventSk(a), eventSk(b))).toBe(Math.sign(a - b));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_147_483_647 }), fc.integer({ min: 0, max: 2_147_483_647 }), (a, b) => {
        expect(cmp(revisionSk(a), revisionSk(b))).toBe(Math.sign(a - b));
      }),
    );
    expect(revisionSk(42)).toBe('rev#0000000042');
    expect(eventSk(7)).toBe('event#000000000007');
  });

  it('derive the partition and index keys of an event', () => {
    const e = sealEvent(input(3), undefined);
    expect(releasePk(REF)).toBe('release#prod-eu/shop/web');
    expect(dayKey(e.time)).toBe('day#2026-11-24');
    expect(timeKey(e)).toBe('2026-11-24T14:00:03.000Z#prod-eu/shop/web#000000000001');
    expect(derivedEventKeys({ ...e, idemKey: 'k' })).toEqual({
      pk: 'release#prod-eu/shop/web',
      sk: 'event#000000000001',
      actorKey: 'actor#github:alice',
      dayKey: 'day#2026-11-24',
      timeKey: '2026-11-24T14:00:03.000Z#prod-eu/shop/web#000000000001',
      idemKey: 'k',
    });
  });

  it('list the UTC days of a range across month and year ends', () => {
    expect(utcDays(new Date('2026-12-30T23:59:00Z'), new Date('2027-01-02T00:00:00Z'))).toEqual([
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-01-02',
    ]);
    expect(utcDays(new Date('2028-02-28T10:00:00Z'), new Date('2028-02-28T11:00:00Z'))).toEqual(['2028-02-28']);
    expect(utcDays(new Date('2028-02-28T10:00:00Z'), new Date('2028-03-01T00:00:00Z'))).toEqual(['2028-02-28', '2028-02-29', '2028-03-01']);
  });
});
