/**
 * The state machines' deps on this machine: the engine on the kubeconfig's cluster, the lease
 * table and the audit log in the local state (state.ts), and the gate (Prometheus, and CloudWatch
 * alarms with the AWS credentials of the environment). What the CLI and `helmstep serve` run the
 * local Step Functions engine with; in AWS, src/orchestration/env.ts builds the same from Lambda's
 * environment.
 */
import { AuditStore } from '../audit/store.ts';
import type { EngineDeps, ProgressEvent } from '../engine/types.ts';
import { openKubeClient } from '../kube/client.ts';
import { auditRecorder } from '../orchestration/audit.ts';
import { DEFAULT_LEASE_TTL_MS, silentLog, type GatePoller, type LogFactory, type OrchestrationDeps } from '../orchestration/deps.ts';
import { DynamoLeaseStore } from '../orchestration/lease.ts';
import { connect } from '../store/kube.ts';
import { clusterName } from './cluster-name.ts';
import { openLocalServices, type Env, type LocalServices, type OpenOptions } from './state.ts';

// Moved to cluster-name.ts so light commands can import it; re-exported for existing callers.
export { clusterName } from './cluster-name.ts';

export interface LocalOrchestrationOptions {
  readonly env: Env;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
  /** The helm binary that renders. */
  readonly helm: string;
  /** Reuse open services (serve); otherwise they are opened here and closed by close(). */
  readonly services?: LocalServices;
  readonly open?: OpenOptions;
  readonly log?: LogFactory;
  readonly progress?: (e: ProgressEvent) => void;
  /** How soon poll loops ask again (seconds; default 2). */
  readonly pollSeconds?: number;
  readonly leaseTtlMs?: number;
}

export interface LocalOrchestration {
  readonly deps: OrchestrationDeps;
  readonly services: LocalServices;
  readonly cluster: string;
  close(): Promise<void>;
}

/** The gate poller, built on first use: the AWS SDK's CloudWatch client costs start-up time. */
function lazyGate(): GatePoller {
  let poller: Promise<GatePoller> | undefined;
  return async (deps, spec, state, now) => {
    poller ??= (async () => {
      const [{ gatePoller }, { CloudWatchClient }] = await Promise.all([import('../gate/poller.ts'), import('@aws-sdk/client-cloudwatch')]);
      return gatePoller({ cloudwatch: new CloudWatchClient({}) });
    })();
    return (await poller)(deps, spec, state, now);
  };
}

export async function openLocalOrchestration(o: LocalOrchestrationOptions): Promise<LocalOrchestration> {
  // The local state opens (LevelDB's files, off the main thread) while the kubeconfig is read.
  const opening = o.services ? Promise.resolve(o.services) : openLocalServices(o.env, o.open);
  let kube: ReturnType<typeof connect>;
  try {
    kube = connect({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), ...(o.kubeContext ? { context: o.kubeContext } : {}) });
  } catch (err) {
    if (!o.services) await opening.then((s) => s.close()).catch(() => undefined);
    throw err;
  }
  const cluster = clusterName(o.env, o.kubeContext ?? kube.kubeConfig.getCurrentContext());
  const services = await opening;
  const kubeconfig = o.kubeconfig ?? o.env.KUBECONFIG;
  const engine: EngineDeps = {
    store: kube.store,
    kube: openKubeClient(kube.kubeConfig),
    helm: o.helm,
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(o.kubeContext ? { kubeContext: o.kubeContext } : {}),
    now: () => new Date(),
    ...(o.progress ? { progress: o.progress } : {}),
  };
  const audit = new AuditStore({ client: services.dynamo, tableName: services.tables.audit, objects: services.objects });
  const deps: OrchestrationDeps = {
    engine,
    lease: new DynamoLeaseStore(services.dynamo, services.tables.leases),
    leaseTtlMs: o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    cluster,
    log: o.log ?? silentLog,
    pollSeconds: o.pollSeconds ?? 2,
    gate: lazyGate(),
    audit: auditRecorder(audit, kube.store, cluster),
  };
  return {
    deps,
    services,
    cluster,
    close: async () => {
      if (!o.services) await services.close();
    },
  };
}
