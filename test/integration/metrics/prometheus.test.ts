/**
 * The exporter behind a real HTTP endpoint, scraped every second by the real Prometheus (built
 * from its Go module, src/local/prometheus.ts) with the rules file loaded: an automatic rollback
 * through the deploy state machine raises HelmRollbackExecuted in Prometheus' own ALERTS.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore, createAuditTable } from '../../../src/audit/index.ts';
import { queryPrometheus } from '../../../src/gate/prometheus.ts';
import { startPrometheus, type LocalPrometheus } from '../../../src/local/prometheus.ts';
import { createMetrics, RULES_FILE, type Metrics } from '../../../src/metrics/index.ts';
import { auditRecorder } from '../../../src/orchestration/audit.ts';
import { useNamespace, webappChart } from '../../harness/cluster.ts';
import { engineDeps } from '../engine/harness.ts';
import { CLUSTER, failure, orchestrationDeps, runDeploy, succeeded, useLeaseDb } from '../orchestration/harness.ts';

const AUDIT_TABLE = 'helmstep-audit';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET /metrics as `helmstep serve` mounts it: the exposition, or 503 with the error's message. */
function serveMetrics(metrics: Metrics): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: unknown) => res.writeHead(503, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.message : String(err)),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await fn();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

describe('the rules in a real Prometheus scraping /metrics', () => {
  const ns = useNamespace('metrics-prom');
  const leases = useLeaseDb();
  let dir = '';
  let server: Server | undefined;
  let prom: LocalPrometheus | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'helmstep-metrics-prom-'));
    await createAuditTable(leases.client, AUDIT_TABLE);
    const metrics = createMetrics({ releases: engineDeps().store, audit: { dynamo: leases.newClient(), table: AUDIT_TABLE }, cluster: CLUSTER, namespace: ns.name });
    server = await serveMetrics(metrics);
    const { port } = server.address() as AddressInfo;
    prom = await startPrometheus({ dir, scrapeTargets: [`127.0.0.1:${port}`], scrapeIntervalSeconds: 1, ruleFiles: [RULES_FILE] });
  }, 30 * 60_000);

  afterAll(async () => {
    await prom?.stop();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an automatic rollback fires HelmRollbackExecuted (and HelmRollback); the rolled-back failed revision does not fire HelmReleaseFailed', async () => {
    const url = prom!.url;
    const engine = engineDeps();
    const deps = { ...orchestrationDeps(leases.store(), { engine }), audit: auditRecorder(new AuditStore({ client: leases.client, tableName: AUDIT_TABLE }), engine.store, CLUSTER) };
    succeeded(await runDeploy(deps, ns.name, 'web', webappChart, { set: ['message=v1'] }));
    const counter = `helm_release_rollback_total{namespace="${ns.name}",name="web"}`;
    // Prometheus has the counter at 0 before the rollback: increase() needs the earlier sample.
    await until('the counter at 0 in Prometheus', async () => ((await queryPrometheus(url, counter, new Date()))[0]?.value === 0 ? true : undefined));
    await sleep(2000);

    const run = await runDeploy(deps, ns.name, 'web', webappChart, { set: ['message=v2', 'podBehaviour=crashloop'], timeoutSeconds: 4 });
    expect(failure(run).cause).toMatchObject({ state: 'HealthGate', rolledBackTo: 1 });

    const firing = await until('HelmRollbackExecuted firing', async () => {
      const s = await queryPrometheus(url, `ALERTS{alertname=~"HelmRollback|HelmRollbackExecuted",alertstate="firing",namespace="${ns.name}"}`, new Date());
      return s.length === 2 ? s : undefined;
    });
    expect(firing.map((s) => [s.labels.alertname, s.labels.name, s.labels.severity]).sort()).toEqual([
      ['HelmRollback', 'web', 'warning'],
      ['HelmRollbackExecuted', 'web', 'warning'],
    ]);
    // Revision 2 failed but was rolled back: the newest record is deployed, nothing is failing.
    expect((await queryPrometheus(url, `helm_release_info{namespace="${ns.name}",status="failed"}`, new Date())).map((s) => [s.labels.revision, s.value])).toEqual([['2', 0]]);
    expect(await queryPrometheus(url, `ALERTS{alertname="HelmReleaseFailed",namespace="${ns.name}"}`, new Date())).toEqual([]);
    // The article's dashboard queries answer.
    expect((await queryPrometheus(url, `count(helm_release_info{owner="helm",namespace="${ns.name}"}) by (name)`, new Date()))[0]?.value).toBe(3);
    const age = (await queryPrometheus(url, `time() - helm_release_last_deployed_timestamp{namespace="${ns.name}"}`, new Date()))[0]?.value;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(120);
  });
});
