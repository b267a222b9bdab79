import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';

import { clients, createCorruptReleaseSecret, useNamespace } from '../../harness/cluster.ts';
import { helmstepProcess } from './helmstep.ts';

// The executable itself, in a child process: exit codes, stderr, and no stack traces.
describe('helmstep errors from the real executable', () => {
  const ns = useNamespace('cli-err');
  const kubeconfig = () => inject('kubeconfig');

  it('a reader that closes the pipe early (`| head`) gets no stack trace; the command ends with its own code', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--help'], { cwd: new URL('../../../', import.meta.url), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before the process has written a byte
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('a bad command line: `Error:` and the usage line on stderr, exit 2', async () => {
    const r = await helmstepProcess(['history', '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: "helmstep history" requires 1 argument, got 0\n\nUsage: {2}helmstep history RELEASE_NAME \[flags\]\n/);
  });

  it('an unknown release: exit 1 with helm\'s words and where to look', async () => {
    const r = await helmstepProcess(['history', 'nope', '-n', ns.name, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `Error: release: not found: release "nope" in namespace "${ns.name}" has no records; check the name and namespace (helm list -n ${ns.name})\n`,
    );
  });

  it('a missing kubeconfig file: exit 1, names the file', async () => {
    const r = await helmstepProcess(['history', 'web', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: kubeconfig /nonexistent/kubeconfig does not exist; pass an existing file to --kubeconfig\n');
  });

  it('an unreachable cluster: exit 1, names the server, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helmstep-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: gone, context: {cluster: gone, user: u}}]',
        'current-context: gone',
      ].join('\n'),
    );
    const r = await helmstepProcess(['status', 'web', '--kubeconfig', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: Kubernetes cluster unreachable at https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a corrupt release Secret: exit 1, the error names the Secret, the cluster is unchanged', async () => {
    const { core } = clients();
    await createCorruptReleaseSecret(ns.name, 'broken', 1);
    const before = await core.listNamespacedSecret({ namespace: ns.name });

    for (const args of [['history', 'broken'], ['get', 'values', 'broken'], ['status', 'broken', '--revision', '1']]) {
      const r = await helmstepProcess([...args, '-n', ns.name, '--kubeconfig', kubeconfig()]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^Error: Secret ${ns.name}/sh\\.helm\\.release\\.v1\\.broken\\.v1 holds a corrupt release record`));
    }

    const after = await core.listNamespacedSecret({ namespace: ns.name });
    const shape = (l: typeof before) => l.items.map((s) => [s.metadata?.name, s.metadata?.resourceVersion]);
    expect(shape(after)).toEqual(shape(before));
  });
});
