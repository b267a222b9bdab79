/**
 * Start-up of a read command as a process: `helmstep history -o json` (the bundle `npm run build`
 * makes) against `helm history -o json` (helm 4) on a 200-revision release (the records of
 * `npm run bench`) and on a 1-revision one, where start-up is nearly all of the time.
 * Medians of interleaved runs, so background load hits every contender alike. Measures and
 * prints; asserts nothing.
 *
 *   node --import tsx bench/startup.ts
 *
 * Environment:
 *   HELMSTEP_BENCH_KUBECONFIG  the running cluster (default: the one `npm run cluster:up` or the
 *                              test run started, ~/.cache/helmstep/run/cluster/admin.kubeconfig)
 *   HELMSTEP_STARTUP_CLI       an existing bundle to measure instead of building one for the run
 *   HELMSTEP_STARTUP_RUNS      timed runs per contender after one warmup (default 10)
 *   HELMSTEP_BENCH_REVISIONS   revisions of the long release (default 200)
 *   HELMSTEP_STARTUP_KEEP      1: keep the namespace and its releases (printed) for more measurements
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import { buildCli } from '../scripts/build.ts';
import { ensureHelm } from '../src/local/helm-binaries.ts';
import type { Release } from '../src/release/record.ts';
import { connect } from '../src/store/kube.ts';
import { historyRecords, renderBase } from './records.ts';
import { fmt, summarize, textTable, type Summary } from './stats.ts';

/** The goals of the start-up work: helmstep's median over helm 4's, per release. */
export const STARTUP_GOALS = { long: 1.0, short: 3.0 } as const;

function envInt(name: string, fallback: number): number {
  const n = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

function log(message: string): void {
  process.stderr.write(`startup: ${message}\n`);
}

interface Done {
  readonly ms: number;
  readonly stdout: string;
}

function timed(cmd: string, args: readonly string[]): Promise<Done> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ ms, stdout });
    });
  });
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

interface Contender {
  readonly id: string;
  readonly label: string;
  readonly cmd: string;
  readonly args: readonly string[];
}

export interface StartupRow {
  readonly id: string;
  readonly label: string;
  readonly ms: Summary;
}

export interface StartupComparison {
  readonly release: string;
  readonly revisions: number;
  readonly helmstepMs: number;
  readonly helmMs: number;
  readonly ratio: number;
  readonly goal: number;
  readonly holds: boolean;
  /** Whether helmstep printed byte for byte what helm printed. */
  readonly sameOutput: boolean;
}

export interface StartupResult {
  readonly cli: string;
  readonly runs: number;
  readonly rows: readonly StartupRow[];
  readonly comparisons: readonly StartupComparison[];
}

export async function runStartupBench(o: { kubeconfig: string; cli: string; helm4: string; long: string; short: string; namespace: string; revisions: number; runs: number }): Promise<StartupResult> {
  const history = (release: string) => ['history', release, '-n', o.namespace, '-o', 'json', '--kubeconfig', o.kubeconfig];
  const contenders: Contender[] = [
    { id: 'helmstep-long', label: `helmstep history, ${o.revisions} revisions`, cmd: process.execPath, args: [o.cli, ...history(o.long)] },
    { id: 'helm-long', label: `helm 4 history, ${o.revisions} revisions`, cmd: o.helm4, args: history(o.long) },
    { id: 'helmstep-short', label: 'helmstep history, 1 revision', cmd: process.execPath, args: [o.cli, ...history(o.short)] },
    { id: 'helm-short', label: 'helm 4 history, 1 revision', cmd: o.helm4, args: history(o.short) },
    { id: 'helmstep-help', label: 'reference: helmstep --help (start-up, no cluster)', cmd: process.execPath, args: [o.cli, '--help'] },
    { id: 'node', label: 'reference: node -e 0 (the floor of any node process)', cmd: process.execPath, args: ['-e', '0'] },
  ];
  const samples = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
  const outputs = new Map<string, string>();
  for (let round = 0; round <= o.runs; round++) {
    for (const c of contenders) {
      const done = await timed(c.cmd, c.args);
      if (round === 0) outputs.set(c.id, done.stdout); // the warmup round
      else samples.get(c.id)!.push(done.ms);
    }
    log(`round ${round}/${o.runs}${round === 0 ? ' (warmup)' : ''}`);
  }
  const rows = contenders.map((c) => ({ id: c.id, label: c.label, ms: summarize(samples.get(c.id)!) }));
  const median = (id: string) => rows.find((r) => r.id === id)!.ms.median;
  const compare = (which: 'long' | 'short', release: string, revisions: number): StartupComparison => {
    const [helmstepMs, helmMs] = [median(`helmstep-${which}`), median(`helm-${which}`)];
    const ratio = helmstepMs / helmMs;
    const goal = STARTUP_GOALS[which];
    return { release, revisions, helmstepMs, helmMs, ratio, goal, holds: ratio <= goal, sameOutput: outputs.get(`helmstep-${which}`) === outputs.get(`helm-${which}`) };
  };
  return { cli: o.cli, runs: o.runs, rows, comparisons: [compare('long', o.long, o.revisions), compare('short', o.short, 1)] };
}

export function formatStartup(r: StartupResult): string {
  const comparisons = textTable([
    ['release', 'helmstep ms', 'helm 4 ms', 'ratio', 'goal', 'holds', 'same output'],
    ...r.comparisons.map((c) => [`${c.revisions} revision${c.revisions === 1 ? '' : 's'}`, fmt(c.helmstepMs, 0), fmt(c.helmMs, 0), `${fmt(c.ratio, 2)}×`, `≤ ${fmt(c.goal, 1)}×`, c.holds ? 'yes' : 'NO', c.sameOutput ? 'yes' : 'NO']),
  ]);
  const rows = textTable([['process', 'median ms', 'min', 'max'], ...r.rows.map((x) => [x.label, fmt(x.ms.median, 0), fmt(x.ms.min, 0), fmt(x.ms.max, 0)])]);
  return `${comparisons}\n\n${rows}\n\n(${r.runs} interleaved runs each after one warmup; helmstep = node ${r.cli})\n`;
}

async function main(): Promise<void> {
  const kubeconfig =
    process.env.HELMSTEP_BENCH_KUBECONFIG ?? join(process.env.HELMSTEP_CACHE ?? join(homedir(), '.cache', 'helmstep'), 'run', 'cluster', 'admin.kubeconfig');
  if (!existsSync(kubeconfig)) throw new Error(`no cluster at ${kubeconfig}: start one (npm run cluster:up) or set HELMSTEP_BENCH_KUBECONFIG`);
  const runs = envInt('HELMSTEP_STARTUP_RUNS', 10);
  const revisions = envInt('HELMSTEP_BENCH_REVISIONS', 200);
  const helm4 = (await ensureHelm(4)).helm;

  const workdir = mkdtempSync(join(tmpdir(), 'helmstep-startup-'));
  let cli = process.env.HELMSTEP_STARTUP_CLI;
  if (!cli) {
    // Built for the run from the sources as they are, into a folder of its own.
    const t0 = performance.now();
    await buildCli(join(workdir, 'cli'));
    cli = join(workdir, 'cli', 'helmstep.mjs');
    log(`built ${cli} in ${Math.round(performance.now() - t0)} ms`);
  }

  const cluster = connect({ kubeconfig });
  const namespace = `helmstep-startup-${Date.now().toString(36)}`;
  await cluster.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
  try {
    const base = renderBase({ helm: helm4, kubeconfig, namespace, workdir }).release;
    const records: Release[] = [...historyRecords(base, 'web', namespace, revisions), ...historyRecords(base, 'one', namespace, 1)];
    const t0 = performance.now();
    await pool(records, 8, (r) => cluster.store.create(r, {}));
    log(`wrote ${records.length} records in ${namespace} in ${Math.round(performance.now() - t0)} ms`);

    const result = await runStartupBench({ kubeconfig, cli, helm4, long: 'web', short: 'one', namespace, revisions, runs });
    const [l1, l5, l15] = loadavg().map((x) => x.toFixed(2));
    process.stdout.write(`${formatStartup(result)}(load average at the end: ${l1} ${l5} ${l15})\n`);
  } finally {
    if (process.env.HELMSTEP_STARTUP_KEEP === '1') log(`kept namespace ${namespace} (releases web and one)`);
    else await cluster.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    rmSync(workdir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
