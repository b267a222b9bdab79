import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AuditItemCorrupt } from '../../../src/audit/errors.ts';
import { toItem } from '../../../src/audit/items.ts';
import { RevisionFieldsSchema, parseRevisionItem, revisionFieldsFast } from '../../../src/audit/revisions.ts';

const good = {
  pk: 'release#prod-eu/shop/web',
  sk: 'rev#0000000007',
  revision: 7,
  status: 'superseded',
  digest: 'a'.repeat(64),
  size: 30_000,
  labels: { team: 'payments' },
  chart: 'webapp',
  chartVersion: '1.2.3',
  appVersion: '4.5.6',
  description: 'Upgrade complete',
  lastDeployed: '2026-11-24T14:05:00.5Z',
  recordedAt: '2026-11-24T14:05:01.000Z',
  storage: 'inline',
  record: 'H4sI',
};

/** Any value an attribute could decode to, well-formed or not. */
const anyValue = fc.oneof(
  fc.string(),
  fc.constantFrom('inline', 'object', 'b'.repeat(64), 'A'.repeat(64)),
  fc.integer({ min: -2, max: 2 }),
  fc.constantFrom(1.5, -1, 2 ** 53, 3_000_000_000),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string(), fc.integer())),
  fc.array(fc.string(), { maxLength: 2 }),
);

/** The good item with one or two fields replaced or added, and maybe one removed. */
const mutated = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...Object.keys(good), 'extra', 'objectKey'), anyValue), { minLength: 1, maxLength: 2 }),
    fc.option(fc.constantFrom(...Object.keys(good)), { nil: undefined }),
  )
  .map(([set, drop]) => {
    const x: Record<string, unknown> = { ...good, ...Object.fromEntries(set) };
    if (drop !== undefined) delete x[drop];
    return x;
  });

describe('revision item fields without zod', () => {
  it('accept only what the schema accepts of fromItem(item), with the same output in the same order', () => {
    fc.assert(
      fc.property(mutated, (raw) => {
        const fast = revisionFieldsFast(toItem(raw));
        if (fast === undefined) return;
        const parsed = RevisionFieldsSchema.safeParse(raw);
        expect(parsed.success).toBe(true);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(parsed.data));
      }),
      { numRuns: 2000 },
    );
  });

  it('take the well-formed items themselves (the listing never falls back to zod for them)', () => {
    expect(revisionFieldsFast(toItem(good))).toEqual(good);
    const { record: _r, ...summary } = good;
    expect(revisionFieldsFast(toItem({ ...summary, storage: 'object', objectKey: `records/sha256/${'c'.repeat(64)}`, labels: {} }))).toBeDefined();
    const { chart: _c, chartVersion: _v, appVersion: _a, description: _d, lastDeployed: _l, ...bare } = summary;
    expect(revisionFieldsFast(toItem(bare))).toEqual(bare);
  });

  it('leave the naming of a fault to the schema', () => {
    const item = toItem({ ...good, digest: 'not-hex', size: -1 });
    expect(() => parseRevisionItem(item, 'audit')).toThrow(AuditItemCorrupt);
    expect(() => parseRevisionItem(item, 'audit')).toThrow(/digest: .*; size: /);
    expect(parseRevisionItem(toItem(good), 'audit').summary).toMatchObject({ ref: { cluster: 'prod-eu', namespace: 'shop', name: 'web' }, revision: 7, labels: { team: 'payments' } });
  });
});
