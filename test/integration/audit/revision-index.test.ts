/**
 * Revision listings read the sparse index byRevision, not the base table: 1,000 revisions with
 * ~16 KB records are one Query of their summaries, where the base table's 1 MB pages (counted
 * before projection) take many. Counted on the wire: requests and response bytes. And the CLI's
 * read path: one Query, no table listing or creation unless the state is fresh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CreateTableCommand, DynamoDBClient, QueryCommand, waitUntilTableExists, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuditQueries, AuditStore, AuditTableMismatch, InvalidCursor, createAuditTable, canonicalJson, sha256Hex } from '../../../src/audit/index.ts';
import { run } from '../../../src/cli/run.ts';
import { startDynalite } from '../../../src/local/dynalite.ts';
import { encodeRelease } from '../../../src/release/codec.ts';
import { bigRelease, release } from '../../unit/audit/fixtures.ts';
import { TABLE, startAuditDb, type AuditDb } from './dynamo.ts';

const REVISIONS = 1000;
const BODY_BYTES = 16_000;
const ref = { cluster: 'prod-eu', namespace: 'shop', name: 'web' };

interface Wire {
  queries: QueryCommandInput[];
  bytes: number;
}

/** A client that records every Query it sends and the bytes of every response body (dynalite's Content-Length). */
function countingClient(t: AuditDb): { client: DynamoDBClient; wire: Wire } {
  const client = t.newClient();
  const wire: Wire = { queries: [], bytes: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') wire.queries.push(args.input as QueryCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'countQueries' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const headers = (out.response as { headers?: Record<string, string> }).headers ?? {};
      wire.bytes += Number(headers['content-length'] ?? 0);
      return out;
    },
    { step: 'deserialize', name: 'countBytes' },
  );
  return { client, wire };
}

let t: AuditDb;
beforeAll(async () => {
  t = await startAuditDb();
  const store = t.store();
  const versions = Array.from({ length: REVISIONS }, (_, i) => i + 1);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < versions.length) {
        const v = versions[next++]!;
        await store.putRevision(ref, bigRelease(v, BODY_BYTES), { v: String(v) });
      }
    }),
  );
  // Events share the partition; the index must leave them out.
  await store.append({ release: ref, actor: 'cli:ops', trigger: { kind: 'cli' }, executionId: 'x', step: 'upgrade', outcome: 'succeeded', toRevision: 1 });
}, 120_000);
afterAll(async () => {
  await t.close();
});

describe('revision listing through the byRevision index', () => {
  it(`reads ${REVISIONS} revisions' summaries in one Query of the index, well under 1 MB`, async () => {
    const { client, wire } = countingClient(t);
    const page = await new AuditQueries({ client, tableName: TABLE }).releaseRevisions(ref, { limit: 1000 });
    expect(page.cursor).toBeUndefined();
    expect(page.corrupt).toBeUndefined();
    expect(page.items.map((s) => s.revision)).toEqual(Array.from({ length: REVISIONS }, (_, i) => i + 1));
    expect(page.items[999]).toMatchObject({ revision: 1000, labels: { v: '1000' }, status: 'deployed', storage: 'inline', chart: 'webapp', chartVersion: '1.2.3' });
    expect(page.items[0]!.size).toBeGreaterThan(BODY_BYTES - 1000);
    expect(wire.queries).toHaveLength(1);
    expect(wire.queries[0]).toMatchObject({ IndexName: 'byRevision', Limit: 1001 });
    expect(wire.queries[0]!.ConsistentRead).toBeUndefined();
    // ~450 bytes of summary per revision; the bodies alone are 16 MB.
    expect(wire.bytes).toBeGreaterThan(200 * REVISIONS);
    expect(wire.bytes).toBeLessThan(1024 * 1024);
  });

  it('where the same listing from the base table takes a request per MB of bodies (why the index exists)', async () => {
    const { client, wire } = countingClient(t);
    let start: QueryCommandInput['ExclusiveStartKey'];
    let items = 0;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :rev)',
          ExpressionAttributeValues: { ':pk': { S: 'release#prod-eu/shop/web' }, ':rev': { S: 'rev#' } },
          ProjectionExpression: '#r',
          ExpressionAttributeNames: { '#r': 'revision' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    expect(items).toBe(REVISIONS);
    expect(wire.queries.length).toBeGreaterThanOrEqual(Math.floor((REVISIONS * BODY_BYTES) / (1024 * 1024)));
  });

  it('pages through the index by cursor (its key holds the number revision), newest first too', async () => {
    const q = t.queries();
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await q.releaseRevisions(ref, { limit: 300, order: 'desc', ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((s) => s.revision));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual(Array.from({ length: REVISIONS }, (_, i) => REVISIONS - i));
  });

  it('refuses a cursor of the earlier base-table listing as a cursor of another query', async () => {
    const old = Buffer.from(
      JSON.stringify({
        v: 1,
        q: sha256Hex(canonicalJson(['releaseRevisions', ref, 'asc'])).slice(0, 16),
        k: { pk: { S: 'release#prod-eu/shop/web' }, sk: { S: 'rev#0000000100' } },
      }),
    ).toString('base64url');
    await expect(t.queries().releaseRevisions(ref, { cursor: old })).rejects.toBeInstanceOf(InvalidCursor);
  });
});

describe('an audit table from before the index', () => {
  const OLD = 'audit-old';
  beforeAll(async () => {
    const all = (IndexName: string, hash: string) => ({
      IndexName,
      KeySchema: [
        { AttributeName: hash, KeyType: 'HASH' as const },
        { AttributeName: 'timeKey', KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    });
    await t.client.send(
      new CreateTableCommand({
        TableName: OLD,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', 'actorKey', 'dayKey', 'timeKey'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [all('byActor', 'actorKey'), all('byTime', 'dayKey')],
      }),
    );
    await waitUntilTableExists({ client: t.client, maxWaitTime: 30, minDelay: 1 }, { TableName: OLD });
  });

  it('is named, with what to do, by the listing and by createAuditTable; writes and single reads still work', async () => {
    const old = new AuditStore({ client: t.client, tableName: OLD });
    await old.putRevision(ref, release(1));
    expect((await old.getRevision(ref, 1))!.text).toBe(encodeRelease(release(1)));

    const listing = new AuditQueries({ client: t.client, tableName: OLD }).releaseRevisions(ref);
    await expect(listing).rejects.toBeInstanceOf(AuditTableMismatch);
    await expect(listing).rejects.toThrow(/^table audit-old is not the audit table this helmstep reads \(no index byRevision\); add the index byRevision: in AWS deploy the current helmstep stack/);

    const created = createAuditTable(t.client, OLD);
    await expect(created).rejects.toBeInstanceOf(AuditTableMismatch);
    await expect(created).rejects.toThrow(/\(no index byRevision\); add the index byRevision: .* helmstep audit reconcile -A/);
  });
});

describe('helmstep audit history on the local state', () => {
  async function cli(env: Record<string, string>, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await run(['audit', ...argv], {
      out: { write: (x: string) => (stdout += x) },
      err: { write: (x: string) => (stderr += x) },
      env,
      open: () => {
        throw new Error('the audit queries must not open the cluster');
      },
    });
    return { code, stdout, stderr };
  }

  /** A pass-through in front of dynalite that records each request's operation (X-Amz-Target). */
  async function recordingProxy(target: string): Promise<{ endpoint: string; ops: string[]; close(): Promise<void> }> {
    const ops: string[] = [];
    const to = new URL(target);
    const proxy = createServer((req, res) => {
      ops.push(String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, ''));
      const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 500, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    return { endpoint: `http://127.0.0.1:${port}`, ops, close: () => new Promise((resolve) => proxy.close(() => resolve())) };
  }

  it('reads without listing or creating tables; a fresh state gets its tables on its first read, which finds nothing', async () => {
    const db = await startDynalite();
    const proxy = await recordingProxy(db.endpoint);
    const dir = mkdtempSync(join(tmpdir(), 'helmstep-audit-fresh-'));
    const env = { HELMSTEP_DYNAMODB_ENDPOINT: proxy.endpoint, HELMSTEP_STATE_DIR: dir, HELMSTEP_CLUSTER_NAME: 'prod-eu', HOME: dir };
    const client = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const first = await cli(env, ['history', 'web', '-n', 'shop']);
      expect(first.code).toBe(1);
      expect(first.stderr).toMatch(/the audit log has no revisions of release "web" in namespace "shop" of cluster "prod-eu"/);
      expect(proxy.ops[0]).toBe('Query');
      expect(proxy.ops).toEqual(expect.arrayContaining(['ListTables', 'CreateTable']));
      expect(proxy.ops.at(-1)).toBe('Query');

      await new AuditStore({ client, tableName: 'helmstep-audit' }).putRevision(ref, release(1));
      proxy.ops.length = 0;
      const second = await cli(env, ['history', 'web', '-n', 'shop', '-o', 'json']);
      expect(second.code).toBe(0);
      expect((JSON.parse(second.stdout) as { revision: number }[]).map((r) => r.revision)).toEqual([1]);
      expect(proxy.ops).toEqual(['Query']);
    } finally {
      client.destroy();
      await proxy.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
