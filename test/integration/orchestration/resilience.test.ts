/**
 * What the lease and the resumable steps buy, end to end through the local engine on the real
 * control plane and dynalite: two executions never interleave, an aborted execution re-run under
 * its name finishes, an expired lease is recovered by unlock, and steps the engine retries after
 * injected transient failures (API 429/503, DynamoDB throttling, lost answers) never write a
 * second revision. After every scenario `helm history` agrees.
 */
import { InternalServerError, ProvisionedThroughputExceededException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { KubeApiUnavailable } from '../../../src/kube/errors.ts';
import type { KubeClient } from '../../../src/kube/types.ts';
import { ClusterBusy } from '../../../src/store/errors.ts';
import type { ReleaseStore } from '../../../src/store/release-store.ts';
import { LeaseNotExpired } from '../../../src/orchestration/errors.ts';
import { unlockRelease } from '../../../src/orchestration/unlock.ts';
import { useNamespace, webappChart } from '../../harness/cluster.ts';
import { engineDeps, expectHelmAgrees, history } from '../engine/harness.ts';
import { CLUSTER, deployInput, executionName, failure, logLines, orchestrationDeps, runDeploy, start, succeeded, useLeaseDb } from './harness.ts';

/** `target` with some methods replaced; every other member is the target's own, bound to it. */
function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (prop in overrides) return overrides[prop as keyof T];
      const v = Reflect.get(t, prop, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** The store, with `create` answering 503 after it wrote (the answer lost) on the listed calls. */
function createAnswerLost(store: ReleaseStore, calls: readonly number[]): ReleaseStore & { creates: number } {
  const out = {
    creates: 0,
    history: store.history.bind(store),
    get: store.get.bind(store),
    list: store.list.bind(store),
    update: store.update.bind(store),
    delete: store.delete.bind(store),
    async create(...args: Parameters<ReleaseStore['create']>) {
      const n = ++out.creates;
      const stored = await store.create(...args);
      if (calls.includes(n)) throw new ClusterBusy('https://test', 503, 'create Secret (injected: written, answer lost)');
      return stored;
    },
  };
  return out;
}

/** The client, with `apply` answering 429 (before doing anything) on the listed calls. */
function applyThrottled(kube: KubeClient, calls: readonly number[]): KubeClient & { applies: number } {
  const state = { applies: 0 };
  return new Proxy(kube, {
    get(target, prop) {
      if (prop === 'applies') return state.applies;
      if (prop === 'apply') {
        return (...args: Parameters<KubeClient['apply']>) => {
          const n = ++state.applies;
          if (calls.includes(n)) return Promise.reject(new KubeApiUnavailable('https://test', 429, 'apply (injected)', 'Too Many Requests'));
          return target.apply(...args);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as KubeClient & { applies: number };
}

/** DynamoDB answers as if throttled, or loses the answer after writing, on the listed calls of a command. */
function injectDynamo(client: DynamoDBClient, command: string, calls: readonly number[], mode: 'throttle' | 'answer-lost'): { count: number } {
  const seen = { count: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== command) return next(args);
      const n = ++seen.count;
      if (!calls.includes(n)) return next(args);
      if (mode === 'throttle') throw new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput (injected)', $metadata: { httpStatusCode: 400 } });
      await next(args);
      throw new InternalServerError({ message: 'Internal server error (injected, after the write)', $metadata: { httpStatusCode: 500 } });
    },
    { step: 'initialize', name: `inject-${command}-${mode}` },
  );
  return seen;
}

describe('leases, aborts and retries', () => {
  const ns = useNamespace('sfn-resilience');
  const leases = useLeaseDb();

  it('two executions for one release at once: one proceeds, the other fails fast with the in-progress reason', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'race', webappChart, { set: ['message=v1'] }));
    const a = start('deploy', deployInput(ns.name, 'race', webappChart, { set: ['message=a'] }), { deps, executionName: executionName('a') });
    const b = start('deploy', deployInput(ns.name, 'race', webappChart, { set: ['message=b'] }), { deps: orchestrationDeps(leases.store(leases.newClient())), executionName: executionName('b') });
    const [ra, rb] = await Promise.all([a.ran, b.ran]);
    const [winner, loser] = ra.result.status === 'SUCCEEDED' ? [ra, rb] : [rb, ra];
    expect(succeeded(winner).revision).toBe(2);
    expect(loser.path).toEqual(['ValidateLock', 'Rejected']);
    const r = loser.result as { error: string; cause: string };
    expect(r.error).toBe('helmstep.Stop');
    const cause = JSON.parse(r.cause) as { reason: string; helmText: string; message: string };
    expect(cause.reason).toBe('LeaseHeld');
    expect(cause.helmText).toBe('another operation (install/upgrade/rollback) is in progress');
    expect(cause.message).toContain(`is leased by execution ${winner.name}`);
    // Fails fast: the loser finished before the winner left Render.
    const loserEnd = loser.events.at(-1)!.at;
    const winnerRendered = winner.events.find((e) => e.type === 'left' && e.state === 'Render')!.at;
    expect(loserEnd).toBeLessThan(winnerRendered);
    expect((await history(deps.engine, ns.name, 'race')).map(([rev, st]) => [rev, st])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'race');
  });

  it('an execution aborted between states, re-run under the same name, finishes the same revision', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'resume', webappChart, { set: ['message=v1'] }));
    const name = executionName('resume');
    const input = deployInput(ns.name, 'resume', webappChart, { set: ['message=v2', 'migration.enabled=true'] });
    const first = start('deploy', input, {
      deps,
      executionName: name,
      onEvent: (e) => {
        if (e.type === 'left' && e.state === 'Upgrade') void first.exec.abort();
      },
    });
    const aborted = await first.ran;
    expect(aborted.result.status).toBe('ABORTED');
    expect(aborted.path).not.toContain('Finalize');
    expect((await history(deps.engine, ns.name, 'resume')).at(-1)?.slice(0, 2)).toEqual([2, 'pending-upgrade']);
    expect((await leases.store().read({ cluster: CLUSTER, namespace: ns.name, name: 'resume' }))?.owner).toBe(name);

    const again = await start('deploy', input, { deps, executionName: name }).ran;
    expect(succeeded(again)).toMatchObject({ revision: 2, status: 'deployed', description: 'Upgrade complete' });
    expect(logLines.some((l) => l.executionId === name && l.state === 'Render' && l.message === 'resumed the pending record')).toBe(true);
    expect(await history(deps.engine, ns.name, 'resume')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ]);
    // A third run under the same name finds its operation finished and does nothing again.
    const third = await start('deploy', input, { deps, executionName: name }).ran;
    expect(failure(third).cause).toMatchObject({ state: 'Render', class: 'AlreadyFinished' });
    expect((await history(deps.engine, ns.name, 'resume')).length).toBe(2);
    await expectHelmAgrees(deps.engine, ns.name, 'resume');
  });

  it('an expired lease: a new execution is refused until unlock takes the lease over and fails the dead one\'s record', async () => {
    const deps = orchestrationDeps(leases.store(), { leaseTtlMs: 3_000 });
    const ref = { cluster: CLUSTER, namespace: ns.name, name: 'dead' };
    succeeded(await runDeploy(deps, ns.name, 'dead', webappChart, { set: ['message=v1'] }));
    const deadName = executionName('dead');
    const dead = start('deploy', deployInput(ns.name, 'dead', webappChart, { set: ['message=v2'] }), {
      deps,
      executionName: deadName,
      onEvent: (e) => {
        if (e.type === 'left' && e.state === 'Render') void dead.exec.abort();
      },
    });
    expect((await dead.ran).result.status).toBe('ABORTED');

    const refused = await runDeploy(deps, ns.name, 'dead', webappChart, { set: ['message=v3'] });
    expect(refused.path).toEqual(['ValidateLock', 'Rejected']);
    await expect(unlockRelease(deps, ref, { by: 'alice', reason: 'the deploy was killed' })).rejects.toBeInstanceOf(LeaseNotExpired);

    const lease = await leases.store().read(ref);
    await new Promise((r) => setTimeout(r, Math.max(0, lease!.expiresAt.getTime() - Date.now()) + 100));
    const unlocked = await unlockRelease(deps, ref, { by: 'alice', reason: 'the deploy was killed' });
    expect(unlocked.lease?.owner).toBe(deadName);
    expect(unlocked.summary).toContain(`took over the expired lease of execution ${deadName}`);
    expect(unlocked.release?.info.description).toBe('Unlocked by alice: the deploy was killed (was pending-upgrade)');
    expect(await leases.store().read(ref)).toBeUndefined();

    expect(succeeded(await runDeploy(deps, ns.name, 'dead', webappChart, { set: ['message=v3'] })).revision).toBe(3);
    expect(await history(deps.engine, ns.name, 'dead')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'failed', 'Unlocked by alice: the deploy was killed (was pending-upgrade)'],
      [3, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'dead');
  });

  it('steps retried after transient failures (lost create answer, API 429, DynamoDB throttling and a lost lease answer) write one revision', async () => {
    const plain = orchestrationDeps(leases.store());
    succeeded(await runDeploy(plain, ns.name, 'flaky', webappChart, { set: ['message=v1'] }));

    const base = engineDeps();
    const store = createAnswerLost(base.store, [1]);
    const kube = applyThrottled(base.kube, [1, 4]);
    const client = leases.newClient();
    const renews = injectDynamo(client, 'UpdateItemCommand', [2, 3], 'throttle');
    const puts = injectDynamo(client, 'PutItemCommand', [1], 'answer-lost');
    const deps = orchestrationDeps(leases.store(client), { engine: { ...base, store, kube } });

    const run = await runDeploy(deps, ns.name, 'flaky', webappChart, { set: ['message=v2'] });
    expect(succeeded(run)).toMatchObject({ revision: 2, description: 'Upgrade complete' });
    const retried = run.events.filter((e) => e.type === 'retried').map((e) => e.state);
    expect(retried).toContain('ValidateLock'); // the lease was written, its answer lost: acquired again as ours
    expect(retried).toContain('Render'); // the record was written, its answer lost: resumed, not written twice
    expect(retried).toContain('BackupHook'); // the hook Job's create got a 429 after its start was recorded
    expect(retried).toContain('Upgrade');
    expect(retried.length).toBe(6); // one retry per injected failure: put, create, 2 × renew, 2 × apply
    expect(store.creates).toBe(1);
    expect(puts.count).toBe(2);
    expect(renews.count).toBeGreaterThan(3);
    const failed = run.events.filter((e) => e.type === 'failed').map((e) => (e as { error: string }).error);
    expect(new Set(failed)).toEqual(new Set(['helmstep.Retryable']));
    expect(await history(plain.engine, ns.name, 'flaky')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(plain.engine, ns.name, 'flaky');
  });

  it('a store that stays busy exhausts the bounded retries and fails the execution, writing nothing', async () => {
    const plain = orchestrationDeps(leases.store());
    succeeded(await runDeploy(plain, ns.name, 'busy', webappChart, { set: ['message=v1'] }));
    const base = engineDeps();
    const busy = overriding<ReleaseStore>(base.store, { history: () => Promise.reject(new ClusterBusy('https://test', 503, 'list Secrets (injected)')) });
    const deps = orchestrationDeps(leases.store(), { engine: { ...base, store: busy } });
    const run = await runDeploy(deps, ns.name, 'busy', webappChart, { set: ['message=v2'] });
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Retryable'); // FailRelease could not read either: the first failure is reported
    expect(cause.original).toMatchObject({ state: 'Render', class: 'ClusterBusy' });
    expect(run.events.filter((e) => e.type === 'retried' && e.state === 'Render').length).toBe(6); // MaxAttempts
    expect(await leases.store().read({ cluster: CLUSTER, namespace: ns.name, name: 'busy' })).toBeUndefined();
    expect(await history(plain.engine, ns.name, 'busy')).toEqual([[1, 'deployed', 'Install complete']]);
  });

  it('Ctrl-C (interrupt) during the health gate: the release ends failed with helm\'s "context canceled", never pending', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'ctrlc', webappChart, { set: ['message=v1'] }));
    const s = start('deploy', deployInput(ns.name, 'ctrlc', webappChart, { set: ['message=v2', 'podBehaviour=crashloop'] }), {
      deps,
      onEvent: (e) => {
        if (e.type === 'entered' && e.state === 'HealthGateWait') s.exec.interrupt();
      },
    });
    const run = await s.ran;
    const { error, cause } = failure(run);
    expect(error).toBe('helmstep.Remediate');
    expect(cause).toMatchObject({ state: 'HealthGate', class: 'Interrupted', message: 'UPGRADE FAILED: context canceled', remediation: 'rollback-on-failure is not set' });
    expect(await history(deps.engine, ns.name, 'ctrlc')).toEqual([
      [1, 'deployed', 'Install complete'],
      [2, 'failed', 'Upgrade "ctrlc" failed: context canceled'],
    ]);
    expect(await leases.store().read({ cluster: CLUSTER, namespace: ns.name, name: 'ctrlc' })).toBeUndefined();
    await expectHelmAgrees(deps.engine, ns.name, 'ctrlc');
  });

  it('Ctrl-C with rollback-on-failure: the rollback still runs to the end', async () => {
    const deps = orchestrationDeps(leases.store());
    succeeded(await runDeploy(deps, ns.name, 'ctrlca', webappChart, { set: ['message=v1'] }));
    const s = start('deploy', deployInput(ns.name, 'ctrlca', webappChart, { set: ['message=v2', 'podBehaviour=crashloop'], rollbackOnFailure: true }), {
      deps,
      onEvent: (e) => {
        if (e.type === 'entered' && e.state === 'HealthGateWait') s.exec.interrupt();
      },
    });
    const { cause } = failure(await s.ran);
    expect(cause.message).toBe('release ctrlca failed, and has been rolled back due to rollback-on-failure being set: context canceled');
    expect(await history(deps.engine, ns.name, 'ctrlca')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'failed', 'Upgrade "ctrlca" failed: context canceled'],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    await expectHelmAgrees(deps.engine, ns.name, 'ctrlca');
  });
});
