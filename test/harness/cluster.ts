import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';

export const FIXTURE_CHARTS = fileURLToPath(new URL('../fixtures/charts', import.meta.url));
export const webappChart = join(FIXTURE_CHARTS, 'webapp');

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  return kc;
}

export function clients(kc = kubeConfig()) {
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api) };
}

/** A namespace of this test file's own, created before its tests and deleted after them. */
export function useNamespace(prefix: string): { readonly name: string } {
  const ns = { name: `${prefix}-${randomBytes(3).toString('hex')}` };
  beforeAll(async () => {
    await clients().core.createNamespace({ body: { metadata: { name: ns.name } } });
  });
  afterAll(async () => {
    await clients().core.deleteNamespace({ name: ns.name });
  });
  return ns;
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// Helm keeps its own config, cache and data out of the developer's home.
const helmHome = mkdtempSync(join(tmpdir(), 'helmstep-helm-home-'));
afterAll(() => rmSync(helmHome, { recursive: true, force: true }));

/** Runs the real helm binary (3 or 4) against the test control plane; never throws on exit codes. */
export function helm(major: 3 | 4, args: readonly string[]): Promise<Run> {
  const bin = inject(major === 4 ? 'helm4' : 'helm3');
  return new Promise((resolve) => {
    execFile(
      bin,
      [...args, '--kubeconfig', inject('kubeconfig')],
      {
        env: {
          PATH: process.env.PATH,
          HOME: helmHome,
          HELM_CONFIG_HOME: join(helmHome, `config${major}`),
          HELM_CACHE_HOME: join(helmHome, `cache${major}`),
          HELM_DATA_HOME: join(helmHome, `data${major}`),
          TZ: process.env.TZ ?? 'UTC',
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Like helm(), but fails the test with helm's own stderr when helm exits non-zero. */
export async function helmOk(major: 3 | 4, args: readonly string[]): Promise<string> {
  const r = await helm(major, args);
  if (r.code !== 0) throw new Error(`helm ${major} ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Creates a helm release Secret whose data is not a release (gzip magic, then junk), labelled
 * as revision `version` of `release`: the corrupt record that stores must name, never skip.
 */
export async function createCorruptReleaseSecret(namespace: string, release: string, version: number): Promise<void> {
  await clients().core.createNamespacedSecret({
    namespace,
    body: {
      metadata: {
        name: `sh.helm.release.v1.${release}.v${version}`,
        labels: { name: release, owner: 'helm', status: 'deployed', version: String(version) },
      },
      type: 'helm.sh/release.v1',
      data: { release: Buffer.from('H4sIAAAAthis is not a gzip stream').toString('base64') },
    },
  });
}
