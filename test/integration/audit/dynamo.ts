import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { AuditQueries, AuditStore, createAuditTable, type AuditStoreOptions } from '../../../src/audit/index.ts';
import { startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';

export const TABLE = 'audit';

/** One in-memory dynalite per test file, the audit table in it, and a way to make clients. */
export interface AuditDb {
  readonly db: LocalDynamo;
  readonly client: DynamoDBClient;
  /** A separate SDK client: another Lambda, as far as DynamoDB can tell. */
  newClient(): DynamoDBClient;
  store(opts?: Partial<AuditStoreOptions>): AuditStore;
  queries(): AuditQueries;
  close(): Promise<void>;
}

export async function startAuditDb(): Promise<AuditDb> {
  const db = await startDynalite();
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const c = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    clients.push(c);
    return c;
  };
  const client = newClient();
  await createAuditTable(client, TABLE);
  return {
    db,
    client,
    newClient,
    store: (opts = {}) => new AuditStore({ client, tableName: TABLE, ...opts }),
    queries: () => new AuditQueries({ client, tableName: TABLE }),
    close: async () => {
      for (const c of clients) c.destroy();
      await db.close();
    },
  };
}
