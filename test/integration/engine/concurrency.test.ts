/**
 * Two writers of one release at once. The pending record is the lock: whoever writes it first
 * proceeds, the other is refused with helm's `another operation (install/upgrade/rollback) is in
 * progress` (or loses the create race with helm's `release: already exists`, which a retry turns
 * into that refusal) and writes nothing. Besides the free race, each window of the race is staged
 * on purpose by holding one writer's store calls, and the real helm 4 is run against a helmstep
 * upgrade that waits.
 */
import { describe, expect, it } from 'vitest';
import { HelmstepError } from '../../../src/release/errors.ts';
import { OWNER_LABEL, ownerToken } from '../../../src/release/owner.ts';
import type { Release } from '../../../src/release/record.ts';
import type { ReleaseStore } from '../../../src/store/release-store.ts';
import { OperationFailed } from '../../../src/engine/sequence.ts';
import type { EngineDeps, ProgressEvent } from '../../../src/engine/types.ts';
import { clients, helm, useNamespace, webappChart } from '../../harness/cluster.ts';
import { countingDeps } from './crash-child.ts';
import { deploy, engineDeps, expectHelmAgrees, history } from './harness.ts';

const IN_PROGRESS = 'another operation (install/upgrade/rollback) is in progress';

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** `deps` with some store methods replaced; each replacement gets the real store. */
function withStore(deps: EngineDeps, patch: (real: ReleaseStore) => Partial<ReleaseStore>): EngineDeps {
  const s = deps.store;
  const p = patch(s);
  return {
    ...deps,
    store: {
      history: p.history ?? ((ref) => s.history(ref)),
      get: p.get ?? ((ref, v) => s.get(ref, v)),
      list: p.list ?? ((n) => s.list(n)),
      create: p.create ?? ((r, l) => s.create(r, l)),
      update: p.update ?? ((st, next, l) => s.update(st, next, l)),
      delete: p.delete ?? ((ref, v) => s.delete(ref, v)),
    },
  };
}

/** A writer under test: its deps record every write it completes. */
function writer(base: EngineDeps, patch?: (real: ReleaseStore) => Partial<ReleaseStore>) {
  const writes: string[] = [];
  const deps = countingDeps(patch ? withStore(base, patch) : base, (_n, what) => void writes.push(what));
  return { deps, writes };
}

async function failure(p: Promise<unknown>): Promise<HelmstepError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HelmstepError) return err;
    throw err;
  }
  throw new Error('expected the operation to be refused');
}

describe('two operations on one release at once', () => {
  const ns = useNamespace('conc');
  const deps = engineDeps();
  const { core } = clients();

  /** The release's Secrets: name → resourceVersion (and the owner label of each). */
  async function secrets(name: string): Promise<Map<string, { rv: string; owner: string | undefined }>> {
    const list = await core.listNamespacedSecret({ namespace: ns.name, labelSelector: `owner=helm,name=${name}` });
    return new Map(list.items.map((s) => [s.metadata?.name ?? '', { rv: s.metadata?.resourceVersion ?? '', owner: s.metadata?.labels?.[OWNER_LABEL] }]));
  }
  const message = async (name: string) => (await core.readNamespacedConfigMap({ name: `${name}-webapp-config`, namespace: ns.name })).data?.message;

  it('two upgrades started together: exactly one proceeds to deployed, the other is refused and writes nothing', async () => {
    for (const round of [1, 2, 3]) {
      const name = `race-${round}`;
      await deploy(deps, ns.name, name, webappChart, { set: ['message=v1'] });
      const before = await secrets(name);

      // Neither may finish before the other has settled, so the loser's view is checked while
      // the winner still holds the lock (a loser cannot get there: it never writes a record).
      const firstSettled = deferred();
      let atLoserSettled: Awaited<ReturnType<typeof secrets>> | undefined;
      const holdFinalize = (real: ReleaseStore): Partial<ReleaseStore> => ({
        update: async (stored, next: Release, labels) => {
          if (next.info.status === 'deployed') await Promise.race([firstSettled.promise, new Promise((r) => setTimeout(r, 30_000))]);
          return real.update(stored, next, labels);
        },
      });
      const a = writer(deps, holdFinalize);
      const b = writer(deps, holdFinalize);
      const settle = async <T>(p: Promise<T>): Promise<T> => {
        try {
          return await p;
        } finally {
          atLoserSettled ??= await secrets(name);
          firstSettled.resolve();
        }
      };
      const results = await Promise.allSettled([
        settle(deploy(a.deps, ns.name, name, webappChart, { set: ['message=from-a'], owner: `a-${round}` })),
        settle(deploy(b.deps, ns.name, name, webappChart, { set: ['message=from-b'], owner: `b-${round}` })),
      ]);

      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won, `round ${round}: ${results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'deployed')).join(' | ')}`).toHaveLength(1);
      const w = won[0]!;
      const winner = w === 0 ? { ...a, tag: 'a' } : { ...b, tag: 'b' };
      const loser = w === 0 ? { ...b, result: results[1] } : { ...a, result: results[0] };
      expect(results[w]?.status === 'fulfilled' && results[w].value.info.status).toBe('deployed');

      const err: unknown = loser.result?.status === 'rejected' ? loser.result.reason : undefined;
      expect(err).toBeInstanceOf(HelmstepError);
      const refusal = err as HelmstepError;
      expect(['OperationInProgress', 'ReleaseExists'], `${refusal.reason}: ${refusal.message}`).toContain(refusal.reason);
      expect(refusal.message.startsWith(refusal.reason === 'ReleaseExists' ? 'release: already exists' : IN_PROGRESS)).toBe(true);
      expect(loser.writes).toEqual([]);

      // What the loser saw when it gave up: the revision it would have replaced untouched, and
      // one new record, the winner's.
      expect([...(atLoserSettled?.keys() ?? [])].sort()).toEqual([`sh.helm.release.v1.${name}.v1`, `sh.helm.release.v1.${name}.v2`]);
      expect(atLoserSettled?.get(`sh.helm.release.v1.${name}.v1`)).toEqual(before.get(`sh.helm.release.v1.${name}.v1`));
      expect(atLoserSettled?.get(`sh.helm.release.v1.${name}.v2`)?.owner).toBe(ownerToken(`${winner.tag}-${round}`, 2));

      expect(await history(deps, ns.name, name)).toEqual([
        [1, 'superseded', 'Install complete'],
        [2, 'deployed', 'Upgrade complete'],
      ]);
      expect(await message(name)).toBe(`from-${winner.tag}`);
      expect(winner.writes[0]).toBe('store.create v2 pending-upgrade');
      await expectHelmAgrees(deps, ns.name, name);
    }
  }, 300_000);

  it("staged: the second upgrade renders after the first took the lock (helm's render sees it): refused as in progress, nothing written", async () => {
    const name = 'render-late';
    await deploy(deps, ns.name, name, webappChart, { set: ['message=v1'] });
    const aLocked = deferred();
    const a = writer(deps, (real) => ({
      create: async (r, l) => {
        const out = await real.create(r, l);
        aLocked.resolve();
        return out;
      },
    }));
    // b's first read (Render's lock check) sees no lock; it returns only once a has locked, so
    // helm's render, which reads the history itself, runs against a locked release.
    let reads = 0;
    const b = writer(deps, (real) => ({
      history: async (ref) => {
        const h = await real.history(ref);
        if (++reads === 1) await aLocked.promise;
        return h;
      },
    }));
    const pa = deploy(a.deps, ns.name, name, webappChart, { set: ['message=from-a'], owner: 'a' });
    const err = await failure(deploy(b.deps, ns.name, name, webappChart, { set: ['message=from-b'], owner: 'b' }));
    const atRefusal = await secrets(name);
    expect(err.reason, err.message).toBe('OperationInProgress');
    expect(err.message.startsWith(IN_PROGRESS)).toBe(true);
    expect(b.writes).toEqual([]);
    expect((await pa).info.status).toBe('deployed');
    expect(atRefusal.get(`sh.helm.release.v1.${name}.v2`)?.owner).toBe(ownerToken('a', 2));
    expect(await history(deps, ns.name, name)).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(deps, ns.name, name);
  }, 120_000);

  it("staged: both pass the lock check and render, the second loses the create: helm's `release: already exists`, and its retry is refused as in progress", async () => {
    const name = 'create-race';
    await deploy(deps, ns.name, name, webappChart, { set: ['message=v1'] });
    const bAtCreate = deferred();
    const aCreated = deferred();
    const a = writer(deps, (real) => ({
      create: async (r, l) => {
        await bAtCreate.promise; // b has read the history (no lock) and rendered revision 2 too
        const out = await real.create(r, l);
        aCreated.resolve();
        return out;
      },
    }));
    const b = writer(deps, (real) => ({
      create: async (r, l) => {
        bAtCreate.resolve();
        await aCreated.promise;
        return real.create(r, l);
      },
    }));
    const pa = deploy(a.deps, ns.name, name, webappChart, { set: ['message=from-a'], owner: 'a' });
    const lost = await failure(deploy(b.deps, ns.name, name, webappChart, { set: ['message=from-b'], owner: 'b' }));
    expect(lost.reason, lost.message).toBe('ReleaseExists');
    expect(lost.helmText).toBe('release: already exists');
    expect(lost.retryable).toBe(true);
    expect(b.writes).toEqual([]);
    const atLoss = await secrets(name);

    // The retry a state machine makes on a retryable error: the same operation, the same owner.
    const retried = await failure(deploy(b.deps, ns.name, name, webappChart, { set: ['message=from-b'], owner: 'b' }));
    expect(retried.reason).toBe('OperationInProgress');
    expect(retried.message.startsWith(IN_PROGRESS)).toBe(true);
    expect(b.writes).toEqual([]);
    const afterRetry = await secrets(name);
    expect(afterRetry.get(`sh.helm.release.v1.${name}.v1`)).toEqual(atLoss.get(`sh.helm.release.v1.${name}.v1`));
    expect(afterRetry.get(`sh.helm.release.v1.${name}.v2`)?.owner).toBe(ownerToken('a', 2));

    expect((await pa).info.status).toBe('deployed');
    expect(await message(name)).toBe('from-a');
    expect(await history(deps, ns.name, name)).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(deps, ns.name, name);
  }, 120_000);

  it("helm 4's upgrade while a helmstep upgrade waits on its pods: helm refuses with its in-progress error and writes nothing", async () => {
    const name = 'waiting';
    await deploy(deps, ns.name, name, webappChart, { set: ['message=v1'] });
    const events: ProgressEvent[] = [];
    const slow = deploy({ ...deps, progress: (e) => void events.push(e) }, ns.name, name, webappChart, {
      set: ['message=v2', 'podBehaviour=crashloop'],
      timeoutMs: 20_000,
    });
    const outcome = slow.then(
      () => undefined,
      (e: unknown) => e,
    );
    const waiting = () => events.some((e) => e.kind === 'wait' && e.step === 'HealthGate');
    for (let i = 0; i < 150 && !waiting(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(waiting()).toBe(true);

    const before = await secrets(name);
    const r = await helm(4, ['upgrade', name, webappChart, '-n', ns.name, '--set', 'message=from-helm']);
    const after = await secrets(name);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: UPGRADE FAILED: ${IN_PROGRESS}`);
    expect(after).toEqual(before);
    expect(events.some((e) => e.kind === 'step' && e.step === 'Fail')).toBe(false); // helmstep was still waiting

    const err = await outcome;
    expect(err).toBeInstanceOf(OperationFailed);
    expect((err as Error).message).toMatch(new RegExp(`^UPGRADE FAILED: resource Deployment/${ns.name}/${name}-webapp not ready\\. status: InProgress`));
    const rows = await history(deps, ns.name, name);
    expect(rows.map(([v, s]) => [v, s])).toEqual([
      [1, 'deployed'],
      [2, 'failed'],
    ]);
    await expectHelmAgrees(deps, ns.name, name);
    // The lock is gone with the failed record: helm upgrades now.
    const again = await helm(4, ['upgrade', name, webappChart, '-n', ns.name, '--set', 'message=from-helm']);
    expect(again.code, again.stderr).toBe(0);
    expect(await message(name)).toBe('from-helm');
  }, 120_000);
});
