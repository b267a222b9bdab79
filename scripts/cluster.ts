/**
 * `npm run cluster:build | cluster:up | cluster:down` - the local control plane by hand.
 * `up` keeps it running in the background (state in ~/.cache/helmstep/run/cluster) and prints
 * its kubeconfig; `down` stops its processes by their PIDs. Tests start their own unless
 * HELMSTEP_TEST_KUBECONFIG points at this one.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, exists } from '../src/local/cache.ts';
import { ensureControlPlaneBinaries } from '../src/local/controlplane/binaries.ts';
import { alive } from '../src/local/daemon.ts';
import { startControlPlane, stopPids } from '../src/local/controlplane/start.ts';
import { ensureHelm } from '../src/local/helm-binaries.ts';
import { ensurePrometheusBinary, ensurePromtool } from '../src/local/prometheus.ts';
import { ensureRegistryBinary } from '../src/local/registry.ts';

const runDir = join(cacheRoot(), 'run', 'cluster');
const stateFile = join(runDir, 'state.json');

interface State {
  kubeconfig: string;
  server: string;
  pids: Record<string, number>;
}

function readState(): State | undefined {
  return exists(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as State) : undefined;
}

async function down(): Promise<void> {
  const state = readState();
  if (state) await stopPids(state.pids);
  rmSync(runDir, { recursive: true, force: true });
  console.log(state ? 'control plane stopped' : 'no control plane was running');
}

async function up(): Promise<void> {
  const state = readState();
  if (state && Object.values(state.pids).every(alive)) {
    console.log(`control plane already running at ${state.server}\nexport KUBECONFIG=${state.kubeconfig}`);
    return;
  }
  if (state) await down();
  mkdirSync(runDir, { recursive: true });
  await Promise.all([ensureHelm(4), ensureHelm(3)]);
  const plane = await startControlPlane({ dir: runDir, detached: true });
  writeFileSync(stateFile, JSON.stringify({ kubeconfig: plane.kubeconfig, server: plane.server, pids: plane.pids }, null, 2));
  const helm = await ensureHelm(4);
  console.log(
    [
      `control plane running at ${plane.server}`,
      `export KUBECONFIG=${plane.kubeconfig}`,
      `helm 4: ${helm.helm}`,
      `kubectl: ${helm.kubectl}`,
      'stop it with: npm run cluster:down',
    ].join('\n'),
  );
}

const verb = process.argv[2];
try {
  if (verb === 'up') await up();
  else if (verb === 'down') await down();
  else if (verb === 'build') {
    const bin = await ensureControlPlaneBinaries();
    await Promise.all([ensureHelm(4), ensureHelm(3)]);
    // The health-gate tests' Prometheus: built here too, so one command warms every cache.
    const prometheus = await ensurePrometheusBinary();
    console.log(`control plane binaries in ${bin.dir}\nprometheus: ${prometheus}\npromtool: ${await ensurePromtool()}`);
    console.log(`OCI registry (oci:// chart tests): ${await ensureRegistryBinary()}`);
  } else {
    console.error('usage: cluster.ts up|down|build');
    process.exitCode = 2;
  }
} catch (err) {
  console.error(`helmstep: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
