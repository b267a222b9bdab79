import { describe, expect, it } from 'vitest';
import { AlarmsUnavailable, InvalidGateSpec } from '../../../src/gate/errors.ts';
import { measure, pollGate, type AlarmReading, type GateDeps, type GatePoll, type GateState, type Sample } from '../../../src/gate/evaluate.ts';
import { parseGateSpec, type Check, type GateSpecInput } from '../../../src/gate/spec.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);
const one = (value: number): Sample[] => [{ labels: {}, value }];

const errorRate: Check = { name: 'error-rate', query: 'sum(rate(http_errors_total[1m]))', op: '<', threshold: 0.01 };

function spec(input: Partial<GateSpecInput> & { checks?: Check[]; failureLimit?: number; consecutiveErrorLimit?: number; alarms?: { names: string[] } }) {
  const { checks, failureLimit, consecutiveErrorLimit, ...rest } = input;
  return parseGateSpec({
    bakeSeconds: 30,
    ...rest,
    ...(checks ? { prometheus: { url: 'http://prom:9090', checks, ...(failureLimit !== undefined ? { failureLimit } : {}), ...(consecutiveErrorLimit !== undefined ? { consecutiveErrorLimit } : {}) } } : {}),
  });
}

type Answer = number | number[] | Error | 'empty';

/** Scripted query answers, one per evaluation (per check); records the calls. */
function fakeQuery(script: Record<string, Answer[]>) {
  const calls: { url: string; query: string; at: Date }[] = [];
  const deps: GateDeps = {
    query(url, query, when) {
      calls.push({ url, query, at: when });
      const next = script[query]?.shift();
      if (next === undefined) return Promise.reject(new Error(`no scripted answer for ${query}`));
      if (next instanceof Error) return Promise.reject(next);
      if (next === 'empty') return Promise.resolve([]);
      return Promise.resolve(Array.isArray(next) ? next.map((v, i) => ({ labels: { app: `a${i}` }, value: v })) : one(next));
    },
  };
  return { deps, calls };
}

/** Polls like the Wait state loop: each time after the `seconds` the previous poll asked for. */
async function run(deps: GateDeps, s: ReturnType<typeof spec>, max = 50): Promise<{ polls: GatePoll[]; times: number[] }> {
  const polls: GatePoll[] = [];
  const times: number[] = [];
  let state: GateState | undefined;
  let t = 0;
  for (let i = 0; i < max; i++) {
    times.push(t);
    const p = await pollGate(deps, s, state, at(t));
    polls.push(p);
    if (p.status !== 'pending') break;
    state = p.state;
    t += p.seconds;
  }
  return { polls, times };
}

describe('measure', () => {
  it.each([
    [[0.001], 'pass'],
    [[0.01], 'fail'],
    [[], 'inconclusive'],
    [[NaN], 'inconclusive'],
    [[0.001, NaN], 'inconclusive'],
    [[0.5, NaN], 'fail'],
    [[Infinity], 'fail'],
    [[-Infinity], 'pass'],
  ] as const)('%j against < 0.01: %s', (values, kind) => {
    expect(measure(errorRate, values.map((v) => ({ labels: {}, value: v }))).kind).toBe(kind);
  });

  it('a vector: every series must hold, the worst one is reported with its labels', () => {
    const m = measure(errorRate, [
      { labels: { app: 'a' }, value: 0.02 },
      { labels: { app: 'b' }, value: 0.5 },
      { labels: { app: 'c' }, value: 0.001 },
    ]);
    expect(m).toEqual({ kind: 'fail', value: 0.5, labels: { app: 'b' } });
    const min: Check = { query: 'up', op: '>=', threshold: 1 };
    expect(measure(min, [{ labels: { i: '1' }, value: 1 }, { labels: { i: '2' }, value: 0 }])).toMatchObject({ kind: 'fail', value: 0 });
    expect(measure(min, [{ labels: {}, value: 3 }, { labels: {}, value: 1 }])).toEqual({ kind: 'pass', value: 1 });
  });

  it.each([
    ['<', 1, false],
    ['<=', 1, true],
    ['>', 1, false],
    ['>=', 1, true],
  ] as const)('the boundary: 1 %s 1 holds: %s', (op, v, ok) => {
    expect(measure({ query: 'q', op, threshold: 1 }, one(v)).kind).toBe(ok ? 'pass' : 'fail');
  });
});

describe('pollGate: thresholds through the bake time', () => {
  it('passes once the bake time has elapsed with every measurement within its threshold', async () => {
    const { deps, calls } = fakeQuery({ [errorRate.query]: [0.001, 0.002, 0.003, 0.004] });
    const { polls, times } = await run(deps, spec({ bakeSeconds: 30, checks: [errorRate] }));
    expect(polls.map((p) => p.status)).toEqual(['pending', 'pending', 'pending', 'passed']);
    expect(times).toEqual([0, 10, 20, 30]);
    // One instant query per check per evaluation, at the evaluation's time.
    expect(calls.map((c) => [c.url, c.at.getTime() - T0])).toEqual([
      ['http://prom:9090', 0],
      ['http://prom:9090', 10_000],
      ['http://prom:9090', 20_000],
      ['http://prom:9090', 30_000],
    ]);
    const last = polls.at(-1)!;
    expect(last.status === 'passed' && last.state).toEqual({ startedAt: at(0).toISOString(), samples: 4, failures: [0], errors: [0], passes: [4], alarmErrors: 0 });
  });

  it('the last wait lands on the end of the bake, and is never under 1 s', async () => {
    const { deps } = fakeQuery({ [errorRate.query]: [0, 0, 0, 0, 0] });
    const { times } = await run(deps, spec({ bakeSeconds: 25, intervalSeconds: 10, checks: [errorRate] }));
    expect(times).toEqual([0, 10, 20, 25]);
    const p = await pollGate(deps, spec({ bakeSeconds: 25, checks: [errorRate] }), { startedAt: at(0).toISOString(), samples: 3, failures: [0], errors: [0], passes: [3], alarmErrors: 0 }, at(24.6));
    expect(p).toMatchObject({ status: 'pending', seconds: 1 });
  });

  it('a bake of 0 passes at the first good evaluation', async () => {
    const { deps } = fakeQuery({ [errorRate.query]: [0] });
    const p = await pollGate(deps, spec({ bakeSeconds: 0, checks: [errorRate] }), undefined, at(0));
    expect(p.status).toBe('passed');
  });

  it('failureLimit 0: the first failing measurement fails the gate, naming the check, its query and value', async () => {
    const { deps } = fakeQuery({ [errorRate.query]: [0.001, 0.05] });
    const { polls } = await run(deps, spec({ checks: [errorRate] }));
    expect(polls.map((p) => p.status)).toEqual(['pending', 'failed']);
    expect(polls[1]).toMatchObject({
      status: 'failed',
      source: 'prometheus',
      check: 'error-rate',
      value: 0.05,
      reason: 'prometheus check "error-rate" (sum(rate(http_errors_total[1m]))) = 0.05, threshold < 0.01',
    });
  });

  it('failureLimit N: N failures over the bake are tolerated, the N+1th fails; failures need not be consecutive', async () => {
    const pass = fakeQuery({ [errorRate.query]: [0.05, 0.001, 0.05, 0.001] });
    expect((await run(pass.deps, spec({ checks: [errorRate], failureLimit: 2 }))).polls.at(-1)).toMatchObject({ status: 'passed', state: { failures: [2], passes: [2] } });

    const fail = fakeQuery({ [errorRate.query]: [0.05, 0.001, 0.05, 0.07] });
    const { polls } = await run(fail.deps, spec({ checks: [errorRate], failureLimit: 2 }));
    expect(polls.map((p) => p.status)).toEqual(['pending', 'pending', 'pending', 'failed']);
    expect(polls[3]).toMatchObject({ value: 0.07, reason: 'prometheus check "error-rate" (sum(rate(http_errors_total[1m]))) = 0.07, threshold < 0.01 (3 failed measurements, failureLimit 2)' });
    expect(polls[2]?.status === 'pending' && polls[2].progress).toMatch(/error-rate=0\.05 fails < 0\.01 \(2\/2 tolerated\)/);
  });

  it('a vector check names the failing series', async () => {
    const byApp: Check = { name: 'by-app', query: 'sum by (app) (rate(e[1m]))', op: '<', threshold: 0.01 };
    const { deps } = fakeQuery({ [byApp.query]: [[0.001, 0.2]] });
    const p = await pollGate(deps, spec({ checks: [byApp] }), undefined, at(0));
    expect(p).toMatchObject({ status: 'failed', value: 0.2, reason: 'prometheus check "by-app" (sum by (app) (rate(e[1m]))){app="a1"} = 0.2, threshold < 0.01' });
  });

  it('an unnamed check is named by its query', async () => {
    const { deps } = fakeQuery({ up: [0] });
    const p = await pollGate(deps, spec({ checks: [{ query: 'up', op: '>=', threshold: 1 }] }), undefined, at(0));
    expect(p).toMatchObject({ status: 'failed', check: 'up', value: 0, reason: 'prometheus check (up) = 0, threshold >= 1' });
  });

  it('several checks: each has its own counts; the first beyond its limit fails the gate', async () => {
    const up: Check = { name: 'up', query: 'up', op: '>=', threshold: 1 };
    const { deps, calls } = fakeQuery({ [errorRate.query]: [0.001, 0.001], up: [1, 0] });
    const { polls } = await run(deps, spec({ checks: [errorRate, up] }));
    expect(calls).toHaveLength(4);
    expect(polls.at(-1)).toMatchObject({ status: 'failed', check: 'up', state: { failures: [0, 1], passes: [2, 1] } });
  });
});

describe('pollGate: inconclusive measurements', () => {
  it('empty results, NaN and query errors count errors in a row; beyond consecutiveErrorLimit the gate fails with the last cause', async () => {
    const { deps } = fakeQuery({ [errorRate.query]: ['empty', [NaN], new Error('Prometheus at http://prom:9090 could not answer: unreachable')] });
    const { polls } = await run(deps, spec({ checks: [errorRate], consecutiveErrorLimit: 2 }));
    expect(polls.map((p) => p.status)).toEqual(['pending', 'pending', 'failed']);
    expect(polls[0]?.status === 'pending' && polls[0].progress).toMatch(/error-rate: inconclusive \(1\/3\): the query returned no series/);
    expect(polls[2]).toMatchObject({
      check: 'error-rate',
      value: null,
      reason: 'prometheus check "error-rate" (sum(rate(http_errors_total[1m]))) was inconclusive 3 times in a row (consecutiveErrorLimit 2): Prometheus at http://prom:9090 could not answer: unreachable',
    });
  });

  it('a conclusive measurement resets the count; errors are not failures', async () => {
    const { deps } = fakeQuery({ [errorRate.query]: ['empty', 'empty', 0.001, 'empty', 'empty'] });
    const { polls } = await run(deps, spec({ bakeSeconds: 40, checks: [errorRate], consecutiveErrorLimit: 2 }));
    expect(polls.at(-1)).toMatchObject({ status: 'passed', state: { errors: [2], failures: [0], passes: [1] } });
  });

  it('the default consecutiveErrorLimit is 4 (Argo Rollouts): the fifth error in a row fails', async () => {
    const { deps } = fakeQuery({ [errorRate.query]: Array<Answer>(6).fill('empty') });
    const { polls } = await run(deps, spec({ bakeSeconds: 100, checks: [errorRate] }));
    expect(polls.map((p) => p.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'failed']);
  });

  it('a check never measured conclusively holds the gate past the bake time (it never passes on no evidence)', async () => {
    const { deps } = fakeQuery({ [errorRate.query]: ['empty', 'empty', 0.001] });
    const { polls, times } = await run(deps, spec({ bakeSeconds: 10, checks: [errorRate] }));
    expect(polls.map((p) => p.status)).toEqual(['pending', 'pending', 'passed']);
    expect(times).toEqual([0, 10, 20]);
  });
});

describe('pollGate: CloudWatch alarms', () => {
  function alarms(script: (AlarmReading[] | Error)[]) {
    const calls: (readonly string[])[] = [];
    const deps: GateDeps = {
      query: () => Promise.reject(new Error('no prometheus')),
      alarms(names) {
        calls.push(names);
        const next = script.shift();
        if (!next) return Promise.reject(new Error('no scripted answer'));
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    };
    return { deps, calls };
  }
  const ok = (...names: string[]): AlarmReading[] => names.map((name) => ({ name, state: 'OK' }));

  it('every alarm OK at every evaluation through the bake: passes, one DescribeAlarms per evaluation', async () => {
    const { deps, calls } = alarms([ok('a', 'b'), ok('a', 'b'), ok('a', 'b'), ok('a', 'b')]);
    const { polls } = await run(deps, spec({ alarms: { names: ['a', 'b'] } }));
    expect(polls.map((p) => p.status)).toEqual(['pending', 'pending', 'pending', 'passed']);
    expect(calls).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['a', 'b']]);
    expect(polls.at(-1)?.status === 'passed' && polls.at(-1)).toMatchObject({ progress: 'bake 30/30 s, 4 evaluations: alarms OK (2)' });
  });

  it('ALARM at any evaluation fails at once, with its reason', async () => {
    const { deps } = alarms([ok('a', 'b'), [{ name: 'a', state: 'OK' }, { name: 'b', state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [7.0] was greater than 5.0' }]]);
    const { polls } = await run(deps, spec({ alarms: { names: ['a', 'b'] } }));
    expect(polls.at(-1)).toMatchObject({ status: 'failed', source: 'alarm', check: 'b', value: 'ALARM', reason: 'CloudWatch alarm "b" is ALARM: Threshold Crossed: 1 datapoint [7.0] was greater than 5.0' });
  });

  it('an alarm that does not exist fails at once', async () => {
    const { deps } = alarms([ok('a')]);
    expect(await pollGate(deps, spec({ alarms: { names: ['a', 'typo'] } }), undefined, at(0))).toMatchObject({ status: 'failed', check: 'typo', reason: 'CloudWatch alarm "typo" does not exist (DescribeAlarms did not return it)' });
  });

  it('INSUFFICIENT_DATA neither fails nor passes: the gate waits past the bake until the alarm is OK', async () => {
    const insufficient: AlarmReading[] = [{ name: 'a', state: 'INSUFFICIENT_DATA' }];
    const { deps } = alarms([insufficient, ok('a'), insufficient, insufficient, insufficient, insufficient, insufficient, ok('a')]);
    const { polls, times } = await run(deps, spec({ alarms: { names: ['a'] } }));
    expect(polls.map((p) => p.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending', 'pending', 'pending', 'passed']);
    expect(times.at(-1)).toBe(70);
    expect(polls[3]?.status === 'pending' && polls[3].progress).toBe('bake 30/30 s, 4 evaluations: alarms without data: a');
    // INSUFFICIENT_DATA is not an error: no count toward consecutiveErrorLimit.
    expect(polls.at(-1)).toMatchObject({ state: { alarmErrors: 0 } });
  });

  it('DescribeAlarms failures count as errors in a row; beyond the limit the gate fails', async () => {
    const throttled = new AlarmsUnavailable(['a'], 'ThrottlingException: Rate exceeded', true);
    const { deps } = alarms([throttled, ok('a'), throttled, throttled]);
    const { polls } = await run(deps, spec({ alarms: { names: ['a'] }, bakeSeconds: 100 }));
    // A success resets the count; then five failures in a row (the default limit is 4) fail.
    expect(polls.map((p) => p.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending', 'pending', 'failed']);
    expect(polls.at(-1)).toMatchObject({ source: 'alarm', value: null, reason: expect.stringMatching(/^CloudWatch alarms could not be read 5 times in a row \(consecutiveErrorLimit 4\)/) as unknown });
  });

  it('ALARM is decided before the Prometheus queries run', async () => {
    const { deps, calls } = fakeQuery({ [errorRate.query]: [0] });
    deps.alarms = () => Promise.resolve([{ name: 'a', state: 'ALARM' }]);
    const p = await pollGate(deps, spec({ alarms: { names: ['a'] }, checks: [errorRate] }), undefined, at(0));
    expect(p).toMatchObject({ status: 'failed', check: 'a' });
    expect(calls).toHaveLength(0);
  });

  it('alarms in the spec without a CloudWatch client is a configuration error', async () => {
    const { deps } = fakeQuery({});
    await expect(pollGate(deps, spec({ alarms: { names: ['a'] } }), undefined, at(0))).rejects.toBeInstanceOf(InvalidGateSpec);
  });
});

describe('pollGate: state between polls', () => {
  it('is small JSON that survives a round trip, and a clock behind the start counts as no time elapsed', async () => {
    const { deps } = fakeQuery({ [errorRate.query]: [0.001, 0.001] });
    const s = spec({ checks: [errorRate] });
    const first = await pollGate(deps, s, undefined, at(0));
    const state = JSON.parse(JSON.stringify(first.state)) as GateState;
    expect(JSON.stringify(state).length).toBeLessThan(200);
    const second = await pollGate(deps, s, state, at(-5));
    expect(second).toMatchObject({ status: 'pending', seconds: 10, state: { samples: 2, startedAt: at(0).toISOString() } });
  });
});
