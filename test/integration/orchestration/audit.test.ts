/**
 * The audit trail the state machines write: one event per state transition (a poll loop once it
 * is done, a failure as it happens), a copy of each revision an operation ended, the actor and
 * trigger of the request on every event; retried steps and a re-run execution log nothing twice,
 * and the release's hash chain verifies.
 */
import { describe, expect, it } from 'vitest';
import { AuditQueries } from '../../../src/audit/queries.ts';
import { AuditStore } from '../../../src/audit/store.ts';
import { createAuditTable } from '../../../src/audit/table.ts';
import type { AuditEvent } from '../../../src/audit/events.ts';
import { auditRecorder } from '../../../src/orchestration/audit.ts';
import type { OrchestrationDeps } from '../../../src/orchestration/deps.ts';
import { useNamespace, webappChart } from '../../harness/cluster.ts';
import { engineDeps } from '../engine/harness.ts';
import { CLUSTER, failure, orchestrationDeps, runDeploy, succeeded, useLeaseDb } from './harness.ts';

const TABLE = 'helmstep-audit';

describe('the audit trail of executions', () => {
  const ns = useNamespace('sfn-audit');
  const leases = useLeaseDb();

  async function setup(): Promise<{ deps: OrchestrationDeps; queries: AuditQueries; events: (name: string) => Promise<AuditEvent[]> }> {
    await createAuditTable(leases.client, TABLE);
    const engine = engineDeps();
    const store = new AuditStore({ client: leases.client, tableName: TABLE });
    const deps = { ...orchestrationDeps(leases.store(), { engine }), audit: auditRecorder(store, engine.store, CLUSTER) };
    const queries = new AuditQueries({ client: leases.client, tableName: TABLE });
    const events = async (name: string) => (await queries.releaseEvents({ cluster: CLUSTER, namespace: ns.name, name }, { limit: 1000 })).items;
    return { deps, queries, events };
  }

  it('a deploy logs each state once with the request\'s actor, copies the deployed revision, and the chain verifies', async () => {
    const { deps, queries, events } = await setup();
    const trigger = { actor: 'github:octocat', kind: 'github-push', deliveryId: 'd-1', commit: 'abc1234' };
    const run = await runDeploy(deps, ns.name, 'aud', webappChart, { set: ['message=v1'], trigger });
    expect(succeeded(run).revision).toBe(1);
    const logged = await events('aud');
    expect(logged.map((e) => [e.step, e.outcome])).toEqual([
      ['ValidateLock', 'succeeded'],
      ['Render', 'succeeded'],
      ['BackupHook', 'succeeded'],
      ['Upgrade', 'succeeded'],
      ['HealthGate', 'succeeded'],
      ['Migrate', 'succeeded'],
      ['Finalize', 'succeeded'],
    ]);
    for (const e of logged) {
      expect(e).toMatchObject({ actor: 'github:octocat', trigger: { kind: 'github-push', deliveryId: 'd-1', commit: 'abc1234' }, executionId: run.name });
    }
    const finalize = logged.at(-1)!;
    expect(finalize.toRevision).toBe(1);
    expect(finalize.manifestDigest).toMatch(/^[0-9a-f]{64}$/);
    const revisions = (await queries.releaseRevisions({ cluster: CLUSTER, namespace: ns.name, name: 'aud' })).items;
    expect(revisions.map((r) => [r.revision, r.status])).toEqual([[1, 'deployed']]);
    expect((await queries.verify({ cluster: CLUSTER, namespace: ns.name, name: 'aud' })).ok).toBe(true);
  });

  it('a failed gate logs the failure, the remediation rollback and the outcome, and copies both revisions', async () => {
    const { deps, queries, events } = await setup();
    succeeded(await runDeploy(deps, ns.name, 'audfail', webappChart, { set: ['message=v1'] }));
    const run = await runDeploy(deps, ns.name, 'audfail', webappChart, { set: ['message=v2', 'podBehaviour=crashloop'], wait: 'watcher', timeoutSeconds: 4 });
    expect(failure(run).cause.rolledBackTo).toBe(1);
    const mine = (await events('audfail')).filter((e) => e.executionId === run.name);
    expect(mine.map((e) => [e.step, e.outcome])).toEqual([
      ['ValidateLock', 'succeeded'],
      ['Render', 'succeeded'],
      ['BackupHook', 'succeeded'],
      ['Upgrade', 'succeeded'],
      ['HealthGate', 'timed-out'],
      ['FailRelease', 'failed'],
      ['RollbackBegin', 'started'],
      ['RollbackPreHooks', 'succeeded'],
      ['RollbackUpgrade', 'succeeded'],
      ['RollbackHealthGate', 'succeeded'],
      ['RollbackPostHooks', 'succeeded'],
      ['RollbackFinalize', 'succeeded'],
      ['ReleaseLease', 'rolled-back'],
    ]);
    expect(mine.find((e) => e.step === 'HealthGate')?.error?.message).toMatch(/not ready\. .* context deadline exceeded$/);
    expect(mine.at(-1)?.error?.reason).toBe('helmstep.Remediate');
    const revisions = (await queries.releaseRevisions({ cluster: CLUSTER, namespace: ns.name, name: 'audfail' })).items;
    expect(revisions.map((r) => [r.revision, r.status])).toEqual([
      [1, 'deployed'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
    expect((await queries.verify({ cluster: CLUSTER, namespace: ns.name, name: 'audfail' })).ok).toBe(true);
  });

  it('a re-run of the same execution logs nothing twice', async () => {
    const { deps, events } = await setup();
    const first = await runDeploy(deps, ns.name, 'audrerun', webappChart, { set: ['message=v1'] }, { executionName: 'audit-rerun-1' });
    succeeded(first);
    const before = await events('audrerun');
    // The same execution again (as Step Functions' redrive, or a crashed CLI re-run): it finds its work done.
    await runDeploy(deps, ns.name, 'audrerun', webappChart, { set: ['message=v1'] }, { executionName: 'audit-rerun-1' });
    const after = await events('audrerun');
    const keys = after.map((e) => `${e.executionId}|${e.step}|${e.outcome}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(after.slice(0, before.length)).toEqual(before);
  });
});
