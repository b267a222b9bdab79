import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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
 * only when complete, so an interrupted build never leaves a half-filled cache entry, and two
 * concurrent builders cannot corrupt each other (the second rename loses harmlessly).
 */
export async function fillOnce(dir: string, fill: (staging: string) => Promise<void>): Promise<string> {
  if (exists(dir)) return dir;
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
}
