import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  formatHelmTime,
  goMarshalTime,
  isPending,
  isZeroHelmTime,
  parseHelmTime,
  ReleaseSchema,
  STATUSES,
} from '../../../src/release/record.ts';

describe('helm times', () => {
  it.each([
    [undefined, true],
    [null, true],
    ['', true],
    ['0001-01-01T00:00:00Z', true],
    ['0001-01-01T00:00:00.000000000Z', true],
    ['0001-01-01T01:00:00+01:00', true], // the same instant in another offset: Go's IsZero is true
    ['0001-01-01T00:00:00.000000001Z', false],
    ['2024-01-01T00:00:00Z', false],
  ])('isZeroHelmTime(%j) = %s', (t, zero) => {
    expect(isZeroHelmTime(t)).toBe(zero);
    expect(parseHelmTime(t) === undefined).toBe(zero);
  });

  it('parses RFC3339Nano with offsets to the right instant', () => {
    expect(parseHelmTime('2024-03-05T10:15:13.123456789+01:00')?.toISOString()).toBe('2024-03-05T09:15:13.123Z');
    expect(parseHelmTime('2024-03-05T10:15:13-05:30')?.toISOString()).toBe('2024-03-05T15:45:13.000Z');
    expect(parseHelmTime('not a time')).toBeUndefined();
  });

  it('formats like Go marshals UTC times: trailing fraction zeros trimmed', () => {
    expect(formatHelmTime(new Date('2025-02-03T04:05:06.780Z'))).toBe('2025-02-03T04:05:06.78Z');
    expect(formatHelmTime(new Date('2025-02-03T04:05:06.000Z'))).toBe('2025-02-03T04:05:06Z');
    expect(formatHelmTime(new Date('2025-02-03T04:05:06.001Z'))).toBe('2025-02-03T04:05:06.001Z');
  });

  it('formatHelmTime → parseHelmTime is the identity for any ms-precision date', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        const s = formatHelmTime(d);
        expect(s).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/);
        expect(parseHelmTime(s)?.getTime()).toBe(d.getTime());
        expect(goMarshalTime(s)).toBe(s); // already in Go's spelling
      }),
    );
  });

  it('goMarshalTime re-spells as Go would: +00:00 → Z, trailing zeros dropped, offset kept', () => {
    expect(goMarshalTime('2024-01-01T00:00:00.120000000+00:00')).toBe('2024-01-01T00:00:00.12Z');
    expect(goMarshalTime('2024-01-01T00:00:00.000-07:00')).toBe('2024-01-01T00:00:00-07:00');
    expect(goMarshalTime('2024-01-01T00:00:00.123456789+05:45')).toBe('2024-01-01T00:00:00.123456789+05:45');
  });
});

describe('schema', () => {
  it('pending statuses', () => {
    expect(STATUSES.filter(isPending)).toEqual(['pending-install', 'pending-upgrade', 'pending-rollback']);
  });

  it('is loose at the top level: unknown fields pass', () => {
    const r = ReleaseSchema.parse({ name: 'a', version: 1, info: { status: 'deployed', x: 1 }, y: 2 });
    expect(r).toMatchObject({ y: 2, info: { x: 1 } });
  });

  it('rejects a negative or fractional version', () => {
    expect(ReleaseSchema.safeParse({ name: 'a', version: -1, info: { status: 'deployed' } }).success).toBe(false);
    expect(ReleaseSchema.safeParse({ name: 'a', version: 1.5, info: { status: 'deployed' } }).success).toBe(false);
  });
});
