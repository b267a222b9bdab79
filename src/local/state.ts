/**
 * The embedded default's state: the lease table, the audit log and the triggers' table in a
 * DynamoDB, and large audit records in an object store. In AWS these are DynamoDB and S3; here:
 *
 *   HELMSTEP_DYNAMODB_ENDPOINT set   that endpoint (a `helmstep serve`, DynamoDB Local, or AWS)
 *   otherwise                        dynalite on disk under the state directory, in this process
 *
 * The state directory is $HELMSTEP_STATE_DIR, else $XDG_STATE_HOME/helmstep, else
 * ~/.local/state/helmstep. dynalite's LevelDB admits one process at a time, so the directory is
 * locked (proper-lockfile: a lock left by a killed process goes stale in seconds); a second
 * helmstep waits for it, then says who holds it and what to do instead.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import lockfile from 'proper-lockfile';
import { LocalDirObjectStore } from '../audit/objects.ts';
import { createAuditTable } from '../audit/table.ts';
import { createLeaseTable } from '../orchestration/lease.ts';
import { HelmstepError } from '../release/errors.ts';

export const TABLES = {
  leases: 'helmstep-leases',
  audit: 'helmstep-audit',
  triggers: 'helmstep-triggers',
} as const;

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

export interface LocalServices {
  readonly dynamo: DynamoDBClient;
  readonly endpoint: string;
  readonly tables: typeof TABLES;
  readonly objects: LocalDirObjectStore;
  readonly dir: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** How long to wait for another process's lock on the state directory (default 60 s). */
  readonly waitSeconds?: number;
  /** Called once when the lock is held by someone else and this call starts waiting. */
  readonly onWait?: (dir: string) => void;
}

function client(endpoint: string | undefined): DynamoDBClient {
  return endpoint
    ? new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
    : new DynamoDBClient({});
}

/** Opens (and creates, the first time) the tables; starts dynalite on disk unless an endpoint is given. */
export async function openLocalServices(env: Env, opts: OpenOptions = {}): Promise<LocalServices> {
  const dir = stateDir(env);
  mkdirSync(dir, { recursive: true });
  const objects = new LocalDirObjectStore(join(dir, 'objects'));
  const given = env.HELMSTEP_DYNAMODB_ENDPOINT;
  if (given) {
    const dynamo = client(given === 'aws' ? undefined : given);
    await ensureTables(dynamo);
    return { dynamo, endpoint: given, tables: TABLES, objects, dir, close: () => Promise.resolve(dynamo.destroy()) };
  }
  const release = await lock(dir, opts);
  try {
    // Loaded only here: dynalite and its LevelDB addon cost every run with an endpoint start-up time.
    const { startDynalite } = await import('./dynalite.ts');
    const db = await startDynalite({ path: join(dir, 'dynamodb') });
    const dynamo = client(db.endpoint);
    await ensureTables(dynamo);
    return {
      dynamo,
      endpoint: db.endpoint,
      tables: TABLES,
      objects,
      dir,
      close: async () => {
        dynamo.destroy();
        await db.close();
        await release();
      },
    };
  } catch (e) {
    await release();
    throw e;
  }
}

/** One ListTables on every open; the tables are created (and checked) only the first time. */
async function ensureTables(dynamo: DynamoDBClient): Promise<void> {
  const have = new Set<string>();
  let start: string | undefined;
  do {
    const page = await dynamo.send(new ListTablesCommand({ ...(start ? { ExclusiveStartTableName: start } : {}) }));
    for (const t of page.TableNames ?? []) have.add(t);
    start = page.LastEvaluatedTableName;
  } while (start);
  if (!have.has(TABLES.leases)) await createLeaseTable(dynamo, TABLES.leases);
  if (!have.has(TABLES.audit)) await createAuditTable(dynamo, TABLES.audit);
}

async function lock(dir: string, opts: OpenOptions): Promise<() => Promise<void>> {
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
