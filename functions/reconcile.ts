/**
 * The reconciler's Lambda, run on a schedule (EventBridge): copies every revision the cluster
 * has and the audit log lacks, and logs log revisions whose Secret is gone — pruned by the history
 * max (info) or unexplained (a warning per release, for an alarm on the log). Core:
 * src/audit/reconcile.ts. Environment (besides the cluster access of src/orchestration/env.ts):
 *
 *   HELMSTEP_CLUSTER_NAME    the cluster's name in the audit keys (required)
 *   HELMSTEP_AUDIT_TABLE     the audit table (required)
 *   HELMSTEP_AUDIT_BUCKET    the S3 bucket for record bodies over the item limit (optional; see below)
 *   HELMSTEP_HISTORY_MAX     the history max releases are deployed with (default 10; 0 = unlimited)
 *   HELMSTEP_RECONCILE_NAMESPACE  one namespace instead of all
 *
 * Record bodies over 350 KB go to S3 (src/audit/s3.ts, HELMSTEP_AUDIT_BUCKET); without a bucket
 * such a revision is refused with AuditRecordTooLarge, naming it, and the others are still copied.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';

import { AuditQueries } from '../src/audit/queries.ts';
import { reconcile, type ReconcileDeps, type ReconcileReport, type ReconcileScope } from '../src/audit/reconcile.ts';
import { objectStoreFromEnv } from '../src/audit/s3.ts';
import { AuditStore } from '../src/audit/store.ts';
import { kubeconfigFromEnv } from '../src/orchestration/env.ts';
import { connect } from '../src/store/kube.ts';

export interface ReconcileRun {
  readonly deps: ReconcileDeps;
  readonly scope: ReconcileScope;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set: the stack sets it on the reconciler function`);
  return v;
}

export async function reconcileFromEnv(env: Env = process.env): Promise<ReconcileRun> {
  const kubeconfig = await kubeconfigFromEnv.kubeconfigPath();
  const table = required(env, 'HELMSTEP_AUDIT_TABLE');
  const client = new DynamoDBClient({});
  const max = Number(env.HELMSTEP_HISTORY_MAX ?? '');
  const objects = await objectStoreFromEnv(env);
  return {
    deps: {
      store: connect({ kubeconfig }).store,
      audit: new AuditStore({ client, tableName: table, ...(objects ? { objects } : {}) }),
      queries: new AuditQueries({ client, tableName: table }),
      cluster: required(env, 'HELMSTEP_CLUSTER_NAME'),
      ...(Number.isInteger(max) && max >= 0 && env.HELMSTEP_HISTORY_MAX ? { historyMax: max } : {}),
    },
    scope: env.HELMSTEP_RECONCILE_NAMESPACE ? { namespace: env.HELMSTEP_RECONCILE_NAMESPACE } : {},
  };
}

export interface ReconcileSummary {
  readonly runId: string;
  readonly releases: number;
  readonly copied: number;
  readonly unexplained: { readonly release: string; readonly revisions: number[] }[];
}

/** The handler over a source of deps (built once per container; a failed build is tried again). */
export function reconcileHandler(source: () => Promise<ReconcileRun>, logger = new Logger({ serviceName: 'helmstep', persistentKeys: { state: 'Reconcile' } })) {
  let built: Promise<ReconcileRun> | undefined;
  return middy<unknown, ReconcileSummary>().handler(async () => {
    const p = (built ??= source());
    p.catch(() => {
      if (built === p) built = undefined;
    });
    const run = await p;
    const report: ReconcileReport = await reconcile(run.deps, run.scope);
    for (const r of report.releases) {
      const release = `${r.ref.namespace}/${r.ref.name}`;
      if (r.copied.length > 0) logger.info('copied revisions missing from the audit log', { release, revisions: r.copied });
      if (r.pruned.length > 0) logger.info('revisions pruned from the cluster, kept in the audit log', { release, revisions: r.pruned });
      if (r.unexplained.length > 0) logger.warn('revisions gone from the cluster without explanation', { release, revisions: r.unexplained });
    }
    return {
      runId: report.runId,
      releases: report.releases.length,
      copied: report.releases.reduce((n, r) => n + r.copied.length, 0),
      unexplained: report.releases.filter((r) => r.unexplained.length > 0).map((r) => ({ release: `${r.ref.namespace}/${r.ref.name}`, revisions: r.unexplained })),
    };
  });
}

export const handler = reconcileHandler(() => reconcileFromEnv());
