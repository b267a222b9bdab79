/**
 * `helmstep upgrade … --gate-prometheus … --bake …` (and `--gate-file`) in process, through the
 * deploy state machine, on the control plane with a real Prometheus scraping an exporter whose
 * error rate the test sets: the gate's progress on stderr, a passing gate, a failing one rolled
 * back with one `Error:` line naming the check and its value, and bad gate input refused before
 * anything is written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../harness/cluster.ts';
import { clients, useNamespace, webappChart } from '../../harness/cluster.ts';
import { engineDeps, expectHelmAgrees, history } from '../engine/harness.ts';
import { ERROR_RATE_QUERY, usePrometheus } from '../../harness/prometheus.ts';
import { helmstep } from './helmstep.ts';

const CHECK = `error-rate=${ERROR_RATE_QUERY}<0.5`;
const deps = engineDeps();
const { core } = clients();
const dir = mkdtempSync(join(tmpdir(), 'helmstep-cli-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gateFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** One `Error:` line, no stack trace, nothing on stdout. */
function expectOneError(r: Run, code: number): string {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('Error: '));
  expect(errors, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return errors[0]!;
}

/** Every Secret of the namespace: name → resourceVersion. */
async function secrets(namespace: string): Promise<Record<string, string>> {
  const list = await core.listNamespacedSecret({ namespace });
  return Object.fromEntries(list.items.map((s) => [s.metadata?.name ?? '', s.metadata?.resourceVersion ?? '']));
}

const message = async (namespace: string, release: string) => (await core.readNamespacedConfigMap({ name: `${release}-webapp-config`, namespace })).data?.message;

async function install(namespace: string, release: string): Promise<void> {
  const r = await helmstep(['upgrade', release, webappChart, '-n', namespace, '--install', '--wait', '--timeout', '60s', '--set', 'message=v1']);
  expect(r.code, r.stderr).toBe(0);
}

describe('helmstep upgrade with a Prometheus health gate', () => {
  const ns = useNamespace('cli-gate');
  const prom = usePrometheus();
  const upgrade = (release: string, gate: readonly string[]) =>
    helmstep(['upgrade', release, webappChart, '-n', ns.name, '--wait', '--timeout', '60s', '--set', 'message=v2', ...gate]);
  const flags = () => ['--gate-prometheus', CHECK, '--gate-prometheus-url', prom.url, '--bake', '4s', '--gate-interval', '1s'];
  const file = () => gateFile('gate.yaml', `bake: 4s\ninterval: 1s\nprometheus:\n  url: ${prom.url}\n  checks:\n    - ${CHECK}\n`);

  beforeEach(() => prom.settleErrorRate(0.001));

  /** The gate passed through its bake, and stderr showed it. */
  async function expectPassed(release: string, r: Run): Promise<void> {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Release "${release}" has been upgraded. Happy Helming!`);
    const lines = r.stderr.split('\n');
    const baking = lines.filter((l) => l.startsWith('helmstep:   … HealthGate: bake '));
    expect(baking.length, r.stderr).toBeGreaterThanOrEqual(3);
    expect(baking[0]).toMatch(/^helmstep: {3}… HealthGate: bake 0\/4 s, 1 evaluation: error-rate=0\.00\d+ < 0\.5$/);
    expect(lines).toContainEqual(expect.stringMatching(/^helmstep: ✓ HealthGate: gate passed: bake 4\/4 s, \d+ evaluations: error-rate=0\.00\d+ < 0\.5$/));
    // The migration state comes after the gate.
    expect(lines.findIndex((l) => l.startsWith('helmstep: ✓ HealthGate'))).toBeLessThan(lines.findIndex((l) => l.startsWith('helmstep: ✓ Migrate')));
    expect(await message(ns.name, release)).toBe('v2');
    expect((await history(deps, ns.name, release)).map(([rev, st]) => [rev, st])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    await expectHelmAgrees(deps, ns.name, release);
  }

  /** The error rate was over the threshold: exit 1, rolled back to revision 1, one Error line naming the check. */
  async function expectRolledBack(release: string, r: Run): Promise<void> {
    const line = expectOneError(r, 1);
    const m = /^Error: release (\S+) failed its health gate, and has been rolled back to revision 1: prometheus check "error-rate" \((.*)\) = ([\d.]+), threshold < 0\.5$/.exec(line);
    expect(m, line).not.toBeNull();
    expect(m![1]).toBe(release);
    expect(m![2]).toBe(ERROR_RATE_QUERY);
    expect(Number(m![3])).toBeGreaterThan(1.5);
    expect(r.stderr).toMatch(/^helmstep: ✗ HealthGate: health gate failed: prometheus check "error-rate"/m);
    expect(r.stderr).toMatch(/^helmstep: ✓ RollbackFinalize: revision 3 deployed: Rollback to 1$/m);
    expect(await message(ns.name, release)).toBe('v1');
    expect((await history(deps, ns.name, release)).map(([rev, st]) => [rev, st])).toEqual([
      [1, 'superseded'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
    await expectHelmAgrees(deps, ns.name, release);
  }

  it('--gate-prometheus with --bake 4s --gate-interval 1s: the bake on stderr, then the upgrade completes', async () => {
    await install(ns.name, 'flags');
    await expectPassed('flags', await upgrade('flags', flags()));
  });

  it('the error rate over the threshold: exit 1, rolled back, the Error names the check, query and value', async () => {
    await install(ns.name, 'flagsbad');
    await prom.settleErrorRate(2);
    await expectRolledBack('flagsbad', await upgrade('flagsbad', flags()));
  });

  it('--gate-file with bake, interval and the check passes the same way', async () => {
    await install(ns.name, 'file');
    await expectPassed('file', await upgrade('file', ['--gate-file', file()]));
  });

  it('--gate-file with the error rate over the threshold rolls back the same way', async () => {
    await install(ns.name, 'filebad');
    await prom.settleErrorRate(2);
    await expectRolledBack('filebad', await upgrade('filebad', ['--gate-file', file()]));
  });
});

describe('helmstep upgrade refuses bad gate input before writing anything', () => {
  const ns = useNamespace('cli-gate-bad');
  let before: Record<string, string>;
  const upgrade = (gate: readonly string[]) => helmstep(['upgrade', 'web', webappChart, '-n', ns.name, '--wait', '--timeout', '30s', '--set', 'message=v2', ...gate]);

  beforeAll(async () => {
    await install(ns.name, 'web');
    before = await secrets(ns.name);
    expect(Object.keys(before)).toContain('sh.helm.release.v1.web.v1');
  });

  const cases: [string, () => readonly string[], number, RegExp][] = [
    ['--bake alone', () => ['--bake', '5m'], 1, /^Error: invalid health gate in the flags: --bake needs something to bake: --gate-prometheus, --gate-alarm or --gate-tests; fix it and run the command again$/],
    [
      '--gate-prometheus without an operator',
      () => ['--gate-prometheus', 'no operator', '--gate-prometheus-url', 'http://127.0.0.1:9'],
      1,
      /^Error: invalid health gate in --gate-prometheus: "no operator" is not QUERY<THRESHOLD \(operators < <= > >=, a number after it\), e\.g\. .*; fix it and run the command again$/,
    ],
    ['--gate-prometheus without a URL', () => ['--gate-prometheus', CHECK], 1, /^Error: invalid health gate in the flags: --gate-prometheus needs --gate-prometheus-url \(the Prometheus base URL\)/],
    ['a gate file that is not YAML', () => ['--gate-file', gateFile('bad.yaml', 'bake: [5m\nprometheus: {\n')], 1, /^Error: invalid health gate in the gate file .*bad\.yaml: not valid YAML: .*; fix it and run the command again$/],
    [
      'a gate file with no checks',
      () => ['--gate-file', gateFile('empty.yaml', 'bake: 5m\n')],
      1,
      /^Error: invalid health gate in the gate file .*empty\.yaml: a gate needs at least one of prometheus, alarms or tests; fix it and run the command again$/,
    ],
    ['--gate-file and --gate-tests together', () => ['--gate-file', gateFile('tests.yaml', 'tests: true\n'), '--gate-tests'], 2, /^Error: give --gate-file or the gate flags \(--gate-prometheus, --gate-alarm, --gate-tests, --bake\), not both$/],
    ['a gate file that does not exist', () => ['--gate-file', join(dir, 'missing.yaml')], 2, /^Error: cannot read the gate file .*missing\.yaml: ENOENT/],
    ['--engine=direct with a gate flag', () => ['--engine=direct', '--gate-tests'], 2, /^Error: the health gate flags need the state machine: leave out --engine=direct$/],
  ];

  it.each(cases)('%s: one clear Error, its exit code, no new Secret', async (_what, args, code, error) => {
    const r = await upgrade(args());
    expect(expectOneError(r, code)).toMatch(error);
    // A command-line mistake shows the command's usage, as the parser's own usage errors do.
    if (code === 2) expect(r.stderr).toContain('Usage:  helmstep upgrade');
    expect(r.stderr).not.toContain('helmstep: execution');
    expect(await secrets(ns.name)).toEqual(before);
    expect(await message(ns.name, 'web')).toBe('v1');
  });
});
