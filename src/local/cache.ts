import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';

/** Root of everything helmstep caches between runs: `$HELMSTEP_CACHE` or `~/.cache/helmstep`. */
export function cacheRoot(): string {
  return process.env.HELMSTEP_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'helmstep');
}

/** A short, stable key over the files whose content decides what a cached build holds. */
export function contentKey(files: readonly string[], extra: readonly string[] = []): string {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  for (const e of extra) h.update(e);
  return h.digest('hex').slice(0, 12);
}

/** Progress lines go to stderr, so that a command's own output stays clean. */
export function progress(message: string): void {
  process.stderr.write(`helmstep: ${message}\n`);
}

export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fills `dir` once: `fill` writes into a private staging folder that is renamed into place
 * only when complete, so an interrupted build never leaves a half-filled cache entry. Builders
 * in other processes (a test run building in the background while a test asks for the same
 * tool) wait for the first one's lock instead of building twice; a lock whose process died goes
 * stale in 30 s.
 */
export async function fillOnce(dir: string, fill: (staging: string) => Promise<void>): Promise<string> {
  if (exists(dir)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const release = await lockfile.lock(dir, {
    realpath: false,
    lockfilePath: `${dir}.lock`,
    stale: 30_000,
    update: 5_000,
    // A cold Go build takes minutes on 2 cores: wait up to an hour for another builder.
    retries: { retries: 3_600, minTimeout: 1_000, maxTimeout: 1_000, factor: 1 },
    onCompromised: () => undefined,
  });
  try {
    if (exists(dir)) return dir; // built by the process that held the lock
    const staging = `${dir}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    try {
      await fill(staging);
      try {
        renameSync(staging, dir);
      } catch (err) {
        if (!exists(dir)) throw err;
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    return dir;
  } finally {
    await release().catch(() => undefined);
  }
}
