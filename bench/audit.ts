/**
 * A release's full history read from the audit log against `helm history` of the cluster,
 * process against process: 1,000 revisions (the history bench's realistic records, 20–60 KB
 * manifests) written to the cluster as helm's Secrets and copied into the audit log by the
 * reconciler; then, in interleaved rounds, `helm history NAME --max 1000 -o json` (helm 4) and
 * `helmstep audit history NAME --all-pages -o json` (the `npm run build` bundle) against a
 * dynalite holding the log (HELMSTEP_DYNAMODB_ENDPOINT). Goal: helmstep ≤ 0.1× helm's median.
 * A reference row reads the same log from a local state on disk (no endpoint: the CLI starts
 * dynalite on LevelDB in its own process, as a plain `helmstep audit` does).
 * Both must print 1,000 rows (asserted). Measures and prints; asserts only the row counts.
 *
 *   node --import tsx bench/audit.ts        # writes bench/results/audit.md and audit.json
 *
 * Environment:
 *   HELMSTEP_BENCH_KUBECONFIG   the running cluster (default: the one `npm run cluster:up` or a
 *                               test run started, ~/.cache/helmstep/run/cluster/admin.kubeconfig)
 *   HELMSTEP_AUDIT_CLI          an existing bundle to run, e.g. dist/cli/helmstep.mjs (default: build one into dist/audit-bench/ for the run)
 *   HELMSTEP_AUDIT_RUNS         timed rounds after one warmup (default 10)
 *   HELMSTEP_AUDIT_REVISIONS    revisions of the release (default 1000)
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { BatchWriteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';

import { buildCli } from '../scripts/build.ts';
import { AuditQueries } from '../src/audit/queries.ts';
import { reconcile } from '../src/audit/reconcile.ts';
import { AuditStore } from '../src/audit/store.ts';
import { ensureHelm } from '../src/local/helm-binaries.ts';
import { startDynalite } from '../src/local/dynalite.ts';
import { openLocalServices } from '../src/local/state.ts';
import { connect } from '../src/store/kube.ts';
import { historyRecords, renderBase } from './records.ts';
import { fmt, mdTable, summarize, textTable } from './stats.ts';

export const AUDIT_GOAL = 0.1;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
// Two folders below the repository, as dist/cli is: the bundle finds node_modules (dynalite stays outside it).
const BUILD_DIR = fileURLToPath(new URL('../dist/audit-bench/', import.meta.url));
const CLUSTER = 'bench';

export interface AuditBenchOptions {
  readonly kubeconfig: string;
  readonly helm4: string;
  /** The bundled CLI (dist/cli/helmstep.mjs after npm run build); built into dist/audit-bench/ for the run when absent. */
  readonly cli?: string;
  readonly revisions?: number;
  readonly runs?: number;
  readonly log?: (line: string) => void;
}

interface Row {
  readonly id: string;
  readonly label: string;
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
  readonly rows: number;
}

function p90(samples: readonly number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)]!;
}

function timed(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(cmd, args, { env, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ ms, stdout });
    });
  });
}

/** Copies every item of a table (Scan, BatchWriteItem) into the same-named table of another DynamoDB; returns the count. */
async function copyTable(from: DynamoDBClient, to: DynamoDBClient, table: string): Promise<number> {
  let n = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await from.send(new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }));
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      let pending: Record<string, WriteRequest[]> | undefined = { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
      while (pending && Object.keys(pending).length > 0) pending = (await to.send(new BatchWriteItemCommand({ RequestItems: pending }))).UnprocessedItems;
    }
    n += items.length;
    start = page.LastEvaluatedKey;
  } while (start);
  return n;
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function auditBench(opts: AuditBenchOptions): Promise<{ markdown: string; json: unknown }> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`audit bench: ${l}\n`));
  const revisions = opts.revisions ?? 1000;
  const runs = opts.runs ?? 10;
  const workdir = mkdtempSync(join(tmpdir(), 'helmstep-audit-bench-'));
  const cluster = connect({ kubeconfig: opts.kubeconfig });
  const namespace = `helmstep-audit-bench-${Date.now().toString(36)}`;
  const db = await startDynalite();
  try {
    let cli = opts.cli;
    if (!cli) {
      const t0 = performance.now();
      await buildCli(BUILD_DIR);
      cli = join(BUILD_DIR, 'helmstep.mjs');
      log(`built ${cli} in ${Math.round(performance.now() - t0)} ms`);
    }
    await cluster.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    const base = renderBase({ helm: opts.helm4, kubeconfig: opts.kubeconfig, namespace, workdir }).release;
    const records = historyRecords(base, 'web', namespace, revisions);
    let t0 = performance.now();
    await pool(records, 8, (r) => cluster.store.create(r, {}));
    const writeMs = performance.now() - t0;
    log(`wrote ${revisions} revisions of ${namespace}/web to the cluster in ${(writeMs / 1000).toFixed(1)} s`);

    // The log the CLI reads: the local state's tables on this dynalite, filled by the reconciler.
    const env = { ...process.env, KUBECONFIG: opts.kubeconfig, HELMSTEP_DYNAMODB_ENDPOINT: db.endpoint, HELMSTEP_STATE_DIR: join(workdir, 'state'), HELMSTEP_CLUSTER_NAME: CLUSTER };
    const services = await openLocalServices(env);
    t0 = performance.now();
    const report = await reconcile(
      {
        store: cluster.store,
        audit: new AuditStore({ client: services.dynamo, tableName: services.tables.audit, objects: services.objects }),
        queries: new AuditQueries({ client: services.dynamo, tableName: services.tables.audit }),
        cluster: CLUSTER,
        historyMax: 0,
      },
      { release: { namespace, name: 'web' } },
    );
    const reconcileMs = performance.now() - t0;
    const copied = report.releases[0]?.copied.length ?? 0;
    if (copied !== revisions) throw new Error(`the reconciler copied ${copied} revisions, expected ${revisions}`);
    log(`the reconciler copied ${copied} revisions into the audit log in ${(reconcileMs / 1000).toFixed(1)} s`);
    // The same log in a local state on disk (no endpoint: the CLI opens dynalite in its own process).
    const diskEnv = { ...env, HELMSTEP_STATE_DIR: join(workdir, 'disk') } as NodeJS.ProcessEnv;
    delete diskEnv.HELMSTEP_DYNAMODB_ENDPOINT;
    const disk = await openLocalServices(diskEnv);
    const diskItems = await copyTable(services.dynamo, disk.dynamo, services.tables.audit);
    await disk.close();
    await services.close();
    log(`copied the log's ${diskItems} items into a local state on disk`);

    const contenders = [
      { id: 'helm', label: `helm 4 history web --max ${revisions} -o json (cluster Secrets)`, cmd: opts.helm4, args: ['history', 'web', '-n', namespace, '--max', String(revisions), '-o', 'json', '--kubeconfig', opts.kubeconfig] },
      { id: 'helmstep-audit', label: 'helmstep audit history web --all-pages -o json (audit log)', cmd: process.execPath, args: [cli, 'audit', 'history', 'web', '-n', namespace, '--all-pages', '-o', 'json'] },
      { id: 'helmstep-audit-table', label: 'helmstep audit history web --all-pages (table)', cmd: process.execPath, args: [cli, 'audit', 'history', 'web', '-n', namespace, '--all-pages'] },
      { id: 'helmstep-audit-disk', label: 'reference: the same, -o json, local state on disk (dynalite in the CLI process)', cmd: process.execPath, args: [cli, 'audit', 'history', 'web', '-n', namespace, '--all-pages', '-o', 'json'], env: diskEnv },
      { id: 'node', label: 'reference: node -e 0 (the floor of any node process)', cmd: process.execPath, args: ['-e', '0'] },
    ];
    const samples = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
    const rowCounts = new Map<string, number>();
    for (let round = 0; round <= runs; round++) {
      for (const c of contenders) {
        const done = await timed(c.cmd, c.args, c.env ?? env);
        if (round === 0) {
          if (c.id === 'helm' || c.id === 'helmstep-audit' || c.id === 'helmstep-audit-disk') rowCounts.set(c.id, (JSON.parse(done.stdout) as unknown[]).length);
          if (c.id === 'helmstep-audit-table') rowCounts.set(c.id, done.stdout.trimEnd().split('\n').length - 1);
        } else samples.get(c.id)!.push(done.ms);
      }
      log(`round ${round}/${runs}${round === 0 ? ' (warmup)' : ''}`);
    }
    for (const [id, n] of rowCounts) {
      if (n !== revisions) throw new Error(`${id} printed ${n} rows, expected ${revisions}`);
    }
    const rows: Row[] = contenders.map((c) => {
      const s = samples.get(c.id)!;
      const sum = summarize(s);
      return { id: c.id, label: c.label, median: sum.median, p90: p90(s), min: sum.min, max: sum.max, rows: rowCounts.get(c.id) ?? 0 };
    });
    const helm = rows.find((r) => r.id === 'helm')!;
    const ours = rows.find((r) => r.id === 'helmstep-audit')!;
    const ratio = ours.median / helm.median;
    const result = {
      revisions,
      runs,
      cli,
      writeMs,
      reconcileMs,
      goal: AUDIT_GOAL,
      ratio,
      ratioP90: ours.p90 / helm.p90,
      holds: ratio <= AUDIT_GOAL,
      rows,
      loadavg: loadavg(),
    };
    const markdown = [
      `### Audit history: ${revisions} revisions, audit log vs helm history`,
      '',
      mdTable(
        ['process', 'median ms', 'p90 ms', 'min', 'max', 'rows'],
        rows.map((r) => [r.label, fmt(r.median, 0), fmt(r.p90, 0), fmt(r.min, 0), fmt(r.max, 0), r.rows ? String(r.rows) : '']),
      ),
      '',
      `helmstep audit history / helm history: **${fmt(ratio, 3)}×** median (p90 ${fmt(result.ratioP90, 3)}×); goal ≤ ${AUDIT_GOAL}× — ${result.holds ? 'holds' : 'NOT met'}.`,
      `(${runs} interleaved rounds after one warmup; the log is dynalite in memory on this machine, reached over HTTP (the disk row: a local state the CLI opens itself); ` +
        `writing ${revisions} Secrets took ${fmt(writeMs / 1000, 1)} s, the reconciler's copy of all of them ${fmt(reconcileMs / 1000, 1)} s; ` +
        `load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')})`,
      '',
    ].join('\n');
    log(`\n${textTable([['process', 'median ms', 'p90 ms'], ...rows.map((r) => [r.label, fmt(r.median, 0), fmt(r.p90, 0)])])}`);
    return { markdown, json: result };
  } finally {
    await cluster.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    await db.close();
    rmSync(workdir, { recursive: true, force: true });
    if (!opts.cli) rmSync(BUILD_DIR, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const kubeconfig =
    process.env.HELMSTEP_BENCH_KUBECONFIG ?? join(process.env.HELMSTEP_CACHE ?? join(homedir(), '.cache', 'helmstep'), 'run', 'cluster', 'admin.kubeconfig');
  if (!existsSync(kubeconfig)) throw new Error(`no cluster at ${kubeconfig}: start one (npm run cluster:up) or set HELMSTEP_BENCH_KUBECONFIG`);
  const int = (name: string, fallback: number) => {
    const n = Number.parseInt(process.env[name] ?? '', 10);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  const { markdown, json } = await auditBench({
    kubeconfig,
    helm4: (await ensureHelm(4)).helm,
    ...(process.env.HELMSTEP_AUDIT_CLI ? { cli: process.env.HELMSTEP_AUDIT_CLI } : {}),
    revisions: int('HELMSTEP_AUDIT_REVISIONS', 1000),
    runs: int('HELMSTEP_AUDIT_RUNS', 10),
  });
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'audit.md'), markdown);
  writeFileSync(join(RESULTS, 'audit.json'), `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(markdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
