/**
 * The audit log after real executions, and the reconciler: the deploy and rollback state machines
 * run by the local engine on the test control plane with the audit sink, then the log is checked
 * against the cluster's Secrets (the truth), pruned by --history-max, tampered with in dynalite,
 * and reconciled by reconcile(), by the scheduled Lambda's handler and by `helmstep audit reconcile`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { AuditQueries, AuditStore, type AuditEvent, type Page, type RevisionSummary } from '../../../src/audit/index.ts';
import { releasePk, revisionSk } from '../../../src/audit/keys.ts';
import { reconcile, RECONCILER_ACTOR } from '../../../src/audit/reconcile.ts';
import { run } from '../../../src/cli/run.ts';
import { startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';
import { openLocalServices, type LocalServices } from '../../../src/local/state.ts';
import { auditRecorder } from '../../../src/orchestration/audit.ts';
import type { OrchestrationDeps } from '../../../src/orchestration/deps.ts';
import { DynamoLeaseStore } from '../../../src/orchestration/lease.ts';
import { openStore } from '../../../src/store/open.ts';
import { reconcileHandler } from '../../../functions/reconcile.ts';
import { clients, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { CLUSTER, failure, orchestrationDeps, runDeploy, runRollback, succeeded } from '../orchestration/harness.ts';

const ns = useNamespace('audit-rec');
let db: LocalDynamo;
let services: LocalServices;
let stateDir: string;
let deps: OrchestrationDeps;
let audit: AuditStore;
let queries: AuditQueries;

const NAME = 'rec';
const ref = () => ({ cluster: CLUSTER, namespace: ns.name, name: NAME });

beforeAll(async () => {
  db = await startDynalite();
  stateDir = mkdtempSync(join(tmpdir(), 'helmstep-audit-rec-'));
  // The tables as the CLI finds them: the same endpoint, the local state's table names.
  services = await openLocalServices({ HELMSTEP_DYNAMODB_ENDPOINT: db.endpoint, HELMSTEP_STATE_DIR: stateDir });
  audit = new AuditStore({ client: services.dynamo, tableName: services.tables.audit, objects: services.objects });
  queries = new AuditQueries({ client: services.dynamo, tableName: services.tables.audit });
  const base = orchestrationDeps(new DynamoLeaseStore(services.dynamo, services.tables.leases));
  deps = { ...base, audit: auditRecorder(audit, base.engine.store, CLUSTER) };
});
afterAll(async () => {
  await services?.close();
  await db?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function all<T>(read: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}
const logRevisions = async () => all<RevisionSummary>((cursor) => queries.releaseRevisions(ref(), { ...(cursor ? { cursor } : {}) }));
const logEvents = async () => all<AuditEvent>((cursor) => queries.releaseEvents(ref(), { ...(cursor ? { cursor } : {}) }));
const clusterRevisions = async () => (await deps.engine.store.history({ namespace: ns.name, name: NAME })).map((s) => s.release.version);
const deleteRevisionItem = (revision: number) =>
  services.dynamo.send(new DeleteItemCommand({ TableName: services.tables.audit, Key: { pk: { S: releasePk(ref()) }, sk: { S: revisionSk(revision) } } }));
const reconcileDeps = () => ({ store: deps.engine.store, audit, queries, cluster: CLUSTER, historyMax: 3 });

function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const env = { HELMSTEP_DYNAMODB_ENDPOINT: db.endpoint, HELMSTEP_STATE_DIR: stateDir, HELMSTEP_CLUSTER_NAME: CLUSTER, KUBECONFIG: inject('kubeconfig'), HOME: stateDir };
  return run(argv, {
    out: { write: (s: string) => (stdout += s) },
    err: { write: (s: string) => (stderr += s) },
    env,
    open: (o) => openStore(o, env),
  }).then((code) => ({ code, stdout, stderr }));
}

describe('the audit log after the orchestration, and the reconciler', () => {
  it('every revision of install, upgrade, a failed upgrade rolled back and an explicit rollback is in the log, also after --history-max pruned the cluster', async () => {
    const max = { maxHistory: 3 };
    succeeded(await runDeploy(deps, ns.name, NAME, webappChart, { set: ['message=v1'], ...max }));
    succeeded(await runDeploy(deps, ns.name, NAME, webappChart, { set: ['message=v2'], ...max }));
    // The readiness gate fails: revision 3 fails, revision 4 rolls back to 2.
    expect(failure(await runDeploy(deps, ns.name, NAME, webappChart, { set: ['message=v3', 'podBehaviour=crashloop'], timeoutSeconds: 4, ...max })).cause).toMatchObject({
      failedRevision: 3,
      rolledBackTo: 2,
    });
    succeeded(await runDeploy(deps, ns.name, NAME, webappChart, { set: ['message=v5'], ...max }));
    succeeded(await runRollback(deps, ns.name, NAME, 4, max));

    const inCluster = await clusterRevisions();
    expect(inCluster).toEqual([4, 5, 6]); // helm's pruning kept 3
    const logged = await logRevisions();
    expect(logged.map((r) => r.revision)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(logged.map((r) => r.status)).toEqual(['deployed', 'deployed', 'failed', 'deployed', 'deployed', 'deployed']);
    // The copies are helm's records byte for byte.
    for (const r of await deps.engine.store.history({ namespace: ns.name, name: NAME })) {
      const copy = await audit.getRevision(ref(), r.release.version);
      expect(copy?.release.manifest).toBe(r.release.manifest);
      expect(copy?.release.config).toEqual(r.release.config);
    }

    const events = await logEvents();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.outcome === 'rolled-back').map((e) => e.step)).toEqual(['ReleaseLease']);
    expect(events.filter((e) => e.outcome === 'failed').map((e) => [e.step, e.toRevision])).toContainEqual(['FailRelease', 3]);
    expect(await queries.verify(ref())).toMatchObject({ ok: true, count: events.length });

    // Nothing to copy; what helm pruned is expected.
    const report = await reconcile(reconcileDeps(), { release: { namespace: ns.name, name: NAME } });
    expect(report.releases).toEqual([
      expect.objectContaining({ copy: [], copied: [], inProgress: [], unexplained: [], pruned: [1, 2, 3].map((revision) => ({ revision, why: 'history-max' })) }),
    ]);
    expect((await logEvents()).length).toBe(events.length);
  });

  it('restores a deleted revision copy from the cluster and says so in the chain', async () => {
    await deleteRevisionItem(5);
    expect((await logRevisions()).map((r) => r.revision)).toEqual([1, 2, 3, 4, 6]);
    const before = (await logEvents()).length;
    const report = await reconcile(reconcileDeps(), { namespace: ns.name });
    expect(report.releases.map((r) => [r.ref.name, r.copied])).toEqual([[NAME, [5]]]);
    expect((await logRevisions()).map((r) => r.revision)).toEqual([1, 2, 3, 4, 5, 6]);
    const copy = await audit.getRevision(ref(), 5);
    const truth = await deps.engine.store.get({ namespace: ns.name, name: NAME }, 5);
    expect(copy?.release).toEqual(truth.release);
    const events = await logEvents();
    expect(events.length).toBe(before + 1);
    expect(events.at(-1)).toMatchObject({ actor: RECONCILER_ACTOR, step: 'CopyRevision v5', outcome: 'succeeded', toRevision: 5, executionId: report.runId });
    expect(await queries.verify(ref())).toMatchObject({ ok: true, count: before + 1 });
    // A second run finds nothing to do.
    expect((await reconcile(reconcileDeps(), { namespace: ns.name })).releases[0]).toMatchObject({ copy: [], copied: [] });
  });

  it('the scheduled Lambda copies a revision the real helm CLI wrote (not helmstep)', async () => {
    await helmOk(4, ['upgrade', NAME, webappChart, '-n', ns.name, '--reuse-values', '--set', 'message=by-helm']);
    expect(await clusterRevisions()).toEqual([4, 5, 6, 7]);
    const handler = reconcileHandler(() => Promise.resolve({ deps: reconcileDeps(), scope: { namespace: ns.name } }), new Logger({ logLevel: 'SILENT' }));
    const summary = await handler({ 'detail-type': 'Scheduled Event' }, {});
    expect(summary).toMatchObject({ releases: 1, copied: 1, unexplained: [] });
    const logged = await logRevisions();
    expect(logged.at(-1)).toMatchObject({ revision: 7, status: 'deployed', description: 'Upgrade complete' });
    expect((await audit.getRevision(ref(), 7))?.release.config).toMatchObject({ message: 'by-helm' });
    expect((await logEvents()).at(-1)).toMatchObject({ actor: RECONCILER_ACTOR, toRevision: 7 });
  });

  it('a revision whose Secret was deleted by hand is reported unexplained (helmstep audit reconcile exits 1 naming it); the log keeps its copy', async () => {
    await clients().core.deleteNamespacedSecret({ name: `sh.helm.release.v1.${NAME}.v6`, namespace: ns.name });
    const r = await cli(['audit', 'reconcile', NAME, '-n', ns.name, '--history-max', '3', '-o', 'csv']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe(`cluster,namespace,release,copied,already_copied,in_progress,pruned,unexplained\r\n${CLUSTER},${ns.name},${NAME},,,,1 2 3,6\r\n`);
    expect(r.stderr).toContain(`${ns.name}/${NAME} v6`);
    expect(r.stderr).toContain('deleted outside helm and helmstep');
    expect((await logRevisions()).map((x) => x.revision)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The same as a table (-A would read every test's namespace: -n keeps it to this one).
    const table = await cli(['audit', 'reconcile', '-n', ns.name, '--history-max', '3']);
    expect(table.code).toBe(1);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+\tRELEASE\s*\tCOPIED\s*\tIN PROGRESS\s*\tPRUNED\s*\tUNEXPLAINED\s*$/);
    expect(table.stdout).toMatch(new RegExp(`${ns.name}\\s*\\t${NAME}\\s*\\t-\\s*\\t-\\s*\\t1 2 3\\s*\\t6`));
  });
});
