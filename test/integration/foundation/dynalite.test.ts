import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';

describe('dynalite as the test DynamoDB, through the real SDK', () => {
  let db: LocalDynamo;
  let client: DynamoDBClient;

  beforeAll(async () => {
    db = await startDynalite();
    client = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await db.close();
  });

  it('listens on the port it reports, not on a default', () => {
    expect(db.port).toBeGreaterThan(0);
    expect(db.port).not.toBe(4567);
    expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
  });

  it('answers CreateTable, conditional PutItem and Query', async () => {
    const created = await client.send(
      new CreateTableCommand({
        TableName: 'audit',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    expect(created.TableDescription?.TableStatus).toMatch(/^(CREATING|ACTIVE)$/);
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: 'audit' });
    const described = await client.send(new DescribeTableCommand({ TableName: 'audit' }));
    expect(described.Table?.TableStatus).toBe('ACTIVE');

    const put = (sk: string, who: string) =>
      client.send(
        new PutItemCommand({
          TableName: 'audit',
          Item: { pk: { S: 'prod/web' }, sk: { S: sk }, who: { S: who } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put('rev#0001', 'alice');
    await put('rev#0002', 'bob');
    await expect(put('rev#0001', 'mallory')).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    const q = await client.send(
      new QueryCommand({
        TableName: 'audit',
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :rev)',
        ExpressionAttributeValues: { ':pk': { S: 'prod/web' }, ':rev': { S: 'rev#' } },
      }),
    );
    expect(q.Items?.map((i) => [i.sk?.S, i.who?.S])).toEqual([
      ['rev#0001', 'alice'],
      ['rev#0002', 'bob'],
    ]);
  });
});
