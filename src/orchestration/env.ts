/**
 * The handlers' deps in AWS Lambda, built once per container from the environment:
 *
 *   HELMSTEP_CLUSTER_NAME       the cluster these functions deploy to (required)
 *   HELMSTEP_LEASE_TABLE        the DynamoDB lease table (required)
 *   HELMSTEP_AUDIT_TABLE        the audit log's table (required: every transition is logged)
 *   HELMSTEP_AUDIT_BUCKET       S3 bucket for record bodies over the item limit (and
 *   HELMSTEP_AUDIT_PREFIX       a key prefix in it); without it such a record is not copied
 *   HELMSTEP_HELM               the helm binary (default /opt/helm/helm, from the kubectl layer)
 *   KUBECONFIG                  a kubeconfig file for the cluster (see ClusterAccess below)
 *   HELMSTEP_LEASE_TTL_SECONDS  lease lifetime without renewal (default 900)
 *   HELMSTEP_POLL_SECONDS       how soon poll loops ask again (default 5)
 *   POWERTOOLS_LOG_LEVEL        log level of the JSON logs (Powertools' own variable)
 *
 * The HealthGate's gate checks (src/gate) get a CloudWatch client from the function's role and
 * region; Prometheus is queried at the URL each request's gate names.
 */
import { existsSync } from 'node:fs';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { gatePoller } from '../gate/index.ts';
import { openKubeClient } from '../kube/client.ts';
import { connect } from '../store/kube.ts';
import { DEFAULT_LEASE_TTL_MS, type LogFactory, type OrchestrationDeps } from './deps.ts';
import { objectStoreFromEnv } from '../audit/s3.ts';
import { AuditStore } from '../audit/store.ts';
import { auditRecorder } from './audit.ts';
import { DynamoLeaseStore } from './lease.ts';
import { powertoolsMetrics } from './metrics.ts';

/** Structured JSON logs through Powertools; each invocation's lines carry executionId and state. */
export function powertoolsLog(logger = new Logger({ serviceName: 'helmstep' })): LogFactory {
  return (keys) => {
    const child = logger.createChild({ persistentKeys: { executionId: keys.executionId, state: keys.state } });
    return {
      debug: (m, a) => child.debug(m, ...(a ? [a] : [])),
      info: (m, a) => child.info(m, ...(a ? [a] : [])),
      warn: (m, a) => child.warn(m, ...(a ? [a] : [])),
      error: (m, a) => child.error(m, ...(a ? [a] : [])),
    };
  };
}

/**
 * How a function reaches its cluster: a kubeconfig file. Here and in tests it is given
 * (KUBECONFIG). TODO(EKS): an implementation that writes one for an EKS cluster — DescribeCluster
 * for the endpoint and CA, and a bearer token from an STS GetCallerIdentity request presigned
 * with the `x-k8s-aws-id: <cluster>` header (what `aws eks get-token` does), refreshed before
 * its 15 minutes run out. It cannot be tested without EKS, so it is not written yet.
 */
export interface ClusterAccess {
  kubeconfigPath(): Promise<string>;
}

export const kubeconfigFromEnv: ClusterAccess = {
  kubeconfigPath() {
    const path = process.env.KUBECONFIG;
    if (!path || !existsSync(path)) {
      return Promise.reject(new Error('KUBECONFIG does not name a kubeconfig file: set it to the cluster\'s kubeconfig (EKS token access is not implemented yet)'));
    }
    return Promise.resolve(path);
  },
};

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set: the stack sets it on every helmstep function`);
  return v;
}

export async function depsFromEnv(access: ClusterAccess = kubeconfigFromEnv): Promise<OrchestrationDeps> {
  const kubeconfig = await access.kubeconfigPath();
  const cluster = connect({ kubeconfig });
  const dynamo = new DynamoDBClient({});
  const clusterName = required('HELMSTEP_CLUSTER_NAME');
  const objects = await objectStoreFromEnv(process.env);
  const audit = new AuditStore({ client: dynamo, tableName: required('HELMSTEP_AUDIT_TABLE'), ...(objects ? { objects } : {}) });
  const ttlSeconds = Number(process.env.HELMSTEP_LEASE_TTL_SECONDS ?? '');
  const pollSeconds = Number(process.env.HELMSTEP_POLL_SECONDS ?? '');
  return {
    engine: {
      store: cluster.store,
      kube: openKubeClient(cluster.kubeConfig),
      helm: process.env.HELMSTEP_HELM ?? '/opt/helm/helm',
      kubeconfig,
      now: () => new Date(),
    },
    lease: new DynamoLeaseStore(dynamo, required('HELMSTEP_LEASE_TABLE')),
    leaseTtlMs: ttlSeconds > 0 ? ttlSeconds * 1000 : DEFAULT_LEASE_TTL_MS,
    cluster: clusterName,
    log: powertoolsLog(),
    pollSeconds: pollSeconds > 0 ? pollSeconds : 5,
    gate: gatePoller({ cloudwatch: new CloudWatchClient({}) }),
    metrics: powertoolsMetrics(),
    audit: auditRecorder(audit, cluster.store, clusterName),
  };
}
