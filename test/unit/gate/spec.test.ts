import { describe, expect, it } from 'vitest';
import { InvalidGateSpec } from '../../../src/gate/errors.ts';
import { formatCheck, gateFromFlags, parseCheck, parseGateFile, parseGateSpec } from '../../../src/gate/spec.ts';

describe('parseCheck (the CLI form)', () => {
  it.each([
    ['sum(rate(http_errors_total[1m]))<0.01', { query: 'sum(rate(http_errors_total[1m]))', op: '<', threshold: 0.01 }],
    ['up >= 1', { query: 'up', op: '>=', threshold: 1 }],
    ['x<=5', { query: 'x', op: '<=', threshold: 5 }],
    ['x > -2.5e-3', { query: 'x', op: '>', threshold: -0.0025 }],
    ['x<.5', { query: 'x', op: '<', threshold: 0.5 }],
    // The query's own comparison stays in the query: the last `op number` is the threshold.
    ['sum(up > 0) < 3', { query: 'sum(up > 0)', op: '<', threshold: 3 }],
    ['x > 5 < 0.01', { query: 'x > 5', op: '<', threshold: 0.01 }],
    ['count(x >= 2)>=2', { query: 'count(x >= 2)', op: '>=', threshold: 2 }],
    ['error-rate=sum(rate(http_errors_total{app="api"}[1m])) < 0.01', { name: 'error-rate', query: 'sum(rate(http_errors_total{app="api"}[1m]))', op: '<', threshold: 0.01 }],
    // Label matchers and `==` are not names.
    ['up{job="api"}>=1', { query: 'up{job="api"}', op: '>=', threshold: 1 }],
    ['a==b<1', { query: 'a==b', op: '<', threshold: 1 }],
    ['p99.latency=histogram_quantile(0.99, x)<0.5', { name: 'p99.latency', query: 'histogram_quantile(0.99, x)', op: '<', threshold: 0.5 }],
  ])('%s', (text, want) => {
    expect(parseCheck(text)).toEqual(want);
  });

  it.each([['up'], ['up < abc'], ['<0.01'], ['name= <1'], ['x < 1 2'], ['x = 1']])('refuses %s with InvalidGateSpec naming the flag', (text) => {
    const err = (() => {
      try {
        parseCheck(text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidGateSpec);
    expect((err as Error).message).toMatch(/^invalid health gate in --gate-prometheus: /);
  });

  it('formatCheck reads back', () => {
    for (const text of ['error-rate=sum(rate(x[1m]))<0.01', 'up>=1', 'x<=-3']) expect(formatCheck(parseCheck(text))).toBe(text);
  });
});

describe('parseGateSpec', () => {
  it('fills the defaults: interval 10 s, failureLimit 0, consecutiveErrorLimit left unset', () => {
    const spec = parseGateSpec({ bakeSeconds: 60, prometheus: { url: 'http://p:9090', checks: [{ query: 'up', op: '>=', threshold: 1 }] } });
    expect(spec.intervalSeconds).toBe(10);
    expect(spec.prometheus?.failureLimit).toBe(0);
    expect(spec.prometheus?.consecutiveErrorLimit).toBeUndefined();
  });

  it.each([
    [{ bakeSeconds: 60 }, /at least one of prometheus, alarms or tests/],
    [{ bakeSeconds: -1, tests: true }, /bakeSeconds/],
    [{ bakeSeconds: 1, intervalSeconds: 0, tests: true }, /intervalSeconds/],
    [{ bakeSeconds: 1, prometheus: { url: 'ftp://x', checks: [{ query: 'up', op: '<', threshold: 1 }] } }, /prometheus\.url/],
    [{ bakeSeconds: 1, prometheus: { url: 'http://x', checks: [] } }, /prometheus\.checks/],
    [{ bakeSeconds: 1, prometheus: { url: 'http://x', checks: [{ query: 'up', op: '==', threshold: 1 }] } }, /prometheus\.checks\.0\.op/],
    [{ bakeSeconds: 1, alarms: { names: [] } }, /alarms\.names/],
    [{ bakeSeconds: 1, tests: true, bake: 3 }, /bake/],
  ])('refuses %j', (input, problem) => {
    expect(() => parseGateSpec(input)).toThrow(InvalidGateSpec);
    expect(() => parseGateSpec(input)).toThrow(problem);
  });
});

describe('gateFromFlags', () => {
  it('no gate flag: no gate', () => {
    expect(gateFromFlags({})).toBeUndefined();
  });

  it('builds the spec from repeatable flags', () => {
    expect(
      gateFromFlags({ prometheus: ['error-rate=sum(rate(e[1m]))<0.01', 'up>=1'], prometheusUrl: 'http://p:9090', alarms: ['api-5xx'], bakeSeconds: 300, failureLimit: 1, tests: true }),
    ).toEqual({
      bakeSeconds: 300,
      intervalSeconds: 10,
      prometheus: {
        url: 'http://p:9090',
        checks: [
          { name: 'error-rate', query: 'sum(rate(e[1m]))', op: '<', threshold: 0.01 },
          { query: 'up', op: '>=', threshold: 1 },
        ],
        failureLimit: 1,
      },
      alarms: { names: ['api-5xx'] },
      tests: true,
    });
  });

  it('a check needs the Prometheus URL; --bake alone bakes nothing', () => {
    expect(() => gateFromFlags({ prometheus: ['up>=1'] })).toThrow(/--gate-prometheus-url/);
    expect(() => gateFromFlags({ bakeSeconds: 60 })).toThrow(/--bake needs something to bake/);
  });
});

describe('parseGateFile (YAML)', () => {
  it('takes durations, checks in either form, and a plain list of alarms', () => {
    const spec = parseGateFile(`
bake: 5m
interval: 15s
prometheus:
  url: http://prometheus.monitoring:9090
  failureLimit: 1
  consecutiveErrorLimit: 2
  checks:
    - name: error-rate
      query: sum(rate(http_errors_total[1m]))
      op: '<'
      threshold: 0.01
    - p99=histogram_quantile(0.99, sum by (le) (rate(d_bucket[1m]))) < 0.5
alarms: [api-5xx, api-latency]
tests: true
`);
    expect(spec).toEqual({
      bakeSeconds: 300,
      intervalSeconds: 15,
      prometheus: {
        url: 'http://prometheus.monitoring:9090',
        failureLimit: 1,
        consecutiveErrorLimit: 2,
        checks: [
          { name: 'error-rate', query: 'sum(rate(http_errors_total[1m]))', op: '<', threshold: 0.01 },
          { name: 'p99', query: 'histogram_quantile(0.99, sum by (le) (rate(d_bucket[1m])))', op: '<', threshold: 0.5 },
        ],
      },
      alarms: { names: ['api-5xx', 'api-latency'] },
      tests: true,
    });
  });

  it('accepts the spec form itself (bakeSeconds, alarms.names), and 90s rounds to seconds', () => {
    expect(parseGateFile('bakeSeconds: 90s\nalarms: { names: [a] }\n')).toEqual({ bakeSeconds: 90, intervalSeconds: 10, alarms: { names: ['a'] } });
    expect(parseGateFile('bake: 1500ms\ntests: true\n').bakeSeconds).toBe(2);
  });

  it.each([
    ['bake: [1\n', /not valid YAML/],
    ['- a\n- b\n', /expected a mapping/],
    ['bake: soon\ntests: true\n', /bake: "soon" is not a duration/],
    ['bake: 1m\nbakeSeconds: 60\ntests: true\n', /bake or bakeSeconds, not both/],
    ['bake: 1m\nprometheus:\n  url: http://p\n  checks: ["up"]\n', /prometheus\.checks\.0/],
    ['bake: 1m\nprometheus:\n  url: http://p\n  checks: [{query: up, op: "<", threshold: 1, extra: 2}]\n', /extra/],
  ])('refuses %j', (text, problem) => {
    expect(() => parseGateFile(text, 'gate.yaml')).toThrow(InvalidGateSpec);
    expect(() => parseGateFile(text, 'gate.yaml')).toThrow(problem);
  });
});
