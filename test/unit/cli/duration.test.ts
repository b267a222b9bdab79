import { describe, expect, it } from 'vitest';

import { DurationError, formatGoDuration, fromMilliseconds, parseGoDuration, toMilliseconds } from '../../../src/cli/duration.ts';

const NS = 1n;
const US = 1000n;
const MS = 1000n * US;
const S = 1000n * MS;
const M = 60n * S;
const H = 60n * M;
const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);

describe('parseGoDuration (Go time.ParseDuration test table)', () => {
  it.each<[string, bigint]>([
    ['0', 0n],
    ['5s', 5n * S],
    ['30s', 30n * S],
    ['1478s', 1478n * S],
    ['-5s', -5n * S],
    ['+5s', 5n * S],
    ['-0', 0n],
    ['+0', 0n],
    ['5.0s', 5n * S],
    ['5.6s', 5n * S + 600n * MS],
    ['5.s', 5n * S],
    ['.5s', 500n * MS],
    ['1.0s', S],
    ['1.00s', S],
    ['1.004s', S + 4n * MS],
    ['1.0040s', S + 4n * MS],
    ['100.00100s', 100n * S + MS],
    ['10ns', 10n * NS],
    ['11us', 11n * US],
    ['12µs', 12n * US], // U+00B5
    ['12μs', 12n * US], // U+03BC
    ['13ms', 13n * MS],
    ['14s', 14n * S],
    ['15m', 15n * M],
    ['16h', 16n * H],
    ['3h30m', 3n * H + 30n * M],
    ['10.5s4m', 4n * M + 10n * S + 500n * MS],
    ['-2m3.4s', -(2n * M + 3n * S + 400n * MS)],
    ['1h2m3s4ms5us6ns', H + 2n * M + 3n * S + 4n * MS + 5n * US + 6n * NS],
    ['39h9m14.425s', 39n * H + 9n * M + 14n * S + 425n * MS],
    ['52763797000ns', 52763797000n],
    ['0.3333333333333333333h', 20n * M],
    ['9007199254740993ns', (1n << 53n) + 1n],
    ['9223372036854775807ns', MAX],
    ['9223372036854775.807us', MAX],
    ['9223372036s854ms775us807ns', MAX],
    ['-9223372036854775808ns', MIN],
    ['-9223372036854775.808us', MIN],
    ['-9223372036s854ms775us808ns', MIN],
    ['-2562047h47m16.854775808s', MIN],
    ['0.100000000000000000000h', 6n * M],
    ['0.830103483285477580700h', 49n * M + 48n * S + 372539827n],
    // what helm users type
    ['5m', 5n * M],
    ['300ms', 300n * MS],
    ['1h2m3.5s', H + 2n * M + 3n * S + 500n * MS],
  ])('%s', (text, want) => {
    expect(parseGoDuration(text)).toBe(want);
  });

  it.each<[string, string]>([
    ['', 'time: invalid duration ""'],
    ['3', 'time: missing unit in duration "3"'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.', 'time: invalid duration "."'],
    ['-.', 'time: invalid duration "-."'],
    ['.s', 'time: invalid duration ".s"'],
    ['+.s', 'time: invalid duration "+.s"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['5 m', 'time: unknown unit " m" in duration "5 m"'],
    ['\uFFFD', 'time: invalid duration "\\xef\\xbf\\xbd"'],
    ['1\u00e9', 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'],
    ['9223372036854775810ns', 'time: invalid duration "9223372036854775810ns"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'],
    ['9223372036854776us', 'time: invalid duration "9223372036854776us"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
    ['9223372036854775.808us', 'time: invalid duration "9223372036854775.808us"'],
    ['9223372036854ms775us808ns', 'time: invalid duration "9223372036854ms775us808ns"'],
  ])('refuses %j as Go does', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(DurationError);
    expect(() => parseGoDuration(text)).toThrow(message);
  });
});

describe('formatGoDuration (Go Duration.String test table)', () => {
  it.each<[string, bigint]>([
    ['0s', 0n],
    ['1ns', NS],
    ['1.1µs', 1100n],
    ['2.2ms', 2200n * US],
    ['3.3s', 3300n * MS],
    ['4m5s', 4n * M + 5n * S],
    ['4m5.001s', 4n * M + 5001n * MS],
    ['5h6m7.001s', 5n * H + 6n * M + 7001n * MS],
    ['8m0.000000001s', 8n * M + NS],
    ['2562047h47m16.854775807s', MAX],
    ['-2562047h47m16.854775808s', MIN],
    ['5m0s', 5n * M],
    ['1h2m0.3s', H + 2n * M + 300n * MS],
    ['300ms', 300n * MS],
    ['10h0m0s', 10n * H],
  ])('%s', (text, ns) => {
    expect(formatGoDuration(ns)).toBe(text);
    if (ns > 0n) expect(formatGoDuration(-ns)).toBe(`-${text}`);
  });

  it('round-trips the extremes and every shape through parse', () => {
    for (const ns of [MAX, MIN, 1n, 999n, 1001n, 59n * S, 61n * S + 1n, 25n * H + 1n * MS]) {
      expect(parseGoDuration(formatGoDuration(ns))).toBe(ns);
    }
  });
});

describe('milliseconds', () => {
  it('converts for timers without losing sub-millisecond parts', () => {
    expect(toMilliseconds(5n * M)).toBe(300_000);
    expect(toMilliseconds(1500n * US)).toBe(1.5);
    expect(toMilliseconds(-2n * S)).toBe(-2000);
    expect(fromMilliseconds(300_000)).toBe(5n * M);
  });
});
