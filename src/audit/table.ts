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
  type GlobalSecondaryIndexDescription,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

import { AuditTableMismatch, missingRevisionIndex } from './errors.ts';
import { KEYS } from './keys.ts';

export { ADD_REVISION_INDEX, AuditTableMismatch, missingRevisionIndex } from './errors.ts';

function keyShape(keys: readonly { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined): string {
  return (keys ?? []).map((k) => `${k.AttributeName ?? ''}:${k.KeyType ?? ''}`).join(',');
}

type IndexKeys = { readonly indexName: string; readonly partitionKey: string; readonly sortKey: string };

function indexProblem(t: TableDescription, index: IndexKeys): { gsi?: GlobalSecondaryIndexDescription; problem?: string } {
  const gsi = t.GlobalSecondaryIndexes?.find((g) => g.IndexName === index.indexName);
  const want = `${index.partitionKey}:HASH,${index.sortKey}:RANGE`;
  if (!gsi) return { problem: `no index ${index.indexName}` };
  if (keyShape(gsi.KeySchema) !== want) return { problem: `index ${index.indexName} keys ${keyShape(gsi.KeySchema)}, want ${want}` };
  return { gsi };
}

/** Problems of an existing table against the audit design (empty when it fits). */
export function auditTableProblems(t: TableDescription): string[] {
  const problems: string[] = [];
  const want = `${KEYS.partitionKey}:HASH,${KEYS.sortKey}:RANGE`;
  if (keyShape(t.KeySchema) !== want) problems.push(`key schema ${keyShape(t.KeySchema)}, want ${want}`);
  for (const index of [KEYS.byActor, KEYS.byTime]) {
    const { gsi, problem } = indexProblem(t, index);
    if (problem) problems.push(problem);
    else if (gsi?.Projection?.ProjectionType !== 'ALL') problems.push(`index ${index.indexName} does not project ALL attributes`);
  }
  const rev = KEYS.byRevision;
  const { gsi, problem } = indexProblem(t, rev);
  if (problem) problems.push(problem);
  else {
    // ALL works too (a listing then reads bodies again); anything narrower would drop summary fields.
    const p = gsi?.Projection;
    const missing = p?.ProjectionType === 'ALL' ? [] : rev.nonKeyAttributes.filter((a) => p?.ProjectionType !== 'INCLUDE' || !p.NonKeyAttributes?.includes(a));
    if (missing.length > 0) problems.push(`index ${rev.indexName} does not project ${missing.join(', ')}`);
    const type = t.AttributeDefinitions?.find((d) => d.AttributeName === rev.sortKey)?.AttributeType;
    if (type !== 'N') problems.push(`attribute ${rev.sortKey} is of type ${type ?? '?'}, want N (revision numbers)`);
  }
  return problems;
}

/** The mismatch error for a table's problems; the missing byRevision index alone gets its own what-to-do. */
export function tableMismatch(name: string, problems: readonly string[]): AuditTableMismatch {
  if (problems.length === 1 && problems[0] === `no index ${KEYS.byRevision.indexName}`) return missingRevisionIndex(name);
  return new AuditTableMismatch(name, problems.join('; '));
}

/**
 * Creates the table (on-demand, string keys pk/sk; GSIs byActor and byTime projecting ALL,
 * byRevision projecting the revision summary) and waits until it is ACTIVE. A table that already
 * exists is accepted when it has that shape.
 */
export async function createAuditTable(client: DynamoDBClient, name: string): Promise<void> {
  const keys = (i: IndexKeys) => [
    { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
  ];
  const all = (i: IndexKeys) => ({ IndexName: i.indexName, KeySchema: keys(i), Projection: { ProjectionType: 'ALL' as const } });
  const rev = KEYS.byRevision;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          ...[KEYS.partitionKey, KEYS.sortKey, KEYS.byActor.partitionKey, KEYS.byTime.partitionKey, KEYS.byTime.sortKey].map(
            (AttributeName) => ({ AttributeName, AttributeType: 'S' as const }),
          ),
          { AttributeName: rev.sortKey, AttributeType: 'N' },
        ],
        KeySchema: [
          { AttributeName: KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          all(KEYS.byActor),
          all(KEYS.byTime),
          { IndexName: rev.indexName, KeySchema: keys(rev), Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...rev.nonKeyAttributes] } },
        ],
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: name });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  const problems = Table ? auditTableProblems(Table) : ['DescribeTable returned nothing'];
  if (problems.length > 0) throw tableMismatch(name, problems);
}
