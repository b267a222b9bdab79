/**
 * A local server process the project starts for tests and the demo (Prometheus, the OCI
 * registry): a free port, its output in a log file, ready when its probe says so, stopped by
 * PID (SIGTERM, then SIGKILL after 5 s), and killed when this Node.js process exits, so a run
 * never leaves one behind. A start that fails says why with the last lines of its log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

function tail(file: string, lines = 15): string {
  try {
    return `--- last lines of ${file}:\n${readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')}`;
  } catch {
    return '';
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface DaemonOptions {
  /** How errors name it: `prometheus`, `the registry`. */
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly logFile: string;
  /** One readiness probe: true once it serves. */
  readonly ready: () => Promise<boolean>;
  /** What the probe asks, for the timeout's message. */
  readonly readyWhat: string;
  readonly readyTimeoutMs: number;
  readonly pollMs?: number;
}

export interface Daemon {
  readonly pid: number;
  readonly logFile: string;
  readonly stop: () => Promise<void>;
}

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const fd = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(o.binary, [...o.args], { stdio: ['ignore', fd, fd], ...(o.env ? { env: o.env } : {}) });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${o.name} (${o.binary})`);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited (${signal ?? `code ${code}`})`;
  });
  const onExit = () => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (!alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  };
  const deadline = Date.now() + o.readyTimeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`${o.name} ${exited} before it was ready\n${tail(o.logFile)}`);
    }
    if (await o.ready()) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`timed out after ${o.readyTimeoutMs / 1000} s waiting for ${o.name} at ${o.readyWhat}\n${tail(o.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
  }
  return { pid, logFile: o.logFile, stop };
}

/** A plain-HTTP probe: true when `url` answers 200. */
export async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}
