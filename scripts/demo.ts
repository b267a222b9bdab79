/**
 * `npm run demo` - the embedded default, end to end on real parts: a local Kubernetes control
 * plane (built and cached on first run), the real helm 4 and helm 3 binaries, and helmstep's
 * release engine acting on one release with them through the cluster's Helm release Secrets.
 *
 * The story of a release (each part says in one line what it shows):
 *   1. helmstep installs the sample chart (Deployment, Service, ConfigMap; kwok plays the nodes);
 *   2. helmstep upgrades it: the pre-upgrade backup hook, the apply, the readiness wait, and the
 *      post-upgrade migration hook, which is recorded with the revision;
 *   3. an upgrade with a crash-looping image and --atomic fails its wait and is rolled back;
 *   4. a rollback to revision 1 is planned (--dry-run), then refused: a migration ran since;
 *   5. the rollback is forced, and the override is recorded in the revision's description;
 *   6. helm 3 and helm 4 take over: helm upgrades helmstep's release, helmstep rolls helm's back;
 *   7. `helmstep history` beside the real `helm history` of the same release.
 * Pass `--keep` to leave the control plane running (stop it with the kill line it prints).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../src/local/controlplane/start.ts';
import { ensureHelm } from '../src/local/helm-binaries.ts';

const chart = fileURLToPath(new URL('../test/fixtures/charts/webapp', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const keep = process.argv.includes('--keep');

function part(title: string): void {
  console.log(`\n=== ${title}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const [helm4, helm3] = await Promise.all([ensureHelm(4), ensureHelm(3)]);
  const dir = mkdtempSync(join(tmpdir(), 'helmstep-demo-'));
  const plane = await startControlPlane({ dir, detached: keep });
  const env = {
    ...process.env,
    KUBECONFIG: plane.kubeconfig,
    HELMSTEP_HELM: helm4.helm,
    HELM_CONFIG_HOME: join(dir, 'helm'),
    HELM_CACHE_HOME: join(dir, 'helm'),
    HELM_DATA_HOME: join(dir, 'helm'),
  };
  const sh = (bin: string, args: string[], allowFail = false) => {
    const label = bin === process.execPath ? 'helmstep' : bin === helm3.helm ? 'helm3' : (bin.split('/').at(-1) ?? bin);
    const shown = bin === process.execPath ? args.slice(3) : args;
    console.log(`$ ${label} ${shown.join(' ')}`);
    const r = spawnSync(bin, args, { env, encoding: 'utf8' });
    process.stdout.write(r.stderr); // progress first: it happened before the summary
    process.stdout.write(r.stdout);
    if (r.status !== 0 && !allowFail) throw new Error(`${label} ${shown.join(' ')} failed (exit ${r.status})`);
  };
  const helmstep = (args: string[], allowFail = false) => sh(process.execPath, ['--import', 'tsx', cli, ...args], allowFail);
  try {
    const ns = ['-n', 'demo'];
    sh(helm4.kubectl, ['create', 'namespace', 'demo']);

    part('1. helmstep installs the sample chart and waits until it is ready');
    helmstep(['install', 'web', chart, ...ns, '--set', 'message=v1', '--wait', '--timeout', '2m']);

    part('2. helmstep upgrades it: backup hook, apply, readiness, then the migration hook (recorded with the revision)');
    helmstep(['upgrade', 'web', chart, ...ns, '--set', 'message=v2', '--set', 'migration.enabled=true', '--wait', '--timeout', '2m']);

    part('3. a crash-looping image with --atomic: the wait fails and helmstep rolls back to the last good revision');
    helmstep(['upgrade', 'web', chart, ...ns, '--set', 'message=v3', '--set', 'podBehaviour=crashloop', '--atomic', '--timeout', '10s'], true);

    part('4. a rollback to revision 1 is planned, then refused: a migration ran since (forward-fix)');
    helmstep(['rollback', 'web', '1', ...ns, '--dry-run']);
    helmstep(['rollback', 'web', '1', ...ns], true);

    part('5. the rollback is forced; the override is recorded in the revision');
    helmstep(['rollback', 'web', '1', ...ns, '--force', '--wait']);

    part('6. helm takes over: helm 3 upgrades helmstep’s release, helmstep rolls helm’s revision back');
    sh(helm3.helm, ['upgrade', 'web', chart, ...ns, '--set', 'message=from helm 3']);
    helmstep(['rollback', 'web', ...ns, '--wait']);

    part('7. helmstep history beside the real helm history of the same release');
    helmstep(['history', 'web', ...ns]);
    sh(helm4.helm, ['history', 'web', ...ns]);
    console.log(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
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
