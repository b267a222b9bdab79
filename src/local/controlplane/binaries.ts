import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, contentKey, fillOnce, progress } from '../cache.ts';
import { runGo } from '../go.ts';

/** Versions of the local control plane. The Go module in ./kube pins them; keep them in step. */
export const KUBERNETES_VERSION = 'v1.34.5';
export const KWOK_VERSION = 'v0.8.0';

const moduleDir = fileURLToPath(new URL('./kube', import.meta.url));

export interface ControlPlaneBinaries {
  readonly dir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kwok: string;
  readonly certgen: string;
}

function paths(dir: string): ControlPlaneBinaries {
  return {
    dir,
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    kwok: join(dir, 'kwok'),
    certgen: join(dir, 'certgen'),
  };
}

// Stamped like a release build, so `kubectl version`, helm's .Capabilities.KubeVersion and
// charts' kubeVersion constraints see v1.34.5 rather than v0.0.0-master.
const versionLdflags = [
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  `-X k8s.io/component-base/version.gitMajor=1`,
  `-X k8s.io/component-base/version.gitMinor=34`,
  `-X k8s.io/component-base/version.gitTreeState=clean`,
].join(' ');

interface BuildStep {
  readonly name: string;
  readonly args: (out: string) => string[];
  readonly env?: (out: string) => Record<string, string>;
}

const steps: readonly BuildStep[] = [
  ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((cmd) => ({
    name: cmd,
    args: (out: string) => ['build', '-trimpath', '-ldflags', `-s -w ${versionLdflags}`, '-o', join(out, cmd), `k8s.io/kubernetes/cmd/${cmd}`],
  })),
  { name: 'etcd', args: (out) => ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(out, 'etcd'), 'go.etcd.io/etcd/server/v3'] },
  { name: 'certgen', args: (out) => ['build', '-trimpath', '-o', join(out, 'certgen'), './certgen'] },
  {
    // kwok needs newer k8s.io libraries than the control plane, so it is built from its own module.
    name: 'kwok',
    args: () => ['install', '-trimpath', '-ldflags', '-s -w', `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`],
    env: (out) => ({ GOBIN: out, GOFLAGS: '-mod=mod' }),
  },
];

/**
 * Returns the control-plane binaries, building them from their Go modules on first use
 * (5 to 15 minutes cold on 2 cores) into `~/.cache/helmstep/controlplane/<version>-<key>/`.
 * The key covers go.mod, go.sum and certgen's source, so a pin change rebuilds.
 */
export async function ensureControlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  const key = contentKey(
    [join(moduleDir, 'go.mod'), join(moduleDir, 'go.sum'), join(moduleDir, 'certgen', 'main.go')],
    [KWOK_VERSION, process.arch, 'cgo=0'],
  );
  const dir = join(cacheRoot(), 'controlplane', `k8s-${KUBERNETES_VERSION}-kwok-${KWOK_VERSION}-${key}`);
  await fillOnce(dir, async (staging) => {
    progress(`building the local control plane (Kubernetes ${KUBERNETES_VERSION}, kwok ${KWOK_VERSION}) from Go modules into ${dir}`);
    progress('a cold build (module downloads included) takes 5 to 15 minutes on 2 cores; later runs reuse the cache');
    let i = 0;
    for (const step of steps) {
      i++;
      const started = Date.now();
      progress(`  [${i}/${steps.length}] go build ${step.name} ...`);
      await runGo({
        moduleDir,
        args: step.args(staging),
        ...(step.env ? { env: step.env(staging) } : {}),
        purpose: 'the local control plane',
        heartbeat: `[${i}/${steps.length}] still building ${step.name}`,
      });
      progress(`  [${i}/${steps.length}] ${step.name} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  });
  return paths(dir);
}
