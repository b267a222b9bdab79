/**
 * The release-changing commands as a real process (src/cli/main.ts under tsx), rendering with the
 * real helm 4: what they print next to what helm 4 prints for the same command line, their
 * progress on stderr, their refusals of bad input (one `Error:` line, helm's exit code, nothing
 * written), `rollback --dry-run`, `unlock`, and Ctrl-C during a wait.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { OWNER_LABEL } from '../../../src/release/owner.ts';
import { clients, helm, useNamespace, webappChart } from '../../harness/cluster.ts';
import { deploy, engineDeps, expectHelmAgrees, history } from '../engine/harness.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'helmstep-cli-actions-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

interface Proc {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * `helmstep ARGS --kubeconfig <test cluster>` as a child process, rendering with the real helm 4.
 * `onStderr` sees the stderr so far and the process (to signal it while it waits).
 */
function helmstep(args: readonly string[], onStderr?: (stderr: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Proc> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--kubeconfig', inject('kubeconfig')], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: home, TZ: 'UTC', HELMSTEP_HELM: inject('helm4') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, (s) => child.kill(s));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Output made comparable across two namespaces and two runs: times and namespace names masked. */
function masked(text: string, namespace: string): string {
  return text
    .replace(/^(LAST DEPLOYED|Last Started|Last Completed):(\s+).*$/gm, '$1:$2<time>')
    .replaceAll(namespace, '<ns>');
}

/** What a refusal must look like: one `Error:` line first, no stack trace. */
function expectOneErrorLine(p: Proc): void {
  expect(p.stdout).toBe('');
  expect(p.stderr.split('\n').filter((l) => l.startsWith('Error: '))).toHaveLength(1);
  expect(p.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('helmstep upgrade/rollback/test/unlock as a process', () => {
  const ns = useNamespace('cli-act');
  const twin = useNamespace('cli-act-helm'); // the same commands, run by helm 4
  const deps = engineDeps();
  const { core, apps } = clients();

  /** Every Secret of the namespace: name → resourceVersion. */
  async function secrets(namespace = ns.name): Promise<Record<string, string>> {
    const list = await core.listNamespacedSecret({ namespace });
    return Object.fromEntries(list.items.map((s) => [s.metadata?.name ?? '', s.metadata?.resourceVersion ?? '']));
  }
  const message = async (release: string) => (await core.readNamespacedConfigMap({ name: `${release}-webapp-config`, namespace: ns.name })).data?.message;

  it('upgrade --install, upgrade, test and rollback print what helm 4 prints, with progress on stderr', async () => {
    const steps: { args: string[]; stdout?: string; stderr: string[] }[] = [
      {
        args: ['upgrade', '--install', 'web', webappChart, '--set', 'message=v1', '--wait'],
        stderr: ['helmstep: execution cli-', 'helmstep: → ValidateLock', 'helmstep: → Render', 'helmstep: ✓ Render: revision 1 locked by cli-', 'helmstep:   created Deployment/web-webapp', 'helmstep: → HealthGate', 'helmstep: ✓ Finalize'],
      },
      {
        args: ['upgrade', 'web', webappChart, '--set', 'message=v2,tests.enabled=true', '--wait'],
        stderr: ['helmstep:   hook web-webapp-backup (pre-upgrade) started: Job', 'helmstep:   hook web-webapp-backup (pre-upgrade) succeeded', 'helmstep:   applied ConfigMap/web-webapp-config', 'helmstep: ✓ Upgrade: 3 applied (0 created), 0 deleted'],
      },
      { args: ['test', 'web'], stderr: ['helmstep: → Test', 'helmstep:   hook web-webapp-smoke-test (test) succeeded'] },
      {
        args: ['rollback', 'web', '1', '--wait'],
        stdout: 'Rollback was a success! Happy Helming!\n',
        stderr: ['helmstep: ✓ Rollback: revision 3 locked by cli-', 'helmstep: → PreRollbackHooks', 'helmstep: ✓ Finalize: revision 3 deployed: Rollback to 1'],
      },
    ];
    for (const s of steps) {
      const ours = await helmstep([...s.args, '-n', ns.name]);
      const theirs = await helm(4, [...s.args, '-n', twin.name]);
      const what = `helmstep ${s.args.join(' ')}`;
      expect(ours.code, `${what}\n${ours.stderr}`).toBe(0);
      expect(theirs.code, theirs.stderr).toBe(0);
      expect.soft(masked(ours.stdout, ns.name), `${what}: stdout as helm 4's`).toBe(masked(theirs.stdout, twin.name));
      if (s.stdout) expect(ours.stdout).toBe(s.stdout);
      for (const line of s.stderr) expect(ours.stderr.split('\n').some((l) => l.startsWith(line)), `${what}: stderr has "${line}"\n${ours.stderr}`).toBe(true);
      expect(ours.stderr).not.toContain('Error');
    }
    // Both tools wrote the same history.
    const theirs = JSON.parse((await helm(4, ['history', 'web', '-n', twin.name, '-o', 'json'])).stdout) as { revision: number; status: string; description: string }[];
    expect(await history(deps, ns.name, 'web')).toEqual(theirs.map((r) => [r.revision, r.status, r.description]));
    await expectHelmAgrees(deps, ns.name, 'web');

    const upgraded = await helmstep(['upgrade', 'web', webappChart, '--set', 'message=v3', '-n', ns.name]);
    expect(upgraded.stdout).toMatch(/^Release "web" has been upgraded\. Happy Helming!\nNAME: web\nLAST DEPLOYED: .*\nNAMESPACE: cli-act-\w+\nSTATUS: deployed\nREVISION: 4\n/);
    expect(await message('web')).toBe('v3');
  }, 180_000);

  it('-o json prints the stored record (with the keys helm 4 prints) and nothing else on stdout', async () => {
    await deploy(deps, ns.name, 'json', webappChart, { set: ['message=v1'] });
    const p = await helmstep(['upgrade', 'json', webappChart, '--set', 'message=v2', '-o', 'json', '-n', ns.name]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.endsWith('}\n') && p.stdout.indexOf('\n') === p.stdout.length - 1).toBe(true); // one JSON line
    const printed = JSON.parse(p.stdout) as Record<string, unknown>;
    const stored = await deps.store.get({ namespace: ns.name, name: 'json' }, 2);
    expect(printed).toEqual(JSON.parse(JSON.stringify(stored.release)));
    expect(printed).toMatchObject({ name: 'json', version: 2, namespace: ns.name, info: { status: 'deployed', description: 'Upgrade complete' }, config: { message: 'v2' } });
    expect(p.stderr).toContain('helmstep: ✓ Finalize');

    await helm(4, ['upgrade', '--install', 'json', webappChart, '--set', 'message=v1', '-n', twin.name]);
    const theirs = await helm(4, ['upgrade', 'json', webappChart, '--set', 'message=v2', '-o', 'json', '-n', twin.name]);
    expect(Object.keys(printed)).toEqual(Object.keys(JSON.parse(theirs.stdout) as object));
  }, 120_000);

  describe('bad input: one `Error:` line naming what and what to do, helm\'s exit code, nothing written', () => {
    const badValues = join(home, 'bad-values.yaml');
    const cases: { what: string; args: () => string[]; code: 1 | 2; error: RegExp; usage?: true }[] = [
      {
        what: 'an invalid release name',
        args: () => ['upgrade', '--install', 'Bad_Name!', webappChart],
        code: 2,
        error: /^Error: release name "Bad_Name!": invalid release name, must match regex .* and the length must not be longer than 53\n/,
        usage: true,
      },
      {
        what: 'a chart path that does not exist',
        args: () => ['upgrade', 'base', '/nonexistent/chart'],
        code: 1,
        error: /^Error: helm could not render chart \/nonexistent\/chart for release "base" in namespace "[\w-]+": path "\/nonexistent\/chart" not found; fix the chart or values and retry$/m,
      },
      {
        what: 'a values file that does not parse',
        args: () => ['upgrade', 'base', webappChart, '-f', badValues],
        code: 1,
        error: new RegExp(`^Error: helm could not render chart .*: failed to parse ${badValues.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*did not find expected ',' or '\\]'; fix the chart or values and retry$`, 'm'),
      },
      {
        what: 'a --set with no value',
        args: () => ['upgrade', 'base', webappChart, '--set', 'a'],
        code: 1,
        error: /^Error: helm could not render chart .*: failed parsing --set data: key "a" has no value; fix the chart or values and retry$/m,
      },
      {
        what: 'a --set with a bad list index',
        args: () => ['upgrade', 'base', webappChart, '--set', 'a[x]=1'],
        code: 1,
        error: /^Error: helm could not render chart .*: failed parsing --set data: error parsing index: strconv\.Atoi: parsing "x": invalid syntax; fix the chart or values and retry$/m,
      },
      {
        what: 'an unknown revision to roll back to',
        args: () => ['rollback', 'base', '99'],
        code: 1,
        error: /^Error: release has no 99 version: release "base" in namespace "[\w-]+" has no revision 99; see helm history base -n [\w-]+$/m,
      },
      {
        what: 'a --timeout that is not a duration',
        args: () => ['upgrade', 'base', webappChart, '--timeout', 'nonsense'],
        code: 2,
        error: /^Error: invalid argument "nonsense" for "--timeout" flag: time: invalid duration "nonsense"\n/,
        usage: true,
      },
    ];

    it.each(cases)('$what', async (c) => {
      writeFileSync(badValues, 'a: [1\n');
      const rel = (await deps.store.history({ namespace: ns.name, name: 'base' })).length;
      if (rel === 0) await deploy(deps, ns.name, 'base', webappChart, { set: ['message=v1'] });
      const before = await secrets();
      const p = await helmstep([...c.args(), '-n', ns.name]);
      expect(p.code, p.stderr).toBe(c.code);
      expect(p.signal).toBeNull();
      expect(p.stderr).toMatch(c.error);
      expectOneErrorLine(p);
      if (c.usage) expect(p.stderr).toMatch(/\n\nUsage: {2}helmstep (upgrade|rollback) RELEASE_NAME/);
      expect(await secrets()).toEqual(before);
      // helm refuses the same command line too.
      const theirs = await helm(4, [...c.args(), '-n', ns.name]);
      expect(theirs.code).toBe(1);
      expect(await secrets()).toEqual(before);
    }, 60_000);
  });

  it('rollback --dry-run prints the plan and a diff, and writes nothing (records or objects)', async () => {
    await deploy(deps, ns.name, 'plan', webappChart, { set: ['message=v1'] });
    await deploy(deps, ns.name, 'plan', webappChart, { set: ['message=v2', 'extra.enabled=true'] });
    const selector = { namespace: ns.name, labelSelector: 'app.kubernetes.io/instance=plan' };
    const objects = async () =>
      Object.fromEntries(
        [
          ...(await core.listNamespacedConfigMap(selector)).items.map((o) => ['ConfigMap', o] as const),
          ...(await apps.listNamespacedDeployment(selector)).items.map((o) => ['Deployment', o] as const),
        ].map(([kind, o]): [string, string] => [`${kind}/${o.metadata?.name ?? ''}`, o.metadata?.resourceVersion ?? '']),
      );
    const before = { secrets: await secrets(), objects: await objects() };
    const p = await helmstep(['rollback', 'plan', '1', '--dry-run', '-n', ns.name]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(
      /^Rollback plan: revision 2 → revision 1 \(nothing was changed\)\ncreate: none\nupdate: ConfigMap\/plan-webapp-config, Service\/plan-webapp, Deployment\/plan-webapp\ndelete: ConfigMap\/plan-webapp-extra\npre-rollback hooks: none\npost-rollback hooks: none\nrisks: none\n/,
    );
    expect(p.stdout).toContain('\n-  message: "v2"\n+  message: "v1"\n');
    expect(p.stdout).toContain('\nvalues diff (current → target):\n');
    expect({ secrets: await secrets(), objects: await objects() }).toEqual(before);
    expect(await history(deps, ns.name, 'plan')).toHaveLength(2);
  }, 120_000);

  it('unlock: refuses a live lease, takes it with --force and says who did, and the next upgrade works', async () => {
    await deploy(deps, ns.name, 'lock', webappChart, { set: ['message=v1'] });
    // A run killed outright (no chance to record anything) while it waits: a lock nobody holds.
    const killed = await helmstep(['upgrade', 'lock', webappChart, '--set', 'message=v2,podBehaviour=crashloop', '--wait', '--timeout', '60s', '-n', ns.name], (err, kill) => {
      if (err.includes('… HealthGate:')) kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    expect((await deps.store.get({ namespace: ns.name, name: 'lock' }, 2)).release.info.status).toBe('pending-upgrade');

    const before = await secrets();
    const refused = await helmstep(['unlock', 'lock', '-n', ns.name]);
    expect(refused.code).toBe(1);
    // The killed execution's lease is still live (it renews with every state): the release is its own until it expires.
    expect(refused.stderr).toMatch(
      new RegExp(`^Error: release "lock" in namespace "${ns.name}" .*is leased by execution cli-[0-9a-f-]+ until .*; it may still be running: wait for it or for the lease to expire, or unlock with --force if you know it is dead\n$`),
    );
    expectOneErrorLine(refused);
    expect(await secrets()).toEqual(before);

    const upgradeLocked = await helmstep(['upgrade', 'lock', webappChart, '--set', 'message=v3', '-n', ns.name]);
    expect(upgradeLocked.code).toBe(1);
    expect(upgradeLocked.stderr).toMatch(/^Error: another operation \(install\/upgrade\/rollback\) is in progress: release "lock" .* is leased by execution cli-.*helmstep unlock lock/m);
    expect(await secrets()).toEqual(before);

    const unlocked = await helmstep(['unlock', 'lock', '--force', '--reason', 'deploy job was killed', '-n', ns.name]);
    expect(unlocked.code, unlocked.stderr).toBe(0);
    const by = `cli:${userInfo().username}@${hostname()}`;
    const description = `Unlocked by ${by}: deploy job was killed (was pending-upgrade)`;
    expect(unlocked.stdout).toMatch(
      new RegExp(`^release "lock" in namespace "${ns.name}": took over the live \\(forced\\) lease of execution cli-[0-9a-f-]+ \\(expiry .*\\); revision 2 is now failed: ${description.replace(/[()]/g, '\\$&')}\n$`),
    );
    const rec = await deps.store.get({ namespace: ns.name, name: 'lock' }, 2);
    expect(rec.release.info.status).toBe('failed');
    expect(rec.labels[OWNER_LABEL]).toBeUndefined();

    const again = await helmstep(['upgrade', 'lock', webappChart, '--set', 'message=v3', '--wait', '-n', ns.name]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Release "lock" has been upgraded\. Happy Helming!\n/);
    expect(await message('lock')).toBe('v3');
    expect(await history(deps, ns.name, 'lock')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'failed', description],
      [3, 'deployed', 'Upgrade complete'],
    ]);
    await expectHelmAgrees(deps, ns.name, 'lock');
  }, 180_000);

  describe('Ctrl-C while waiting on a crash-looping rollout (--timeout 60s)', () => {
    const interrupt = (release: string, extra: string[]) =>
      helmstep(['upgrade', release, webappChart, '--set', 'message=v2,podBehaviour=crashloop', '--wait', '--timeout', '60s', ...extra, '-n', ns.name], (err, kill) => {
        if (err.includes('… HealthGate:') && !err.includes('SIGINT received')) kill('SIGINT');
      });

    it('ends with the release failed ("context canceled"), never pending', async () => {
      await deploy(deps, ns.name, 'int', webappChart, { set: ['message=v1'] });
      const p = await interrupt('int', []);
      expect(p.signal).toBeNull();
      expect(p.code).toBe(1);
      expect(p.ms).toBeLessThan(45_000); // it stopped waiting: the timeout was 60 s
      expect(p.stderr).toContain('helmstep: SIGINT received, stopping');
      expect(p.stderr).toMatch(/helmstep: → FailRelease\n(.*\n)*Error: UPGRADE FAILED: context canceled\n$/);
      expectOneErrorLine(p);
      expect(await history(deps, ns.name, 'int')).toEqual([
        [1, 'deployed', 'Install complete'],
        [2, 'failed', 'Upgrade "int" failed: context canceled'],
      ]);
      await expectHelmAgrees(deps, ns.name, 'int');
    }, 120_000);

    it('with --atomic, ends rolled back to the last good revision', async () => {
      await deploy(deps, ns.name, 'intatomic', webappChart, { set: ['message=v1'] });
      const p = await interrupt('intatomic', ['--atomic']);
      expect(p.signal).toBeNull();
      expect(p.code).toBe(1);
      expect(p.ms).toBeLessThan(45_000);
      expect(p.stderr).toContain('helmstep: ✓ RollbackFinalize: revision 3 deployed: Rollback to 1');
      expect(p.stderr).toMatch(/Error: release intatomic failed, and has been rolled back due to rollback-on-failure being set: context canceled\n$/);
      expectOneErrorLine(p);
      expect(await history(deps, ns.name, 'intatomic')).toEqual([
        [1, 'superseded', 'Install complete'],
        [2, 'failed', 'Upgrade "intatomic" failed: context canceled'],
        [3, 'deployed', 'Rollback to 1'],
      ]);
      expect(await message('intatomic')).toBe('v1');
      await expectHelmAgrees(deps, ns.name, 'intatomic');
    }, 120_000);
  });
});
