import { gunzipSync, gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  MAX_SECRET_DATA_BYTES,
  ReleaseDecodeError,
  decodeRelease,
  encodeForSecret,
  encodeRelease,
  encodedSize,
  goJsonText,
} from '../../../src/release/codec.ts';
import { ReleaseTooLarge } from '../../../src/release/errors.ts';
import { STATUSES, type Release } from '../../../src/release/record.ts';
import { HELM3_JSON, HELM4_JSON, helmEncode, noise, rec } from './fixtures.ts';

// ---- arbitraries --------------------------------------------------------------------------

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Go RFC3339Nano spellings: any offset, 0–9 fraction digits. */
const goTime = fc
  .record({
    ms: fc.integer({ min: -62135596800000, max: 253402300799000 }),
    frac: fc.stringMatching(/^[0-9]{0,9}$/),
    off: fc.integer({ min: -14 * 60, max: 14 * 60 }),
  })
  .map(({ ms, frac, off }) => {
    const d = new Date(Math.floor(ms / 1000) * 1000 + off * 60_000);
    const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60), 2)}:${pad(Math.abs(off) % 60, 2)}`;
    return (
      `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
      `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${frac ? '.' + frac : ''}${zone}`
    );
  });

/** Every stored spelling of a time, including the zero ones. */
const weirdTime = fc.oneof(goTime, fc.constantFrom('', null, '0001-01-01T00:00:00Z'));

/** Unknown fields a future helm might add; the x_ prefix keeps them off known keys. */
const extras = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }).map((s) => `x_${s}`),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 3 },
);

const values = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });

const file = fc.record(
  { name: fc.string(), data: fc.oneof(fc.base64String(), fc.constant(null)), modtime: weirdTime },
  { requiredKeys: ['name'] },
);

const withExtras = <T extends object>(arb: fc.Arbitrary<T>) =>
  fc.tuple(arb, extras).map(([o, x]) => ({ ...x, ...o }));

const hook = withExtras(
  fc.record(
    {
      name: fc.string(),
      kind: fc.string(),
      path: fc.string(),
      manifest: fc.string(),
      events: fc.oneof(fc.array(fc.constantFrom('pre-install', 'post-upgrade', 'test')), fc.constant(null)),
      last_run: withExtras(
        fc.record(
          { started_at: weirdTime, completed_at: weirdTime, phase: fc.constantFrom('', 'Unknown', 'Running', 'Succeeded', 'Failed') },
          { requiredKeys: [] },
        ),
      ),
      weight: fc.integer(),
      delete_policies: fc.array(fc.constantFrom('before-hook-creation', 'hook-succeeded', 'hook-failed')),
      output_log_policies: fc.array(fc.constantFrom('hook-succeeded', 'hook-failed')),
    },
    { requiredKeys: [] },
  ),
);

const chart = withExtras(
  fc.record(
    {
      metadata: fc.oneof(
        fc.constant(null),
        withExtras(
          fc.record(
            { name: fc.string(), version: fc.string(), appVersion: fc.string(), apiVersion: fc.constantFrom('v1', 'v2'), deprecated: fc.boolean(), keywords: fc.array(fc.string()) },
            { requiredKeys: [] },
          ),
        ),
      ),
      lock: fc.constant(null),
      templates: fc.array(file, { maxLength: 3 }),
      values: fc.oneof(values, fc.constant(null)),
      schema: fc.oneof(fc.base64String(), fc.constant(null)),
      files: fc.oneof(fc.array(file, { maxLength: 2 }), fc.constant(null)),
      schemamodtime: weirdTime,
      modtime: weirdTime,
    },
    { requiredKeys: [] },
  ),
);

export const releaseArb: fc.Arbitrary<Release> = withExtras(
  fc.record(
    {
      name: fc.string(),
      info: withExtras(
        fc.record(
          {
            first_deployed: weirdTime,
            last_deployed: weirdTime,
            deleted: weirdTime,
            description: fc.string(),
            status: fc.constantFrom(...STATUSES),
            notes: fc.string(),
            rollback_revision: fc.nat(),
          },
          { requiredKeys: ['status'] },
        ),
      ),
      chart: fc.oneof(chart, fc.constant(null)),
      config: fc.oneof(values, fc.constant(null)),
      manifest: fc.string({ unit: 'grapheme' }),
      hooks: fc.oneof(fc.array(hook, { maxLength: 3 }), fc.constant(null)),
      version: fc.nat(),
      namespace: fc.string(),
      apply_method: fc.constantFrom('ssa', 'csa', ''),
    },
    { requiredKeys: ['name', 'info', 'version'] },
  ),
);

/** What survives JSON at all (undefined keys vanish, -0 becomes 0). */
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

// ---- properties ---------------------------------------------------------------------------

describe('encodeRelease / decodeRelease', () => {
  it('round-trips any release, unknown fields and odd times included, to JSON-equal output', () => {
    fc.assert(
      fc.property(releaseArb, (r) => {
        expect(decodeRelease(encodeRelease(r))).toEqual(viaJson(r));
      }),
      { numRuns: 300 },
    );
  });

  it('re-encodes a decoded record to the identical JSON text (key order and extras kept)', () => {
    fc.assert(
      fc.property(releaseArb, (r) => {
        const text = encodeRelease(r);
        const again = encodeRelease(decodeRelease(text));
        expect(gunzipSync(Buffer.from(again, 'base64')).toString()).toBe(gunzipSync(Buffer.from(text, 'base64')).toString());
      }),
      { numRuns: 200 },
    );
  });

  it('writes maps the way Go does: byte-wise sorted keys, even when JS would put integer-like keys first', () => {
    // The oracle: Go's encoding/json over map[string]interface{} (keys compared as UTF-8 bytes).
    const goText = (v: unknown): string => {
      if (v === null || typeof v !== 'object') return JSON.stringify(v);
      if (Array.isArray(v)) return `[${v.map(goText).join(',')}]`;
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${goText(x)}`).join(',')}}`;
    };
    const key = fc.oneof(
      fc.constantFrom('0', '9', '10', '007', '-1', '1a', '!x', 'é', '\u{1F600}', '\uFFFD', '4294967294', '4294967295', '99999999999'),
      fc.string({ maxLength: 4 }),
      fc.nat().map(String),
    );
    const values = fc.letrec((tie) => ({
      map: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
      value: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), tie('map'), fc.array(tie('map'), { maxLength: 2 })),
    })).map;
    fc.assert(
      fc.property(values, (config) => {
        // What decode hands over: JSON.parse of the text Go wrote.
        const helmJson = `{"name":"web","info":{"status":"deployed"},"config":${goText(config)},"version":1}`;
        const parsed = JSON.parse(helmJson) as Release;
        expect(goJsonText(parsed)).toBe(helmJson.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026'));
      }),
      { numRuns: 400 },
    );
  });

  it('keeps struct field order: only objects with an integer-like key are sorted', () => {
    const r = { name: 'web', info: { status: 'deployed', description: 'x' }, config: { b: 1, a: { z: 1, '2': 2, '!': 3 } }, version: 1 } as Release;
    expect(goJsonText(r)).toBe('{"name":"web","info":{"status":"deployed","description":"x"},"config":{"b":1,"a":{"!":3,"2":2,"z":1}},"version":1}');
  });

  it('decodes legacy base64-of-plain-JSON records', () => {
    fc.assert(
      fc.property(releaseArb, (r) => {
        const legacy = Buffer.from(JSON.stringify(r), 'utf8').toString('base64');
        expect(decodeRelease(legacy)).toEqual(viaJson(r));
      }),
      { numRuns: 100 },
    );
  });

  it('writes gzip (1f 8b 08) at best compression inside standard padded base64', () => {
    const text = encodeRelease(rec(1, 'deployed'));
    expect(text).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(text.length % 4).toBe(0);
    const bytes = Buffer.from(text, 'base64');
    expect([...bytes.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08]);
    // gzip header byte 8 (XFL) = 2 means "maximum compression" was used.
    expect(bytes[8]).toBe(2);
    expect(JSON.parse(gunzipSync(bytes).toString())).toEqual(viaJson(rec(1, 'deployed')));
  });

  it('accepts the raw bytes of the text as well as the string', () => {
    const text = encodeRelease(rec(2, 'failed'));
    expect(decodeRelease(Buffer.from(text, 'latin1'))).toEqual(viaJson(rec(2, 'failed')));
  });
});

describe('decoding records written by real helm', () => {
  it('reads a helm 3 record: "deleted":"" and empty hook times, and re-encodes it JSON-equal', () => {
    const r = decodeRelease(helmEncode(HELM3_JSON));
    expect(r.name).toBe('web');
    expect(r.info.deleted).toBe('');
    expect(r.info.first_deployed).toBe('2024-03-05T10:15:13.123456789+01:00'); // nanoseconds kept
    expect(r.hooks?.[0]?.last_run?.started_at).toBe('');
    expect(r.chart?.metadata?.appVersion).toBe('4.5.6');
    expect(JSON.parse(gunzipSync(Buffer.from(encodeRelease(r), 'base64')).toString())).toEqual(JSON.parse(HELM3_JSON));
  });

  it('reads a helm 4 record: omitted zero times, Go-zero schemamodtime, apply_method', () => {
    const r = decodeRelease(helmEncode(HELM4_JSON));
    expect(r.apply_method).toBe('ssa');
    expect(r.info.deleted).toBeUndefined();
    expect(r.chart?.schemamodtime).toBe('0001-01-01T00:00:00Z');
    expect(r.info.last_deployed).toBe('2025-06-02T09:30:00.000000001-07:00');
    expect(gunzipSync(Buffer.from(encodeRelease(r), 'base64')).toString()).toBe(HELM4_JSON);
  });

  it('keeps fields this code does not know, at every level', () => {
    type Loose = Record<string, unknown>;
    const j = JSON.parse(HELM4_JSON) as Loose & {
      info: Loose;
      chart: { metadata: Loose };
      hooks: { last_run: Loose }[];
    };
    j.future = { a: 1 };
    j.info.rollback_revision = 1;
    j.info.resources_hint = 'x';
    j.chart.metadata.newField = [1, 2];
    j.hooks[0]!.last_run.exit_code = 3;
    const back = JSON.parse(gunzipSync(Buffer.from(encodeRelease(decodeRelease(helmEncode(JSON.stringify(j)))), 'base64')).toString()) as unknown;
    expect(back).toEqual(j);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['go zero', '0001-01-01T00:00:00Z'],
    ['nano with offset', '2024-02-29T23:59:59.999999999+05:45'],
  ])('loads a %s time', (_label, t) => {
    const j = JSON.parse(HELM3_JSON) as { info: Record<string, unknown> };
    j.info.last_deployed = t;
    expect(decodeRelease(helmEncode(JSON.stringify(j))).info.last_deployed).toBe(t);
  });
});

describe('decode errors name the stage that failed', () => {
  const cases: [string, string, ReleaseDecodeError['stage']][] = [
    ['junk characters', 'not base64 at all!', 'base64'],
    ['missing padding', Buffer.from('{"a":1}').toString('base64').replace(/=+$/, ''), 'base64'],
    ['a truncated gzip stream', Buffer.concat([gzipSync(Buffer.from(HELM3_JSON)).subarray(0, 30)]).toString('base64'), 'gzip'],
    ['gzip magic with garbage', Buffer.from([0x1f, 0x8b, 0x08, 1, 2, 3, 4, 5]).toString('base64'), 'gzip'],
    ['gzip of non-JSON', gzipSync(Buffer.from('{"name": "web",')).toString('base64'), 'json'],
    ['plain non-JSON', Buffer.from('hello').toString('base64'), 'json'],
    ['a JSON array', helmEncode('[]'), 'schema'],
    ['a numeric name', helmEncode('{"name":1,"info":{"status":"deployed"},"version":1}'), 'schema'],
    ['an unknown status', helmEncode('{"name":"a","info":{"status":"exploded"},"version":1}'), 'schema'],
    ['a string version', helmEncode('{"name":"a","info":{"status":"deployed"},"version":"1"}'), 'schema'],
    ['config as array', helmEncode('{"name":"a","info":{"status":"deployed"},"version":1,"config":[1]}'), 'schema'],
    ['missing info', helmEncode('{"name":"a","version":1}'), 'schema'],
  ];
  it.each(cases)('%s → %s', (_label, text, stage) => {
    let caught: unknown;
    try {
      decodeRelease(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ReleaseDecodeError);
    const err = caught as ReleaseDecodeError;
    expect(err.stage).toBe(stage);
    expect(err.reason).toBe('ReleaseDecodeError');
    expect(err.message).toContain(`${stage} stage`);
  });

  it('says which field broke the schema', () => {
    expect(() => decodeRelease(helmEncode('{"name":"a","info":{"status":"deployed"},"version":1,"hooks":[{"weight":"x"}]}'))).toThrow(
      /hooks\.0\.weight/,
    );
  });
});

describe('size limit', () => {
  it('measures the base64 text, which is what counts against the Secret limit', () => {
    const r = rec(1, 'deployed');
    expect(encodedSize(r)).toBe(encodeRelease(r).length);
  });

  it('refuses a record over 1 MiB before anything is written, naming release, size and limit', () => {
    const big = rec(7, 'pending-upgrade', { manifest: noise(1_200_000) });
    let caught: unknown;
    try {
      encodeForSecret(big);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ReleaseTooLarge);
    const err = caught as ReleaseTooLarge;
    expect(err.size).toBeGreaterThan(MAX_SECRET_DATA_BYTES);
    expect(err.message).toContain('"web"');
    expect(err.message).toContain('"default"');
    expect(err.message).toContain(String(err.size));
    expect(err.message).toContain('1048576');
  });

  it('accepts a large but compressible record', () => {
    const r = rec(1, 'deployed', { manifest: 'kind: ConfigMap\n'.repeat(200_000) });
    const { text, size } = encodeForSecret(r);
    expect(size).toBe(text.length);
    expect(size).toBeLessThan(MAX_SECRET_DATA_BYTES);
  });
});
