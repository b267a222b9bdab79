import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { compareGoStrings, goJson } from '../../../src/cli/go-json.ts';
import { goFormatFloatG, goYaml, goYamlKeyLess } from '../../../src/cli/go-yaml.ts';

// Each fixture pair is real helm output (3.17.3; 4.1.4 printed the same bytes) of
// `helm get values -o json` and `-o yaml` for a release installed with `-f <name>.input.yaml`.
const FIXTURES = ['values-scalars', 'values-layout', 'values-long-keys'] as const;
const fixture = (file: string) => readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8');

describe('Go-exact output', () => {
  describe.each(FIXTURES)('%s (printed by real helm)', (name) => {
    const json = fixture(`${name}.json`);
    const values: unknown = JSON.parse(json);

    it('prints the same JSON as helm get values -o json', () => {
      expect(goJson(values) + '\n').toBe(json);
    });

    it('prints the same YAML as helm get values -o yaml', () => {
      expect(goYaml(values)).toBe(fixture(`${name}.yaml`));
    });
  });

  it('escapes what Go escapes in JSON, and keeps -0', () => {
    expect(goJson({ s: '<a href="x">&\u2028\u2029\u0001\b', n: -0 })).toBe('{"n":-0,"s":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u2028\\u2029\\u0001\\b"}');
  });

  it('keeps struct fields in order and sorts map keys byte-wise', () => {
    const v = { z: 1, a: { b: 1, a: 2 }, '10': 0, '9': 0 };
    expect(goJson(v, (path) => path.length > 0)).toBe('{"9":0,"10":0,"z":1,"a":{"a":2,"b":1}}');
    expect(compareGoStrings('Z', 'a')).toBeLessThan(0);
    expect(compareGoStrings('é', 'z')).toBeGreaterThan(0);
  });

  it.each([
    [1.5, '1.5'],
    [1234567.5, '1.2345675e+06'],
    [123456.5, '123456.5'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [-2.5e-10, '-2.5e-10'],
    [1e20, '1e+20'],
  ])('formats %d as strconv.FormatFloat(f, g, -1, 64): %s', (f, want) => {
    expect(goFormatFloatG(f)).toBe(want);
  });

  it.each([
    ['a9', 'a10'],
    ['9', '10'],
    ['A', 'a'],
    ['b-c', 'b_c'],
    ['key with space', 'key:colon'],
    ['', 'a'],
    ['yes', 'é'],
  ])('sorts %j before %j as go-yaml v2 does', (a, b) => {
    expect(goYamlKeyLess(a, b)).toBe(true);
    expect(goYamlKeyLess(b, a)).toBe(false);
  });

  it('prints null, empty collections and top-level lists as sigs.k8s.io/yaml does', () => {
    expect(goYaml(null)).toBe('null\n');
    expect(goYaml({})).toBe('{}\n');
    expect(goYaml([{ b: 1, a: [] }])).toBe('- a: []\n  b: 1\n');
  });
});
