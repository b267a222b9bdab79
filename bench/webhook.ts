/**
 * Webhook → execution started: the latency of a signed generic delivery to `helmstep serve`'s
 * 202 (the delivery verified, matched, its id recorded with a conditional write, the deploy
 * execution started and its id recorded), over 1,000 deliveries with distinct ids, against the
 * real `helmstep serve` process on its embedded default (dynalite on disk, the local Step
 * Functions engine). The executions deploy a chart path that does not exist, so each fails fast
 * in Render after it started; the measurement stops at the 202.
 *
 * Two reference paths on the same server say what the 202 costs: a delivery with a bad signature
 * (401: HTTP + HMAC, no table access) and a redelivery (409: freeze read, conditional put refused,
 * record read, no start).
 *
 * Standalone: `node --import tsx bench/webhook.ts` (HELMSTEP_BENCH_KUBECONFIG, else a fresh
 * control plane; HELMSTEP_BENCH_WEBHOOKS deliveries, default 1000; HELMSTEP_BENCH_WEBHOOK_CONCURRENCY,
 * default 1) writes bench/results/webhook.md and webhook.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { fmt, mdTable } from './stats.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const SECRET = 'bench-webhook-secret';
/** Long enough for a fast-failing execution to end before the next delivery. */
const SPACING_MS = 400;

export interface WebhookBenchOptions {
  readonly kubeconfig: string;
  /** The helm binary serve renders with. */
  readonly helm: string;
  /** Measured deliveries (default 1000). */
  readonly deliveries?: number;
  /** Deliveries in flight at once (default 1: each latency is one delivery's own). */
  readonly concurrency?: number;
  /** Unmeasured deliveries first (default 50). */
  readonly warmup?: number;
  /** Deliveries sent one by one with no execution in flight (default 50). */
  readonly spaced?: number;
  /** Deliveries of each reference path (default 200). */
  readonly references?: number;
  readonly log?: (message: string) => void;
}

export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentiles, milliseconds. */
export function percentiles(samples: readonly number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99), max: s.at(-1) ?? NaN, mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}

function startServe(dir: string, o: WebhookBenchOptions): { child: ChildProcess; url: Promise<string>; stderr: () => string; exited: Promise<number | null> } {
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
  writeFileSync(
    join(dir, 'targets.yaml'),
    `targets:
  - name: bench-dry
    generic: { source: bench/webhook }
    cluster: bench
    namespace: helmstep-bench-webhook
    release: bench-dry
    chart: ${join(dir, 'no-such-chart')}
`,
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--listen', '127.0.0.1:0', '--targets', join(dir, 'targets.yaml'), '--generic-secret-file', join(dir, 'secret'), '--kubeconfig', o.kubeconfig],
    {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HELMSTEP_STATE_DIR: join(dir, 'state'),
        HELMSTEP_CLUSTER_NAME: 'bench',
        HELMSTEP_HELM: o.helm,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let text = '';
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`helmstep serve did not start within 120 s:\n${text}`)), 120_000);
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`helmstep serve exited ${code}:\n${text}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url, stderr: () => text, exited };
}

async function deliver(url: string, body: string, delivery: string, signature?: string): Promise<{ status: number; ms: number }> {
  const ts = String(Math.floor(Date.now() / 1000));
  const t0 = performance.now();
  const sig = signature ?? createHmac('sha256', SECRET).update(`${ts}.`).update(body).digest('hex');
  const res = await fetch(`${url}/webhooks/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-helmstep-timestamp': ts, 'x-helmstep-delivery': delivery, 'x-helmstep-signature': `sha256=${sig}` },
    body,
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0 };
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function webhookBench(o: WebhookBenchOptions): Promise<{ markdown: string; json: unknown }> {
  const log = o.log ?? ((m: string) => process.stderr.write(`bench: ${m}\n`));
  const n = o.deliveries ?? 1000;
  const concurrency = o.concurrency ?? 1;
  const refs = o.references ?? 200;
  const dir = mkdtempSync(join(tmpdir(), 'helmstep-bench-webhook-'));
  const serve = startServe(dir, o);
  try {
    const url = await serve.url;
    log(`webhook: helmstep serve at ${url}; ${o.warmup ?? 50} warm-up deliveries`);
    const body = JSON.stringify({ source: 'bench/webhook', actor: 'bench' });
    for (let i = 0; i < (o.warmup ?? 50); i++) await deliver(url, body, `warm-${randomUUID()}`);

    log(`webhook: ${n} signed deliveries, ${concurrency} at a time`);
    const ids = Array.from({ length: n }, () => `bench-${randomUUID()}`);
    const accepted: number[] = [];
    const statuses = new Map<number, number>();
    const wall0 = performance.now();
    await pool(ids, concurrency, async (id) => {
      const r = await deliver(url, body, id);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 202) accepted.push(r.ms);
    });
    const wallMs = performance.now() - wall0;

    // The same path when nothing else runs: each delivery after the previous one's execution ended.
    const spaced = o.spaced ?? 50;
    log(`webhook: ${spaced} deliveries spaced ${SPACING_MS} ms apart (no execution in flight)`);
    await new Promise((r) => setTimeout(r, 2000));
    const isolated: number[] = [];
    for (let i = 0; i < spaced; i++) {
      await new Promise((r) => setTimeout(r, SPACING_MS));
      const r = await deliver(url, body, `spaced-${randomUUID()}`);
      if (r.status === 202) isolated.push(r.ms);
    }

    log(`webhook: ${refs} bad signatures and ${refs} redeliveries (reference paths)`);
    const refused: number[] = [];
    const replayed: number[] = [];
    for (let i = 0; i < refs; i++) refused.push((await deliver(url, body, `bad-${i}`, '0'.repeat(64))).ms);
    for (let i = 0; i < refs; i++) replayed.push((await deliver(url, body, ids[i]!)).ms);

    const stop0 = performance.now();
    serve.child.kill('SIGTERM');
    const code = await serve.exited;
    const stopMs = performance.now() - stop0;

    const a = percentiles(accepted);
    const r = percentiles(refused);
    const p = percentiles(replayed);
    const iso = percentiles(isolated);
    const statusText = [...statuses.entries()].map(([s, c]) => `${c}× ${s}`).join(', ');
    const dominant =
      `What dominates: with no execution in flight a delivery takes ${fmt(iso.p50, 2)} ms at the median, of which HTTP + verification ` +
      `(the 401 path) is ${fmt(r.p50, 2)} ms and the triggers table (freeze read, conditional put, read back: the 409 path) ${fmt(Math.max(0, p.p50 - r.p50), 2)} ms more; ` +
      `the rest is starting the local execution and recording its id. Back to back, the ${fmt(a.p50, 2)} ms median and ${fmt(a.p99, 1)} ms p99 ` +
      `are mostly the executions already started: they run in the same process (each spawns helm for Render) and share its event loop and the 2 cores ` +
      `with the deliveries that follow. In AWS the executions run elsewhere and the 202 costs StartExecution's round trip instead.`;
    const markdown = [
      `### Webhook → execution started (helmstep serve, embedded default)`,
      '',
      `${n} signed generic deliveries with distinct ids, ${concurrency} at a time, to a \`helmstep serve\` process (dynalite on disk, local Step Functions engine); ` +
        `latency = request sent → 202 read (execution started, its id recorded). Statuses: ${statusText}. Wall time ${fmt(wallMs / 1000, 1)} s ` +
        `(${fmt((n / wallMs) * 1000, 0)} deliveries/s).`,
      '',
      mdTable(
        ['path', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
        [
          ['202 accepted, back to back (execution started)', String(a.n), fmt(a.p50, 2), fmt(a.p90, 2), fmt(a.p99, 2), fmt(a.max, 1)],
          [`202 accepted, ${SPACING_MS} ms apart (none in flight)`, String(iso.n), fmt(iso.p50, 2), fmt(iso.p90, 2), fmt(iso.p99, 2), fmt(iso.max, 1)],
          ['409 redelivery (no start)', String(p.n), fmt(p.p50, 2), fmt(p.p90, 2), fmt(p.p99, 2), fmt(p.max, 1)],
          ['401 bad signature (no table access)', String(r.n), fmt(r.p50, 2), fmt(r.p90, 2), fmt(r.p99, 2), fmt(r.max, 1)],
        ],
      ),
      '',
      dominant,
      '',
      `SIGTERM → exit ${code}: ${fmt(stopMs / 1000, 1)} s (in-flight executions interrupted and finished).`,
      '',
    ].join('\n');
    return {
      markdown,
      json: { deliveries: n, concurrency, statuses: Object.fromEntries(statuses), wallMs, accepted: a, isolated: iso, replay: p, badSignature: r, shutdown: { exitCode: code, ms: stopMs } },
    };
  } finally {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

// Standalone: node --import tsx bench/webhook.ts
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { ensureHelm } = await import('../src/local/helm-binaries.ts');
  const helm = (await ensureHelm(4)).helm;
  let kubeconfig = process.env.HELMSTEP_BENCH_KUBECONFIG;
  let stop: (() => Promise<void>) | undefined;
  if (!kubeconfig) {
    const { startControlPlane } = await import('../src/local/controlplane/start.ts');
    const cpDir = mkdtempSync(join(tmpdir(), 'helmstep-bench-cp-'));
    const plane = await startControlPlane({ dir: cpDir });
    kubeconfig = plane.kubeconfig;
    stop = async () => {
      await plane.stop();
      rmSync(cpDir, { recursive: true, force: true });
    };
  }
  try {
    const env = (k: string, d: number) => (Number(process.env[k]) > 0 ? Number(process.env[k]) : d);
    const out = await webhookBench({ kubeconfig, helm, deliveries: env('HELMSTEP_BENCH_WEBHOOKS', 1000), concurrency: env('HELMSTEP_BENCH_WEBHOOK_CONCURRENCY', 1) });
    const results = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'webhook.md'), out.markdown);
    writeFileSync(join(results, 'webhook.json'), `${JSON.stringify({ at: new Date().toISOString(), ...(out.json as object) }, null, 2)}\n`);
    process.stdout.write(out.markdown);
  } finally {
    await stop?.();
  }
}
