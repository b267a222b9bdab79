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
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LocalDirObjectStore } from '../audit/objects.ts';
import { LOCAL_CREDENTIALS, openStateEndpoint, TABLES, type Env, type OpenOptions } from './endpoint.ts';

export { LOCAL_CREDENTIALS, LocalStateBusy, stateDir, TABLES, type Env, type OpenOptions } from './endpoint.ts';

export interface LocalServices {
  readonly dynamo: DynamoDBClient;
  readonly endpoint: string;
  readonly tables: typeof TABLES;
  readonly objects: LocalDirObjectStore;
  readonly dir: string;
  /** Lists the tables and creates those missing (what the open did). */
  ensureTables(): Promise<void>;
  close(): Promise<void>;
}

/** The SDK's client for an opened state's endpoint: `aws` is the SDK's own (region, credentials chain); a URL gets local credentials. */
export function dynamoClient(endpoint: string): DynamoDBClient {
  return endpoint === 'aws' ? new DynamoDBClient({}) : new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: LOCAL_CREDENTIALS });
}

/** Opens (and creates, the first time) the tables; starts dynalite on disk unless an endpoint is given. */
export async function openLocalServices(env: Env, opts: OpenOptions = {}): Promise<LocalServices> {
  const at = await openStateEndpoint(env, opts);
  try {
    const dynamo = dynamoClient(at.endpoint);
    const objects = new LocalDirObjectStore(join(at.dir, 'objects'));
    await ensureTables(dynamo);
    return {
      dynamo,
      endpoint: at.endpoint,
      tables: TABLES,
      objects,
      dir: at.dir,
      ensureTables: () => ensureTables(dynamo),
      close: async () => {
        dynamo.destroy();
        await at.close();
      },
    };
  } catch (e) {
    await at.close();
    throw e;
  }
}

/** One ListTables on every open; the tables are created (and checked) only the first time. */
export async function ensureTables(dynamo: DynamoDBClient): Promise<void> {
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
