import { existsSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { HelmstepError } from '../release/errors.ts';
import { SecretsReleaseStore } from './secrets.ts';

export interface ConnectOptions {
  /** Path to a kubeconfig; default $KUBECONFIG, then ~/.kube/config (as kubectl and helm do). */
  readonly kubeconfig?: string;
  /** Context to use instead of the kubeconfig's current-context. */
  readonly context?: string;
}

/** The kubeconfig is missing, unreadable or names no usable cluster. */
export class KubeconfigError extends HelmstepError {
  override readonly name = 'KubeconfigError';
  readonly reason = 'KubeconfigError';
}

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
        throw new KubeconfigError(`kubeconfig ${opts.kubeconfig} does not exist; pass an existing file to --kubeconfig`);
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
      const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new KubeconfigError(`context "${opts.context}" is not in the kubeconfig (contexts: ${known}); pick one with --kube-context`);
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeconfigError('the kubeconfig has no current cluster; pass --kubeconfig or --kube-context, or set KUBECONFIG');
  }
  const core = kc.makeApiClient(CoreV1Api);
  return { kubeConfig: kc, server: cluster.server, core, store: new SecretsReleaseStore(core, cluster.server) };
}

/** The namespace to use when none is given: the context's, else "default" (as helm does). */
export function defaultNamespace(kc: KubeConfig): string {
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace ?? 'default';
}
