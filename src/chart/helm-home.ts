/**
 * Where helm keeps its state while helmstep renders: a fresh folder per render under the OS
 * temp dir (`/tmp` in Lambda, the only writable path there), removed when the render ends.
 *
 * helm writes repository indexes and downloaded charts to its cache and reads repositories
 * and registry logins from its config. Pointing all of them (cache, config, data, registry
 * config, and the repository paths derived from them) at the per-render folder keeps renders
 * hermetic (nothing from `helm repo add` or `helm registry login` on the machine leaks in),
 * lets concurrent renders in one process not share files, needs no writable HOME, and leaves
 * nothing behind after a retry or a crash of the render itself. A chart is downloaded again
 * on each render: charts are small, and renders are few (one per operation, plus retries).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The prefix of the per-render folders (`<tmp>/helmstep-helm-<pid>-XXXXXX`). */
export const HELM_HOME_PREFIX = 'helmstep-helm-';

export function helmHomeEnv(home: string): Record<string, string> {
  return {
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    HELM_REGISTRY_CONFIG: join(home, 'config', 'registry', 'config.json'),
    HELM_REPOSITORY_CONFIG: join(home, 'config', 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: join(home, 'cache', 'repository'),
  };
}

/** Runs `fn` with the environment of a fresh helm home, then removes the home whatever happened. */
export async function withHelmHome<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), `${HELM_HOME_PREFIX}${process.pid}-`));
  try {
    return await fn(helmHomeEnv(home));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
