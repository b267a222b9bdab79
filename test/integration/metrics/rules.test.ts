/**
 * The design article's alert rules on series helmstep really exported: releases installed,
 * upgraded, failed and rolled back through the local deploy state machine on the real control
 * plane with the audit log on dynalite, scraped before and after, then fed to the real
 * `promtool test rules`. Also: promtool check rules / check metrics, the counters' incremental
 * reads, a restart, and an unreachable audit table.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore, createAuditTable } from '../../../src/audit/index.ts';
import { eventSk } from '../../../src/audit/keys.ts';
import { ensurePromtool } from '../../../src/local/prometheus.ts';
import { createMetrics, parseExposition, RULES_FILE, type ParsedSample } from '../../../src/metrics/index.ts';
import { auditRecorder } from '../../../src/orchestration/audit.ts';
import { helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { engineDeps } from '../engine/harness.ts';
import { CLUSTER, failure, orchestrationDeps, runDeploy, succeeded, useLeaseDb } from '../orchestration/harness.ts';
import { beforeAfterSeries, promtool, ruleTestFile, type AlertCheck } from './promtool.ts';

const AUDIT_TABLE = 'helmstep-audit';

interface QueryLog {
  readonly pk: string;
  readonly from: string;
  readonly items: number;
}

/** Records every Query the client sends: where its key range starts and how many items came back. */
function recordQueries(client: DynamoDBClient, log: QueryLog[]): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const input = args.input as { KeyConditionExpression?: string; ExpressionAttributeValues?: Record<string, { S?: string }> };
      const output = out.output as { Items?: unknown[] };
      if (input.KeyConditionExpression) log.push({ pk: input.ExpressionAttributeValues?.[':pk']?.S ?? '', from: input.ExpressionAttributeValues?.[':from']?.S ?? '', items: output.Items?.length ?? 0 });
      return out;
    },
    { step: 'initialize', name: 'recordQueries' },
  );
}

const value = (samples: readonly ParsedSample[], name: string, labels: Record<string, string>) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('metrics and the alert rules on really exported series', () => {
  const ns = useNamespace('metrics');
  const leases = useLeaseDb();
  let bin = '';
  let dir = '';
  let before: ParsedSample[] = [];
  let after: ParsedSample[] = [];
  let afterText = '';
  const queries: QueryLog[] = [];
  let metricsClient: DynamoDBClient;
  const sources = () => ({ releases: engineDeps().store, audit: { dynamo: metricsClient, table: AUDIT_TABLE }, cluster: CLUSTER, namespace: ns.name });
  let metrics: ReturnType<typeof createMetrics>;

  beforeAll(async () => {
    // promtool is built by `npm run cluster:build`; a cold build here takes minutes.
    bin = await ensurePromtool();
    dir = mkdtempSync(join(tmpdir(), 'helmstep-metrics-'));
    await createAuditTable(leases.client, AUDIT_TABLE);
    metricsClient = leases.newClient();
    recordQueries(metricsClient, queries);
    metrics = createMetrics(sources());
  }, 900_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const busy = (i: number) => helmOk(4, ['upgrade', '--install', 'busy', webappChart, '-n', ns.name, '--history-max', '0', '--set', 'backup.enabled=false', '--set', `message=m${i}`]);

  it('scrapes before and after a failed upgrade rolled back, a failed upgrade left failed, and a release upgraded 12 times', async () => {
    const engine = engineDeps();
    const audit = auditRecorder(new AuditStore({ client: leases.client, tableName: AUDIT_TABLE }), engine.store, CLUSTER);
    const deps = { ...orchestrationDeps(leases.store(), { engine }), audit };

    succeeded(await runDeploy(deps, ns.name, 'web', webappChart, { set: ['message=v1'] }));
    succeeded(await runDeploy(deps, ns.name, 'flaky', webappChart, { set: ['message=v1'] }));
    for (let i = 1; i <= 3; i++) await busy(i);
    before = parseExposition(await metrics.text());
    const auditStore = new AuditStore({ client: leases.client, tableName: AUDIT_TABLE });
    const headSeq = async (name: string) => (await auditStore.head({ cluster: CLUSTER, namespace: ns.name, name }))?.seq ?? 0;
    const folded = { web: await headSeq('web'), flaky: await headSeq('flaky'), busy: await headSeq('busy') };
    expect(folded.web).toBeGreaterThan(5);
    expect(folded.busy).toBe(0);
    expect(value(before, 'helm_release_rollback_total', { name: 'web' })).toBe(0);
    expect(value(before, 'helm_upgrade_failed_total', { name: 'web' })).toBe(0);
    expect(value(before, 'helm_release_info', { name: 'web', revision: '1', status: 'deployed' })).toBe(1);

    // web: the health gate fails (crash-looping pods) and the machine rolls back to revision 1.
    const web = await runDeploy(deps, ns.name, 'web', webappChart, { set: ['message=v2', 'podBehaviour=crashloop'], timeoutSeconds: 4 });
    expect(failure(web).cause).toMatchObject({ state: 'HealthGate', rolledBackTo: 1 });
    // flaky: the same failure, no rollback: the newest record stays failed.
    const flaky = await runDeploy(deps, ns.name, 'flaky', webappChart, { set: ['message=v2', 'podBehaviour=crashloop'], timeoutSeconds: 3, rollbackOnGateFailure: false });
    expect(failure(flaky).cause).toMatchObject({ state: 'HealthGate', failedRevision: 2 });
    for (let i = 4; i <= 12; i++) await busy(i);

    queries.length = 0;
    afterText = await metrics.text();
    after = parseExposition(afterText);
    const of = (name: string, labels: Record<string, string>) => value(after, name, { namespace: ns.name, ...labels });
    expect(of('helm_release_rollback_total', { name: 'web' })).toBe(1);
    expect(of('helm_upgrade_failed_total', { name: 'web' })).toBe(1); // FailRelease and ReleaseLease rolled-back: one execution
    expect(of('helm_release_rollback_total', { name: 'flaky' })).toBe(0);
    expect(of('helm_upgrade_failed_total', { name: 'flaky' })).toBe(1);
    expect(of('helm_release_rollback_total', { name: 'busy' })).toBe(0); // helm's own upgrades are not in the audit log
    expect(after.filter((s) => s.name === 'helm_release_info' && s.labels.name === 'web').map((s) => [s.labels.revision, s.labels.status, s.value])).toEqual([
      ['1', 'superseded', 0],
      ['2', 'failed', 0],
      ['3', 'deployed', 1],
    ]);
    expect(after.filter((s) => s.name === 'helm_release_info' && s.labels.name === 'flaky').map((s) => [s.labels.revision, s.labels.status, s.value])).toEqual([
      ['1', 'deployed', 0],
      ['2', 'failed', 1],
    ]);
    expect(after.filter((s) => s.name === 'helm_release_info' && s.labels.name === 'busy')).toHaveLength(12);
    expect(value(after, 'helm_release_info', { name: 'web', revision: '3' })).toBe(1);
    expect(after.find((s) => s.name === 'helm_release_info' && s.labels.name === 'web')?.labels).toMatchObject({ chart: 'webapp', version: '0.1.0', app_version: '1.0.0', owner: 'helm' });
    // The running revision's deploy time: web's rollback (revision 3), flaky's still revision 1.
    const rev = async (name: string, v: number) => Date.parse((await engine.store.get({ namespace: ns.name, name }, v)).release.info.last_deployed!) / 1000;
    expect(of('helm_release_last_deployed_timestamp', { name: 'web' })).toBeCloseTo(await rev('web', 3), 3);
    expect(of('helm_release_last_deployed_timestamp', { name: 'flaky' })).toBeCloseTo(await rev('flaky', 1), 3);
    expect(value(after, 'helmstep_metrics_audit_up', {})).toBe(1);
    // Incremental: each release's Query started after the events the before-scrape had folded.
    const from = Object.fromEntries(queries.map((q): [string, string] => [q.pk.split('/').at(-1) ?? '', q.from]));
    expect(from).toEqual({ web: eventSk(folded.web + 1), flaky: eventSk(folded.flaky + 1), busy: eventSk(1) });
  });

  it('reads only new events: a scrape with nothing new gets one empty page per release', async () => {
    queries.length = 0;
    const again = parseExposition(await metrics.text());
    expect(queries.map((q) => q.items)).toEqual([0, 0, 0]);
    expect(value(again, 'helm_release_rollback_total', { name: 'web' })).toBe(1);
  });

  it('a restarted exporter (or another replica) reads the log from the start and exports the same counters', async () => {
    queries.length = 0;
    const fresh = parseExposition(await createMetrics(sources()).text());
    expect(queries.map((q) => q.from)).toEqual(['event#000000000001', 'event#000000000001', 'event#000000000001']);
    const counters = (s: ParsedSample[]) => s.filter((x) => x.name.endsWith('_total')).map((x) => [x.name, x.labels.name, x.value]);
    expect(counters(fresh)).toEqual(counters(after));
    expect(counters(fresh).length).toBe(6);
  });

  it('promtool check metrics accepts the exposition text', async () => {
    const r = await promtool(bin, ['check', 'metrics'], afterText);
    expect(r, r.out).toMatchObject({ code: 0 });
  });

  it('promtool check rules accepts the rules file', async () => {
    const r = await promtool(bin, ['check', 'rules', RULES_FILE]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS: 4 rules found');
  });

  const alerts = () => {
    const n = ns.name;
    const rollback = (alert: 'HelmRollback' | 'HelmRollbackExecuted') => ({
      exp_labels: { severity: 'warning', name: 'web', namespace: n },
      exp_annotations:
        alert === 'HelmRollback'
          ? { summary: 'Helm rollback detected', description: `Release web rolled back in namespace ${n}` }
          : { summary: 'Helm rollback executed for web', description: `Release web in ${n} was rolled back. Investigate the cause.` },
    });
    const failed = {
      exp_labels: { severity: 'critical', name: 'flaky', namespace: n, revision: '2', status: 'failed', chart: 'webapp', version: '0.1.0', app_version: '1.0.0', owner: 'helm' },
      exp_annotations: { summary: 'Helm release flaky is in failed state', description: 'Release has been failing. Manual intervention may be required.' },
    };
    const unstable = {
      exp_labels: { severity: 'warning', name: 'busy', namespace: n },
      exp_annotations: { summary: 'Release busy has 12 revisions', description: 'High revision count indicates frequent changes or rollbacks. Review release stability.' },
    };
    return { rollback, failed, unstable };
  };
  const NAMES = ['HelmRollback', 'HelmRollbackExecuted', 'HelmReleaseFailed', 'HelmReleaseUnstable'] as const;
  const none = (t: string): AlertCheck[] => NAMES.map((alertname) => ({ eval_time: t, alertname, exp_alerts: [] }));

  async function testRules(name: string, series: { series: string; values: string }[], checks: AlertCheck[]) {
    const file = join(dir, `${name}.test.yml`);
    writeFileSync(file, ruleTestFile(RULES_FILE, series, checks));
    return promtool(bin, ['test', 'rules', file]);
  }

  it('promtool test rules: every rule fires on the after-series, none on the before-series, the rollback alerts resolve', async () => {
    const a = alerts();
    const checks: AlertCheck[] = [
      ...none('5m'),
      { eval_time: '12m', alertname: 'HelmRollback', exp_alerts: [a.rollback('HelmRollback')] },
      { eval_time: '12m', alertname: 'HelmRollbackExecuted', exp_alerts: [a.rollback('HelmRollbackExecuted')] },
      { eval_time: '12m', alertname: 'HelmReleaseFailed', exp_alerts: [a.failed] }, // web's rolled-back revision 2 does not fire
      { eval_time: '12m', alertname: 'HelmReleaseUnstable', exp_alerts: [a.unstable] },
      { eval_time: '20m', alertname: 'HelmRollbackExecuted', exp_alerts: [] },
      { eval_time: '20m', alertname: 'HelmReleaseFailed', exp_alerts: [a.failed] },
    ];
    const r = await testRules('before-after', beforeAfterSeries(before, after), checks);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('promtool test rules: the before-series alone fire nothing, however long they last', async () => {
    const r = await testRules('before-only', beforeAfterSeries(before, before), [...none('5m'), ...none('15m'), ...none('20m')]);
    expect(r.code, r.out).toBe(0);
  });

  it('promtool test rules fails when an expectation is wrong (the check can fail)', async () => {
    const a = alerts();
    const r = await testRules('wrong', beforeAfterSeries(before, after), [{ eval_time: '5m', alertname: 'HelmRollbackExecuted', exp_alerts: [a.rollback('HelmRollbackExecuted')] }]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/alertname: HelmRollbackExecuted, time: 5m/);
  });

  it('an unreachable audit table: the release series still export, audit_up is 0, no counters are invented', async () => {
    const m = createMetrics({ ...sources(), audit: { dynamo: metricsClient, table: 'no-such-table' } });
    const s = parseExposition(await m.text());
    expect(value(s, 'helmstep_metrics_audit_up', {})).toBe(0);
    expect(s.filter((x) => x.name.endsWith('_total'))).toEqual([]);
    expect(s.filter((x) => x.name === 'helm_release_info')).toHaveLength(3 + 2 + 12);
    expect(s.find((x) => x.name === 'helmstep_metrics_audit_last_read_timestamp_seconds')).toBeUndefined();
  });
});
