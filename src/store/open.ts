/**
 * Opens the release store for the CLI at the lowest start-up cost: a kubeconfig that the light
 * loader handles gets a store that reads over plain HTTPS; any other (exec plugins, auth
 * providers, proxies, several files, in-cluster) loads @kubernetes/client-node, as connect() does.
 */
import { loadKubeconfig, type KubeconfigOptions } from '../kube/kubeconfig.ts';
import { DirectSecretsReleaseStore, httpsReader } from './direct.ts';
import type { ReleaseStore } from './release-store.ts';

export interface OpenedStore {
  readonly store: ReleaseStore;
  /** The context's namespace, else "default" (as helm does). */
  readonly defaultNamespace: string;
  /** How the store reaches the cluster: 'direct' (plain HTTPS) or 'client-node'. */
  readonly via: 'direct' | 'client-node';
  /** Closes idle connections (lets the process exit at once). */
  close(): void;
}

async function fullStore(opts: KubeconfigOptions): Promise<OpenedStore> {
  const { connect, defaultNamespace } = await import('./kube.ts');
  const cluster = connect(opts);
  return { store: cluster.store, defaultNamespace: defaultNamespace(cluster.kubeConfig), via: 'client-node', close: () => undefined };
}

/**
 * The store on the cluster `opts` (and $KUBECONFIG, $HOME in `env`) name. Throws KubeconfigError
 * as connect() does. Writes through a direct store load client-node on first use.
 */
export async function openStore(opts: KubeconfigOptions, env: Readonly<Record<string, string | undefined>> = process.env): Promise<OpenedStore> {
  const loaded = loadKubeconfig(opts, env);
  if (loaded.kind === 'full') return fullStore(opts);
  const { connection } = loaded;
  const api = httpsReader(connection);
  const store = new DirectSecretsReleaseStore(api, connection.server, async () => (await fullStore(opts)).store);
  return { store, defaultNamespace: connection.namespace ?? 'default', via: 'direct', close: () => api.close() };
}
