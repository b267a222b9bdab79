import { describe, expect, it } from 'vitest';

import { AuditItemCorrupt } from '../../../src/audit/errors.ts';
import { sealEvent, verifyChain } from '../../../src/audit/events.ts';
import { eventToItem, fromItem, itemSize, itemToEvent, readEventItem, toItem } from '../../../src/audit/items.ts';
import { fitsInline, parseRevisionItem, revisionItem, encodeBody, withObject, INLINE_LIMIT_BYTES } from '../../../src/audit/revisions.ts';
import { encodeRelease, decodeRelease } from '../../../src/release/codec.ts';
import { REF, bigRelease, chain, input, release } from './fixtures.ts';

describe('event items', () => {
  it('round-trip an event through native attributes', () => {
    const e = sealEvent(input(1, { error: { reason: 'HookFailed', message: 'pre-upgrade hook failed' }, fromRevision: 6 }), undefined);
    const item = eventToItem(e);
    expect(item.seq).toEqual({ N: '1' });
    expect(item.release).toEqual({ M: { cluster: { S: 'prod-eu' }, namespace: { S: 'shop' }, name: { S: 'web' } } });
    expect(itemToEvent(item, 't')).toEqual(e);
    expect(readEventItem(item)).toMatchObject({ pk: 'release#prod-eu/shop/web', sk: 'event#000000000001', fields: e, inconsistent: [] });
  });

  it('flag index attributes that no longer match the event, but not the sort key', () => {
    const e = sealEvent(input(1), undefined);
    const item = { ...eventToItem(e), actorKey: { S: 'actor#github:bob' }, sk: { S: 'event#000000000009' } };
    expect(readEventItem(item).inconsistent).toEqual(['actorKey']);
    expect(() => itemToEvent(item, 'audit')).toThrow(AuditItemCorrupt);
    expect(() => itemToEvent(item, 'audit')).toThrow(/audit item pk="release#prod-eu\/shop\/web" sk="event#000000000009".*actorKey/);
  });

  it('carry a changed attribute type into the hash input', () => {
    const events = chain(3);
    const item = eventToItem(events[1]!);
    item.toRevision = { S: '7' };
    const fields = [events[0]!, readEventItem(item).fields, events[2]!];
    expect(verifyChain(fields)).toMatchObject({ ok: false, seq: 2, reason: 'altered' });
    item.toRevision = { SS: ['7'] };
    expect(verifyChain([events[0]!, readEventItem(item).fields, events[2]!])).toMatchObject({ ok: false, seq: 2, reason: 'altered' });
  });

  it('convert JSON values both ways', () => {
    const v = { s: 'x', n: 1.5, b: false, z: null, l: [1, 'a', { m: true }], m: { k: 'v' } };
    expect(fromItem(toItem(v))).toEqual(v);
    expect(toItem({ a: undefined, b: 1 })).toEqual({ b: { N: '1' } });
  });
});

describe('itemSize', () => {
  it('counts names and UTF-8 string bytes, and never less than the strings it holds', () => {
    expect(itemSize({ ab: { S: 'héllo' } })).toBe(2 + 6);
    const e = eventToItem(sealEvent(input(1), undefined));
    const strings = JSON.stringify(fromItem(e)).length;
    expect(itemSize(e)).toBeGreaterThan(strings * 0.8);
  });
});

describe('revision items', () => {
  it('hold helm’s encoding of the record, its digest and summary fields', () => {
    const r = release(3);
    const body = encodeBody(encodeRelease(r));
    const item = revisionItem(REF, r, { team: 'payments' }, body, '2026-11-24T15:00:00.000Z');
    const { summary, record } = parseRevisionItem(item, 'audit');
    expect(record).toBe(body.text);
    expect(decodeRelease(record!)).toEqual(r);
    expect(summary).toEqual({
      ref: REF,
      revision: 3,
      status: 'deployed',
      digest: body.digest,
      size: body.text.length,
      labels: { team: 'payments' },
      chart: 'webapp',
      chartVersion: '1.2.3',
      appVersion: '4.5.6',
      description: 'Upgrade complete',
      lastDeployed: '2026-11-24T14:05:00.5Z',
      recordedAt: '2026-11-24T15:00:00.000Z',
      storage: 'inline',
    });
    expect(item.sk).toEqual({ S: 'rev#0000000003' });
  });

  it('stay inline up to 350 KB and point at an object beyond', () => {
    const small = revisionItem(REF, release(1), {}, encodeBody(encodeRelease(release(1))), 't');
    expect(fitsInline(small)).toBe(true);
    const big = bigRelease(2, INLINE_LIMIT_BYTES + 10_000);
    const item = revisionItem(REF, big, {}, encodeBody(encodeRelease(big)), 't');
    expect(fitsInline(item)).toBe(false);
    const moved = withObject(item, 'records/sha256/abc');
    expect(moved.record).toBeUndefined();
    expect(parseRevisionItem(moved, 'audit').summary).toMatchObject({ storage: 'object', objectKey: 'records/sha256/abc' });
    const { objectKey: _k, ...dangling } = moved;
    expect(() => parseRevisionItem(dangling, 'audit')).toThrow(/objectKey/);
  });
});
