/**
 * The light DynamoDB client against dynalite, with the AWS SDK's client as the oracle: the same
 * Query gives the same answer, the same failure gives an error of the same name. Its retries
 * against servers that fail the way DynamoDB's front end can (5xx, throttling, a dropped
 * connection).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DynamoDBClient, PutItemCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DynamoJsonClient, DynamoRequestError } from '../../../src/aws/dynamodb-json.ts';
import { createAuditTable } from '../../../src/audit/table.ts';
import { startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const TABLE = 'json-client';

let db: LocalDynamo;
let sdk: DynamoDBClient;
let light: DynamoJsonClient;

beforeAll(async () => {
  db = await startDynalite();
  sdk = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  light = new DynamoJsonClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  await createAuditTable(sdk, TABLE);
  for (let i = 1; i <= 40; i++) {
    await sdk.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: 'release#c/ns/web' },
          sk: { S: `rev#${String(i).padStart(10, '0')}` },
          revision: { N: String(i) },
          status: { S: i === 40 ? 'deployed' : 'superseded' },
          labels: { M: { team: { S: 'shop' } } },
          flags: { L: [{ BOOL: true }, { NULL: true }, { SS: ['a', 'b'] }] },
          description: { S: `upgrade ${i}: ünïcødé ✓ "quoted"` },
        },
      }),
    );
  }
});

afterAll(async () => {
  light.destroy();
  sdk.destroy();
  await db.close();
});

async function both(input: QueryCommandInput): Promise<[unknown, unknown]> {
  const viaSdk = await sdk.send(new QueryCommand(input));
  const viaLight = await light.query(input);
  return [{ Items: viaSdk.Items, Count: viaSdk.Count, ...(viaSdk.LastEvaluatedKey ? { LastEvaluatedKey: viaSdk.LastEvaluatedKey } : {}) }, viaLight];
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('DynamoJsonClient against dynalite, the SDK as the oracle', () => {
  it('answers a Query page by page as the SDK does', async () => {
    const input: QueryCommandInput = { TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'release#c/ns/web' } }, Limit: 15 };
    let start: QueryCommandInput['ExclusiveStartKey'];
    let pages = 0;
    let items = 0;
    do {
      const [viaSdk, viaLight] = await both({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) });
      expect(viaLight).toMatchObject(viaSdk as object);
      const page = viaLight as { Items: unknown[]; LastEvaluatedKey?: QueryCommandInput['ExclusiveStartKey'] };
      items += page.Items.length;
      start = page.LastEvaluatedKey;
      pages++;
    } while (start);
    expect(items).toBe(40);
    expect(pages).toBe(3);
  });

  it('reads an index newest first with a filter, as the SDK does', async () => {
    const [viaSdk, viaLight] = await both({
      TableName: TABLE,
      IndexName: 'byRevision',
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':pk': { S: 'release#c/ns/web' }, ':s': { S: 'deployed' } },
      ScanIndexForward: false,
    });
    expect(viaLight).toMatchObject(viaSdk as object);
    expect((viaLight as { Items: { revision: unknown }[] }).Items.map((i) => i.revision)).toEqual([{ N: '40' }]);
  });

  it('names DynamoDB’s exceptions as the SDK does, with the same message, and does not retry them', async () => {
    const cases: QueryCommandInput[] = [
      { TableName: 'no-such-table', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'x' } } },
      { TableName: TABLE, IndexName: 'no-such-index', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'x' } } },
      { TableName: TABLE, KeyConditionExpression: 'pk = :pk' },
    ];
    for (const input of cases) {
      const a = await failure(sdk.send(new QueryCommand(input)));
      const b = await failure(light.query(input));
      expect(b).toBeInstanceOf(DynamoRequestError);
      expect({ name: b.name, message: b.message }).toEqual({ name: a.name, message: a.message });
      expect((b as DynamoRequestError).retryable).toBe(false);
    }
  });
});

/** A server that answers each request with the next of `answers` (then the last one again). */
async function scripted(answers: ((req: IncomingMessage, res: ServerResponse) => void)[]): Promise<{ server: Server; endpoint: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(req);
      answers[Math.min(requests.length, answers.length) - 1]!(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const reply = (status: number, body: unknown) => (_: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
};
const drop = (req: IncomingMessage) => req.socket.destroy();
const QUERY: QueryCommandInput = { TableName: 't', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'x' } } };

describe('DynamoJsonClient retries', () => {
  it('retries 5xx, throttling and dropped connections, up to its attempts, with the request signed each time', async () => {
    const s = await scripted([
      reply(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'boom' }),
      reply(400, { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' }),
      drop,
      reply(200, { Items: [{ pk: { S: 'x' } }], Count: 1 }),
    ]);
    try {
      const c = new DynamoJsonClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 4 });
      await expect(c.query(QUERY)).resolves.toEqual({ Items: [{ pk: { S: 'x' } }], Count: 1 });
      c.destroy();
      expect(s.requests).toHaveLength(4);
      for (const r of s.requests) {
        expect(r.headers['x-amz-target']).toBe('DynamoDB_20120810.Query');
        expect(r.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/dynamodb\/aws4_request, /);
      }
    } finally {
      s.server.close();
    }
  });

  it('gives up after its attempts with the last error, and never retries a client error', async () => {
    const s = await scripted([reply(503, { __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable', message: 'unavailable' })]);
    const v = await scripted([reply(400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'bad key' })]);
    try {
      const c = new DynamoJsonClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
      const e = await failure(c.query(QUERY));
      expect({ name: e.name, message: e.message, status: (e as DynamoRequestError).status }).toEqual({ name: 'ServiceUnavailable', message: 'unavailable', status: 503 });
      expect(s.requests).toHaveLength(3);
      c.destroy();
      const d = new DynamoJsonClient({ endpoint: v.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
      const f = await failure(d.query(QUERY));
      expect({ name: f.name, message: f.message }).toEqual({ name: 'ValidationException', message: 'bad key' });
      expect(v.requests).toHaveLength(1);
      d.destroy();
    } finally {
      s.server.close();
      v.server.close();
    }
  });

  it('says which endpoint it could not reach', async () => {
    const s = await scripted([reply(200, {})]);
    const endpoint = s.endpoint;
    await new Promise((r) => s.server.close(r));
    const c = new DynamoJsonClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 2 });
    const e = await failure(c.query(QUERY));
    expect(e.name).toBe('ECONNREFUSED');
    expect(e.message).toContain(endpoint);
    c.destroy();
  });
});
