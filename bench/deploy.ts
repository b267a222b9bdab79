/**
 * Upgrade and rollback wall time, helmstep against helm 4, process against process, on one
 * control plane and one chart; and the API requests one rollback costs, counted at the API
 * server. Measures only; asserts nothing.
 *
 * Timing. Each contender has its own release `web` in its own namespace: the helmstep CLI as a
 * process, `helm` 4 as a process, and the engine's local sequencer (runDeploy/runRollback) in
 * this process with a connected client as a reference row. Rounds are interleaved (the order
 * rotates every round), first without waits, then with `--wait` (helm 4's watcher); every group
 * of operations starts once every Deployment has finished rolling out. A preload injected into
 * the helmstep CLI process timestamps its first HTTP request (diagnostics_channel) and the step
 * lines it prints, so start-up and each engine step are reported apart.
 *
 * Counting. Requests are counted at the API server by identity: the counted operations run as
 * the ServiceAccount kube-system/default (a TokenRequest token, RoleBinding to cluster-admin in
 * the bench namespaces only), which kube-apiserver's `authenticated_user_requests` metric keeps
 * in a bucket of its own (every other identity, controllers included, falls into "other"). So
 * the count is exact even while controllers or other clients use the cluster. The same
 * operations go through a small logging HTTP proxy in front of the API server, which lists the
 * requests (and must agree with the server's count). `apiserver_request_total` summed over every
 * label is reported alongside: everything the server served in the window, controllers reacting
 * to the rollback included.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildCli, ENTRY } from '../scripts/build.ts';
import { performance } from 'node:perf_hooks';

import { openKubeClient, resolveNamespace, type HttpKubeClient } from '../src/kube/client.ts';
import { parseManifest, sortByKind, withOwnership } from '../src/kube/manifest.ts';
import { markSuperseded, newRollbackRecord, resolveRollbackTarget } from '../src/release/lifecycle.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { runDeploy, runRollback } from '../src/engine/sequence.ts';
import type { EngineDeps, ProgressEvent } from '../src/engine/types.ts';
import { connect, type Cluster } from '../src/store/kube.ts';
import { REPO } from './history.ts';
import { FIXTURE_CHART } from './records.ts';
import { collectGarbage, summarize, type Summary } from './stats.ts';

const RELEASE = 'web';
const DEPLOYMENT = `${RELEASE}-webapp`;
/** The ServiceAccount the counted operations run as (its own bucket in authenticated_user_requests). */
const COUNT_SA = { namespace: 'kube-system', name: 'default' };
const COUNT_USER = `system:serviceaccount:${COUNT_SA.namespace}:${COUNT_SA.name}`;
/** Every operation of the bench renders the fixture chart without its pre-upgrade backup hook. */
const BASE_SETS = ['backup.enabled=false'];
const TIMEOUT_MS = 10 * 60_000;

export const GOALS = { upgrade: 1.0, rollback: 0.8, requests: 1.2 } as const;

// ---------------------------------------------------------------------------------------------
// Charts

/** Seven more objects for the ~10-object variant, in four API groups. */
const EXTRA_OBJECTS = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "webapp.fullname" . }}
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ include "webapp.fullname" . }}
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
rules:
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ include "webapp.fullname" . }}
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ include "webapp.fullname" . }}
subjects:
  - kind: ServiceAccount
    name: {{ include "webapp.fullname" . }}
    namespace: {{ .Release.Namespace }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "webapp.fullname" . }}-settings
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "search,checkout"
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "webapp.fullname" . }}
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
spec:
  ingressClassName: nginx
  rules:
    - host: webapp.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ include "webapp.fullname" . }}
                port:
                  number: {{ .Values.service.port }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "webapp.fullname" . }}
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ .Chart.Name }}
      app.kubernetes.io/instance: {{ .Release.Name }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "webapp.fullname" . }}
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ .Chart.Name }}
      app.kubernetes.io/instance: {{ .Release.Name }}
  policyTypes: ["Ingress"]
  ingress:
    - ports:
        - port: 8080
`;

export interface BenchChart {
  readonly id: string;
  readonly label: string;
  readonly path: string;
  /** Objects in a revision's manifest (filled in once a release of it exists). */
  objects: number;
}

/** The fixture chart, and a copy of it with seven more objects written into `workdir`. */
export function benchCharts(workdir: string): BenchChart[] {
  const ten = join(workdir, 'charts', 'webapp-10');
  mkdirSync(ten, { recursive: true });
  cpSync(FIXTURE_CHART, ten, { recursive: true });
  writeFileSync(join(ten, 'templates', 'bench-extras.yaml'), EXTRA_OBJECTS);
  return [
    { id: 'webapp', label: 'test/fixtures/charts/webapp, backup.enabled=false (ConfigMap, Service, Deployment)', path: FIXTURE_CHART, objects: 0 },
    { id: 'webapp-10', label: 'the same + ServiceAccount, Role, RoleBinding, ConfigMap, Ingress, PodDisruptionBudget, NetworkPolicy', path: ten, objects: 0 },
  ];
}

// ---------------------------------------------------------------------------------------------
// The helmstep CLI as a process

export interface CliChoice {
  readonly kind: 'built' | 'tsx';
  /** node arguments before the CLI's own (`--import tsx src/cli/main.ts` or `dist/cli/helmstep.mjs`). */
  readonly nodeArgs: readonly string[];
  /** A module whose import loads the CLI's whole module graph without running a command. */
  readonly graph: string;
  readonly command: string;
  readonly note: string;
}

const tsxCli = (note: string): CliChoice => ({
  kind: 'tsx',
  nodeArgs: ['--import', 'tsx', join(REPO, 'src/cli/main.ts')],
  graph: join(REPO, 'src/cli/run.ts'),
  command: 'node --import tsx src/cli/main.ts',
  note,
});


/**
 * Which helmstep CLI the bench runs. HELMSTEP_BENCH_CLI: `auto`/`dist` (default: the `npm run
 * build` bundle, rebuilt for this run so it matches src/, with the tsx CLI as a reference row)
 * or `tsx` (only the CLI under tsx).
 */
export async function chooseCli(mode: string, _workdir: string, log: (m: string) => void): Promise<{ contender: CliChoice; built?: CliChoice }> {
  if (mode === 'tsx') return { contender: tsxCli('HELMSTEP_BENCH_CLI=tsx') };
  log('deploy: bundling the CLI into dist/cli (npm run build)');
  await buildCli();
  const entry = join(REPO, ENTRY);
  const bundle: CliChoice = { kind: 'built', nodeArgs: [entry], graph: entry, command: `node ${ENTRY}`, note: 'the npm run build bundle, built for this run' };
  return { contender: bundle, built: tsxCli('the same CLI under tsx (reference)') };
}

/**
 * Loaded into the helmstep CLI process with `--import`: records (epoch ms) the first HTTP
 * request the process starts and each `helmstep: ` progress line, written to
 * $HELMSTEP_BENCH_TRACE at exit. Nothing else changes.
 */
const TRACE_PRELOAD = `
import dc from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
const file = process.env.HELMSTEP_BENCH_TRACE;
if (file) {
  const now = () => performance.timeOrigin + performance.now();
  const trace = { first: null, marks: [] };
  dc.subscribe('http.client.request.start', () => { trace.first ??= now(); });
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const line of text.split('\\n')) if (line.startsWith('helmstep: ')) trace.marks.push([now(), line.slice(10)]);
    return write(chunk, ...rest);
  };
  process.on('exit', () => writeFileSync(file, JSON.stringify(trace)));
}
`;
const TRACE_IMPORT = `data:text/javascript,${encodeURIComponent(TRACE_PRELOAD)}`;

// ---------------------------------------------------------------------------------------------
// Processes and traces

const epochNow = () => performance.timeOrigin + performance.now();

interface Ran {
  readonly ms: number;
  /** Epoch ms just before the spawn. */
  readonly spawnedAt: number;
  readonly stdout: string;
}

function runProcess(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const spawnedAt = epochNow();
    const t0 = performance.now();
    execFile(cmd, args, { env, cwd: REPO, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', timeout: TIMEOUT_MS }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      const shown = args.map((a) => (a.startsWith('data:') ? '<trace preload>' : a)).join(' ');
      if (err) reject(new Error(`${cmd} ${shown} failed (${err.code ?? err.signal ?? 'error'}):\n${stderr.slice(-2000)}`));
      else resolve({ ms, spawnedAt, stdout });
    });
  });
}

/** One step mark: when (ms, on the clock the trace uses) and the progress line. */
type Mark = readonly [number, string];

/** Step durations from progress marks: `→ Step` opens, `✓ Step` closes. */
export function stepDurations(marks: readonly Mark[], firstRequest?: number): { name: string; ms: number }[] {
  const out: { name: string; ms: number }[] = [];
  const open = new Map<string, number>();
  for (const [t, line] of marks) {
    const m = /^(→|✓) (\w+)/.exec(line);
    if (!m) continue;
    if (m[1] === '→') open.set(m[2]!, t);
    else {
      const started = open.get(m[2]!);
      if (started === undefined) continue;
      // The first step opens before the first request; that part is counted as start-up.
      const from = out.length === 0 && firstRequest !== undefined ? Math.max(started, firstRequest) : started;
      out.push({ name: m[2]!, ms: t - from });
      open.delete(m[2]!);
    }
  }
  return out;
}

/** One timed operation. Phases are the parts of `ms` that could be seen (start-up, steps, exit). */
export interface OpSample {
  readonly ms: number;
  readonly phases: readonly { readonly name: string; readonly ms: number }[];
}

export const STARTUP_PHASE = 'start-up (spawn → first API request)';
export const EXIT_PHASE = 'after the last step (output, exit)';

function tracedSample(ran: Ran, traceFile: string): OpSample {
  let trace: { first: number | null; marks: Mark[] } | undefined;
  try {
    trace = JSON.parse(readFileSync(traceFile, 'utf8')) as { first: number | null; marks: Mark[] };
    rmSync(traceFile, { force: true });
  } catch {
    return { ms: ran.ms, phases: [] };
  }
  const first = trace.first ?? undefined;
  const phases = [
    ...(first !== undefined ? [{ name: STARTUP_PHASE, ms: first - ran.spawnedAt }] : []),
    ...stepDurations(trace.marks, first),
  ];
  const last = trace.marks.at(-1)?.[0];
  if (last !== undefined) phases.push({ name: EXIT_PHASE, ms: ran.spawnedAt + ran.ms - last });
  return { ms: ran.ms, phases };
}

// ---------------------------------------------------------------------------------------------
// Contenders

export type ToolId = 'helmstep-cli' | 'helmstep-cli-direct' | 'helmstep-cli-built' | 'helm4' | 'helmstep-inprocess' | 'helmstep-inprocess-fastpoll' | 'floor-inprocess';

interface Tool {
  readonly id: ToolId;
  readonly label: string;
  /** Reference/proposal rows are not contenders. */
  readonly reference: boolean;
  /** Which modes it runs in (a poll-interval proposal means nothing without a wait). */
  readonly waits: readonly boolean[];
  /** Which operations are rows (the others still run, to give the next one a revision). */
  readonly rows: readonly ('upgrade' | 'rollback')[];
  /** Whether the tool is a process (its first request can be timed at the proxy). */
  readonly process: boolean;
  install(ns: string, chart: string, sets: readonly string[]): Promise<unknown>;
  upgrade(ns: string, chart: string, sets: readonly string[], wait: boolean): Promise<OpSample>;
  rollback(ns: string, wait: boolean): Promise<OpSample>;
  close(): void;
  /** Epoch ms of the last process spawn (for the proxy's first-request timing). */
  lastSpawn?: number;
}

const BOTH_MODES = [false, true] as const;
const BOTH_OPS = ['upgrade', 'rollback'] as const;

const setArgs = (sets: readonly string[]) => [...BASE_SETS, ...sets].flatMap((s) => ['--set', s]);

function helmTool(helm: string, kubeconfig: string): Tool {
  const env = () => ({ ...process.env, KUBECONFIG: kubeconfig });
  const common = (ns: string) => ['-n', ns, '--kubeconfig', kubeconfig];
  const tool: Tool = {
    id: 'helm4',
    label: 'helm 4 (process)',
    reference: false,
    waits: BOTH_MODES,
    rows: BOTH_OPS,
    process: true,
    install: (ns, chart, sets) => runProcess(helm, ['install', RELEASE, chart, ...common(ns), ...setArgs(sets)], env()),
    async upgrade(ns, chart, sets, wait) {
      const ran = await runProcess(helm, ['upgrade', RELEASE, chart, ...common(ns), ...setArgs(sets), ...(wait ? ['--wait'] : [])], env());
      tool.lastSpawn = ran.spawnedAt;
      return { ms: ran.ms, phases: [] };
    },
    async rollback(ns, wait) {
      const ran = await runProcess(helm, ['rollback', RELEASE, ...common(ns), ...(wait ? ['--wait'] : [])], env());
      tool.lastSpawn = ran.spawnedAt;
      return { ms: ran.ms, phases: [] };
    },
    close: () => undefined,
  };
  return tool;
}

/**
 * The CLI as a process. `direct`: with --engine=direct, the same steps in sequence instead of the
 * deploy/rollback state machine in the local Step Functions engine (the default): the pair
 * measures what the state machine (lease, audit log, one handler invocation per state) costs.
 */
function cliTool(cli: CliChoice, helm: string, kubeconfig: string, workdir: string, reference = false, direct = false): Tool {
  let n = 0;
  const stateDir = join(workdir, `state-${reference ? 'ref' : direct ? 'direct' : 'sm'}`);
  const traced = async (args: string[]): Promise<OpSample> => {
    const traceFile = join(workdir, `trace-${process.pid}-${n++}.json`);
    const env = { ...process.env, KUBECONFIG: kubeconfig, HELMSTEP_HELM: helm, HELMSTEP_BENCH_TRACE: traceFile, HELMSTEP_STATE_DIR: stateDir };
    const ran = await runProcess(process.execPath, ['--import', TRACE_IMPORT, ...cli.nodeArgs, ...args, ...(direct ? ['--engine=direct'] : [])], env);
    tool.lastSpawn = ran.spawnedAt;
    return tracedSample(ran, traceFile);
  };
  const common = (ns: string) => ['-n', ns, '--kubeconfig', kubeconfig];
  const tool: Tool = {
    id: reference ? 'helmstep-cli-built' : direct ? 'helmstep-cli-direct' : 'helmstep-cli',
    label: `${reference ? 'reference: the same CLI under tsx' : direct ? 'helmstep CLI, --engine=direct (the steps in sequence, no state machine)' : 'helmstep CLI through the deploy/rollback state machine'} (process: ${cli.command})`,
    reference,
    waits: BOTH_MODES,
    rows: BOTH_OPS,
    process: true,
    install: (ns, chart, sets) => traced(['install', RELEASE, chart, ...common(ns), ...setArgs(sets)]),
    upgrade: (ns, chart, sets, wait) => traced(['upgrade', RELEASE, chart, ...common(ns), ...setArgs(sets), ...(wait ? ['--wait'] : [])]),
    rollback: (ns, wait) => traced(['rollback', RELEASE, ...common(ns), ...(wait ? ['--wait'] : [])]),
    close: () => undefined,
  };
  return tool;
}

/**
 * The engine's local sequencer in this process, on one client built once (as a warm Lambda
 * would hold it). `floor`: rollbacks make exactly the floor's K + 3 requests instead (see
 * floorRollback); upgrades still go through the engine.
 */
function inProcessTool(id: ToolId, label: string, helm: string, kubeconfig: string, opts: { pollSeconds?: number; floor?: boolean } = {}): Tool {
  const { pollSeconds } = opts;
  const cluster = connect({ kubeconfig });
  const kube = openKubeClient(cluster.kubeConfig);
  let marks: [number, string][] = [];
  const deps: EngineDeps = {
    store: cluster.store,
    kube,
    helm,
    kubeconfig,
    now: () => new Date(),
    progress: (e: ProgressEvent) => {
      if (e.kind === 'step') marks.push([performance.now(), `${e.phase === 'enter' ? '→' : '✓'} ${e.step}`]);
    },
  };
  const wait = { waitForJobs: false, timeoutMs: 5 * 60_000, cleanupOnFail: false, ...(pollSeconds ? { pollSeconds } : {}) };
  const timed = async (fn: () => Promise<unknown>): Promise<OpSample> => {
    marks = [];
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    return { ms, phases: stepDurations(marks) };
  };
  const deploy = (ns: string, chart: string, sets: readonly string[], w: boolean) =>
    runDeploy(deps, {
      request: {
        namespace: ns,
        name: RELEASE,
        chart,
        values: { set: [...BASE_SETS, ...sets].map((value) => ({ kind: 'set' as const, value })) },
        mode: 'upgrade',
        installIfMissing: true,
        maxHistory: 10,
      },
      strategy: w ? 'watcher' : 'hookOnly',
      rollbackOnFailure: false,
      forceConflicts: false,
      ...wait,
    });
  return {
    id,
    label,
    reference: true,
    waits: pollSeconds ? [true] : opts.floor ? [false] : BOTH_MODES,
    rows: opts.floor ? ['rollback'] : BOTH_OPS,
    process: false,
    install: (ns, chart, sets) => deploy(ns, chart, sets, false),
    upgrade: (ns, chart, sets, w) => timed(() => deploy(ns, chart, sets, w)),
    rollback: (ns, w) =>
      timed(() =>
        opts.floor ? floorRollback(deps, ns) : runRollback(deps, {
          request: { namespace: ns, name: RELEASE, target: 0, force: false, maxHistory: 10, ignoreLock: true },
          strategy: w ? 'watcher' : 'hookOnly',
          ...wait,
        }),
      ),
    close: () => kube.close(),
  };
}

/**
 * The floor, timed: a rollback to the previous revision in exactly K + 3 requests on the same
 * store and client: read the history (the target is in it), apply the target's K objects, write
 * the new record already `deployed`, supersede the old one. No lock, plan, drift check, hooks
 * or re-reads: what any rollback on this stack costs at least, not a safe one.
 */
async function floorRollback(deps: EngineDeps, ns: string): Promise<void> {
  const ref = { namespace: ns, name: RELEASE };
  const history = await deps.store.history(ref);
  const { current, target } = resolveRollbackTarget(history.map((h) => h.release), ref, 0);
  const old = history.find((h) => h.release.version === current.version)!;
  const objects = [];
  for (const m of sortByKind(parseManifest(target.manifest ?? ''), 'install')) {
    objects.push(withOwnership(await resolveNamespace(deps.kube, m.object, ns), RELEASE, ns));
  }
  for (const o of objects) await deps.kube.apply(o, { force: false });
  const labels = history.find((h) => h.release.version === target.version)?.labels ?? {};
  const next = newRollbackRecord(current, target, deps.now(), labels);
  await deps.store.create({ ...next.release, info: { ...next.release.info, status: 'deployed' } }, next.labels);
  await deps.store.update(old, markSuperseded(old.release));
}

// ---------------------------------------------------------------------------------------------
// Cluster helpers

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until the release's Deployment has rolled out completely (not timed). */
async function settle(kube: HttpKubeClient, namespaces: readonly string[], log: (m: string) => void): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const namespace of namespaces) {
    for (;;) {
      const d = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: DEPLOYMENT });
      if (d && rolledOut(d)) break;
      if (Date.now() > deadline) {
        log(`Deployment ${namespace}/${DEPLOYMENT} did not finish rolling out in 120 s; going on`);
        break;
      }
      await sleep(100);
    }
  }
}

function rolledOut(d: KubeObject): boolean {
  const spec = d.spec as { replicas?: number } | undefined;
  const st = (d.status ?? {}) as { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
  const want = spec?.replicas ?? 1;
  return (
    (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    st.replicas === want &&
    st.updatedReplicas === want &&
    st.availableReplicas === want
  );
}

async function createNamespace(cluster: Cluster, name: string, created: string[]): Promise<void> {
  await cluster.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'helmstep.dev/bench': 'deploy' } } } });
  created.push(name);
}

/** Objects in the newest revision's manifest of the release in `ns`. */
async function objectsIn(cluster: Cluster, ns: string): Promise<number> {
  const newest = (await cluster.store.history({ namespace: ns, name: RELEASE })).at(-1)?.release;
  return parseManifest(newest?.manifest ?? '').length;
}

async function adminGet(cluster: Cluster, path: string): Promise<string> {
  const opts: https.RequestOptions = {};
  await cluster.kubeConfig.applyToHTTPSOptions(opts);
  const url = new URL(path, cluster.server);
  const mod = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = mod.request({ ...opts, method: 'GET', hostname: url.hostname, port: url.port, path: url.pathname + url.search, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sum of a Prometheus counter's samples whose label text passes `filter`. */
export function metricSum(text: string, name: string, filter: (labels: string) => boolean = () => true): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    let labels = '';
    let value: string;
    if (rest.startsWith('{')) {
      const close = rest.lastIndexOf('}');
      labels = rest.slice(1, close);
      value = rest.slice(close + 1).trim();
    } else if (rest.startsWith(' ')) {
      value = rest.trim();
    } else continue; // another metric whose name starts the same
    if (filter(labels)) sum += Number(value.split(' ')[0]);
  }
  return sum;
}

interface Counters {
  /** authenticated_user_requests of the counting identity. */
  readonly identity: number;
  /** apiserver_request_total over every label. */
  readonly all: number;
}

async function readCounters(cluster: Cluster): Promise<Counters> {
  const text = await adminGet(cluster, '/metrics');
  return {
    identity: metricSum(text, 'authenticated_user_requests', (l) => l.includes(`username="${COUNT_USER}"`)),
    all: metricSum(text, 'apiserver_request_total'),
  };
}

// ---------------------------------------------------------------------------------------------
// The logging proxy

interface Logged {
  /** Epoch ms the request reached the proxy. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  status?: number | string;
  /** Until the answer ended (a watch: until the client went away). */
  ms?: number;
}

interface Proxy {
  readonly url: string;
  readonly log: Logged[];
  /** Resolves once no request is in flight (or after `timeoutMs`). */
  idle(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** `GET /api/v1/... → 200 (12 ms)`. */
function logLine(l: Logged): string {
  return `${l.method} ${l.path} → ${l.status ?? 'no answer'}${l.ms === undefined ? '' : ` (${Math.round(l.ms)} ms)`}`;
}

/**
 * A plain-HTTP reverse proxy on 127.0.0.1 that forwards every request to the API server over
 * TLS as the counting identity, and logs it. The proxy adds the bearer token: client-go sends
 * no credentials to a plain-HTTP server, so the tools' kubeconfig has none. Watches stream
 * through, and end upstream when the client goes away: kube-apiserver counts a request in
 * authenticated_user_requests only when it ends. Only the counting phase uses it (it adds a
 * hop, so nothing timed goes through it).
 */
async function startProxy(upstream: string, ca: https.RequestOptions['ca'], token: string): Promise<Proxy> {
  const target = new URL(upstream);
  const agent = new https.Agent({ keepAlive: true, ca });
  const log: Logged[] = [];
  let inflight = 0;
  const server = http.createServer((req, res) => {
    const t0 = performance.now();
    const entry: Logged = { at: epochNow(), method: req.method ?? '?', path: req.url ?? '' };
    log.push(entry);
    inflight++;
    let done = false;
    const finish = (status?: number | string) => {
      if (done) return;
      done = true;
      inflight--;
      entry.ms = performance.now() - t0;
      if (status !== undefined && entry.status === undefined) entry.status = status;
    };
    const up = https.request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host, authorization: `Bearer ${token}` }, agent },
      (answer) => {
        entry.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => finish());
        answer.on('close', () => finish());
      },
    );
    up.on('error', (err) => {
      finish(`error ${err.message}`);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    // The client left before the answer ended (a watch when the process exits): end it upstream.
    res.on('close', () => {
      if (!done) up.destroy();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    async idle(timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (inflight > 0 && Date.now() < until) await sleep(20);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

function proxyKubeconfig(file: string, server: string): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses a plain-HTTP server unless TLS verification is off (there is no TLS to verify).
    clusters: [{ name: 'bench', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'bench', user: {} }],
    contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench', namespace: 'default' } }],
    'current-context': 'bench',
  };
  writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
  return file;
}

// ---------------------------------------------------------------------------------------------
// Results

export interface TimingRow {
  readonly id: string;
  readonly tool: ToolId;
  readonly label: string;
  readonly op: 'upgrade' | 'rollback';
  readonly wait: boolean;
  readonly reference: boolean;
  readonly ms: Summary;
  readonly samples: readonly number[];
  /** Median of each phase seen (start-up, steps, exit), in the order they happen. */
  readonly phases: readonly { readonly name: string; readonly ms: number }[];
}

export interface StartupRow {
  readonly id: string;
  readonly label: string;
  readonly ms: Summary;
}

export interface CountRow {
  readonly chart: string;
  readonly objects: number;
  /** K + 3: read the target, apply K objects, write the new record, supersede the old one. */
  readonly floor: number;
  readonly tool: ToolId;
  readonly label: string;
  readonly op: 'upgrade' | 'rollback';
  readonly wait: boolean;
  /** Requests the API server authenticated for the counting identity during the operation. */
  readonly requests: number;
  /** Requests the proxy forwarded (must equal `requests`). */
  readonly proxied: number;
  readonly agree: boolean;
  readonly ratioToFloor: number;
  /** apiserver_request_total delta over the same window (the bench's own /metrics reads taken out). */
  readonly serverWide: number;
  /** Sum of the requests' durations seen at the proxy, watches aside (overlapping ones add up). */
  readonly wireMs: number;
  /** Process tools: spawn → first request at the proxy, ms. */
  readonly firstRequestMs?: number;
  /** The requests in order, namespace replaced by <ns>. */
  readonly log: readonly string[];
}

export interface RatioGoal {
  readonly wait: boolean;
  readonly helmstepMs: number;
  readonly helmMs: number;
  readonly inProcessMs: number;
  readonly ratio: number;
  readonly inProcessRatio: number;
  /** The built CLI's reference row, when the contender ran under tsx. */
  readonly builtMs?: number;
  readonly threshold: number;
  readonly holds: boolean;
}

export interface RequestGoal {
  readonly chart: string;
  readonly objects: number;
  readonly floor: number;
  readonly helmstep: number;
  readonly helm: number;
  readonly inProcess: number;
  readonly ratio: number;
  readonly helmRatio: number;
  readonly threshold: number;
  readonly holds: boolean;
}

export interface DeployResult {
  readonly cli: { readonly kind: 'built' | 'tsx'; readonly command: string; readonly note: string; readonly builtReference?: string };
  readonly charts: readonly { readonly id: string; readonly label: string; readonly objects: number }[];
  readonly timedChart: string;
  readonly runs: number;
  readonly warmup: number;
  readonly timings: readonly TimingRow[];
  readonly startup: readonly StartupRow[];
  readonly counts: readonly CountRow[];
  /** Why there are no counts, when counting failed (the timings are kept). */
  readonly countError?: string;
  readonly countMethod: string;
  readonly goals: {
    readonly upgrade: readonly RatioGoal[];
    readonly rollback: readonly RatioGoal[];
    readonly requests: readonly RequestGoal[];
  };
}

export interface DeployBenchOptions {
  readonly kubeconfig: string;
  readonly helm4: string;
  readonly workdir: string;
  readonly runs: number;
  readonly warmup: number;
  /** HELMSTEP_BENCH_CLI: auto | tsx | dist | build. */
  readonly cliMode: string;
  readonly log: (message: string) => void;
}

function median(xs: readonly number[]): number {
  return summarize(xs).median;
}

/** Medians of each phase over the samples, in the order of the first sample that has them all. */
function phaseMedians(samples: readonly OpSample[]): { name: string; ms: number }[] {
  const names: string[] = [];
  for (const s of samples) for (const p of s.phases) if (!names.includes(p.name)) names.push(p.name);
  return names.map((name) => ({ name, ms: median(samples.flatMap((s) => s.phases.filter((p) => p.name === name).map((p) => p.ms))) }));
}

// ---------------------------------------------------------------------------------------------
// The bench

/** What the three phases of the bench share. */
interface Bench {
  readonly o: DeployBenchOptions;
  readonly admin: Cluster;
  readonly adminKube: HttpKubeClient;
  /** Makes bench namespaces unique to this run. */
  readonly id: string;
  /** Namespaces created, deleted at the end. */
  readonly namespaces: string[];
  /** Open tools, closed at the end. */
  readonly tools: Tool[];
  readonly cli: CliChoice;
  readonly built: CliChoice | undefined;
}

export async function runDeployBench(o: DeployBenchOptions): Promise<DeployResult> {
  const log = o.log;
  const admin = connect({ kubeconfig: o.kubeconfig });
  const { contender: cli, built } = await chooseCli(o.cliMode, o.workdir, log);
  log(`deploy: helmstep CLI = ${cli.command} (${cli.note})${built ? `; reference row: ${built.command}` : ''}`);
  const b: Bench = { o, admin, adminKube: openKubeClient(admin.kubeConfig), id: Date.now().toString(36), namespaces: [], tools: [], cli, built };
  const charts = benchCharts(o.workdir);
  const proxy: { current?: Proxy } = {};
  try {
    const timings = await timeOperations(b, charts[0]!);
    const startup = await startupFloors(b);
    let counts: CountRow[] = [];
    let countError: string | undefined;
    try {
      counts = await countRequests(b, charts, proxy);
    } catch (err) {
      // The timings stand on their own: keep them, and say why the counts are missing.
      countError = err instanceof Error ? err.message : String(err);
      log(`deploy: counting failed: ${countError}`);
    }
    return {
      cli: { kind: cli.kind, command: cli.command, note: cli.note, ...(built ? { builtReference: built.command } : {}) },
      charts: charts.map((c) => ({ id: c.id, label: c.label, objects: c.objects })),
      timedChart: charts[0]!.id,
      runs: o.runs,
      warmup: o.warmup,
      timings,
      startup,
      counts,
      ...(countError ? { countError } : {}),
      countMethod:
        `Each counted operation runs as ServiceAccount ${COUNT_USER} (a TokenRequest token; RoleBinding to cluster-admin in its namespace only) ` +
        `through a logging proxy. The count is the change of kube-apiserver's authenticated_user_requests{username="${COUNT_USER}"} ` +
        '(/metrics read before and after; that identity has a bucket of its own, every other identity is "other"), so controllers and other clients do not blur it. ' +
        'The proxy lists the same requests (the agree column). Server-wide is apiserver_request_total over every label in the same window (the tool, controllers reacting, anyone else), the bench’s own /metrics reads taken out. ' +
        'Each release was installed and upgraded once through the same path before counting, so helm’s on-disk discovery cache and the in-process client are warm; every helmstep CLI process starts cold (no cache).',
      goals: goals(timings, counts),
    };
  } finally {
    for (const t of b.tools) t.close();
    b.adminKube.close();
    if (proxy.current) await proxy.current.close();
    for (const ns of b.namespaces) {
      try {
        await admin.core.deleteNamespace({ name: ns });
      } catch (err) {
        log(`could not delete namespace ${ns}: ${String(err)}`);
      }
    }
    if (b.namespaces.length) log(`deploy: deleted ${b.namespaces.length} namespaces`);
  }
}

/** Wall time of upgrades and rollbacks, interleaved rounds, each contender on its own release. */
async function timeOperations(b: Bench, chart: BenchChart): Promise<TimingRow[]> {
  const { o } = b;
  const tools: Tool[] = [
    cliTool(b.cli, o.helm4, o.kubeconfig, o.workdir),
    cliTool(b.cli, o.helm4, o.kubeconfig, o.workdir, false, true),
    ...(b.built ? [cliTool(b.built, o.helm4, o.kubeconfig, o.workdir, true)] : []),
    helmTool(o.helm4, o.kubeconfig),
    inProcessTool('helmstep-inprocess', 'reference: engine steps in-process (runDeploy/runRollback, connected client)', o.helm4, o.kubeconfig),
    inProcessTool('helmstep-inprocess-fastpoll', 'proposal: the same with 0.25 s polls instead of 2 s', o.helm4, o.kubeconfig, { pollSeconds: 0.25 }),
    inProcessTool('floor-inprocess', 'reference: the floor in-process, K + 3 requests (read, apply K, write new, supersede old; no lock, plan or hooks)', o.helm4, o.kubeconfig, { floor: true }),
  ];
  b.tools.push(...tools);
  const nsOf = new Map<ToolId, string>();
  for (const t of tools) {
    const ns = `hsb-deploy-${b.id}-${t.id.replace('helmstep-', 'hs-')}`;
    await createNamespace(b.admin, ns, b.namespaces);
    nsOf.set(t.id, ns);
    await t.install(ns, chart.path, ['message=installed']);
  }
  chart.objects = await objectsIn(b.admin, nsOf.get('helm4')!);
  const samples = new Map<string, OpSample[]>();
  const keyOf = (t: Tool, op: string, wait: boolean) => `${t.id}|${op}|${wait ? 'wait' : 'nowait'}`;
  const all = [...nsOf.values()];
  for (let round = 0; round < o.warmup + o.runs; round++) {
    for (const wait of BOTH_MODES) {
      const active = tools.filter((t) => t.waits.includes(wait));
      const order = active.map((_, i) => active[(i + round) % active.length]!);
      for (const op of BOTH_OPS) {
        await settle(b.adminKube, all, o.log);
        for (const t of order) {
          collectGarbage();
          const ns = nsOf.get(t.id)!;
          const s = op === 'upgrade' ? await t.upgrade(ns, chart.path, [`message=r${round}-${wait ? 'wait' : 'nowait'}`], wait) : await t.rollback(ns, wait);
          if (round >= o.warmup && t.rows.includes(op)) {
            const k = keyOf(t, op, wait);
            samples.set(k, [...(samples.get(k) ?? []), s]);
          }
        }
      }
    }
    o.log(`deploy: round ${round + 1}/${o.warmup + o.runs}${round < o.warmup ? ' (warmup)' : ''}`);
  }
  const timings: TimingRow[] = [];
  for (const op of BOTH_OPS) {
    for (const wait of BOTH_MODES) {
      for (const t of tools) {
        const ss = samples.get(keyOf(t, op, wait));
        if (!ss) continue;
        timings.push({
          id: keyOf(t, op, wait),
          tool: t.id,
          label: t.label,
          op,
          wait,
          reference: t.reference,
          ms: summarize(ss.map((s) => s.ms)),
          samples: ss.map((s) => Math.round(s.ms * 10) / 10),
          phases: phaseMedians(ss),
        });
      }
    }
  }
  return timings;
}

/** Process start-up with no request: what the CLI's start-up is made of. */
async function startupFloors(b: Bench): Promise<StartupRow[]> {
  const floors: { id: string; label: string; cmd: string; args: string[] }[] = [
    ...[b.cli, ...(b.built ? [b.built] : [])].map((c) => ({
      id: `cli-modules-${c.kind}`,
      label: `${c.kind === 'tsx' ? 'node --import tsx' : 'node'} importing the ${c.kind === 'tsx' ? '' : 'built '}CLI's modules (${c.kind === 'tsx' ? 'src/cli/run.ts' : 'src/cli/run.js'} and all it imports), no request`,
      cmd: process.execPath,
      args: [...(c.kind === 'tsx' ? ['--import', 'tsx'] : []), '--input-type=module', '-e', `await import(${JSON.stringify(c.graph)})`],
    })),
    { id: 'node-client-node', label: 'node importing @kubernetes/client-node only (no tsx), no request', cmd: process.execPath, args: ['--input-type=module', '-e', "await import('@kubernetes/client-node')"] },
    { id: 'node-bare', label: 'node -e 0 (bare runtime start)', cmd: process.execPath, args: ['-e', '0'] },
    { id: 'helm-version', label: 'helm version --short (Go binary start, no request)', cmd: b.o.helm4, args: ['version', '--short'] },
  ];
  const rows: StartupRow[] = [];
  for (const f of floors) {
    const ms: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await runProcess(f.cmd, f.args, process.env);
      if (i > 0) ms.push(r.ms); // the first run warms the file cache
    }
    rows.push({ id: f.id, label: f.label, ms: summarize(ms) });
  }
  return rows;
}

/** A token for the counting identity (its ServiceAccount may appear a moment after a fresh start). */
async function countToken(admin: Cluster, log: (m: string) => void): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await admin.core.createNamespacedServiceAccountToken({
        namespace: COUNT_SA.namespace,
        name: COUNT_SA.name,
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 3600 } },
      });
      if (answer.status?.token) return answer.status.token;
      throw new Error(`TokenRequest for ${COUNT_USER} answered no token`);
    } catch (err) {
      if (attempt >= 30) throw err;
      if (attempt === 1) log(`deploy: waiting for ServiceAccount ${COUNT_SA.namespace}/${COUNT_SA.name}`);
      await sleep(1000);
    }
  }
}

/** API requests of one upgrade and two rollbacks per contender and chart, counted at the API server. */
async function countRequests(b: Bench, charts: readonly BenchChart[], proxyRef: { current?: Proxy }): Promise<CountRow[]> {
  const { o, admin } = b;
  o.log('deploy: counting requests at the API server');
  const token = await countToken(admin, o.log);
  const httpsOpts: https.RequestOptions = {};
  await admin.kubeConfig.applyToHTTPSOptions(httpsOpts);
  const proxy = await startProxy(admin.server, httpsOpts.ca, token);
  proxyRef.current = proxy;
  const countKc = proxyKubeconfig(join(o.workdir, 'count.kubeconfig'), proxy.url);
  // helm keeps its discovery cache under $HOME/.kube/cache/discovery/<host_port>: the proxy's
  // port is new every run, so every helm started meanwhile (the engine's renders too, which
  // inherit this process's environment) gets a HOME in the workdir, which goes with it.
  const home = process.env.HOME;
  process.env.HOME = join(o.workdir, 'home');
  mkdirSync(process.env.HOME, { recursive: true });
  try {
    return await countAll(b, charts, proxy, countKc);
  } finally {
    if (home === undefined) delete process.env.HOME;
    else process.env.HOME = home;
  }
}

/** Per chart and contender: a release of its own, then the counted upgrade and rollbacks. */
async function countAll(b: Bench, charts: readonly BenchChart[], proxy: Proxy, countKc: string): Promise<CountRow[]> {
  const { o, admin, adminKube } = b;
  const counts: CountRow[] = [];
  for (const chart of charts) {
    const tools = [
      cliTool(b.cli, o.helm4, countKc, o.workdir),
      helmTool(o.helm4, countKc),
      inProcessTool('helmstep-inprocess', 'helmstep engine in-process (connected client)', o.helm4, countKc),
      inProcessTool('floor-inprocess', 'the floor in-process (K + 3 by construction)', o.helm4, countKc, { floor: true }),
    ];
    b.tools.push(...tools);
    for (const t of tools) {
      const ns = `hsb-count-${b.id}-${chart.id.replace('webapp', 'w')}-${t.id.replace('helmstep-', 'hs-')}`;
      await createNamespace(admin, ns, b.namespaces);
      await adminKube.apply(
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'helmstep-bench-count', namespace: ns },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: COUNT_SA.name, namespace: COUNT_SA.namespace }],
        },
        { force: true },
      );
      // Through the proxy as the counting identity from the start, so helm's discovery cache
      // for the proxy's address is as warm as in everyday use when the counted run comes.
      await waitAuthorized(t, ns, chart.path, o.log);
      await t.upgrade(ns, chart.path, ['message=b'], false);
      if (chart.objects === 0) chart.objects = await objectsIn(admin, ns);
      const count = async (op: 'upgrade' | 'rollback', wait: boolean, fn: () => Promise<unknown>) => {
        await settle(adminKube, [ns], o.log);
        await sleep(200);
        const before = await readCounters(admin);
        proxy.log.length = 0;
        delete t.lastSpawn;
        await fn();
        // Every request must have ended (the server counts one when it ends), then the
        // counter is read until it is no longer short of the proxy's count (or 3 s pass).
        await proxy.idle(10_000);
        const seen = proxy.log.length;
        let after = await readCounters(admin);
        let reads = 1;
        for (; reads < 16 && after.identity - before.identity < seen; reads++) {
          await sleep(200);
          after = await readCounters(admin);
        }
        const requests = after.identity - before.identity;
        const floor = chart.objects + 3;
        const first = proxy.log[0]?.at;
        counts.push({
          chart: chart.id,
          objects: chart.objects,
          floor,
          tool: t.id,
          label: t.label,
          op,
          wait,
          requests,
          proxied: seen,
          agree: requests === seen,
          ratioToFloor: requests / floor,
          // Each /metrics read is counted once it ends: the one before, and every retry.
          serverWide: after.all - before.all - reads,
          wireMs: proxy.log.filter((l) => !l.path.includes('watch=true')).reduce((a, l) => a + (l.ms ?? 0), 0),
          ...(t.process && t.lastSpawn !== undefined && first !== undefined ? { firstRequestMs: first - t.lastSpawn } : {}),
          log: proxy.log.map((l) => logLine(l).split(ns).join('<ns>')),
        });
      };
      if (t.rows.includes('upgrade')) await count('upgrade', false, () => t.upgrade(ns, chart.path, ['message=c'], false));
      await count('rollback', false, () => t.rollback(ns, false));
      if (t.waits.includes(true)) await count('rollback', true, () => t.rollback(ns, true));
    }
    for (const t of tools) t.close();
  }
  return counts;
}

/** The first install as the counting identity, retried while its fresh RoleBinding reaches the authorizer. */
async function waitAuthorized(t: Tool, ns: string, chart: string, log: (m: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await t.install(ns, chart, ['message=a']);
      return;
    } catch (err) {
      if (attempt >= 5 || !/forbidden/i.test(String(err))) throw err;
      log(`deploy: ${ns}: not authorized yet, retrying`);
      await sleep(500);
    }
  }
}

/** The verdicts, from the medians and counts (pure). */
export function goals(timings: readonly TimingRow[], counts: readonly CountRow[]): DeployResult['goals'] {
  const med = (tool: ToolId, op: 'upgrade' | 'rollback', wait: boolean) => timings.find((t) => t.tool === tool && t.op === op && t.wait === wait)?.ms.median ?? NaN;
  const ratio = (op: 'upgrade' | 'rollback', threshold: number) =>
    [false, true].map((wait): RatioGoal => {
      const helmstepMs = med('helmstep-cli', op, wait);
      const helmMs = med('helm4', op, wait);
      const inProcessMs = med('helmstep-inprocess', op, wait);
      const builtMs = med('helmstep-cli-built', op, wait);
      return {
        wait,
        helmstepMs,
        helmMs,
        inProcessMs,
        ratio: helmstepMs / helmMs,
        inProcessRatio: inProcessMs / helmMs,
        ...(Number.isFinite(builtMs) ? { builtMs } : {}),
        threshold,
        holds: helmstepMs <= threshold * helmMs,
      };
    });
  const charts = [...new Set(counts.map((c) => c.chart))];
  const requests = charts.map((chart): RequestGoal => {
    const pick = (tool: ToolId) => counts.find((c) => c.chart === chart && c.tool === tool && c.op === 'rollback' && !c.wait);
    const hs = pick('helmstep-cli');
    const floor = hs?.floor ?? NaN;
    const helmstep = hs?.requests ?? NaN;
    const helm = pick('helm4')?.requests ?? NaN;
    return {
      chart,
      objects: hs?.objects ?? NaN,
      floor,
      helmstep,
      helm,
      inProcess: pick('helmstep-inprocess')?.requests ?? NaN,
      ratio: helmstep / floor,
      helmRatio: helm / floor,
      threshold: GOALS.requests,
      holds: helmstep <= GOALS.requests * floor,
    };
  });
  return { upgrade: ratio('upgrade', GOALS.upgrade), rollback: ratio('rollback', GOALS.rollback), requests };
}

/** What a logged request did, in words (`list release records`, `apply an object`, …). */
export function requestKind(line: string): string {
  const m = /^(\w+) ([^ ?]*)(\?[^ ]*)? → /.exec(line);
  if (!m) return line;
  const [, method = '', path = '', query = ''] = m;
  const parts = path.split('/').filter(Boolean);
  const at = parts.indexOf('namespaces');
  // …/namespaces/<ns>/<resource>[/<name>[/<subresource>]]
  if (/^\/(api|apis)$/.test(path)) return `${method} discovery (/api, /apis)`;
  if (at < 0 || parts.length < at + 3) return `${method} ${path}`;
  const resource = parts[at + 2]!;
  const named = parts.length > at + 3;
  if (resource === 'secrets') {
    if (method === 'GET') return named ? 'GET read a release record' : 'GET list release records';
    if (method === 'POST') return 'POST create a release record';
    if (method === 'DELETE') return 'DELETE a release record (prune)';
    return `${method} update a release record`;
  }
  if (method === 'PATCH') return query.includes('dryRun') ? 'PATCH dry-run apply (drift check)' : 'PATCH apply an object';
  if (method === 'GET') return query.includes('watch=') ? 'GET watch objects' : named ? 'GET read an object' : 'GET list objects';
  return `${method} ${named ? 'an object' : 'objects'}`;
}

/** Requests of a log grouped by kind, in order of first appearance. */
export function requestKinds(log: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of log) {
    const k = requestKind(line);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}
