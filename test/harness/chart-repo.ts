/**
 * A real HTTPS chart repository for the chart-source tests: packaged charts and an `index.yaml`
 * made by the real `helm package` and `helm repo index`, served by node:https on 127.0.0.1 with
 * a certificate from a CA generated at test time.
 *
 * The certificates come from the control plane's own generator (certgen, built with it: a CA
 * and a serving certificate for 127.0.0.1/localhost), so no openssl and no extra package.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize, sep } from 'node:path';
import { ensureControlPlaneBinaries } from '../../src/local/controlplane/binaries.ts';

export interface Tls {
  /** The CA that signed the serving certificate: what `caFile` trusts. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

function run(bin: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { ...(env ? { env } : {}), maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** A fresh CA and a 127.0.0.1/localhost serving certificate it signed, in `dir`. */
export async function makeTls(dir: string): Promise<Tls> {
  const { certgen } = await ensureControlPlaneBinaries();
  await run(certgen, [dir]);
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'apiserver.crt'), keyFile: join(dir, 'apiserver.key') };
}

/**
 * Writes a small chart `name` at `version` under `dir`: a ConfigMap that says which chart
 * version rendered it, and a Deployment (kwok makes it Available). Returns the chart folder.
 */
export function writeChart(dir: string, name: string, version: string, appVersion = version): string {
  const chart = join(dir, `${name}-${version}`);
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(
    join(chart, 'Chart.yaml'),
    `apiVersion: v2\nname: ${name}\ndescription: chart-source test chart\ntype: application\nversion: ${version}\nappVersion: "${appVersion}"\n`,
  );
  writeFileSync(join(chart, 'values.yaml'), 'greeting: hello\nreplicas: 1\n');
  writeFileSync(
    join(chart, 'templates', 'configmap.yaml'),
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-info',
      'data:',
      '  chartVersion: {{ .Chart.Version | quote }}',
      '  greeting: {{ .Values.greeting | quote }}',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(chart, 'templates', 'deployment.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ .Release.Name }}',
      'spec:',
      '  replicas: {{ .Values.replicas }}',
      '  selector:',
      '    matchLabels: { app: {{ .Release.Name }} }',
      '  template:',
      '    metadata:',
      '      labels: { app: {{ .Release.Name }}, version: {{ .Chart.Version | quote }} }',
      '    spec:',
      '      containers:',
      '        - name: app',
      '          image: "example.invalid/{{ .Chart.Name }}:{{ .Chart.AppVersion }}"',
      '',
    ].join('\n'),
  );
  return chart;
}

/** A helm home of its own, so the harness never reads or writes the developer's. */
function helmEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
  };
}

/** `helm package CHART -d OUT`; returns the .tgz path. */
export async function packageChart(helm: string, chartDir: string, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const home = mkdtempSync(join(tmpdir(), 'helmstep-pkg-'));
  try {
    const out = await run(helm, ['package', chartDir, '--destination', outDir], helmEnv(home));
    const m = /saved it to: (.+\.tgz)/.exec(out);
    if (!m?.[1]) throw new Error(`helm package printed no archive path: ${out}`);
    return m[1].trim();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `helm repo index DIR`: the index.yaml helm repositories serve (entries with relative URLs). */
export async function indexRepo(helm: string, dir: string): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'helmstep-pkg-'));
  try {
    await run(helm, ['repo', 'index', dir], helmEnv(home));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface ChartRepoServer {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** The request paths served, in order (`401 /index.yaml` when refused). */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * Serves the files of `dir` over HTTPS on 127.0.0.1 (a free port). With `auth`, every request
 * needs that HTTP basic-auth user, as a private chart repository would.
 */
export async function serveChartRepo(dir: string, tls: Tls, auth?: { username: string; password: string }): Promise<ChartRepoServer> {
  const requests: string[] = [];
  const root = normalize(dir) + sep;
  const server: Server = createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname);
    if (auth) {
      const want = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      if (req.headers.authorization !== want) {
        requests.push(`401 ${path}`);
        res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end('unauthorized\n');
        return;
      }
    }
    requests.push(path);
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !isFile(file)) {
      res.writeHead(404).end('not found\n');
      return;
    }
    const type = file.endsWith('.yaml') ? 'application/x-yaml' : 'application/gzip';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
