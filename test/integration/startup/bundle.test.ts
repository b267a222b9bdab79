import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { buildCli } from '../../../scripts/build.ts';
import { helmOk, useNamespace, webappChart, type Run } from '../../harness/cluster.ts';
import { helmstepProcess } from '../cli/helmstep.ts';

// The CLI as `npm run build` bundles it, run as a process: the same output as helm and as the
// CLI under tsx, the same errors and exit codes.
describe('the bundled helmstep executable', () => {
  // Where `npm run build` puts it: two folders below the repository, as every module sits (paths
  // built from import.meta.url, such as the state machines', and node_modules for dynalite resolve the same).
  const dist = fileURLToPath(new URL('../../../dist/', import.meta.url));
  mkdirSync(dist, { recursive: true });
  const dir = mkdtempSync(join(dist, 'bundle-test-'));
  const cli = join(dir, 'helmstep.mjs');
  const ns = useNamespace('bundle');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    await buildCli(dir);
    await helmOk(4, ['install', 'web', webappChart, '-n', ns.name, '--set', 'message=one', '--set', 'backup.enabled=false']);
    await helmOk(4, ['upgrade', 'web', webappChart, '-n', ns.name, '--set', 'message=two', '--set', 'backup.enabled=false']);
  });

  function bundled(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  it('is an entry file and the chunks it loads, side by side', () => {
    const files = readdirSync(dir);
    expect(files).toContain('helmstep.mjs');
    expect(files.filter((f) => f.endsWith('.mjs')).length).toBeGreaterThan(1);
  });

  it.each(
    [
      ['history', 'web', '-o', 'json'],
      ['history', 'web'],
      ['get', 'values', 'web', '--revision', '1'],
      ['get', 'values', 'web', '--all', '-o', 'json'],
      ['get', 'manifest', 'web'],
      ['get', 'hooks', 'web'],
    ].map((args) => [args.join(' '), args] as const),
  )('prints what helm 4 prints: %s', async (_line, args) => {
    const theirs = await helmOk(4, [...args, '-n', ns.name]);
    const ours = await bundled([...args, '-n', ns.name, '--kubeconfig', inject('kubeconfig')]);
    expect(ours.stderr).toBe('');
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs);
  });

  it('takes the cluster from $KUBECONFIG and the namespace from $HELM_NAMESPACE, as helm does', async () => {
    const ours = await bundled(['history', 'web', '-o', 'json'], { KUBECONFIG: inject('kubeconfig'), HELM_NAMESPACE: ns.name });
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(await helmOk(4, ['history', 'web', '-o', 'json', '-n', ns.name]));
  });

  it('runs a release-changing command (the engine and client-node load on demand); helm reads the result', async () => {
    const ours = await bundled(['install', 'fresh', webappChart, '-n', ns.name, '--set', 'backup.enabled=false', '--kubeconfig', inject('kubeconfig')], {
      HELMSTEP_HELM: inject('helm4'),
    });
    expect(ours.stderr).not.toMatch(/Error/);
    expect(ours.code).toBe(0);
    const history = JSON.parse(await helmOk(4, ['history', 'fresh', '-n', ns.name, '-o', 'json'])) as { revision: number; status: string }[];
    expect(history.map((r) => [r.revision, r.status])).toEqual([[1, 'deployed']]);
  });

  it.each([
    ['an unknown release', ['history', 'nope', '-n', 'NS']],
    ['a missing revision', ['get', 'values', 'web', '--revision', '7', '-n', 'NS']],
    ['a bad command line', ['history']],
    ['a missing kubeconfig', ['history', 'web', '--kubeconfig', '/nonexistent/kubeconfig']],
    ['an unknown context', ['history', 'web', '--kube-context', 'nowhere', '-n', 'NS']],
    ['help', ['history', '--help']],
  ])('%s: the same streams and exit code as the CLI under tsx', async (_what, args) => {
    const line = args.map((a) => (a === 'NS' ? ns.name : a));
    const withCluster = line.includes('--kubeconfig') ? line : [...line, '--kubeconfig', inject('kubeconfig')];
    const [ours, tsx] = await Promise.all([bundled(withCluster), helmstepProcess(withCluster)]);
    expect(ours).toEqual(tsx);
  });
});
