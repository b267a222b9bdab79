/**
 * `go` for the parts built from their Go modules (the control plane, Prometheus, the OCI
 * registry): static binaries, as their releases are built (no C toolchain needed on the
 * machine), and a line every 30 s while go is silently downloading and compiling.
 */
import { spawn } from 'node:child_process';

import { progress } from './cache.ts';

export interface GoRun {
  /** The module folder go runs in. */
  readonly moduleDir: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** What is built, for the missing-toolchain error: `the local control plane`. */
  readonly purpose: string;
  /** The progress line while it runs, before `(N s)`: `still building promtool`. */
  readonly heartbeat: string;
}

/** Runs go; rejects with the tail of its stderr when it fails. */
export async function runGo(run: GoRun): Promise<void> {
  const started = Date.now();
  const beat = setInterval(() => progress(`  ${run.heartbeat} (${((Date.now() - started) / 1000).toFixed(0)} s)`), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('go', run.args, { cwd: run.moduleDir, env: { ...process.env, CGO_ENABLED: '0', ...run.env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'ENOENT' ? new Error(`the Go toolchain (\`go\`) is not on PATH: install Go 1.26 or newer to build ${run.purpose}`) : err);
      });
      child.on('exit', (code) => {
        if (code === 0) resolve();
        else reject(new Error(`go ${run.args.join(' ')} failed (exit ${code}):\n${stderr.slice(-4000)}`));
      });
    });
  } finally {
    clearInterval(beat);
  }
}
