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
import { LocalDirObjectStore } from '../audit/objects.ts';
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
  /** Lists the tables and creates those missing (what an open does unless `ensureTables: false`). */
  ensureTables(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** How long to wait for another process's lock on the state directory (default 60 s). */
  readonly waitSeconds?: number;
  /** Called once when the lock is held by someone else and this call starts waiting. */
  readonly onWait?: (dir: string) => void;
  /**
   * False: leave out the ListTables (and any creation) of the open. For a process that only
   * reads and would rather spend that round trip only when a read finds no table (a
   * ResourceNotFoundException): then it calls ensureTables() and reads again.
   */
  readonly ensureTables?: boolean;
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
    if (opts.ensureTables !== false) await ensureTables(dynamo);
    return { dynamo, endpoint: given, tables: TABLES, objects, dir, ensureTables: () => ensureTables(dynamo), close: () => Promise.resolve(dynamo.destroy()) };
  }
  const release = await lock(dir, opts);
  try {
    // Loaded only here: dynalite and its LevelDB addon cost every run with an endpoint start-up time.
    const { startDynalite } = await import('./dynalite.ts');
    const db = await startDynalite({ path: join(dir, 'dynamodb') });
    const dynamo = client(db.endpoint);
    if (opts.ensureTables !== false) await ensureTables(dynamo);
    return {
      dynamo,
      endpoint: db.endpoint,
      tables: TABLES,
      objects,
      dir,
      ensureTables: () => ensureTables(dynamo),
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
  if (have.has(TABLES.leases) && have.has(TABLES.audit)) return;
  // Loaded only the first time: a run that finds its tables need not parse the code that makes them.
  const [{ createLeaseTable }, { createAuditTable }] = await Promise.all([import('../orchestration/lease.ts'), import('../audit/table.ts')]);
  if (!have.has(TABLES.leases)) await createLeaseTable(dynamo, TABLES.leases);
  if (!have.has(TABLES.audit)) await createAuditTable(dynamo, TABLES.audit);
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
