/**
 * `helmstep serve` as the real process: it starts on the on-disk local state, takes a signed
 * delivery, and on SIGTERM during the deploy's health gate stops accepting, interrupts the
 * execution (the release ends failed, not pending, as Ctrl-C leaves the CLI's), and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';

import { helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { CLUSTER, SECRET, sendGeneric } from './harness.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, seen: { text: string }): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr so far:\n${seen.text}`)), timeoutMs);
    const check = () => {
      const m = pattern.exec(seen.text);
      if (m) {
        clearTimeout(timer);
        child.stderr?.off('data', check);
        resolve(m);
      }
    };
    child.stderr?.on('data', check);
    check();
  });
}

describe('helmstep serve: graceful shutdown', () => {
  const ns = useNamespace('serve-stop');
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('SIGTERM during a deploy\'s health gate: no new work, the release ends failed (not pending), exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helmstep-serve-proc-'));
    writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
    writeFileSync(
      join(dir, 'targets.yaml'),
      `targets:
  - generic: { source: ci/slow }
    cluster: ${CLUSTER}
    namespace: ${ns.name}
    release: slow
    chart: ${webappChart}
    set: ["podBehaviour=crashloop"]
    timeout: 120s
`,
    );
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--listen', '127.0.0.1:0', '--targets', join(dir, 'targets.yaml'), '--generic-secret-file', join(dir, 'secret'), '--kubeconfig', inject('kubeconfig')],
      {
        cwd: REPO,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          HELMSTEP_STATE_DIR: join(dir, 'state'),
          HELMSTEP_CLUSTER_NAME: CLUSTER,
          HELMSTEP_HELM: inject('helm4'),
          HELMSTEP_TEST_WAIT_MS: '50',
          POWERTOOLS_LOG_LEVEL: 'WARN',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const seen = { text: '' };
    child.stderr!.on('data', (d: Buffer) => (seen.text += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const [, url] = await waitForLine(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000, seen);
    // The lines after "listening" come in writes of their own: wait for the last of them.
    await waitForLine(child, /generated the alarm and audit routes' token/, 10_000, seen);
    expect(seen.text).toMatch(/DynamoDB at http:\/\/127\.0\.0\.1:\d+; other helmstep commands share it with: export HELMSTEP_DYNAMODB_ENDPOINT=/);
    expect(seen.text).toMatch(/generated the alarm and audit routes' token [0-9a-f]{64}/);

    const answer = await sendGeneric(url!, JSON.stringify({ source: 'ci/slow' }));
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);

    // Wait until the release is applied and the gate is waiting for crash-looping pods.
    const newest = async () => {
      const rows = JSON.parse(await helmOk(4, ['history', 'slow', '-n', ns.name, '-o', 'json']).catch(() => '[]')) as { status: string }[];
      return rows.at(-1)?.status;
    };
    const deadline = Date.now() + 60_000;
    while ((await newest()) !== 'pending-install' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await newest()).toBe('pending-install');
    await new Promise((r) => setTimeout(r, 1000));

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(seen.text).toContain('stopping: no new work; interrupting 1 execution(s) in flight');
    expect(seen.text).toMatch(/execution generic-ci-[\w-]+ \(deploy\) ended FAILED/);
    expect(seen.text).toContain('helmstep serve: stopped');
    const rows = JSON.parse(await helmOk(4, ['history', 'slow', '-n', ns.name, '-o', 'json'])) as { status: string; description: string }[];
    expect(rows.at(-1)).toMatchObject({ status: 'failed' });
    expect(rows.at(-1)?.description).toContain('context canceled');
  });
});
