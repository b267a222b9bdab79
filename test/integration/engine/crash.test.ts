/**
 * A step process killed between any two writes. crash-child.ts runs one operation in a child
 * process and SIGKILLs itself right after write N; for every N from 1 to the operation's number
 * of writes (counted in a crash-free run), the same operation is then run again in this process
 * with the same owner, as a retried state machine execution would: it must finish with the
 * history a crash-free run gives, and the real `helm history` must agree. A crash whose owner
 * never comes back is recovered by unlock, and by helm's own rollback.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { OWNER_LABEL } from '../../../src/release/owner.ts';
import type { Release } from '../../../src/release/record.ts';
import { runUnlock } from '../../../src/engine/sequence.ts';
import { MIGRATED_IN_LABEL } from '../../../src/engine/run-hooks.ts';
import { FIXTURE_CHARTS, clients, helm, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import type { CrashSpec } from './crash-child.ts';
import { deploy, engineDeps, expectHelmAgrees, history, rollback } from './harness.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const hookshowChart = join(FIXTURE_CHARTS, 'hookshow');

// The child's helm keeps its config and cache out of the developer's home.
const childHome = mkdtempSync(join(tmpdir(), 'helmstep-crash-home-'));
afterAll(() => rmSync(childHome, { recursive: true, force: true }));

interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The writes it completed, in order, the release's name replaced by `<rel>`. */
  readonly writes: string[];
  /** `done <status>` or `failed <message>` when it was not killed. */
  readonly end: string | undefined;
  readonly stderr: string;
}

function runChild(spec: CrashSpec): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: childHome, TZ: 'UTC', HELMSTEP_CRASH_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const lines = stdout.split('\n').filter(Boolean);
      const writes = lines.flatMap((l) => (l.startsWith('write ') ? [l.replace(/^write \d+ /, '').replaceAll(`/${spec.name}-`, '/<rel>-')] : []));
      resolve({ code, signal, writes, end: lines.find((l) => !l.startsWith('write ')), stderr });
    });
  });
}

/** Runs `fn` over `items`, `lanes` at a time (iterations are independent releases). */
async function inLanes<T>(items: readonly T[], lanes: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

async function outcome(p: Promise<Release>): Promise<string> {
  try {
    return (await p).info.status;
  } catch (err) {
    return `${err instanceof Error ? err.name : 'Error'}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

describe('a step process killed between any two writes', () => {
  const ns = useNamespace('crash');
  const deps = engineDeps();
  const { core } = clients();
  const base = () => ({ kubeconfig: inject('kubeconfig'), helm: inject('helm4'), namespace: ns.name });
  const data = async (cm: string) => (await core.readNamespacedConfigMap({ name: cm, namespace: ns.name })).data;

  interface Scenario {
    readonly prefix: string;
    /** The release as it is before the operation. */
    setup(name: string): Promise<unknown>;
    spec(name: string, owner: string, crashAfter: number): CrashSpec;
    /** The same operation in this process, with the crashed run's owner. */
    rerun(name: string, owner: string): Promise<Release>;
    /** What a crash-free run leaves: [revision, status, description]. */
    readonly history: [number, string, string][];
    /** The live objects and the record a crash-free run leaves. */
    check(name: string): Promise<void>;
  }

  const upgradeSet = ['message=v2', 'migration.enabled=true'];
  const upgrade: Scenario = {
    prefix: 'up',
    setup: (name) => deploy(deps, ns.name, name, webappChart, { set: ['message=v1'] }),
    spec: (name, owner, crashAfter) => ({ ...base(), name, op: 'upgrade', chart: webappChart, set: upgradeSet, owner, crashAfter }),
    rerun: (name, owner) => deploy(deps, ns.name, name, webappChart, { set: upgradeSet, owner }),
    history: [
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ],
    check: async (name) => {
      expect.soft((await data(`${name}-webapp-config`))?.message, name).toBe('v2');
      const rec = await deps.store.get({ namespace: ns.name, name }, 2);
      expect.soft(Object.fromEntries((rec.release.hooks ?? []).map((h) => [h.name?.replace(name, '<rel>'), h.last_run?.phase])), name).toEqual({
        '<rel>-webapp-backup': 'Succeeded',
        '<rel>-webapp-db-migration': 'Succeeded',
      });
      expect.soft(rec.labels[MIGRATED_IN_LABEL], name).toBe('2');
      // The operation's owner stays on its finished record (bound to revision 2): how a re-run knows it is done.
      expect.soft(rec.labels[OWNER_LABEL], name).toMatch(/^o-[0-9a-f]{40}$/);
    },
  };

  const rollbackScenario: Scenario = {
    prefix: 'rb',
    setup: async (name) => {
      await deploy(deps, ns.name, name, hookshowChart, { set: ['generation=1'] });
      await deploy(deps, ns.name, name, hookshowChart, { set: ['generation=2'] });
    },
    spec: (name, owner, crashAfter) => ({ ...base(), name, op: 'rollback', target: 1, owner, crashAfter }),
    rerun: (name, owner) => rollback(deps, ns.name, name, 1, { owner }),
    history: [
      [1, 'superseded', 'Install complete'],
      [2, 'superseded', 'Upgrade complete'],
      [3, 'deployed', 'Rollback to 1'],
    ],
    check: async (name) => {
      expect.soft((await data(`${name}-settings`))?.generation, name).toBe('1');
      expect.soft((await data(`${name}-post-rollback-cm`))?.generation, name).toBe('1');
      const rec = await deps.store.get({ namespace: ns.name, name }, 3);
      const ran = (rec.release.hooks ?? []).filter((h) => (h.events ?? []).some((e) => e.endsWith('-rollback')));
      expect.soft(Object.fromEntries(ran.map((h) => [h.name?.replace(name, '<rel>'), h.last_run?.phase])), name).toEqual({
        '<rel>-pre-rollback-job': 'Succeeded',
        '<rel>-post-rollback-cm': 'Succeeded',
      });
    },
  };

  /** helm history, read by the real helm 4, as [revision, status, description]. */
  async function helmHistory(name: string): Promise<[number, string, string][]> {
    const rows = JSON.parse(await helmOk(4, ['history', name, '-n', ns.name, '-o', 'json'])) as { revision: number; status: string; description: string }[];
    return rows.map((r) => [r.revision, r.status, r.description]);
  }

  async function crashAtEveryWrite(s: Scenario): Promise<void> {
    const refName = `${s.prefix}-ref`;
    await s.setup(refName);
    const reference = await runChild(s.spec(refName, `${s.prefix}-ref-owner`, 0));
    expect(reference.end, reference.stderr).toBe('done deployed');
    expect(await history(deps, ns.name, refName)).toEqual(s.history);
    await s.check(refName);
    const total = reference.writes.length;
    expect(total).toBeGreaterThan(5);

    await inLanes(
      Array.from({ length: total }, (_, i) => i + 1),
      3,
      async (n) => {
        const name = `${s.prefix}-${n}`;
        const owner = `${s.prefix}-owner-${n}`;
        await s.setup(name);
        const crashed = await runChild(s.spec(name, owner, n));
        const at = `killed after write ${n} (${reference.writes[n - 1]})`;
        expect.soft(crashed.signal, `${at}: ${crashed.end ?? ''} ${crashed.stderr}`).toBe('SIGKILL');
        expect.soft(crashed.writes, `${at}: the same writes as the crash-free run, up to the crash`).toEqual(reference.writes.slice(0, n));
        expect.soft(await outcome(s.rerun(name, owner)), `${at}, then run again with its owner`).toBe('deployed');
        const rows = await history(deps, ns.name, name);
        expect.soft(rows, `${at}: history after the re-run`).toEqual(s.history);
        expect.soft(await helmHistory(name), `${at}: helm history`).toEqual(rows);
        if (JSON.stringify(rows) === JSON.stringify(s.history)) await s.check(name);
      },
    );
  }

  it('upgrade (backup hook, apply, wait, migration, finalize): killed after each write, re-run with its owner, ends as a crash-free run', async () => {
    await crashAtEveryWrite(upgrade);
  }, 900_000);

  it('rollback (pre/post-rollback hooks, apply, wait, finalize): killed after each write, re-run with its owner, ends as a crash-free run', async () => {
    await crashAtEveryWrite(rollbackScenario);
  }, 900_000);

  /** Sets up a release and kills an upgrade of it in the middle of its apply: a lock nobody holds. */
  async function abandoned(name: string): Promise<void> {
    await upgrade.setup(name);
    const crashed = await runChild(upgrade.spec(name, `${name}-gone`, 5));
    expect(crashed.signal).toBe('SIGKILL');
    expect(crashed.writes.at(-1)).toBe('kube.apply ConfigMap/<rel>-webapp-config'); // half applied
    expect(await history(deps, ns.name, name)).toEqual([
      [1, 'deployed', 'Install complete'],
      [2, 'pending-upgrade', 'Preparing upgrade'],
    ]);
    expect((await data(`${name}-webapp-config`))?.message).toBe('v2');
  }

  it('an owner that never comes back: both tools refuse the lock; unlock marks it failed, naming who, and the next upgrade works', async () => {
    const name = 'gone-unlock';
    await abandoned(name);
    const ref = { namespace: ns.name, name };

    await expect(deploy(deps, ns.name, name, webappChart, { set: ['message=v3'] })).rejects.toThrow(
      /^another operation \(install\/upgrade\/rollback\) is in progress: release "gone-unlock" .* revision 2 is pending-upgrade/,
    );
    const byHelm = await helm(4, ['upgrade', name, webappChart, '-n', ns.name, '--set', 'message=v3']);
    expect(byHelm.code).toBe(1);
    expect(byHelm.stderr).toContain('another operation (install/upgrade/rollback) is in progress');

    const by = 'crash-test@ci';
    const reason = 'the deploy process was killed';
    // A young lock may belong to a live run: refused unless stale or forced.
    await expect(runUnlock(deps, ref, { force: false, reason, by, staleAfterMs: 15 * 60_000 })).rejects.toThrow(/is locked by revision 2 \(pending-upgrade, since .*\); the operation may still be running/);
    const unlocked = await runUnlock(deps, ref, { force: false, reason, by, staleAfterMs: 0 });
    expect(unlocked.info.status).toBe('failed');
    expect(unlocked.info.description).toBe(`Unlocked by ${by}: ${reason} (was pending-upgrade)`);
    expect((await deps.store.get(ref, 2)).labels[OWNER_LABEL]).toBeUndefined();

    const next = await deploy(deps, ns.name, name, webappChart, { set: ['message=v3'] });
    expect(next.info.status).toBe('deployed');
    expect((await data(`${name}-webapp-config`))?.message).toBe('v3');
    expect(await history(deps, ns.name, name)).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'failed', `Unlocked by ${by}: ${reason} (was pending-upgrade)`],
      [3, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(deps, ns.name, name);
  }, 180_000);

  it("an owner that never comes back: helm's rollback (which ignores the lock) recovers it too, and helmstep upgrades after it", async () => {
    const name = 'gone-helm';
    await abandoned(name);
    const r = await helm(4, ['rollback', name, '1', '-n', ns.name, '--wait', '--timeout', '60s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Rollback was a success! Happy Helming!');
    // helm leaves the abandoned record as it was: no longer the newest, it locks nothing.
    expect(await history(deps, ns.name, name)).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'pending-upgrade', 'Preparing upgrade'],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    expect((await data(`${name}-webapp-config`))?.message).toBe('v1');
    await expectHelmAgrees(deps, ns.name, name);

    const next = await deploy(deps, ns.name, name, webappChart, { set: ['message=v3'] });
    expect(next.version).toBe(4);
    expect(next.info.status).toBe('deployed');
    expect((await data(`${name}-webapp-config`))?.message).toBe('v3');
    expect(await history(deps, ns.name, name)).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'pending-upgrade', 'Preparing upgrade'],
      [3, 'superseded', 'Rollback to 1'],
      [4, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(deps, ns.name, name);
  }, 180_000);
});
