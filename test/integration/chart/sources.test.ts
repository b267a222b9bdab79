/**
 * Chart sources end to end on the real parts: a chart repository served over HTTPS (charts
 * packaged and indexed by the real helm), an OCI registry (the real distribution registry, the
 * charts pushed with `helm push`), installs and upgrades through the engine and the deploy state
 * machine, compared with what the real `helm upgrade --install --repo` stores, and the failures
 * people will meet (unknown version or chart, untrusted certificate, credentials, a registry that
 * is down or hangs): each a RenderFailed that says what to do, with no record written.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RenderFailed, renderRelease } from '../../../src/chart/render.ts';
import { HELM_HOME_PREFIX } from '../../../src/chart/helm-home.ts';
import { renderStep } from '../../../src/engine/render.ts';
import { runDeploy, type DeployOptions } from '../../../src/engine/sequence.ts';
import { startRegistry, type LocalRegistry } from '../../../src/local/registry.ts';
import type { Release } from '../../../src/release/record.ts';
import { historyRows } from '../../../src/release/views.ts';
import { indexRepo, makeTls, packageChart, serveChartRepo, writeChart, type ChartRepoServer, type Tls } from '../../harness/chart-repo.ts';
import { clients, helmOk, useNamespace } from '../../harness/cluster.ts';
import { engineDeps, expectHelmAgrees } from '../engine/harness.ts';
import { failure, orchestrationDeps, runDeploy as runMachine, succeeded, useLeaseDb } from '../orchestration/harness.ts';

const ns = useNamespace('chart-src');
const helmNs = useNamespace('chart-src-helm');
const leases = useLeaseDb();
const { core } = clients();

let work: string;
let tls: Tls;
let repo: ChartRepoServer;
let privateRepo: ChartRepoServer;
let registry: LocalRegistry;
let hung: { server: Server; sockets: Socket[]; url: string };

const CREDENTIALS = { username: 'charts', password: 'pw-Zq81-not-in-messages' };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'helmstep-chart-src-'));
  tls = await makeTls(join(work, 'pki'));
  const helm = inject('helm4');
  const repoDir = join(work, 'repo');
  for (const version of ['0.1.0', '0.2.0']) await packageChart(helm, writeChart(join(work, 'src'), 'greeter', version), repoDir);
  await indexRepo(helm, repoDir);
  repo = await serveChartRepo(repoDir, tls);
  privateRepo = await serveChartRepo(repoDir, tls, CREDENTIALS);
  registry = await startRegistry({ dir: join(work, 'registry') });
  for (const version of ['0.1.0', '0.2.0']) {
    const pushed = await helmOk(4, ['push', join(repoDir, `greeter-${version}.tgz`), `oci://${registry.host}/charts`, '--plain-http']);
    void pushed;
  }
  // A server that accepts connections and never answers: a hung repository.
  const sockets: Socket[] = [];
  const server = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hung = { server, sockets, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
});

afterAll(async () => {
  await repo?.close();
  await privateRepo?.close();
  await registry?.stop();
  for (const s of hung?.sockets ?? []) s.destroy();
  hung?.server.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

type Source = Pick<DeployOptions['request'], 'chart' | 'chartVersion' | 'repo' | 'caFile' | 'insecureSkipTlsVerify' | 'plainHttp' | 'username' | 'password'>;

function deploy(name: string, source: Source, namespace = ns.name) {
  return runDeploy(engineDeps(), {
    request: { namespace, name, ...source, mode: 'upgrade', installIfMissing: true, maxHistory: 10 },
    strategy: 'watcher',
    waitForJobs: false,
    timeoutMs: 60_000,
    rollbackOnFailure: false,
    cleanupOnFail: false,
    forceConflicts: false,
    pollSeconds: 0.5,
  });
}

async function records(name: string, namespace = ns.name): Promise<Release[]> {
  return (await engineDeps().store.history({ namespace, name })).map((h) => h.release);
}

async function renderError(name: string, source: Source): Promise<RenderFailed> {
  const err = await deploy(name, source).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RenderFailed);
  return err as RenderFailed;
}

const chartInfo = async (release: string) => (await core.readNamespacedConfigMap({ name: `${release}-info`, namespace: ns.name })).data?.chartVersion;

/** This process's per-render helm homes still in the temp dir (there must be none between renders). */
const leftoverHelmHomes = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`${HELM_HOME_PREFIX}${process.pid}-`));

describe('an HTTPS chart repository (--repo URL chart --version)', () => {
  it('installs 0.1.0 trusting the CA file, upgrades to 0.2.0 skipping verification; records, helm history and helm get manifest agree', async () => {
    const first = await deploy('web', { chart: 'greeter', chartVersion: '0.1.0', repo: repo.url, caFile: tls.caFile });
    expect(first.info.status).toBe('deployed');
    expect(first.chart?.metadata).toMatchObject({ name: 'greeter', version: '0.1.0', appVersion: '0.1.0' });
    expect(await chartInfo('web')).toBe('0.1.0');

    const second = await deploy('web', { chart: 'greeter', chartVersion: '0.2.0', repo: repo.url, insecureSkipTlsVerify: true });
    expect(second.version).toBe(2);
    expect(await chartInfo('web')).toBe('0.2.0');
    // The index, then each version's archive: what helm downloads.
    expect(repo.requests).toEqual(['/index.yaml', '/greeter-0.1.0.tgz', '/index.yaml', '/greeter-0.2.0.tgz']);

    const recs = await records('web');
    expect(recs.map((r) => [r.version, r.info.status, r.chart?.metadata?.version])).toEqual([
      [1, 'superseded', '0.1.0'],
      [2, 'deployed', '0.2.0'],
    ]);
    const helmHistory = JSON.parse(await helmOk(4, ['history', 'web', '-n', ns.name, '-o', 'json'])) as { revision: number; chart: string; app_version: string }[];
    expect(helmHistory.map((h) => [h.revision, h.chart, h.app_version])).toEqual([
      [1, 'greeter-0.1.0', '0.1.0'],
      [2, 'greeter-0.2.0', '0.2.0'],
    ]);
    expect(historyRows(recs, 256).map((r) => r.chart)).toEqual(['greeter-0.1.0', 'greeter-0.2.0']);
    for (const r of recs) expect(await helmOk(4, ['get', 'manifest', 'web', '-n', ns.name, '--revision', String(r.version)])).toBe(`${r.manifest}\n`);
    await expectHelmAgrees(engineDeps(), ns.name, 'web');
    expect(leftoverHelmHomes()).toEqual([]);
  });

  it('stores the same chart as the real `helm upgrade --install --repo` does', async () => {
    await helmOk(4, ['upgrade', '--install', 'web', 'greeter', '--repo', repo.url, '--version', '0.2.0', '--ca-file', tls.caFile, '-n', helmNs.name]);
    await deploy('same', { chart: 'greeter', chartVersion: '0.2.0', repo: repo.url, caFile: tls.caFile });
    const [byHelm] = await records('web', helmNs.name);
    const [byHelmstep] = await records('same');
    expect(byHelmstep?.chart).toEqual(byHelm?.chart);
    expect(byHelmstep?.chart?.metadata).toEqual({ apiVersion: 'v2', name: 'greeter', description: 'chart-source test chart', type: 'application', version: '0.2.0', appVersion: '0.2.0' });
    // Same templates, values and release name pattern: the manifests differ only by the name.
    expect(byHelmstep?.manifest?.replaceAll('same', 'web')).toBe(byHelm?.manifest);
  });

  it('takes credentials for a private repository, and never repeats the password', async () => {
    const ok = await deploy('private', { chart: 'greeter', chartVersion: '0.1.0', repo: privateRepo.url, caFile: tls.caFile, ...CREDENTIALS });
    expect(ok.chart?.metadata?.version).toBe('0.1.0');
    const refused = await renderError('private2', { chart: 'greeter', repo: privateRepo.url, caFile: tls.caFile, username: CREDENTIALS.username, password: 'wrong-pw-123' });
    expect(refused.kind).toBe('unauthorized');
    expect(refused.message).toMatch(/: failed to fetch https:\/\/127\.0\.0\.1:\d+\/index\.yaml : 401 Unauthorized; the repository https:\/\/127\.0\.0\.1:\d+ refused the request: give username and password/);
    expect(refused.message).not.toContain('wrong-pw-123');
    expect(await records('private2')).toEqual([]);
  });
});

describe('an oci:// registry', () => {
  it('installs and upgrades a pushed chart through the deploy state machine (--plain-http)', async () => {
    const deps = orchestrationDeps(leases.store());
    const chart = `oci://${registry.host}/charts/greeter`;
    const first = await runMachine(deps, ns.name, 'oci', chart, { chartVersion: '0.1.0', plainHttp: true });
    expect(succeeded(first)).toMatchObject({ revision: 1, status: 'deployed' });
    const second = await runMachine(deps, ns.name, 'oci', chart, { chartVersion: '0.2.0', plainHttp: true });
    expect(succeeded(second)).toMatchObject({ revision: 2, status: 'deployed', description: 'Upgrade complete' });
    expect((await records('oci')).map((r) => [r.version, r.info.status, r.chart?.metadata?.version])).toEqual([
      [1, 'superseded', '0.1.0'],
      [2, 'deployed', '0.2.0'],
    ]);
    expect(await chartInfo('oci')).toBe('0.2.0');
    await expectHelmAgrees(deps.engine, ns.name, 'oci');
  });

  it('a registry that is down: Render retries (retryable), then the execution fails with nothing written', async () => {
    const deps = orchestrationDeps(leases.store());
    const run = await runMachine(deps, ns.name, 'ocidown', 'oci://127.0.0.1:1/charts/greeter', { chartVersion: '0.1.0', plainHttp: true });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Retryable');
    expect(cause).toMatchObject({ state: 'Render', class: 'RenderFailed' });
    expect(cause.message).toMatch(/connection refused; the registry 127\.0\.0\.1:1 did not answer: check its URL/);
    expect(run.events.filter((e) => e.type === 'retried' && e.state === 'Render').length).toBe(6);
    expect(await records('ocidown')).toEqual([]);
  });

  it('a chart version the registry does not have stops at Render', async () => {
    const deps = orchestrationDeps(leases.store());
    const run = await runMachine(deps, ns.name, 'ocinover', `oci://${registry.host}/charts/greeter`, { chartVersion: '9.9.9', plainHttp: true });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Stop');
    expect(cause.message).toMatch(/: not found; the registry 127\.0\.0\.1:\d+ has no oci:\/\/127\.0\.0\.1:\d+\/charts\/greeter version 9\.9\.9: check the reference/);
    expect(await records('ocinover')).toEqual([]);
  });
});

describe('sources that fail say what to do, and write nothing', () => {
  it('unknown version', async () => {
    const e = await renderError('nover', { chart: 'greeter', chartVersion: '9.9.9', repo: repo.url, caFile: tls.caFile });
    expect([e.kind, e.retryable]).toEqual(['version-not-found', false]);
    expect(e.message).toBe(
      `helm could not render chart "greeter" 9.9.9 from ${repo.url} for release "nover" in namespace "${ns.name}": chart "greeter" version "9.9.9" not found in ${repo.url} repository; list the versions the repository ${repo.url} has (helm search repo, or its index.yaml) and give one of them as chartVersion`,
    );
    expect(await records('nover')).toEqual([]);
  });

  it('unknown chart', async () => {
    const e = await renderError('nochart', { chart: 'nope', repo: repo.url, caFile: tls.caFile });
    expect(e.kind).toBe('chart-not-found');
    expect(e.message).toMatch(/: chart "nope" not found in https:\/\/127\.0\.0\.1:\d+ repository; check the chart's name against the repository .*'s index\.yaml$/);
    expect(await records('nochart')).toEqual([]);
  });

  it('TLS without the CA', async () => {
    const e = await renderError('notrust', { chart: 'greeter', repo: repo.url });
    expect(e.kind).toBe('tls');
    expect(e.message).toMatch(/x509: certificate signed by unknown authority; the repository https:\/\/127\.0\.0\.1:\d+'s certificate is not trusted: give caFile with the CA that signed it/);
    expect(await records('notrust')).toEqual([]);
  });

  it('a CA file that is not there, and an inconsistent source, are refused before helm runs', async () => {
    const before = repo.requests.length;
    const noCa = await renderError('noca', { chart: 'greeter', repo: repo.url, caFile: join(work, 'missing-ca.crt') });
    expect(noCa.kind).toBe('invalid-source');
    expect(noCa.message).toMatch(/the CA file .*missing-ca\.crt cannot be read; caFile must be a readable PEM CA bundle/);
    const mixed = await renderError('mixed', { chart: `oci://${registry.host}/charts/greeter`, repo: repo.url });
    expect(mixed.message).toMatch(/an oci:\/\/ chart is a full reference: drop repo/);
    expect(repo.requests.length).toBe(before);
    expect(await records('noca')).toEqual([]);
  });

  it('a repository that accepts and never answers: the render gives up at its timeout, retryable', async () => {
    const e = await renderRelease({ ref: { namespace: ns.name, name: 'hung' }, chart: 'greeter', repo: hung.url, insecureSkipTlsVerify: true, helm: inject('helm4'), kubeconfig: inject('kubeconfig'), timeoutMs: 1500 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(RenderFailed);
    expect(e).toMatchObject({ kind: 'unreachable', retryable: true });
    expect((e as Error).message).toMatch(/helm did not finish within 1\.5 s; the chart download hung/);
    expect(leftoverHelmHomes()).toEqual([]);
  });
});

describe('render is safe to retry', () => {
  it('a re-run with the same owner resumes its pending record without downloading again, and no helm home is left behind', async () => {
    const deps = engineDeps();
    const req = { namespace: ns.name, name: 'retry', chart: 'greeter', chartVersion: '0.1.0', repo: repo.url, caFile: tls.caFile, mode: 'upgrade' as const, installIfMissing: true, maxHistory: 10, owner: 'exec-retry-1' };
    const before = repo.requests.length;
    const first = await renderStep(deps, req);
    expect(first).toMatchObject({ revision: 1, op: 'install', resumed: false });
    expect(repo.requests.length).toBe(before + 2);
    const again = await renderStep(deps, req);
    expect(again).toMatchObject({ revision: 1, op: 'install', resumed: true });
    expect(repo.requests.length).toBe(before + 2);
    expect((await records('retry')).map((r) => r.info.status)).toEqual(['pending-install']);
    expect(leftoverHelmHomes()).toEqual([]);
  });

  it("renders in a helm home of its own: the machine's helm cache and config are neither read nor written", async () => {
    const machineHelm = mkdtempSync(join(tmpdir(), 'helmstep-machine-helm-'));
    const saved = { cache: process.env.HELM_CACHE_HOME, config: process.env.HELM_CONFIG_HOME };
    process.env.HELM_CACHE_HOME = join(machineHelm, 'cache');
    process.env.HELM_CONFIG_HOME = join(machineHelm, 'config');
    try {
      // Someone's `helm repo add local <repo>`: a hermetic render does not see it.
      await helmOk(4, ['repo', 'add', 'local', repo.url, '--ca-file', tls.caFile, '--repository-config', join(machineHelm, 'config', 'repositories.yaml'), '--repository-cache', join(machineHelm, 'cache', 'repository')]);
      const before = readdirSync(join(machineHelm, 'cache', 'repository')).sort();
      const e = await renderError('hermetic', { chart: 'local/greeter' });
      expect(e.message).toMatch(/repo local not found; helmstep does not read repositories added with `helm repo add`: give the repository URL as repo and the chart's name alone \(chart: "greeter"/);
      const rendered = await deploy('hermetic', { chart: 'greeter', repo: repo.url, caFile: tls.caFile });
      expect(rendered.chart?.metadata?.version).toBe('0.2.0'); // no version: the newest
      expect(readdirSync(join(machineHelm, 'cache', 'repository')).sort()).toEqual(before);
      expect(readdirSync(join(machineHelm, 'cache'))).toEqual(['repository']);
    } finally {
      for (const [k, v] of [['HELM_CACHE_HOME', saved.cache], ['HELM_CONFIG_HOME', saved.config]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(machineHelm, { recursive: true, force: true });
    }
  });
});
