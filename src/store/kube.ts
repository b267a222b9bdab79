/**
 * The cluster through @kubernetes/client-node: every kubeconfig it understands (exec plugins and
 * auth providers included), its API clients, and the Secrets release store on them. Importing
 * this module loads client-node, which is slow: the CLI's read path opens its store with
 * openStore() (open.ts) and comes here only when it must.
 */
import { existsSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeconfigError, missingKubeconfig, noCurrentCluster, unknownContext, type KubeconfigOptions } from '../kube/kubeconfig.ts';
import { SecretsReleaseStore } from './secrets.ts';

export { KubeconfigError };

export type ConnectOptions = KubeconfigOptions;

export interface Cluster {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  readonly core: CoreV1Api;
  readonly store: SecretsReleaseStore;
}

/** Loads a kubeconfig the way kubectl/helm do and opens the Secrets release store on it. */
export function connect(opts: ConnectOptions = {}): Cluster {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) {
      if (!existsSync(opts.kubeconfig)) {
        throw missingKubeconfig(opts.kubeconfig);
      }
      kc.loadFromFile(opts.kubeconfig);
    } else {
      kc.loadFromDefault();
    }
  } catch (err) {
    if (err instanceof KubeconfigError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new KubeconfigError(`could not load the kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''}: ${detail}`, { cause: err });
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw unknownContext(opts.context, kc.getContexts().map((c) => c.name));
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw noCurrentCluster();
  }
  const core = kc.makeApiClient(CoreV1Api);
  return { kubeConfig: kc, server: cluster.server, core, store: new SecretsReleaseStore(core, cluster.server) };
}

/** The namespace to use when none is given: the context's, else "default" (as helm does). */
export function defaultNamespace(kc: KubeConfig): string {
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace ?? 'default';
}
