/**
 * History read time for one release with many revisions: helmstep (in process and, when
 * src/cli/main.ts exists, as a CLI process: the `npm run build` bundle users run, rebuilt for
 * the run, with the same CLI under tsx as a reference) against the real `helm history` (helm 4 and helm 3)
 * on the same control plane and the same Secrets. Runs are interleaved round-robin so that
 * background load on a shared machine hits every contender alike.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { fileURLToPath } from 'node:url';

import { Observable, type KubeConfig, type RequestContext, type ResponseContext, type V1Secret, type V1SecretList } from '@kubernetes/client-node';

import { buildCli, ENTRY } from '../scripts/build.ts';
import { connect } from '../src/store/kube.ts';
import { decodeRelease } from '../src/release/codec.ts';
import { historyRows, type HistoryRow } from '../src/release/views.ts';
import type { Release } from '../src/release/record.ts';
import { collectGarbage, summarize, timeMs, type Summary } from './stats.ts';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const KUBE = new URL('../src/store/kube.ts', import.meta.url).href;

export interface HistoryContender {
  readonly id: string;
  readonly label: string;
  /** True for reference rows (floors), which are not contenders. */
  readonly reference?: boolean;
  readonly ms: Summary;
  readonly samples: readonly number[];
}

export interface Agreement {
  readonly ours: string;
  readonly against: string;
  readonly rows: number;
  readonly expected: number;
  readonly mismatches: readonly string[];
  readonly agree: boolean;
}

export interface HistoryResult {
  readonly revisions: number;
  readonly namespace: string;
  readonly release: string;
  readonly runs: number;
  readonly warmup: number;
  readonly writeMs: number;
  readonly encodedBytes: number;
  readonly cli: 'measured' | 'absent';
  readonly contenders: readonly HistoryContender[];
  readonly agreement: readonly Agreement[];
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, cwd: REPO, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Compares rows field by field (`revision`, `updated`, `status`, `chart`, `app_version`, `description`). */
export function compareRows(
  against: string,
  ours: readonly HistoryRow[],
  theirs: readonly HistoryRow[],
  oursName = 'helmstep',
): Agreement {
  const mismatches: string[] = [];
  if (ours.length !== theirs.length) mismatches.push(`row count: ${oursName} ${ours.length}, ${against} ${theirs.length}`);
  const keys: (keyof HistoryRow)[] = ['revision', 'updated', 'status', 'chart', 'app_version', 'description'];
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    for (const k of keys) {
      if (ours[i]![k] !== theirs[i]![k]) {
        mismatches.push(`row ${i + 1} ${k}: ${oursName} ${JSON.stringify(ours[i]![k])}, ${against} ${JSON.stringify(theirs[i]![k])}`);
      }
    }
  }
  return { ours: oursName, against, rows: theirs.length, expected: ours.length, mismatches: mismatches.slice(0, 10), agree: mismatches.length === 0 };
}

/**
 * GET on the API server with node:https and the kubeconfig's credentials, body as text: the same
 * LIST without @kubernetes/client-node's fetch wrapper and ObjectSerializer.
 */
async function rawGet(kc: KubeConfig, server: string, path: string, agent: Agent): Promise<string> {
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const url = new URL(path, server);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...opts,
        agent,
        method: 'GET',
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { ...opts.headers, Accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 200) resolve(body);
          else reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
        });
      },
    );
    req.on('error', reject);
    req.end();
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

export interface HistoryBenchOptions {
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly release: string;
  readonly records: readonly Release[];
  readonly helm4: string;
  readonly helm3: string;
  readonly runs: number;
  readonly warmup: number;
}

export async function runHistoryBench(o: HistoryBenchOptions): Promise<HistoryResult> {
  const cluster = connect({ kubeconfig: o.kubeconfig });
  const ref = { namespace: o.namespace, name: o.release };
  const env = { ...process.env, KUBECONFIG: o.kubeconfig };

  // Write the revisions exactly as helmstep stores them (SecretsReleaseStore.create).
  const writeMs = await timeMs(() => pool(o.records, 8, (r) => cluster.store.create(r, {})));
  process.stderr.write(`bench: wrote ${o.records.length} revisions of ${o.namespace}/${o.release} in ${(writeMs / 1000).toFixed(1)} s\n`);

  const selector = `owner=helm,name=${o.release}`;
  const listPath = `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/secrets?labelSelector=${encodeURIComponent(selector)}`;
  const agent = new Agent({ keepAlive: true });
  const rawList = async () => JSON.parse(await rawGet(cluster.kubeConfig, cluster.server, listPath, agent)) as V1SecretList;
  const helmArgs = ['history', o.release, '-n', o.namespace, '-o', 'json', '--max', '256', '--kubeconfig', o.kubeconfig];
  const cliPresent = existsSync(CLI);

  interface Contender {
    id: string;
    label: string;
    reference?: boolean;
    /** Timed runs for this row (default: all); floors of process start-up need only a few. */
    runs?: number;
    /** Warmup rounds for this row (default: all). */
    warmup?: number;
    run: () => Promise<unknown>;
  }
  const historyArgs = ['history', o.release, '-n', o.namespace, '-o', 'json', '--kubeconfig', o.kubeconfig];
  if (cliPresent) {
    process.stderr.write('bench: history: bundling the CLI into dist/cli (npm run build)\n');
    await buildCli();
  }
  // One header, as a per-call client-node option: ask the API server not to gzip the response.
  const identity = {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setHeaderParam('Accept-Encoding', 'identity');
          return new Observable(Promise.resolve(ctx));
        },
        post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
  const listIdentity = () => cluster.core.listNamespacedSecret({ namespace: o.namespace, labelSelector: selector }, identity);
  const rows = (items: readonly V1Secret[]) =>
    historyRows(
      items
        .filter((s) => s.type === 'helm.sh/release.v1')
        .map((s) => decodeRelease(Buffer.from(s.data?.release ?? '', 'base64').toString('latin1'))),
      256,
      { helm: 4 },
    );
  const contenders: Contender[] = [
    {
      id: 'helmstep-inprocess',
      label: 'helmstep in-process: store.history + historyRows (connected client)',
      run: async () => historyRows((await cluster.store.history(ref)).map((s) => s.release), 256, { helm: 4 }),
    },
    {
      id: 'helmstep-inprocess-cold',
      label: 'helmstep in-process, new client per read: connect + store.history + historyRows',
      run: async () => {
        const c = connect({ kubeconfig: o.kubeconfig });
        return historyRows((await c.store.history(ref)).map((s) => s.release), 256, { helm: 4 });
      },
    },
    ...(cliPresent
      ? [
          {
            id: 'helmstep-cli',
            label: `helmstep CLI process: node ${ENTRY} history ${o.release} -n <ns> -o json (the npm run build bundle)`,
            run: () => run(process.execPath, [`${REPO}/${ENTRY}`, ...historyArgs], env),
          },
          {
            id: 'ref-helmstep-cli-tsx',
            label: `reference: the same CLI under tsx, node --import tsx src/cli/main.ts history ${o.release} -n <ns> -o json`,
            reference: true,
            // Its time is mostly module loading under tsx (see the start-up floors): 5 runs say enough.
            runs: Math.min(o.runs, 5),
            warmup: 1,
            run: () => run(process.execPath, ['--import', 'tsx', CLI, ...historyArgs], env),
          },
        ]
      : []),
    { id: 'helm4', label: 'helm 4 history -o json --max 256 (process)', run: () => run(o.helm4, helmArgs, env) },
    { id: 'helm3', label: 'helm 3 history -o json --max 256 (process)', run: () => run(o.helm3, helmArgs, env) },
    {
      id: 'ref-list',
      label: "reference: store.history's LIST alone (client-node, gzip'd response), no decode",
      reference: true,
      run: () => cluster.core.listNamespacedSecret({ namespace: o.namespace, labelSelector: selector }),
    },
    {
      id: 'ref-list-identity',
      label: 'reference: the same client-node LIST with Accept-Encoding: identity, no decode',
      reference: true,
      run: listIdentity,
    },
    {
      id: 'ref-raw-list',
      label: 'reference: the same LIST over node:https (keep-alive, no gzip) + JSON.parse, no decode',
      reference: true,
      run: rawList,
    },
    {
      id: 'proposal-identity-history',
      label: 'proposal: client-node LIST with Accept-Encoding: identity + decode + historyRows',
      reference: true,
      run: async () => rows((await listIdentity()).items),
    },
    {
      id: 'proposal-raw-history',
      label: 'proposal: raw node:https LIST + decode + historyRows',
      reference: true,
      run: async () => rows((await rawList()).items),
    },
    ...(cliPresent
      ? [
          {
            id: 'ref-tsx-import-store',
            label: 'reference: node --import tsx loading src/store/kube.ts, no request (CLI start-up floor)',
            reference: true,
            runs: 3,
            warmup: 0,
            run: () => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(KUBE)})`], env),
          },
          {
            id: 'ref-node-import-client',
            label: 'reference: node without tsx importing @kubernetes/client-node, no request (built CLI floor)',
            reference: true,
            runs: 3,
            warmup: 0,
            run: () => run(process.execPath, ['--input-type=module', '-e', "await import('@kubernetes/client-node')"], env),
          },
        ]
      : []),
  ];

  const samples = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
  for (let it = 0; it < o.warmup + o.runs; it++) {
    for (const c of contenders) {
      if (it < o.warmup ? it >= (c.warmup ?? o.warmup) : it - o.warmup >= (c.runs ?? o.runs)) continue;
      collectGarbage();
      const ms = await timeMs(c.run);
      if (it >= o.warmup) samples.get(c.id)!.push(ms);
    }
    process.stderr.write(`bench: history round ${it + 1}/${o.warmup + o.runs}${it < o.warmup ? ' (warmup)' : ''}\n`);
  }

  // Do the outputs agree? helmstep's rows (as helm 4 / helm 3 print them) against each helm's JSON.
  const stored = (await cluster.store.history(ref)).map((s) => s.release);
  const agreement: Agreement[] = [];
  for (const [major, bin] of [
    [4, o.helm4],
    [3, o.helm3],
  ] as const) {
    const theirs = JSON.parse(await run(bin, helmArgs, env)) as HistoryRow[];
    agreement.push(compareRows(`helm ${major}`, historyRows(stored, 256, { helm: major }), theirs, 'helmstep historyRows'));
  }
  if (cliPresent) {
    try {
      const theirs = JSON.parse(await run(process.execPath, [`${REPO}/${ENTRY}`, ...historyArgs], env)) as HistoryRow[];
      const helm4 = JSON.parse(await run(o.helm4, helmArgs, env)) as HistoryRow[];
      agreement.push(compareRows('helmstep CLI', helm4, theirs, 'helm 4'));
    } catch (err) {
      agreement.push({ ours: 'helm 4', against: 'helmstep CLI', rows: 0, expected: stored.length, mismatches: [String(err).slice(0, 300)], agree: false });
    }
  }

  agent.destroy();
  const encodedBytes = (
    await cluster.core.listNamespacedSecret({ namespace: o.namespace, labelSelector: selector })
  ).items.reduce((a, s) => a + Buffer.from(s.data?.release ?? '', 'base64').length, 0);

  return {
    revisions: o.records.length,
    namespace: o.namespace,
    release: o.release,
    runs: o.runs,
    warmup: o.warmup,
    writeMs,
    encodedBytes,
    cli: cliPresent ? 'measured' : 'absent',
    contenders: contenders.map((c) => ({
      id: c.id,
      label: c.label,
      ...(c.reference ? { reference: true } : {}),
      ms: summarize(samples.get(c.id)!),
      samples: samples.get(c.id)!.map((x) => Math.round(x * 10) / 10),
    })),
    agreement,
  };
}
