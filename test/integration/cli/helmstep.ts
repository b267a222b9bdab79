/** Runs helmstep against the test cluster: in this process (fast), or as the real executable. */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

import { run } from '../../../src/cli/run.ts';
import { connect, defaultNamespace } from '../../../src/store/kube.ts';
import type { Run } from '../../harness/cluster.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The local state (lease table, audit log) of this test file's runs: its own, so files never wait on each other. */
export const STATE_DIR = mkdtempSync(join(tmpdir(), 'helmstep-cli-state-'));

/** helmstep in this process, on the test cluster, as the executable would run it. */
export async function helmstep(args: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await run([...args, '--kubeconfig', inject('kubeconfig')], {
    out: { write: (s: string) => (stdout += s) },
    err: { write: (s: string) => (stderr += s) },
    env: { HELMSTEP_STATE_DIR: STATE_DIR },
    open: (opts) => {
      const c = connect(opts);
      return { store: c.store, defaultNamespace: defaultNamespace(c.kubeConfig) };
    },
  });
  return { code, stdout, stderr };
}

/** The real executable (src/cli/main.ts under tsx) in a child process: exit codes and streams. */
export function helmstepProcess(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: REPO, env: { PATH: process.env.PATH, HOME: process.env.HOME, HELMSTEP_STATE_DIR: STATE_DIR } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
