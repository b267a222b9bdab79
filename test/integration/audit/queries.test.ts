import { QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DynamoJsonClient } from '../../../src/aws/dynamodb-json.ts';
import { AuditQueries, InvalidAuditQuery, InvalidCursor, type AuditEvent, type Outcome, type Page } from '../../../src/audit/index.ts';
import { input } from '../../unit/audit/fixtures.ts';
import { TABLE, startAuditDb, type AuditDb } from './dynamo.ts';

const RELEASES = ['web', 'api', 'worker'] as const;
const ACTORS = ['github:alice', 'github:bob', 'alarm:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-5xx', 'cli:carol'] as const;
const OUTCOMES: Outcome[] = ['started', 'succeeded', 'started', 'failed', 'rolled-back'];
const N = 1200;
const BASE = Date.parse('2026-11-23T22:00:00.000Z');

interface Row {
  readonly name: string;
  readonly seq: number;
  readonly time: string;
  readonly actor: string;
  readonly outcome: Outcome;
  readonly step: string;
}

let t: AuditDb;
const rows: Row[] = [];
/** Every operation the queries sent, by either client. */
const sent: { operation: string; input: QueryCommandInput }[] = [];
/** The same queries through the AWS SDK's client (Lambdas, the service) and the light JSON client (the CLI). */
const clients: Record<string, AuditQueries> = {};

/** The light client, recording what it puts on the wire. */
class RecordingJsonClient extends DynamoJsonClient {
  override call<T>(operation: string, input: unknown): Promise<T> {
    sent.push({ operation, input: input as QueryCommandInput });
    return super.call(operation, input);
  }
}

const ref = (name: string) => ({ cluster: 'prod-eu', namespace: 'shop', name });
const id = (e: AuditEvent | Row) => `${'release' in e ? e.release.name : e.name}#${e.seq}`;
/** The byTime/byActor order: time, then release path, then seq. */
const timeOrder = (a: Row, b: Row) =>
  a.time !== b.time ? (a.time < b.time ? -1 : 1) : a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.seq - b.seq;

async function all<T>(read: (cursor?: string) => Promise<Page<T>>, limit: number): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await read(cursor);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    if (!page.cursor) return items;
    cursor = page.cursor;
  }
  throw new Error('pagination did not end');
}

beforeAll(async () => {
  t = await startAuditDb();
  const plan = Array.from({ length: N }, (_, i) => {
    const name = RELEASES[i % 3]!;
    // Pairs of events of different releases share a millisecond; the range crosses three midnights.
    const time = new Date(BASE + Math.floor(i / 2) * 7 * 60_000).toISOString();
    return { i, name, time, actor: ACTORS[i % 4]!, outcome: OUTCOMES[i % 5]!, step: `step-${i}` };
  });
  const store = t.store();
  await Promise.all(
    RELEASES.map(async (name) => {
      for (const p of plan.filter((x) => x.name === name)) {
        const { event } = await store.append(
          input(0, { release: ref(name), time: p.time, actor: p.actor, outcome: p.outcome, step: p.step, executionId: `exec-${p.i}` }),
        );
        rows.push({ name, seq: event.seq, time: p.time, actor: p.actor, outcome: p.outcome, step: p.step });
      }
    }),
  );
  const client = t.newClient();
  const recording = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return (cmd: QueryCommand) => {
        sent.push({ operation: cmd instanceof QueryCommand ? 'Query' : 'another command', input: cmd.input });
        return target.send(cmd);
      };
    },
  });
  clients.sdk = new AuditQueries({ client: recording, tableName: TABLE });
  light = new RecordingJsonClient({ endpoint: t.db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  clients.json = new AuditQueries({ client: light, tableName: TABLE });
}, 300_000);
let light: DynamoJsonClient;
afterAll(async () => {
  light.destroy();
  await t.close();
});

describe.each([
  ['the AWS SDK client', 'sdk'],
  ['the light JSON client', 'json'],
])('audit queries over 1,200 events of three releases, through %s', (_, which) => {
  let queries: AuditQueries;
  beforeAll(() => {
    queries = clients[which]!;
  });

  it('wrote the data set it expects', () => {
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.time.slice(0, 10)))).toEqual(new Set(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26']));
  });

  it('reads a release’s events in chain order, page by page, both ways', async () => {
    const want = rows.filter((r) => r.name === 'web').sort((a, b) => a.seq - b.seq);
    const asc = await all((cursor) => queries.releaseEvents(ref('web'), { limit: 37, cursor }), 37);
    expect(asc.map(id)).toEqual(want.map(id));
    expect(asc.map((e) => e.step)).toEqual(want.map((r) => r.step));
    const desc = await all((cursor) => queries.releaseEvents(ref('web'), { limit: 100, cursor, order: 'desc' }), 100);
    expect(desc.map(id)).toEqual(want.map(id).reverse());
  });

  it('filters a release’s events by outcome without losing any across pages', async () => {
    const want = rows.filter((r) => r.name === 'api' && (r.outcome === 'failed' || r.outcome === 'rolled-back')).sort((a, b) => a.seq - b.seq);
    const got = await all((cursor) => queries.releaseEvents(ref('api'), { limit: 9, cursor, outcome: ['failed', 'rolled-back'] }), 9);
    expect(got.map(id)).toEqual(want.map(id));
    expect(got.every((e) => e.outcome === 'failed' || e.outcome === 'rolled-back')).toBe(true);
  });

  it('reads a time range across releases and midnights in time order, from inclusive, to exclusive', async () => {
    const from = new Date('2026-11-24T20:10:00.000Z'); // on the 7-minute grid: events at it and at to exist
    const to = new Date('2026-11-25T09:00:00.000Z');
    const want = rows.filter((r) => r.time >= from.toISOString() && r.time < to.toISOString()).sort(timeOrder);
    expect(want.some((r) => r.time === from.toISOString())).toBe(true);
    expect(rows.some((r) => r.time === to.toISOString())).toBe(true);
    const got = await all((cursor) => queries.eventsByTime({ from, to, limit: 33, cursor }), 33);
    expect(got.map(id)).toEqual(want.map(id));
    const desc = await all((cursor) => queries.eventsByTime({ from, to, limit: 50, cursor, order: 'desc' }), 50);
    expect(desc.map(id)).toEqual(want.map(id).reverse());
  });

  it('reads the whole log by time with one Query per UTC day, never a Scan', async () => {
    sent.length = 0;
    const from = new Date('2026-11-23T00:00:00.000Z');
    const to = new Date('2026-11-25T00:00:00.000Z');
    const page = await queries.eventsByTime({ from, to, limit: 1000 });
    const want = rows.filter((r) => r.time < to.toISOString()).sort(timeOrder);
    expect(want.length).toBeLessThan(1000);
    expect(page.items.map(id)).toEqual(want.map(id));
    expect(page.cursor).toBeUndefined();
    expect(sent.every((c) => c.operation === 'Query' && c.input.IndexName === 'byTime')).toBe(true);
    expect(sent.map((c) => c.input.ExpressionAttributeValues?.[':day']?.S)).toEqual(['day#2026-11-23', 'day#2026-11-24']);
  });

  it('filters a time range by outcome', async () => {
    const from = new Date(BASE);
    const to = new Date(BASE + 5 * 86_400_000);
    const want = rows.filter((r) => r.outcome === 'rolled-back').sort(timeOrder);
    const got = await all((cursor) => queries.eventsByTime({ from, to, limit: 40, cursor, outcome: 'rolled-back' }), 40);
    expect(got.map(id)).toEqual(want.map(id));
  });

  it('reads everything one actor did, across releases, in time order, within a range and by outcome', async () => {
    const alice = rows.filter((r) => r.actor === 'github:alice').sort(timeOrder);
    const got = await all((cursor) => queries.eventsByActor('github:alice', { limit: 64, cursor }), 64);
    expect(got.map(id)).toEqual(alice.map(id));
    expect(new Set(got.map((e) => e.release.name))).toEqual(new Set(RELEASES));

    const alarm = ACTORS[2];
    const from = new Date('2026-11-24T12:00:00.000Z');
    const to = new Date('2026-11-25T12:00:00.000Z');
    const want = rows
      .filter((r) => r.actor === alarm && r.time >= from.toISOString() && r.time < to.toISOString() && r.outcome === 'started')
      .sort(timeOrder);
    expect(want.length).toBeGreaterThan(5);
    const ranged = await all((cursor) => queries.eventsByActor(alarm, { from, to, outcome: 'started', limit: 5, cursor }), 5);
    expect(ranged.map(id)).toEqual(want.map(id));
    const newest = await queries.eventsByActor(alarm, { from, to, outcome: 'started', limit: 3, order: 'desc' });
    expect(newest.items.map(id)).toEqual(want.slice(-3).reverse().map(id));
  });

  it('never scans', () => {
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((c) => c.operation === 'Query')).toBe(true);
  });

  it('rejects a cursor from another query, a forged one and impossible arguments', async () => {
    const page = await queries.releaseEvents(ref('web'), { limit: 5 });
    expect(page.cursor).toBeDefined();
    await expect(queries.releaseEvents(ref('api'), { limit: 5, cursor: page.cursor })).rejects.toBeInstanceOf(InvalidCursor);
    await expect(queries.releaseEvents(ref('web'), { limit: 5, cursor: 'bm90IGpzb24' })).rejects.toBeInstanceOf(InvalidCursor);
    await expect(queries.eventsByActor('github:alice', { cursor: page.cursor })).rejects.toBeInstanceOf(InvalidCursor);
    await expect(queries.eventsByTime({ from: new Date(BASE + 1000), to: new Date(BASE) })).rejects.toBeInstanceOf(InvalidAuditQuery);
    await expect(queries.releaseEvents(ref('web'), { limit: 0 })).rejects.toBeInstanceOf(InvalidAuditQuery);
    await expect(queries.eventsByActor('alice')).rejects.toBeInstanceOf(InvalidAuditQuery);
  });
});
