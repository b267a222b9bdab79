/**
 * Where the embedded default's DynamoDB is, without loading a DynamoDB client: the state
 * directory, its lock, and the endpoint (HELMSTEP_DYNAMODB_ENDPOINT, else dynalite on disk started
 * in this process). state.ts opens it with the AWS SDK's client; reader.ts with the light one a
 * read-only command uses.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { HelmstepError } from '../release/errors.ts';

export const TABLES = {
  leases: 'helmstep-leases',
  audit: 'helmstep-audit',
  triggers: 'helmstep-triggers',
} as const;

/** The credentials every given endpoint gets (dynalite and DynamoDB Local check none). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export type Env = Readonly<Record<string, string | undefined>>;

export function stateDir(env: Env): string {
  if (env.HELMSTEP_STATE_DIR) return env.HELMSTEP_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'helmstep');
}

export class LocalStateBusy extends HelmstepError {
  readonly reason = 'LocalStateBusy';
  override readonly retryable = true;
  constructor(readonly dir: string, waitedSeconds: number) {
    super(
      `the local state in ${dir} is in use by another helmstep process (waited ${waitedSeconds}s): ` +
        'wait for it to finish, or run `helmstep serve` and point every helmstep at it with HELMSTEP_DYNAMODB_ENDPOINT=<its --dynamodb address>, ' +
        'or give this run its own HELMSTEP_STATE_DIR',
    );
  }
}

export interface OpenOptions {
  /** How long to wait for another process's lock on the state directory (default 60 s). */
  readonly waitSeconds?: number;
  /** Called once when the lock is held by someone else and this call starts waiting. */
  readonly onWait?: (dir: string) => void;
}

/** The endpoint of an opened state: a URL, or `aws` (the SDK's own endpoint, region and credentials). */
export interface StateEndpoint {
  /** `http://127.0.0.1:PORT`, a given URL, or `aws`. */
  readonly endpoint: string;
  readonly dir: string;
  close(): Promise<void>;
}

/** Locks the state directory and starts dynalite on disk, unless HELMSTEP_DYNAMODB_ENDPOINT names one. */
export async function openStateEndpoint(env: Env, opts: OpenOptions = {}): Promise<StateEndpoint> {
  const dir = stateDir(env);
  mkdirSync(dir, { recursive: true });
  const given = env.HELMSTEP_DYNAMODB_ENDPOINT;
  if (given) return { endpoint: given, dir, close: () => Promise.resolve() };
  const release = await lock(dir, opts);
  try {
    // Loaded only here: dynalite and its LevelDB addon cost every run with an endpoint start-up time.
    const { startDynalite } = await import('./dynalite.ts');
    const db = await startDynalite({ path: join(dir, 'dynamodb') });
    return {
      endpoint: db.endpoint,
      dir,
      close: async () => {
        await db.close();
        await release();
      },
    };
  } catch (e) {
    await release();
    throw e;
  }
}

async function lock(dir: string, opts: OpenOptions): Promise<() => Promise<void>> {
  // Loaded only here: proper-lockfile's signal-exit installs a handler on every signal when loaded.
  const { default: lockfile } = await import('proper-lockfile');
  const waitSeconds = opts.waitSeconds ?? 60;
  const started = Date.now();
  let told = false;
  for (;;) {
    try {
      return await lockfile.lock(dir, { stale: 10_000, update: 2_000, realpath: false, lockfilePath: join(dir, 'state.lock') });
    } catch (e) {
      if ((e as { code?: string }).code !== 'ELOCKED') throw e;
      if (Date.now() - started >= waitSeconds * 1000) throw new LocalStateBusy(dir, waitSeconds);
      if (!told) {
        opts.onWait?.(dir);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
