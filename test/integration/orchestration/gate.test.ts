/**
 * The health gate through the deploy state machine, with the real GatePoller: Prometheus checks on
 * a real Prometheus scraping an exporter whose error rate the test sets, CloudWatch alarms through
 * a mocked CloudWatchClient (the one part that cannot run here), and the chart's test hooks on the
 * control plane. A failed gate rolls back to the last good revision and the execution names the
 * check and what it measured; after every scenario the real `helm history` agrees.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gatePoller } from '../../../src/gate/poller.ts';
import type { GateSpecInput } from '../../../src/gate/spec.ts';
import type { ProgressEvent } from '../../../src/engine/types.ts';
import type { StepHandler } from '../../../src/orchestration/handler.ts';
import { clients, useNamespace, webappChart } from '../../harness/cluster.ts';
import { engineDeps, expectHelmAgrees, history } from '../engine/harness.ts';
import { ERROR_RATE_QUERY, usePrometheus } from '../../harness/prometheus.ts';
import { failure, fastOverrides, orchestrationDeps, runDeploy, succeeded, useLeaseDb, type Ran } from './harness.ts';

const ERROR_RATE_CHECK = { name: 'error-rate', query: ERROR_RATE_QUERY, op: '<' as const, threshold: 0.01 };

/** Every Wait fast except HealthGateWait: the gate's own interval decides when it evaluates again. */
function realGateInterval() {
  const { waitTimeOverrides, retryIntervalOverrides } = fastOverrides('deploy');
  const { HealthGateWait: _, ...waits } = waitTimeOverrides ?? {};
  return { waitTimeOverrides: waits, retryIntervalOverrides: retryIntervalOverrides ?? {} };
}

/** HealthGate's answers (its `gate` slot) in order, with when each was given. */
function gatePolls(r: Ran): { at: number; done: boolean; progress: string }[] {
  const out: { at: number; done: boolean; progress: string }[] = [];
  let caught = false;
  for (const e of r.events.filter((x) => x.state === 'HealthGate')) {
    if (e.type === 'caught') caught = true;
    if (e.type !== 'left') continue;
    // A Task whose failure a Catch took still leaves, with the document as it was: no answer.
    if (caught) break;
    const g = (e.output as { gate: { done: boolean; progress: string } }).gate;
    out.push({ at: e.at, done: g.done, progress: g.progress });
  }
  return out;
}

/** The gate evaluations so far, read from the state document HealthGate is given. */
function evaluationsBefore(input: unknown): number {
  const samples = (input as { gate?: { gateState?: { samples?: unknown } } }).gate?.gateState?.samples;
  return typeof samples === 'number' ? samples : 0;
}

/** Runs `before(n)` ahead of HealthGate's n-th gate evaluation (n ≥ 2: the first is not told from a readiness poll), holding the state until it is done. */
function beforeEvaluation(before: (n: number) => Promise<void>) {
  return (state: string, handler: StepHandler<unknown>): StepHandler<unknown> =>
    state !== 'HealthGate'
      ? handler
      : async (input, ctx) => {
          const done = evaluationsBefore(input);
          if (done > 0) await before(done + 1);
          return handler(input, ctx);
        };
}

const { core } = clients();
const configMessage = async (ns: string, release: string) => (await core.readNamespacedConfigMap({ name: `${release}-webapp-config`, namespace: ns })).data?.message;

describe('the health gate through the deploy state machine: Prometheus', () => {
  const ns = useNamespace('sfn-gate-prom');
  const leases = useLeaseDb();
  const prom = usePrometheus();
  const deps = () => ({ ...orchestrationDeps(leases.store()), gate: gatePoller({}) });
  const gate = (bakeSeconds: number, o: { failureLimit?: number } = {}): GateSpecInput => ({
    bakeSeconds,
    intervalSeconds: 1,
    prometheus: { url: prom.url, checks: [ERROR_RATE_CHECK], ...o },
  });

  beforeEach(() => prom.settleErrorRate(0.001));

  it('a low error rate through the bake passes; the migration runs after the gate', async () => {
    const d = deps();
    succeeded(await runDeploy(d, ns.name, 'bake', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(d, ns.name, 'bake', webappChart, { set: ['message=v2', 'migration.enabled=true'], gate: gate(4) }, realGateInterval());
    expect(succeeded(run)).toMatchObject({ revision: 2, status: 'deployed', description: 'Upgrade complete' });

    const polls = gatePolls(run).filter((p) => /^(gate passed: )?bake /.test(p.progress));
    const last = polls.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.progress).toMatch(/^gate passed: bake 4\/4 s, \d+ evaluations: error-rate=0\.00\d+ < 0\.01$/);
    // One evaluation a second through the 4 s bake, each answered as progress.
    expect(polls.length).toBeGreaterThanOrEqual(5);
    expect(polls.slice(0, -1).every((p) => !p.done && /^bake \d\/4 s, \d+ evaluations?: error-rate=0\.00\d+ < 0\.01$/.test(p.progress))).toBe(true);
    expect(last.at - polls[0]!.at).toBeGreaterThanOrEqual(3500);

    // The post-upgrade migration Job started only after the gate passed.
    const migrateAt = run.events.find((e) => e.type === 'entered' && e.state === 'Migrate')!.at;
    expect(migrateAt).toBeGreaterThanOrEqual(last.at);
    const rel = (await d.engine.store.get({ namespace: ns.name, name: 'bake' }, 2)).release;
    const migration = rel.hooks?.find((h) => h.name === 'bake-webapp-db-migration');
    expect(migration?.last_run?.phase).toBe('Succeeded');
    expect(Date.parse(migration!.last_run!.started_at!)).toBeGreaterThanOrEqual(Math.floor(last.at / 1000) * 1000);
    expect(await configMessage(ns.name, 'bake')).toBe('v2');
    await expectHelmAgrees(d.engine, ns.name, 'bake');
  });

  it('the error rate raised during the bake: rolled back to the last good revision, the cause names the check, query and value', async () => {
    const d = deps();
    succeeded(await runDeploy(d, ns.name, 'raised', webappChart, { set: ['message=v1'] }));
    const started = Date.now();
    const run = await runDeploy(d, ns.name, 'raised', webappChart, { set: ['message=v2'], gate: gate(60) }, {
      ...realGateInterval(),
      wrapHandler: beforeEvaluation(async (n) => {
        if (n === 3) await prom.settleErrorRate(0.05);
      }),
    });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'GateFailed', failedRevision: 2, rollbackRevision: 3, rolledBackTo: 1 });
    const m = /^release raised failed its health gate, and has been rolled back to revision 1: prometheus check "error-rate" \((.*)\) = ([\d.]+), threshold < 0\.01$/.exec(cause.message);
    expect(m, cause.message).not.toBeNull();
    expect(m![1]).toBe(ERROR_RATE_QUERY);
    expect(Number(m![2])).toBeGreaterThan(0.04);
    expect(Number(m![2])).toBeLessThan(0.06);
    // Failed at the third evaluation, well before the 60 s bake.
    expect(gatePolls(run).filter((p) => p.progress.startsWith('bake')).map((p) => p.progress.replace(/=0\.00\d+/, '=low'))).toEqual([
      expect.stringMatching(/^bake 0\/60 s, 1 evaluation: error-rate=low < 0\.01$/),
      expect.stringMatching(/^bake [12]\/60 s, 2 evaluations: error-rate=low < 0\.01$/),
    ]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await configMessage(ns.name, 'raised')).toBe('v1');
    const rows = await history(d.engine, ns.name, 'raised');
    expect(rows).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'failed', `Upgrade "raised" failed: prometheus check "error-rate" (${ERROR_RATE_QUERY}) = ${m![2]}, threshold < 0.01`],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    await expectHelmAgrees(d.engine, ns.name, 'raised');
  });

  it('failureLimit 1 tolerates one failed measurement through the bake', async () => {
    const d = deps();
    succeeded(await runDeploy(d, ns.name, 'tolerate', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(d, ns.name, 'tolerate', webappChart, { set: ['message=v2'], gate: gate(12, { failureLimit: 1 }) }, {
      ...realGateInterval(),
      wrapHandler: beforeEvaluation(async (n) => {
        // One evaluation sees the raised rate, the next sees it back down.
        if (n === 2) await prom.settleErrorRate(0.05);
        if (n === 3) await prom.settleErrorRate(0.001);
      }),
    });
    expect(succeeded(run).revision).toBe(2);
    const progress = gatePolls(run).map((p) => p.progress);
    expect(progress.filter((p) => /fails < 0\.01 \(1\/1 tolerated\)$/.test(p))).toHaveLength(1);
    expect(progress.at(-1)).toMatch(/^gate passed: bake (1[2-9]|[2-9]\d)\/12 s, \d+ evaluations: error-rate=0\.00\d+ < 0\.01$/);
    expect(await configMessage(ns.name, 'tolerate')).toBe('v2');
    expect((await history(d.engine, ns.name, 'tolerate')).map(([r, st]) => [r, st])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    await expectHelmAgrees(d.engine, ns.name, 'tolerate');
  });

  it('failureLimit 1 does not tolerate two: the second failed measurement rolls back', async () => {
    const d = deps();
    succeeded(await runDeploy(d, ns.name, 'twice', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(d, ns.name, 'twice', webappChart, { set: ['message=v2'], gate: gate(60, { failureLimit: 1 }) }, {
      ...realGateInterval(),
      wrapHandler: beforeEvaluation(async (n) => {
        if (n === 2) await prom.settleErrorRate(0.05);
      }),
    });
    const { cause } = failure(run);
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'GateFailed', rolledBackTo: 1 });
    expect(cause.message).toMatch(
      /^release twice failed its health gate, and has been rolled back to revision 1: prometheus check "error-rate" \(.*\) = 0\.0[45]\d*, threshold < 0\.01 \(2 failed measurements, failureLimit 1\)$/,
    );
    expect(gatePolls(run).filter((p) => /fails < 0\.01 \(1\/1 tolerated\)$/.test(p.progress))).toHaveLength(1);
    expect(await configMessage(ns.name, 'twice')).toBe('v1');
    expect((await history(d.engine, ns.name, 'twice')).map(([r, st]) => [r, st])).toEqual([
      [1, 'superseded'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
    await expectHelmAgrees(d.engine, ns.name, 'twice');
  });
});

describe('the health gate through the deploy state machine: CloudWatch alarms', () => {
  const ns = useNamespace('sfn-gate-cw');
  const leases = useLeaseDb();
  const cw = mockClient(CloudWatchClient);
  const cloudwatch = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const deps = () => ({ ...orchestrationDeps(leases.store()), gate: gatePoller({ cloudwatch }) });
  const alarmGate = (bakeSeconds: number, names: string[]): GateSpecInput => ({ bakeSeconds, intervalSeconds: 1, alarms: { names } });
  const ok = { MetricAlarms: [{ AlarmName: 'web-5xx', StateValue: 'OK' as const, StateReason: 'Threshold Crossed: no datapoints were breaching' }] };

  afterEach(() => cw.reset());

  it('an alarm that stays OK through the bake passes', async () => {
    const d = deps();
    succeeded(await runDeploy(d, ns.name, 'calm', webappChart, { set: ['message=v1'] }));
    cw.on(DescribeAlarmsCommand).resolves(ok);
    const run = await runDeploy(d, ns.name, 'calm', webappChart, { set: ['message=v2'], gate: alarmGate(2, ['web-5xx']) }, realGateInterval());
    expect(succeeded(run).revision).toBe(2);
    expect(gatePolls(run).at(-1)!.progress).toMatch(/^gate passed: bake [2-9]\/2 s, \d+ evaluations: alarms OK \(1\)$/);
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ['web-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(cw.commandCalls(DescribeAlarmsCommand).length).toBeGreaterThanOrEqual(3);
    await expectHelmAgrees(d.engine, ns.name, 'calm');
  });

  it('OK, then ALARM during the bake: rolled back, the cause names the alarm and its reason', async () => {
    const d = deps();
    succeeded(await runDeploy(d, ns.name, 'alarm', webappChart, { set: ['message=v1'] }));
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce(ok)
      .resolvesOnce(ok)
      .resolves({ MetricAlarms: [{ AlarmName: 'web-5xx', StateValue: 'ALARM', StateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).' }] });
    const run = await runDeploy(d, ns.name, 'alarm', webappChart, { set: ['message=v2'], gate: alarmGate(60, ['web-5xx']) });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'GateFailed', failedRevision: 2, rolledBackTo: 1 });
    expect(cause.message).toBe(
      'release alarm failed its health gate, and has been rolled back to revision 1: CloudWatch alarm "web-5xx" is ALARM: Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
    );
    // One DescribeAlarms per evaluation: OK, OK, then ALARM failed the gate; nothing after it.
    expect(cw).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 3);
    expect(cw).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 3, { AlarmNames: ['web-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(await configMessage(ns.name, 'alarm')).toBe('v1');
    expect((await history(d.engine, ns.name, 'alarm')).map(([r, st]) => [r, st])).toEqual([
      [1, 'superseded'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
    await expectHelmAgrees(d.engine, ns.name, 'alarm');
  });

  it('an alarm that does not exist fails the gate at once, saying so, and rolls back', async () => {
    const d = deps();
    succeeded(await runDeploy(d, ns.name, 'noalarm', webappChart, { set: ['message=v1'] }));
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    const run = await runDeploy(d, ns.name, 'noalarm', webappChart, { set: ['message=v2'], gate: alarmGate(60, ['web-typo']) });
    const { cause } = failure(run);
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'GateFailed', rolledBackTo: 1 });
    expect(cause.message).toBe(
      'release noalarm failed its health gate, and has been rolled back to revision 1: CloudWatch alarm "web-typo" does not exist (DescribeAlarms did not return it)',
    );
    expect(cw).toHaveReceivedCommandExactlyOnceWith(DescribeAlarmsCommand, { AlarmNames: ['web-typo'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect((await history(d.engine, ns.name, 'noalarm')).map(([r, st]) => [r, st])).toEqual([
      [1, 'superseded'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
    await expectHelmAgrees(d.engine, ns.name, 'noalarm');
  });
});

describe('the health gate through the deploy state machine: test hooks', () => {
  const ns = useNamespace('sfn-gate-tests');
  const leases = useLeaseDb();
  const withEvents = () => {
    const events: ProgressEvent[] = [];
    const d = { ...orchestrationDeps(leases.store(), { engine: engineDeps(events) }), gate: gatePoller({}) };
    const testStarts = () => events.filter((e) => e.kind === 'hook' && e.event === 'test' && e.phase === 'started').length;
    return { d, events, testStarts };
  };

  it('gate { tests: true } runs the test hook on the new revision and passes; its last_run is on the record', async () => {
    const { d, testStarts } = withEvents();
    succeeded(await runDeploy(d, ns.name, 'smoke', webappChart, { set: ['message=v1', 'tests.enabled=true'] }));
    expect(testStarts()).toBe(0); // an upgrade without the gate does not run tests
    const run = await runDeploy(d, ns.name, 'smoke', webappChart, { set: ['message=v2', 'tests.enabled=true'], gate: { bakeSeconds: 0, tests: true } });
    expect(succeeded(run).revision).toBe(2);
    expect(testStarts()).toBe(1);
    expect(gatePolls(run).at(-1)).toMatchObject({ done: true, progress: 'gate passed: test hooks succeeded' });
    const rel = (await d.engine.store.get({ namespace: ns.name, name: 'smoke' }, 2)).release;
    const hook = rel.hooks?.find((h) => h.name === 'smoke-webapp-smoke-test');
    expect(hook?.events).toEqual(['test']);
    expect(hook?.last_run?.phase).toBe('Succeeded');
    expect(Date.parse(hook!.last_run!.started_at!)).toBeGreaterThanOrEqual(Date.parse(rel.info.last_deployed!) - 1000);
    await expectHelmAgrees(d.engine, ns.name, 'smoke');
  });

  it('a failing test hook fails the gate: rolled back, the cause names the test hook', async () => {
    const { d, testStarts } = withEvents();
    succeeded(await runDeploy(d, ns.name, 'smokefail', webappChart, { set: ['message=v1', 'tests.enabled=true'] }));
    const run = await runDeploy(d, ns.name, 'smokefail', webappChart, { set: ['message=v2', 'tests.enabled=true', 'tests.podBehaviour=fail'], gate: { bakeSeconds: 0, tests: true } });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'GateFailed', failedRevision: 2, rolledBackTo: 1 });
    expect(cause.message).toMatch(
      new RegExp(`^release smokefail failed its health gate, and has been rolled back to revision 1: test hooks failed: resource Pod/${ns.name}/smokefail-webapp-smoke-test not ready\\. status: Failed`),
    );
    expect(testStarts()).toBe(1);
    const failed = (await d.engine.store.get({ namespace: ns.name, name: 'smokefail' }, 2)).release;
    expect(failed.hooks?.find((h) => h.name === 'smokefail-webapp-smoke-test')?.last_run?.phase).toBe('Failed');
    expect(await configMessage(ns.name, 'smokefail')).toBe('v1');
    expect(await history(d.engine, ns.name, 'smokefail')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'failed', `Upgrade "smokefail" failed: test hooks failed: resource Pod/${ns.name}/smokefail-webapp-smoke-test not ready. status: Failed, message: pod smokefail-webapp-smoke-test failed`],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    await expectHelmAgrees(d.engine, ns.name, 'smokefail');
  });

  it('test hooks run once per operation, though HealthGate polls through the whole bake', async () => {
    const { d, testStarts } = withEvents();
    succeeded(await runDeploy(d, ns.name, 'once', webappChart, { set: ['message=v1', 'tests.enabled=true'] }));
    const run = await runDeploy(d, ns.name, 'once', webappChart, { set: ['message=v2', 'tests.enabled=true'], gate: { bakeSeconds: 3, intervalSeconds: 1, tests: true } }, realGateInterval());
    expect(succeeded(run).revision).toBe(2);
    const bakePolls = gatePolls(run).filter((p) => /^(gate passed: )?bake /.test(p.progress));
    expect(bakePolls.length).toBeGreaterThanOrEqual(4);
    expect(bakePolls.at(-1)!.progress).toMatch(/^gate passed: bake [3-9]\/3 s, \d+ evaluations$/);
    expect(testStarts()).toBe(1);
    await expectHelmAgrees(d.engine, ns.name, 'once');
  });
});
