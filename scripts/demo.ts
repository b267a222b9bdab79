/**
 * `npm run demo` - the embedded default, end to end on real parts: a local Kubernetes control
 * plane (built and cached on first run), the real helm 4 binary, a real Prometheus scraping a
 * small exporter whose error rate the demo sets, and helmstep's deploy and rollback state
 * machines (the ASL files CDK deploys) run by the local Step Functions engine, with the lease
 * table and the audit log in dynalite.
 *
 * The seed's story of a release (each part says in one line what it shows):
 *   1. install v1 and wait until it is ready;
 *   2. upgrade to v2: backup hook, apply, readiness, the gate (Prometheus error rate through a
 *      bake time, and the chart's test hooks) passes, then the migration hook runs;
 *   3. upgrade to v3 with a crash-looping image: the gate's readiness check fails, the state
 *      machine rolls back to the last good revision by itself;
 *   4. upgrade to v4: it becomes ready, but its error rate rises during the bake: the Prometheus
 *      check fails and the release is rolled back;
 *   5. a rollback to revision 1 is planned, then refused: a migration ran since (fix forward);
 *   6. the rollback is forced, and the override is recorded in the revision's description;
 *   7. `helmstep history` beside the real `helm history`, and the executions the audit log holds.
 * Pass `--keep` to leave the control plane running (stop it with the kill line it prints).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../src/local/controlplane/start.ts';
import { startExporter } from '../src/local/exporter.ts';
import { ensureHelm } from '../src/local/helm-binaries.ts';
import { ensurePrometheusBinary, startPrometheus } from '../src/local/prometheus.ts';
import { openLocalServices } from '../src/local/state.ts';
import { AuditQueries } from '../src/audit/queries.ts';
import type { AuditEvent } from '../src/audit/events.ts';

// The AWS SDK's notice that its 2027 releases need Node 22 is for the maintainer (see the README).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const chart = fileURLToPath(new URL('../test/fixtures/charts/webapp', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const keep = process.argv.includes('--keep');
const CLUSTER = 'demo';

function part(title: string): void {
  console.log(`\n=== ${title}`);
}

type Env = Record<string, string | undefined>;

/** Runs a command, its output shown as it comes; `onLine` sees each stderr line. Resolves with the exit code. */
function run(env: Env, label: string, bin: string, args: string[], onLine?: (line: string) => void): Promise<number> {
  console.log(`$ ${label} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, label === 'helmstep' ? ['--import', 'tsx', cli, ...args] : args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    child.stdout.on('data', (d: Buffer) => process.stdout.write(d));
    child.stderr.on('data', (d: Buffer) => {
      process.stdout.write(d);
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) onLine?.(l);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** One line per execution the audit log recorded for the release: who started it, what it ran, how it ended. */
async function executions(env: Env, namespace: string, name: string): Promise<string[]> {
  const services = await openLocalServices(env);
  try {
    const queries = new AuditQueries({ client: services.dynamo, tableName: services.tables.audit });
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await queries.releaseEvents({ cluster: CLUSTER, namespace, name }, { limit: 200, ...(cursor ? { cursor } : {}) });
      events.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    const byExecution = new Map<string, AuditEvent[]>();
    for (const e of events) byExecution.set(e.executionId, [...(byExecution.get(e.executionId) ?? []), e]);
    const verdict = await queries.verify({ cluster: CLUSTER, namespace, name });
    const lines = [...byExecution.entries()].map(([id, es]) => {
      const machine = es.some((e) => e.step === 'Rollback') ? 'rollback' : 'deploy';
      const last = es.at(-1)!;
      // What made it fail: the first state that failed or ran out of time (a readiness wait times out).
      const cause = es.find((e) => (e.outcome === 'failed' || e.outcome === 'timed-out') && e.step !== 'FailRelease');
      const end =
        last.step === 'Finalize' && last.outcome === 'succeeded'
          ? 'SUCCEEDED'
          : last.outcome === 'rolled-back'
            ? `FAILED and rolled back (${cause ? `${cause.step} ${cause.outcome === 'timed-out' ? 'timed out' : 'failed'}` : `${last.step} failed`})`
            : `FAILED (${es.find((e) => e.error)?.error?.reason ?? last.step})`;
      const revisions = [...new Set(es.flatMap((e) => (e.toRevision ? [e.toRevision] : [])))].join(', ');
      return `${id}  ${machine.padEnd(8)} by ${es[0]!.actor}  states ${es.length}  revisions ${revisions || '-'}  ${end}`;
    });
    lines.push(`audit log: ${events.length} events, hash chain ${verdict.ok ? 'intact' : `BROKEN: ${JSON.stringify(verdict)}`}`);
    return lines;
  } finally {
    await services.close();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'helmstep-demo-'));
  const [helm4, plane] = await Promise.all([ensureHelm(4), startControlPlane({ dir, detached: keep }), ensurePrometheusBinary()]);
  const exporter = await startExporter({ app: 'webapp', requestRate: 20, errorRate: 0 });
  const prom = await startPrometheus({ dir: join(dir, 'prometheus'), scrapeTargets: [exporter.target], scrapeIntervalSeconds: 1 });
  const env: Env = {
    ...process.env,
    KUBECONFIG: plane.kubeconfig,
    HELMSTEP_HELM: helm4.helm,
    HELMSTEP_STATE_DIR: join(dir, 'state'),
    HELMSTEP_CLUSTER_NAME: CLUSTER,
    HELMSTEP_PROMETHEUS_URL: prom.url,
    HELM_CONFIG_HOME: join(dir, 'helm'),
    HELM_CACHE_HOME: join(dir, 'helm'),
    HELM_DATA_HOME: join(dir, 'helm'),
  };
  const must = async (code: Promise<number>, what: string) => {
    if ((await code) !== 0) throw new Error(`${what} failed`);
  };
  const helmstep = (args: string[], onLine?: (line: string) => void) => run(env, 'helmstep', process.execPath, args, onLine);
  const ns = ['-n', 'demo'];
  const errorRate = 'error-rate=sum(rate(http_errors_total{app="webapp"}[5s]))<0.5';
  try {
    await must(run(env, 'kubectl', helm4.kubectl, ['create', 'namespace', 'demo']), 'kubectl create namespace');

    part('1. helmstep installs v1 through the deploy state machine and waits until it is ready');
    await must(helmstep(['install', 'web', chart, ...ns, '--set', 'message=v1', '--wait', '--timeout', '2m']), 'install');

    part('2. v2: backup hook, apply, readiness; the gate (error rate < 0.5/s through a 10 s bake, and the test hooks) passes; then the migration');
    await must(
      helmstep(['upgrade', 'web', chart, ...ns, '--set', 'message=v2,migration.enabled=true,tests.enabled=true', '--wait', '--gate-prometheus', errorRate, '--bake', '10s', '--gate-interval', '2s', '--gate-tests']),
      'upgrade to v2',
    );

    part('3. v3 has a crash-looping image: the gate’s readiness check fails and the state machine rolls back to v2 by itself');
    await helmstep(['upgrade', 'web', chart, ...ns, '--set', 'message=v3,podBehaviour=crashloop', '--wait', '--timeout', '15s']);

    part('4. v4 becomes ready, but its error rate rises during the bake: the Prometheus check fails and v4 is rolled back');
    let raised = false;
    await helmstep(['upgrade', 'web', chart, ...ns, '--set', 'message=v4', '--wait', '--gate-prometheus', errorRate, '--bake', '30s', '--gate-interval', '2s'], (line) => {
      if (!raised && /… HealthGate: .*bake/.test(line)) {
        raised = true;
        console.log('demo: the exporter now answers 5 errors per second');
        exporter.setErrorRate(5);
      }
    });
    exporter.setErrorRate(0);

    part('5. a rollback to revision 1 is planned, then refused: a migration ran since (fix forward instead)');
    await must(helmstep(['rollback', 'web', '1', ...ns, '--dry-run']), 'rollback --dry-run');
    await helmstep(['rollback', 'web', '1', ...ns]);

    part('6. the rollback is forced; the override is recorded in the revision');
    await must(helmstep(['rollback', 'web', '1', ...ns, '--force', '--wait']), 'forced rollback');

    part('7. helmstep history beside the real helm history of the same release, and the executions in the audit log');
    await must(helmstep(['history', 'web', ...ns]), 'history');
    await must(run(env, 'helm', helm4.helm, ['history', 'web', ...ns]), 'helm history');
    console.log('\nstate machine executions (from the audit log):');
    for (const line of await executions(env, 'demo', 'web')) console.log(`  ${line}`);
    console.log(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (keep) console.log(`\ncontrol plane left running: export KUBECONFIG=${plane.kubeconfig}\nstop it with: kill ${Object.values(plane.pids).join(' ')}`);
  } finally {
    await prom.stop();
    await exporter.close();
    if (!keep) {
      await plane.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(`helmstep demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
