/**
 * `npm run demo` - the embedded default, end to end on real parts: a local Kubernetes control
 * plane (built and cached on first run), the real helm 4 and helm 3 binaries, and helmstep
 * sharing one release with them through the cluster's Helm release Secrets.
 *
 * What it shows today (the Step Functions deploy pipeline arrives with its own issue):
 *   1. helm 4 installs the sample chart; kwok plays the nodes, so the Deployment becomes Available;
 *   2. helm 3 upgrades it through its pre-upgrade backup hook Job;
 *   3. helmstep reads those records: history, status, values, diff between the revisions;
 *   4. helmstep takes the release's lock (a pending-upgrade record rendered by helm's engine),
 *      helm upgrade is refused with helm's own error, and helmstep records the upgrade failed;
 *   5. helm rolls back onto helmstep's records; helmstep's history shows every step.
 * Pass `--keep` to leave the control plane running (stop it with `npm run cluster:down`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beginUpgrade, failOperation } from '../src/actions/index.ts';
import { renderRelease } from '../src/chart/render.ts';
import { startControlPlane } from '../src/local/controlplane/start.ts';
import { ensureHelm } from '../src/local/helm-binaries.ts';
import { connect } from '../src/store/kube.ts';

const chart = fileURLToPath(new URL('../test/fixtures/charts/webapp', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const keep = process.argv.includes('--keep');

function step(title: string): void {
  console.log(`\n=== ${title}`);
}

async function main(): Promise<void> {
  const [helm4, helm3] = await Promise.all([ensureHelm(4), ensureHelm(3)]);
  const dir = mkdtempSync(join(tmpdir(), 'helmstep-demo-'));
  const plane = await startControlPlane({ dir, detached: keep });
  const env = { ...process.env, KUBECONFIG: plane.kubeconfig, HELM_CONFIG_HOME: join(dir, 'helm'), HELM_CACHE_HOME: join(dir, 'helm'), HELM_DATA_HOME: join(dir, 'helm') };
  const sh = (bin: string, args: string[], allowFail = false) => {
    console.log(`$ ${bin.split('/').at(-1)} ${args.join(' ')}`);
    const r = spawnSync(bin, args, { env, encoding: 'utf8' });
    process.stdout.write(r.stdout);
    process.stdout.write(r.stderr);
    if (r.status !== 0 && !allowFail) throw new Error(`${bin} ${args.join(' ')} failed`);
  };
  const helmstep = (args: string[]) => {
    console.log(`$ helmstep ${args.join(' ')}`);
    process.stdout.write(execFileSync(process.execPath, ['--import', 'tsx', cli, ...args], { env, encoding: 'utf8' }));
  };
  try {
    const ns = ['-n', 'demo'];
    sh(helm4.kubectl, ['create', 'namespace', 'demo']);

    step('1. helm 4 installs the sample chart (a Deployment, a Service, a ConfigMap, a backup hook)');
    sh(helm4.helm, ['install', 'web', chart, ...ns, '--wait', '--timeout', '2m']);
    sh(helm4.kubectl, ['get', 'deployment,pods', ...ns]);

    step('2. helm 3 upgrades it; the pre-upgrade backup hook Job runs first');
    sh(helm3.helm, ['upgrade', 'web', chart, ...ns, '--set', 'message=hello from v2', '--wait', '--timeout', '2m']);
    sh(helm4.kubectl, ['get', 'jobs', ...ns]);

    step('3. helmstep reads the records helm wrote');
    helmstep(['history', 'web', ...ns]);
    helmstep(['get', 'values', 'web', ...ns]);
    helmstep(['diff', 'web', '1', '2', ...ns]);

    step('4. helmstep takes the lock with a pending-upgrade record (rendered by helm’s engine)');
    const { store } = connect({ kubeconfig: plane.kubeconfig });
    const ref = { namespace: 'demo', name: 'web' };
    const rendered = await renderRelease({ ref, chart, set: ['message=hello from v3'], helm: helm4.helm, kubeconfig: plane.kubeconfig });
    const owner = 'demo-step-4';
    const { pending } = await beginUpgrade(store, ref, rendered, { owner });
    console.log(`helmstep wrote revision ${pending.release.version}: ${pending.release.info.status} "${pending.release.info.description}"`);
    sh(helm4.helm, ['upgrade', 'web', chart, ...ns, '--set', 'message=someone else'], true);
    await failOperation(store, ref, pending.release.version, 'upgrade', new Error('demo: stopped before applying anything'), { owner });
    helmstep(['history', 'web', ...ns]);

    step('5. helm rolls back onto helmstep’s records');
    sh(helm4.helm, ['rollback', 'web', '1', ...ns, '--wait']);
    helmstep(['history', 'web', ...ns]);
    helmstep(['status', 'web', ...ns]);
    if (keep) console.log(`\ncontrol plane left running: export KUBECONFIG=${plane.kubeconfig}\nstop it with: kill ${Object.values(plane.pids).join(' ')}`);
  } finally {
    if (!keep) {
      await plane.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(`helmstep demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
