import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  AuditEventSchema,
  ZERO_HASH,
  canonicalJson,
  eventHash,
  idempotencyKey,
  sealEvent,
  verifyChain,
  type AuditEvent,
} from '../../../src/audit/events.ts';
import { chain, input } from './fixtures.ts';

/** Replaces an event as an attacker with table access would: new content, fresh self-hash. */
function forge(e: AuditEvent, change: Partial<AuditEvent>): AuditEvent {
  const { hash: _hash, ...rest } = { ...e, ...change };
  return { ...rest, hash: eventHash(rest) };
}

describe('sealEvent', () => {
  it('starts a chain at seq 1 with 64 zeros and links each event to the previous hash', () => {
    const [a, b, c] = chain(3);
    expect(a).toMatchObject({ seq: 1, prevHash: ZERO_HASH });
    expect(b).toMatchObject({ seq: 2, prevHash: a!.hash });
    expect(c).toMatchObject({ seq: 3, prevHash: b!.hash });
    expect(new Set([a!.hash, b!.hash, c!.hash]).size).toBe(3);
  });

  it('hashes the canonical JSON of every field but hash (pinned: a change here orphans every stored chain)', () => {
    const e = sealEvent(input(1), undefined);
    const { hash, ...rest } = e;
    expect(canonicalJson(rest)).toBe(
      '{"actor":"github:alice","executionId":"arn:aws:states:eu-west-1:123456789012:execution:deploy:run-1",' +
        '"outcome":"succeeded","prevHash":"' + ZERO_HASH + '","release":{"cluster":"prod-eu","name":"web","namespace":"shop"},' +
        '"seq":1,"step":"step-1","time":"2026-11-24T14:00:01.000Z","toRevision":7,' +
        '"trigger":{"commit":"' + 'a'.repeat(40) + '","deliveryId":"delivery-1","kind":"github-push"}}',
    );
    expect(hash).toBe(eventHash(rest));
    expect(hash).toBe('6739c66e47fa45eba638c5c24042582e5d1da5240eb041cc28b1ed32a18b273f');
  });

  it('refuses what the schema refuses: an unknown actor kind, a non-ISO time, a non-hex digest', () => {
    expect(() => sealEvent(input(1, { actor: 'mallory' }), undefined)).toThrow(/actor/);
    expect(() => sealEvent({ ...input(1), time: '2026-11-24T14:00:01Z' }, undefined)).toThrow(/time/);
    expect(() => sealEvent(input(1, { manifestDigest: 'abc' }), undefined)).toThrow(/manifestDigest/);
    expect(() => sealEvent({ ...input(1), extra: 1 } as never, undefined)).toThrow();
  });
});

describe('canonicalJson', () => {
  it('does not depend on key order, and drops undefined members', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(canonicalJson({ ...obj, ['\u0000x']: undefined })).toBe(canonicalJson(obj));
      }),
    );
  });

  it('has no form for values JSON cannot carry', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(TypeError);
  });
});

describe('idempotencyKey', () => {
  it('is the same for the same execution, step and outcome whatever else differs', () => {
    expect(idempotencyKey(input(1))).toBe(idempotencyKey(input(1, { time: '2030-01-01T00:00:00.000Z', actor: 'cli:bob' })));
  });
  it('separates its parts unambiguously', () => {
    const a = idempotencyKey({ executionId: 'x#y', step: 'z', outcome: 'failed' });
    const b = idempotencyKey({ executionId: 'x', step: 'y#z', outcome: 'failed' });
    expect(a).not.toBe(b);
    expect(idempotencyKey({ executionId: 'x', step: 'y', outcome: 'started' })).not.toBe(idempotencyKey({ executionId: 'x', step: 'y', outcome: 'failed' }));
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and reports its head', () => {
    const events = chain(5);
    expect(verifyChain(events)).toEqual({ ok: true, count: 5, head: { seq: 5, hash: events[4]!.hash } });
    expect(verifyChain([])).toEqual({ ok: true, count: 0 });
  });

  it('detects an altered field at that event', () => {
    const events = chain(5);
    events[2] = { ...events[2]!, actor: 'github:mallory' };
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 3, index: 2, reason: 'altered' });
  });

  it('detects an added or removed field as altered', () => {
    const added = chain(4);
    added[1] = { ...added[1]!, note: 'x' } as AuditEvent;
    expect(verifyChain(added)).toMatchObject({ ok: false, seq: 2, reason: 'altered' });
    const removed = chain(4);
    const { toRevision: _t, ...rest } = removed[3]!;
    removed[3] = rest;
    expect(verifyChain(removed)).toMatchObject({ ok: false, seq: 4, reason: 'altered' });
  });

  it('detects a removed event and names the missing seq', () => {
    const events = chain(5);
    expect(verifyChain([...events.slice(0, 2), ...events.slice(3)])).toMatchObject({ ok: false, seq: 3, index: 2, reason: 'missing' });
    expect(verifyChain(events.slice(1))).toMatchObject({ ok: false, seq: 1, index: 0, reason: 'missing' });
  });

  it('detects swapped events at the first position out of order', () => {
    const [a, b, c, d] = chain(4);
    expect(verifyChain([a!, c!, b!, d!])).toMatchObject({ ok: false, seq: 2, index: 1, reason: 'reordered' });
    expect(verifyChain([a!, c!, d!, b!])).toMatchObject({ ok: false, seq: 2, reason: 'reordered' });
  });

  it('detects an event replaced with a recomputed hash at the next link', () => {
    const events = chain(5);
    events[2] = forge(events[2]!, { outcome: 'failed' });
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 4, index: 3, reason: 'broken-link' });
  });

  it('detects a first event that does not start from zero', () => {
    const events = chain(2);
    events[0] = forge(events[0]!, { prevHash: 'f'.repeat(64) });
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 1, reason: 'broken-link' });
  });

  it('detects removal of the newest events only against a trusted head', () => {
    const events = chain(5);
    const head = { seq: 5, hash: events[4]!.hash };
    expect(verifyChain(events.slice(0, 3))).toMatchObject({ ok: true, count: 3 });
    expect(verifyChain(events.slice(0, 3), { expectHead: head })).toMatchObject({ ok: false, seq: 4, reason: 'truncated' });
    expect(verifyChain(events, { expectHead: head })).toMatchObject({ ok: true });
  });

  it('finds any single-field change of any event of a chain (property)', () => {
    const events = chain(6);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.constantFrom('actor', 'step', 'time', 'executionId', 'outcome', 'toRevision', 'seq', 'prevHash'), (i, field) => {
        const copy = events.map((e) => ({ ...e }));
        const e = copy[i]!;
        const values: Record<string, unknown> = {
          actor: 'cli:eve',
          step: 'other',
          time: '2027-01-01T00:00:00.000Z',
          executionId: 'forged',
          outcome: e.outcome === 'failed' ? 'succeeded' : 'failed',
          toRevision: 99,
          seq: e.seq + 10,
          prevHash: 'e'.repeat(64),
        };
        (copy[i] as Record<string, unknown>)[field] = values[field];
        expect(AuditEventSchema.safeParse(copy[i]).success).toBe(true);
        expect(verifyChain(copy)).toMatchObject({ ok: false, seq: i + 1, reason: 'altered' });
      }),
    );
  });
});
