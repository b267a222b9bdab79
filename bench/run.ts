/**
 * `npm run bench`: codec throughput over realistic release records, and history read time for a
 * release with 200 revisions (helmstep against the real `helm history`, helm 4 and helm 3, on the
 * same control plane in the same run). Writes bench/results/latest.json and latest.md and prints
 * a summary. Measures only; asserts nothing.
 *
 * Environment:
 *   HELMSTEP_BENCH_KUBECONFIG   use this running cluster instead of starting a fresh control plane
 *                               (it is not stopped; the bench namespace is deleted at the end)
 *   HELMSTEP_BENCH_RECORDS      codec corpus size (default 1000)
 *   HELMSTEP_BENCH_ITERATIONS   codec iterations after one warmup (default 5)
 *   HELMSTEP_BENCH_REVISIONS    revisions in the history release (default 200)
 *   HELMSTEP_BENCH_RUNS         timed history reads per contender after two warmups (default 10)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release as osRelease, arch, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureHelm } from '../src/local/helm-binaries.ts';
import { startControlPlane, type ControlPlane } from '../src/local/controlplane/start.ts';
import { connect } from '../src/store/kube.ts';
import { runCodecBench, type CodecResult } from './codec.ts';
import { runHistoryBench, REPO, type HistoryResult } from './history.ts';
import { corpus, historyRecords, renderBase } from './records.ts';
import { fmt, mdTable, textTable } from './stats.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
/** decodeRelease counts as "close to the floor" within this ratio of gunzip + JSON.parse. */
const DECODE_CLOSE = 1.25;

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  const n = v ? Number.parseInt(v, 10) : NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

interface Goals {
  readonly historyNoSlowerThanHelm: {
    readonly holds: boolean;
    readonly helmstepMedianMs: number;
    readonly helm4MedianMs: number;
    readonly helm3MedianMs: number;
    readonly cli?: { readonly holds: boolean; readonly medianMs: number };
  };
  readonly decodeCloseToFloor: { readonly holds: boolean; readonly ratio: number; readonly threshold: number };
}

interface Results {
  readonly date: string;
  readonly command: string;
  readonly machine: Record<string, unknown>;
  readonly repo: { readonly commit: string; readonly dirty: boolean };
  readonly cluster: string;
  readonly helm: { readonly helm4: string; readonly helm3: string };
  readonly source: { readonly renderedWith: string; readonly baseRecordJsonBytes: number; readonly baseManifestBytes: number; readonly chartFiles: number };
  readonly codec: CodecResult;
  readonly history: HistoryResult;
  readonly goals: Goals;
  readonly durationSeconds: number;
  readonly loadAverageAtEnd: number[];
}

async function main(): Promise<void> {
  const started = Date.now();
  const date = new Date().toISOString();
  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    availableParallelism: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    platform: `${platform()} ${osRelease()} ${arch()}`,
  };
  const records = envInt('HELMSTEP_BENCH_RECORDS', 1000);
  const iterations = envInt('HELMSTEP_BENCH_ITERATIONS', 5);
  const revisions = envInt('HELMSTEP_BENCH_REVISIONS', 200);
  const runs = envInt('HELMSTEP_BENCH_RUNS', 10);

  const [h4, h3] = [await ensureHelm(4), await ensureHelm(3)];
  const helmVersion = (bin: string) => execFileSync(bin, ['version', '--short'], { encoding: 'utf8' }).trim();

  const external = process.env.HELMSTEP_BENCH_KUBECONFIG;
  let plane: ControlPlane | undefined;
  let cpDir: string | undefined;
  let kubeconfig: string;
  if (external) {
    kubeconfig = external;
    log(`using the running cluster in ${external}`);
  } else {
    cpDir = mkdtempSync(join(tmpdir(), 'helmstep-bench-cp-'));
    log(`starting a fresh control plane in ${cpDir}`);
    plane = await startControlPlane({ dir: cpDir });
    kubeconfig = plane.kubeconfig;
  }

  const workdir = mkdtempSync(join(tmpdir(), 'helmstep-bench-'));
  const namespace = `helmstep-bench-${Date.now().toString(36)}`;
  const cluster = connect({ kubeconfig });
  let nsCreated = false;
  try {
    await cluster.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    nsCreated = true;

    const base = renderBase({ helm: h4.helm, kubeconfig, namespace, workdir });
    log(`rendered the base record with ${base.helmVersion}: ${base.jsonBytes} B JSON, ${base.manifestBytes} B manifest, ${base.templates} chart files`);

    log(`generating ${records} codec records`);
    const codec = runCodecBench(corpus(base.release, records), iterations, 3);

    log(`history: ${revisions} revisions in namespace ${namespace}`);
    const history = await runHistoryBench({
      kubeconfig,
      namespace,
      release: 'webapp',
      records: historyRecords(base.release, 'webapp', namespace, revisions),
      helm4: h4.helm,
      helm3: h3.helm,
      runs,
      warmup: 2,
    });

    const med = (id: string) => history.contenders.find((c) => c.id === id)?.ms.median ?? NaN;
    const ours = med('helmstep-inprocess');
    const cliMs = med('helmstep-cli');
    const goals: Goals = {
      historyNoSlowerThanHelm: {
        holds: ours <= med('helm4') && ours <= med('helm3'),
        helmstepMedianMs: ours,
        helm4MedianMs: med('helm4'),
        helm3MedianMs: med('helm3'),
        ...(history.cli === 'measured' ? { cli: { holds: cliMs <= med('helm4') && cliMs <= med('helm3'), medianMs: cliMs } } : {}),
      },
      decodeCloseToFloor: { holds: codec.decodeVsFloor <= DECODE_CLOSE, ratio: codec.decodeVsFloor, threshold: DECODE_CLOSE },
    };

    const results: Results = {
      date,
      command: external ? 'HELMSTEP_BENCH_KUBECONFIG=<admin.kubeconfig> npm run bench' : 'npm run bench',
      machine,
      repo: { commit: git(['rev-parse', '--short', 'HEAD']), dirty: git(['status', '--porcelain', '--', 'src']) !== '' },
      cluster: external ? 'existing control plane (HELMSTEP_BENCH_KUBECONFIG)' : 'fresh local control plane (startControlPlane)',
      helm: { helm4: helmVersion(h4.helm), helm3: helmVersion(h3.helm) },
      source: {
        renderedWith: `${base.helmVersion} upgrade --install --dry-run=client -o json (fixture chart + 4 bench templates)`,
        baseRecordJsonBytes: base.jsonBytes,
        baseManifestBytes: base.manifestBytes,
        chartFiles: base.templates,
      },
      codec,
      history,
      goals,
      durationSeconds: Math.round((Date.now() - started) / 100) / 10,
      loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    };
    write(results);
  } finally {
    if (nsCreated) {
      try {
        await cluster.core.deleteNamespace({ name: namespace });
        log(`deleted namespace ${namespace}`);
      } catch (err) {
        log(`could not delete namespace ${namespace}: ${String(err)}`);
      }
    }
    rmSync(workdir, { recursive: true, force: true });
    if (plane) {
      await plane.stop();
      log('stopped the control plane');
    }
    if (cpDir) rmSync(cpDir, { recursive: true, force: true });
  }
}

function write(r: Results): void {
  mkdirSync(RESULTS, { recursive: true });
  const json = JSON.stringify(r, null, 2) + '\n';
  const md = markdown(r);
  for (const [name, text] of [
    ['latest.json', json],
    ['latest.md', md],
  ] as const) {
    writeFileSync(join(RESULTS, `${name}.tmp`), text);
    renameSync(join(RESULTS, `${name}.tmp`), join(RESULTS, name));
  }
  console.log(summary(r));
  console.log(`\nwrote bench/results/latest.json and bench/results/latest.md (${r.durationSeconds} s)`);
}

function codecRows(r: Results): string[][] {
  return r.codec.cases.map((c) => [
    c.label,
    fmt(c.ms.median, 0),
    `${fmt(c.ms.min, 0)}–${fmt(c.ms.max, 0)}`,
    fmt(c.jsonMBps.median),
    fmt(c.encodedMBps.median),
    `${fmt(c.ms.spread * 100, 0)}%`,
  ]);
}

function historyRowsOf(r: Results): string[][] {
  return r.history.contenders.map((c) => [c.label, fmt(c.ms.median), fmt(c.ms.min), fmt(c.ms.max), String(c.ms.n)]);
}

function verdicts(r: Results): string[] {
  const g = r.goals;
  const h = g.historyNoSlowerThanHelm;
  const lines = [
    `history read no slower than helm history: ${h.holds ? 'HOLDS' : 'DOES NOT HOLD'} ` +
      `(helmstep in-process ${fmt(h.helmstepMedianMs)} ms vs helm 4 ${fmt(h.helm4MedianMs)} ms, helm 3 ${fmt(h.helm3MedianMs)} ms, medians)`,
  ];
  if (h.cli) {
    lines.push(
      `  as a CLI process: ${h.cli.holds ? 'HOLDS' : 'DOES NOT HOLD'} (helmstep CLI ${fmt(h.cli.medianMs)} ms)`,
    );
  } else {
    lines.push('  as a CLI process: not measured (src/cli/main.ts absent)');
  }
  lines.push(
    `decode close to gunzip + JSON.parse (≤ ${g.decodeCloseToFloor.threshold}×): ${g.decodeCloseToFloor.holds ? 'HOLDS' : 'DOES NOT HOLD'} ` +
      `(decodeRelease ÷ floor = ${fmt(g.decodeCloseToFloor.ratio, 2)}; store path incl. the API's base64 layer ÷ floor = ${fmt(r.codec.storeDecodeVsFloor, 2)})`,
  );
  return lines;
}

function agreementLines(r: Results): string[] {
  return r.history.agreement.map(
    (a) =>
      `${a.agree ? 'agree' : 'DIFFER'}: ${a.ours} vs ${a.against}: ${a.rows}/${a.expected} rows` +
      (a.agree ? ' identical (revision, updated, status, chart, app_version, description)' : `\n    ${a.mismatches.join('\n    ')}`),
  );
}

function summary(r: Results): string {
  const c = r.codec;
  return [
    '',
    `helmstep bench — ${r.date} — ${r.machine.cpuModel as string} × ${r.machine.cores as number}, node ${r.machine.node as string}`,
    '',
    `Codec: ${c.records} records, ${fmt(c.jsonBytes / 1e6)} MB JSON → ${fmt(c.encodedBytes / 1e6)} MB base64 (gzip ${fmt(c.compressionRatio, 1)}×), ` +
      `manifests ${fmt(c.manifestBytes.min / 1000)}–${fmt(c.manifestBytes.max / 1000)} KB; median of ${c.iterations} full passes after ${c.warmup} warmup rounds on a tenth of it`,
    textTable([['', 'median ms', 'min–max ms', 'MB/s JSON', 'MB/s encoded', 'spread'], ...codecRows(r)]),
    '',
    `History: ${r.history.revisions} revisions (${fmt(r.history.encodedBytes / 1e6, 2)} MB of records), up to ${r.history.runs} runs after ${r.history.warmup} warmups, interleaved`,
    textTable([['', 'median ms', 'min ms', 'max ms', 'runs'], ...historyRowsOf(r)]),
    '',
    ...agreementLines(r),
    '',
    ...verdicts(r),
  ].join('\n');
}

function markdown(r: Results): string {
  const c = r.codec;
  const m = r.machine;
  return [
    '# helmstep benchmarks',
    '',
    `- Date: ${r.date}`,
    `- Machine: ${m.cpuModel as string}, ${m.cores as number} cores, ${m.memoryGiB as number} GiB, ${m.platform as string}; load average ${(m.loadAverageAtStart as number[]).join(' ')} at start, ${r.loadAverageAtEnd.join(' ')} at end`,
    `- Node.js: ${m.node as string}; helm: ${r.helm.helm4}, ${r.helm.helm3}`,
    `- Repo: ${r.repo.commit}${r.repo.dirty ? ' (src/ had uncommitted changes)' : ''}; cluster: ${r.cluster}`,
    `- Reproduce: \`${r.command}\` (took ${r.durationSeconds} s)`,
    '',
    '## Verdicts',
    '',
    ...verdicts(r).map((l) => (l.startsWith('  ') ? `  - ${l.trim()}` : `- ${l}`)),
    '',
    '## Codec throughput',
    '',
    `${c.records} records varied from one rendered by ${r.source.renderedWith}: ` +
      `${r.source.chartFiles} chart files, 3 hooks, manifests ${c.manifestBytes.min}–${c.manifestBytes.max} B (mean ${c.manifestBytes.mean}), ` +
      `record JSON ${c.recordJsonBytes.min}–${c.recordJsonBytes.max} B (mean ${c.recordJsonBytes.mean}). ` +
      `Total ${fmt(c.jsonBytes / 1e6)} MB JSON, ${fmt(c.encodedBytes / 1e6)} MB encoded (base64 text; gzip ratio ${fmt(c.compressionRatio, 1)}×). ` +
      `Each row is one pass over the whole corpus; median of ${c.iterations} full passes after ${c.warmup} warmup rounds on a tenth of the corpus. MB = 10^6 bytes.`,
    '',
    mdTable(['operation (whole corpus)', 'median ms', 'min–max ms', 'MB/s of JSON', 'MB/s of encoded', 'spread (max−min)/median'], codecRows(r)),
    '',
    `decodeRelease ÷ floor: **${fmt(c.decodeVsFloor, 2)}×**; store path (also undoing the API's base64 layer) ÷ floor: **${fmt(c.storeDecodeVsFloor, 2)}×**.`,
    '',
    '## History read: 200 revisions, helmstep vs helm history',
    '',
    `${r.history.revisions} revisions of \`${r.history.release}\` written through SecretsReleaseStore.create ` +
      `(${fmt(r.history.encodedBytes / 1e6, 2)} MB of records, write took ${fmt(r.history.writeMs / 1000)} s): ` +
      `install, upgrades, two failed upgrades, a rollback; every older revision superseded. ` +
      `Up to ${r.history.runs} timed runs per row (the runs column) after up to ${r.history.warmup} warmups, interleaved round-robin. CLI: ${r.history.cli}. ` +
      'Rows marked reference/proposal are not contenders: they split the time into its parts and try the fixes proposed for the store.',
    '',
    mdTable(['reader', 'median ms', 'min ms', 'max ms', 'runs'], historyRowsOf(r)),
    '',
    '### Do the outputs agree?',
    '',
    ...agreementLines(r).map((l) => `- ${l}`),
    '',
  ].join('\n');
}

await main();
