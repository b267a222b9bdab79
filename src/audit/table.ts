/**
 * Creates the audit table with the same keys and indexes as the CDK table, for tests and the
 * local default (dynalite). In AWS the stack owns the table; the service never creates it.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  waitUntilTableExists,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

import { HelmstepError } from '../release/errors.ts';
import { KEYS } from './keys.ts';

/** A table of that name exists with keys or indexes the audit store cannot use. */
export class AuditTableMismatch extends HelmstepError {
  override readonly name = 'AuditTableMismatch';
  readonly reason = 'AuditTableMismatch';
  constructor(
    readonly table: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`table ${table} exists but is not an audit table (${detail}); choose another table name or delete that table`, options);
  }
}

function keyShape(keys: readonly { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined): string {
  return (keys ?? []).map((k) => `${k.AttributeName ?? ''}:${k.KeyType ?? ''}`).join(',');
}

/** Problems of an existing table against the audit design (empty when it fits). */
export function auditTableProblems(t: TableDescription): string[] {
  const problems: string[] = [];
  const want = `${KEYS.partitionKey}:HASH,${KEYS.sortKey}:RANGE`;
  if (keyShape(t.KeySchema) !== want) problems.push(`key schema ${keyShape(t.KeySchema)}, want ${want}`);
  for (const index of [KEYS.byActor, KEYS.byTime]) {
    const gsi = t.GlobalSecondaryIndexes?.find((g) => g.IndexName === index.indexName);
    const wantIndex = `${index.partitionKey}:HASH,${index.sortKey}:RANGE`;
    if (!gsi) problems.push(`no index ${index.indexName}`);
    else if (keyShape(gsi.KeySchema) !== wantIndex) problems.push(`index ${index.indexName} keys ${keyShape(gsi.KeySchema)}, want ${wantIndex}`);
    else if (gsi.Projection?.ProjectionType !== 'ALL') problems.push(`index ${index.indexName} does not project ALL attributes`);
  }
  return problems;
}

/**
 * Creates the table (on-demand, string keys pk/sk, GSIs byActor and byTime projecting ALL) and
 * waits until it is ACTIVE. A table that already exists is accepted when it has that shape.
 */
export async function createAuditTable(client: DynamoDBClient, name: string): Promise<void> {
  const index = (i: { indexName: string; partitionKey: string; sortKey: string }) => ({
    IndexName: i.indexName,
    KeySchema: [
      { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [KEYS.partitionKey, KEYS.sortKey, KEYS.byActor.partitionKey, KEYS.byTime.partitionKey, KEYS.byTime.sortKey].map(
          (AttributeName) => ({ AttributeName, AttributeType: 'S' as const }),
        ),
        KeySchema: [
          { AttributeName: KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [index(KEYS.byActor), index(KEYS.byTime)],
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: name });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  const problems = Table ? auditTableProblems(Table) : ['DescribeTable returned nothing'];
  if (problems.length > 0) throw new AuditTableMismatch(name, problems.join('; '));
}
