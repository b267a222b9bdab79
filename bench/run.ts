/**
 * `npm run bench`: codec throughput over realistic release records, history read time for a
 * release with 200 revisions (helmstep against the real `helm history`, helm 4 and helm 3), and
 * upgrade/rollback wall time and API requests (helmstep against `helm` 4, process against
 * process), on the same control plane in the same run. Writes bench/results/latest.json and
 * latest.md and prints a summary. Measures only; asserts nothing.
 *
 * Environment:
 *   HELMSTEP_BENCH_KUBECONFIG   use this running cluster instead of starting a fresh control plane
 *                               (it is not stopped; the bench namespace is deleted at the end)
 *   HELMSTEP_BENCH_RECORDS      codec corpus size (default 1000)
 *   HELMSTEP_BENCH_ITERATIONS   codec iterations after one warmup (default 5)
 *   HELMSTEP_BENCH_REVISIONS    revisions in the history release (default 200)
 *   HELMSTEP_BENCH_RUNS         timed history reads per contender after two warmups (default 10)
 *   HELMSTEP_BENCH_DEPLOY_RUNS  timed rounds of upgrade + rollback, each without and with --wait (default 7)
 *   HELMSTEP_BENCH_DEPLOY_WARMUP  untimed rounds before them (default 1)
 *   HELMSTEP_BENCH_CLI          which helmstep CLI the deploy bench runs: auto (dist/ when built and
 *                               fresh, else tsx), tsx, dist, build (compile into a temp dir)
 *   HELMSTEP_BENCH_PARTS        comma-separated subset of codec,history,deploy,audit,webhook (default all)
 *   HELMSTEP_BENCH_RESULTS      write latest.json/latest.md here instead of bench/results/
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
import { GOALS, requestKinds, runDeployBench, type DeployResult, type RatioGoal, type TimingRow } from './deploy.ts';
import { runHistoryBench, REPO, type HistoryResult } from './history.ts';
import { corpus, historyRecords, renderBase } from './records.ts';
import { fmt, mdTable, textTable } from './stats.ts';

const RESULTS = process.env.HELMSTEP_BENCH_RESULTS ?? fileURLToPath(new URL('./results/', import.meta.url));
const PARTS = ['codec', 'history', 'deploy', 'audit', 'webhook'] as const;
type Part = (typeof PARTS)[number];
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
  readonly historyNoSlowerThanHelm?: {
    readonly holds: boolean;
    readonly helmstepMedianMs: number;
    readonly helm4MedianMs: number;
    readonly helm3MedianMs: number;
    readonly cli?: { readonly holds: boolean; readonly medianMs: number };
  };
  readonly decodeCloseToFloor?: { readonly holds: boolean; readonly ratio: number; readonly threshold: number };
}

/** A part measured by its own module (bench/audit.ts, bench/webhook.ts), which writes its own section. */
interface Section {
  readonly part: Part;
  readonly markdown: string;
  readonly json: unknown;
}

interface Results {
  readonly sections?: readonly Section[];
  readonly date: string;
  readonly command: string;
  readonly machine: Record<string, unknown>;
  readonly repo: { readonly commit: string; readonly dirty: boolean };
  readonly cluster: string;
  readonly helm: { readonly helm4: string; readonly helm3: string };
  readonly parts: readonly Part[];
  readonly source?: { readonly renderedWith: string; readonly baseRecordJsonBytes: number; readonly baseManifestBytes: number; readonly chartFiles: number };
  readonly codec?: CodecResult;
  readonly history?: HistoryResult;
  readonly deploy?: DeployResult;
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
  const deployRuns = envInt('HELMSTEP_BENCH_DEPLOY_RUNS', 7);
  const deployWarmup = process.env.HELMSTEP_BENCH_DEPLOY_WARMUP === '0' ? 0 : envInt('HELMSTEP_BENCH_DEPLOY_WARMUP', 1);
  const asked = (process.env.HELMSTEP_BENCH_PARTS ?? PARTS.join(',')).split(',').map((p) => p.trim());
  const parts = PARTS.filter((p) => asked.includes(p));
  if (parts.length === 0) throw new Error(`HELMSTEP_BENCH_PARTS names none of ${PARTS.join(', ')}`);

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

    let base: ReturnType<typeof renderBase> | undefined;
    if (parts.includes('codec') || parts.includes('history')) {
      base = renderBase({ helm: h4.helm, kubeconfig, namespace, workdir });
      log(`rendered the base record with ${base.helmVersion}: ${base.jsonBytes} B JSON, ${base.manifestBytes} B manifest, ${base.templates} chart files`);
    }

    let codec: CodecResult | undefined;
    if (base && parts.includes('codec')) {
      log(`generating ${records} codec records`);
      codec = runCodecBench(corpus(base.release, records), iterations, 3);
    }

    let history: HistoryResult | undefined;
    if (base && parts.includes('history')) {
      log(`history: ${revisions} revisions in namespace ${namespace}`);
      history = await runHistoryBench({
        kubeconfig,
        namespace,
        release: 'webapp',
        records: historyRecords(base.release, 'webapp', namespace, revisions),
        helm4: h4.helm,
        helm3: h3.helm,
        runs,
        warmup: 2,
      });
    }

    let deploy: DeployResult | undefined;
    if (parts.includes('deploy')) {
      log(`deploy: ${deployRuns} rounds after ${deployWarmup} warmup`);
      deploy = await runDeployBench({
        kubeconfig,
        helm4: h4.helm,
        workdir,
        runs: deployRuns,
        warmup: deployWarmup,
        cliMode: process.env.HELMSTEP_BENCH_CLI ?? 'auto',
        log,
      });
    }

    const sections: Section[] = [];
    if (parts.includes('audit')) {
      log('audit: 1,000 revisions from the audit log vs helm history');
      const { auditBench } = await import('./audit.ts');
      sections.push({ part: 'audit', ...(await auditBench({ kubeconfig, helm4: h4.helm, log })) });
    }
    if (parts.includes('webhook')) {
      log('webhook: deliveries to helmstep serve, latency to the execution started');
      const { webhookBench } = await import('./webhook.ts');
      sections.push({ part: 'webhook', ...(await webhookBench({ kubeconfig, helm: h4.helm, log })) });
    }

    const goals: Goals = {
      ...(history ? { historyNoSlowerThanHelm: historyGoal(history) } : {}),
      ...(codec ? { decodeCloseToFloor: { holds: codec.decodeVsFloor <= DECODE_CLOSE, ratio: codec.decodeVsFloor, threshold: DECODE_CLOSE } } : {}),
    };

    const results: Results = {
      date,
      command: command(external !== undefined, parts),
      machine,
      repo: { commit: git(['rev-parse', '--short', 'HEAD']), dirty: git(['status', '--porcelain', '--', 'src']) !== '' },
      cluster: external ? 'existing control plane (HELMSTEP_BENCH_KUBECONFIG)' : 'fresh local control plane (startControlPlane)',
      helm: { helm4: helmVersion(h4.helm), helm3: helmVersion(h3.helm) },
      parts,
      ...(base
        ? {
            source: {
              renderedWith: `${base.helmVersion} upgrade --install --dry-run=client -o json (fixture chart + 4 bench templates)`,
              baseRecordJsonBytes: base.jsonBytes,
              baseManifestBytes: base.manifestBytes,
              chartFiles: base.templates,
            },
          }
        : {}),
      ...(codec ? { codec } : {}),
      ...(history ? { history } : {}),
      ...(deploy ? { deploy } : {}),
      ...(sections.length ? { sections } : {}),
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

function historyGoal(history: HistoryResult): NonNullable<Goals['historyNoSlowerThanHelm']> {
  const med = (id: string) => history.contenders.find((c) => c.id === id)?.ms.median ?? NaN;
  const ours = med('helmstep-inprocess');
  const cliMs = med('helmstep-cli');
  return {
    holds: ours <= med('helm4') && ours <= med('helm3'),
    helmstepMedianMs: ours,
    helm4MedianMs: med('helm4'),
    helm3MedianMs: med('helm3'),
    ...(history.cli === 'measured' ? { cli: { holds: cliMs <= med('helm4') && cliMs <= med('helm3'), medianMs: cliMs } } : {}),
  };
}

function command(external: boolean, parts: readonly Part[]): string {
  const env = [
    ...(external ? ['HELMSTEP_BENCH_KUBECONFIG=<admin.kubeconfig>'] : []),
    ...(parts.length < PARTS.length ? [`HELMSTEP_BENCH_PARTS=${parts.join(',')}`] : []),
    ...['HELMSTEP_BENCH_DEPLOY_RUNS', 'HELMSTEP_BENCH_DEPLOY_WARMUP', 'HELMSTEP_BENCH_CLI', 'HELMSTEP_BENCH_RUNS', 'HELMSTEP_BENCH_RECORDS', 'HELMSTEP_BENCH_ITERATIONS', 'HELMSTEP_BENCH_REVISIONS']
      .filter((k) => process.env[k] !== undefined)
      .map((k) => `${k}=${process.env[k]}`),
  ];
  return [...env, 'npm run bench'].join(' ');
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
  console.log(`\nwrote ${join(RESULTS, 'latest.json')} and latest.md (${r.durationSeconds} s)`);
}

function codecRows(c: CodecResult): string[][] {
  return c.cases.map((k) => [
    k.label,
    fmt(k.ms.median, 0),
    `${fmt(k.ms.min, 0)}–${fmt(k.ms.max, 0)}`,
    fmt(k.jsonMBps.median),
    fmt(k.encodedMBps.median),
    `${fmt(k.ms.spread * 100, 0)}%`,
  ]);
}

function historyRowsOf(h: HistoryResult): string[][] {
  return h.contenders.map((c) => [c.label, fmt(c.ms.median), fmt(c.ms.min), fmt(c.ms.max), String(c.ms.n)]);
}

const verdict = (holds: boolean) => (holds ? 'HOLDS' : 'DOES NOT HOLD');

function verdicts(r: Results): string[] {
  const g = r.goals;
  const lines: string[] = [];
  const h = g.historyNoSlowerThanHelm;
  if (h) {
    lines.push(
      `history read no slower than helm history: ${verdict(h.holds)} ` +
        `(helmstep in-process ${fmt(h.helmstepMedianMs)} ms vs helm 4 ${fmt(h.helm4MedianMs)} ms, helm 3 ${fmt(h.helm3MedianMs)} ms, medians)`,
    );
    lines.push(h.cli ? `  as a CLI process: ${verdict(h.cli.holds)} (helmstep CLI ${fmt(h.cli.medianMs)} ms)` : '  as a CLI process: not measured (src/cli/main.ts absent)');
  }
  if (g.decodeCloseToFloor && r.codec) {
    lines.push(
      `decode close to gunzip + JSON.parse (≤ ${g.decodeCloseToFloor.threshold}×): ${verdict(g.decodeCloseToFloor.holds)} ` +
        `(decodeRelease ÷ floor = ${fmt(g.decodeCloseToFloor.ratio, 2)}; store path incl. the API's base64 layer ÷ floor = ${fmt(r.codec.storeDecodeVsFloor, 2)})`,
    );
  }
  if (r.deploy) lines.push(...deployVerdicts(r.deploy));
  return lines;
}

function ratioLine(op: string, goals: readonly RatioGoal[], threshold: number): string[] {
  const all = goals.every((x) => x.holds);
  return [
    `${op} ≤ ${fmt(threshold, 1)}× helm 4's wall time (helmstep CLI process vs helm process): ${verdict(all)}`,
    ...goals.map(
      (x) =>
        `  ${x.wait ? 'with --wait' : 'without wait'}: ${verdict(x.holds)}: helmstep CLI ${fmt(x.helmstepMs, 0)} ms vs helm ${fmt(x.helmMs, 0)} ms = ${fmt(x.ratio, 2)}× ` +
        `(${x.builtMs !== undefined ? `the same CLI under tsx: ${fmt(x.builtMs, 0)} ms = ${fmt(x.builtMs / x.helmMs, 2)}×; ` : ''}the engine in-process: ${fmt(x.inProcessMs, 0)} ms = ${fmt(x.inProcessRatio, 2)}×)`,
    ),
  ];
}

/** What the state machine adds: the CLI through the local Step Functions engine vs --engine=direct, both processes. */
function engineOverhead(d: DeployResult): string[] {
  const lines: string[] = [];
  for (const op of ['upgrade', 'rollback'] as const) {
    for (const wait of [false, true]) {
      const med = (tool: string) => d.timings.find((t) => t.tool === tool && t.op === op && t.wait === wait)?.ms.median;
      const sm = med('helmstep-cli');
      const direct = med('helmstep-cli-direct');
      const helm = med('helm4');
      if (sm === undefined || direct === undefined) continue;
      lines.push(
        `  ${op} ${wait ? 'with --wait' : 'without wait'}: state machine ${fmt(sm, 0)} ms, direct sequence ${fmt(direct, 0)} ms (+${fmt(sm - direct, 0)} ms, ${fmt(sm / direct, 2)}×)` +
          (helm !== undefined ? `, helm 4 ${fmt(helm, 0)} ms` : ''),
      );
    }
  }
  return lines.length ? ['state machine overhead (helmstep CLI processes: the local Step Functions engine vs --engine=direct):', ...lines] : [];
}

function deployVerdicts(d: DeployResult): string[] {
  const req = d.goals.requests;
  return [
    ...engineOverhead(d),
    ...ratioLine('upgrade', d.goals.upgrade, GOALS.upgrade),
    ...ratioLine('rollback', d.goals.rollback, GOALS.rollback),
    req.length === 0
      ? `API requests per rollback ≤ ${fmt(GOALS.requests, 1)}× the floor K+3: not measured (${d.countError ?? 'no counts'})`
      : `API requests per rollback ≤ ${fmt(GOALS.requests, 1)}× the floor K+3 (helmstep CLI, no wait): ${verdict(req.every((x) => x.holds))}`,
    ...req.map(
      (x) =>
        `  ${x.chart} (K=${x.objects}, floor ${x.floor}): ${verdict(x.holds)}: helmstep ${x.helmstep} = ${fmt(x.ratio, 2)}× the floor; ` +
        `helm 4 ${x.helm} = ${fmt(x.helmRatio, 2)}×; helmstep ÷ helm = ${fmt(x.helmstep / x.helm, 2)}; engine in-process (warm client) ${x.inProcess}`,
    ),
  ];
}

function agreementLines(h: HistoryResult): string[] {
  return h.agreement.map(
    (a) =>
      `${a.agree ? 'agree' : 'DIFFER'}: ${a.ours} vs ${a.against}: ${a.rows}/${a.expected} rows` +
      (a.agree ? ' identical (revision, updated, status, chart, app_version, description)' : `\n    ${a.mismatches.join('\n    ')}`),
  );
}

// ---- deploy tables

const opName = (op: string, wait: boolean) => `${op}${wait ? ' --wait' : ''}`;

function timingRows(d: DeployResult): string[][] {
  return d.timings.map((t) => {
    const helm = d.timings.find((x) => x.tool === 'helm4' && x.op === t.op && x.wait === t.wait)?.ms.median ?? NaN;
    return [opName(t.op, t.wait), t.label, fmt(t.ms.median, 0), fmt(t.ms.min, 0), fmt(t.ms.max, 0), String(t.ms.n), t.tool === 'helm4' ? '1.00' : fmt(t.ms.median / helm, 2)];
  });
}

/** `start-up 1012 · Render 640 · … = 2310 of 2400 ms`. */
function phaseLine(t: TimingRow): string {
  if (t.phases.length === 0) return '';
  const sum = t.phases.reduce((a, p) => a + p.ms, 0);
  return `${t.phases.map((p) => `${p.name} ${fmt(p.ms, 0)}`).join(' · ')} (phases sum to ${fmt(sum, 0)} of ${fmt(t.ms.median, 0)} ms)`;
}

function phaseRows(d: DeployResult): string[][] {
  return d.timings.filter((t) => t.phases.length > 0).map((t) => [opName(t.op, t.wait), t.tool, phaseLine(t)]);
}

function countRows(d: DeployResult): string[][] {
  return d.counts.map((c) => [
    `${c.chart} (K=${c.objects})`,
    opName(c.op, c.wait),
    c.tool,
    String(c.requests),
    String(c.floor),
    fmt(c.ratioToFloor, 2),
    c.agree ? `${c.proxied} (agree)` : `${c.proxied} (DIFFER)`,
    String(c.serverWide),
    fmt(c.wireMs, 0),
    c.firstRequestMs === undefined ? '' : fmt(c.firstRequestMs, 0),
  ]);
}

/** Rollback without wait, per chart: what each contender's requests were, by kind. */
function breakdownTables(d: DeployResult, render: (header: string[], rows: string[][]) => string): string[] {
  const out: string[] = [];
  for (const chart of d.charts) {
    const rows = d.counts.filter((c) => c.chart === chart.id && c.op === 'rollback' && !c.wait);
    if (rows.length === 0) continue;
    const kinds = rows.map((c) => requestKinds(c.log));
    const names = [...new Set(kinds.flatMap((k) => [...k.keys()]))];
    out.push(
      `${chart.id} (K=${chart.objects}), rollback without wait:`,
      '',
      render(
        ['request', ...rows.map((c) => c.tool)],
        [...names.map((n) => [n, ...kinds.map((k) => String(k.get(n) ?? 0))]), ['total', ...rows.map((c) => String(c.requests))]],
      ),
      '',
    );
  }
  return out;
}

function startupRows(d: DeployResult): string[][] {
  return d.startup.map((s) => [s.label, fmt(s.ms.median, 0), fmt(s.ms.min, 0), fmt(s.ms.max, 0), String(s.ms.n)]);
}

const TIMING_HEADER = ['operation', 'contender', 'median ms', 'min ms', 'max ms', 'runs', '÷ helm'];
const COUNT_HEADER = ['chart', 'operation', 'contender', 'requests', 'floor K+3', '÷ floor', 'proxy saw', 'server-wide', 'Σ request ms', 'spawn → 1st request ms'];

function deploySummary(d: DeployResult): string[] {
  const text = (h: string[], rows: string[][]) => textTable([h, ...rows]);
  return [
    `Deploy: helmstep CLI = ${d.cli.command} (${d.cli.note}); chart ${d.timedChart}; ${d.runs} rounds after ${d.warmup} warmup, interleaved`,
    text(TIMING_HEADER, timingRows(d)),
    '',
    'Where the time goes (medians, ms):',
    ...phaseRows(d).map(([op, tool, line]) => `  ${op} ${tool}: ${line}`),
    '',
    text(['start-up floor (no request)', 'median ms', 'min ms', 'max ms', 'runs'], startupRows(d)),
    '',
    'Requests counted at the API server:',
    text(COUNT_HEADER, countRows(d)),
    '',
    ...breakdownTables(d, text),
  ];
}

function summary(r: Results): string {
  const lines = ['', `helmstep bench — ${r.date} — ${r.machine.cpuModel as string} × ${r.machine.cores as number}, node ${r.machine.node as string}`, ''];
  const c = r.codec;
  if (c) {
    lines.push(
      `Codec: ${c.records} records, ${fmt(c.jsonBytes / 1e6)} MB JSON → ${fmt(c.encodedBytes / 1e6)} MB base64 (gzip ${fmt(c.compressionRatio, 1)}×), ` +
        `manifests ${fmt(c.manifestBytes.min / 1000)}–${fmt(c.manifestBytes.max / 1000)} KB; median of ${c.iterations} full passes after ${c.warmup} warmup rounds on a tenth of it`,
      textTable([['', 'median ms', 'min–max ms', 'MB/s JSON', 'MB/s encoded', 'spread'], ...codecRows(c)]),
      '',
    );
  }
  const h = r.history;
  if (h) {
    lines.push(
      `History: ${h.revisions} revisions (${fmt(h.encodedBytes / 1e6, 2)} MB of records), up to ${h.runs} runs after ${h.warmup} warmups, interleaved`,
      textTable([['', 'median ms', 'min ms', 'max ms', 'runs'], ...historyRowsOf(h)]),
      '',
      ...agreementLines(h),
      '',
    );
  }
  if (r.deploy) lines.push(...deploySummary(r.deploy));
  lines.push(...verdicts(r));
  return lines.join('\n');
}

function deployMarkdown(d: DeployResult): string[] {
  const md = (h: string[], rows: string[][]) => mdTable(h, rows);
  const charts = d.charts.map((c) => `\`${c.id}\`: ${c.label}, K = ${c.objects} objects`).join('; ');
  return [
    '## Upgrade and rollback: helmstep vs helm 4, process against process',
    '',
    `Each contender has its own release \`web\` of \`${d.timedChart}\` in its own namespace on the same control plane. ` +
      `${d.runs} timed rounds after ${d.warmup} warmup, interleaved (the order rotates every round): in each round every contender upgrades (a new \`message\` value, ` +
      'so the ConfigMap and the pod template change), then rolls back to the previous revision, first without waits (helm 4\'s default `--wait=hookOnly`), then with `--wait` ' +
      '(watcher); each group of operations starts once every Deployment has finished rolling out. `--history-max` is the default 10 for all. ' +
      `helmstep CLI: \`${d.cli.command}\` (${d.cli.note})${d.cli.builtReference ? `; the reference row "the same CLI under tsx" runs \`${d.cli.builtReference}\`` : ''}; it renders with the same helm 4 binary (\`HELMSTEP_HELM\`). ` +
      'The in-process rows run the engine\'s local sequencer (runDeploy/runRollback) on one client built before the rounds; they are references, not contenders, ' +
      'and the proposal row is the same with 0.25 s polls instead of the default 2 s.',
    '',
    md(TIMING_HEADER, timingRows(d)),
    '',
    '### Where the time goes',
    '',
    'Medians of each phase. For the CLI process a preload records the first HTTP request the process starts (diagnostics_channel) and when each `helmstep: → Step` / `✓ Step` line is printed; ' +
      'start-up is spawn → first API request (node, module loading, kubeconfig), the first step counts from that request on.',
    '',
    ...phaseRows(d).map(([op, tool, line]) => `- ${op}, ${tool}: ${line}`),
    '',
    md(['start-up floor (no request)', 'median ms', 'min ms', 'max ms', 'runs'], startupRows(d)),
    '',
    '## API requests per operation, counted at the API server',
    '',
    `Charts: ${charts}. The floor of a rollback is K + 3: read the target record, apply K objects, write the new record, supersede the old one. ${d.countMethod}`,
    '',
    ...(d.countError ? [`**Counting failed:** ${d.countError}`, ''] : []),
    md(COUNT_HEADER, countRows(d)),
    '',
    '### What the requests are',
    '',
    ...breakdownTables(d, md),
    'Every request, in order, is in latest.json (`deploy.counts[].log`).',
    '',
  ];
}

function markdown(r: Results): string {
  const m = r.machine;
  const lines = [
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
  ];
  const c = r.codec;
  if (c && r.source) {
    lines.push(
      '## Codec throughput',
      '',
      `${c.records} records varied from one rendered by ${r.source.renderedWith}: ` +
        `${r.source.chartFiles} chart files, 3 hooks, manifests ${c.manifestBytes.min}–${c.manifestBytes.max} B (mean ${c.manifestBytes.mean}), ` +
        `record JSON ${c.recordJsonBytes.min}–${c.recordJsonBytes.max} B (mean ${c.recordJsonBytes.mean}). ` +
        `Total ${fmt(c.jsonBytes / 1e6)} MB JSON, ${fmt(c.encodedBytes / 1e6)} MB encoded (base64 text; gzip ratio ${fmt(c.compressionRatio, 1)}×). ` +
        `Each row is one pass over the whole corpus; median of ${c.iterations} full passes after ${c.warmup} warmup rounds on a tenth of the corpus. MB = 10^6 bytes.`,
      '',
      mdTable(['operation (whole corpus)', 'median ms', 'min–max ms', 'MB/s of JSON', 'MB/s of encoded', 'spread (max−min)/median'], codecRows(c)),
      '',
      `decodeRelease ÷ floor: **${fmt(c.decodeVsFloor, 2)}×**; store path (also undoing the API's base64 layer) ÷ floor: **${fmt(c.storeDecodeVsFloor, 2)}×**.`,
      '',
    );
  }
  const h = r.history;
  if (h) {
    lines.push(
      `## History read: ${h.revisions} revisions, helmstep vs helm history`,
      '',
      `${h.revisions} revisions of \`${h.release}\` written through SecretsReleaseStore.create ` +
        `(${fmt(h.encodedBytes / 1e6, 2)} MB of records, write took ${fmt(h.writeMs / 1000)} s): ` +
        `install, upgrades, two failed upgrades, a rollback; every older revision superseded. ` +
        `Up to ${h.runs} timed runs per row (the runs column) after up to ${h.warmup} warmups, interleaved round-robin. CLI: ${h.cli}. ` +
        'Rows marked reference/proposal are not contenders: they split the time into its parts and try the fixes proposed for the store.',
      '',
      mdTable(['reader', 'median ms', 'min ms', 'max ms', 'runs'], historyRowsOf(h)),
      '',
      '### Do the outputs agree?',
      '',
      ...agreementLines(h).map((l) => `- ${l}`),
      '',
    );
  }
  if (r.deploy) lines.push(...deployMarkdown(r.deploy));
  for (const section of r.sections ?? []) lines.push('', section.markdown.trim(), '');
  return lines.join('\n');
}

await main();
