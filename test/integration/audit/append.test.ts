import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuditAppendContention, AuditStore, InvalidAuditEvent, ZERO_HASH, createAuditTable, idempotencyKey } from '../../../src/audit/index.ts';
import { REF, input } from '../../unit/audit/fixtures.ts';
import { TABLE, startAuditDb, type AuditDb } from './dynamo.ts';

let t: AuditDb;
beforeAll(async () => {
  t = await startAuditDb();
});
afterAll(async () => {
  await t.close();
});

const ref = (name: string) => ({ ...REF, name });

async function countItems(name: string, prefix: string): Promise<number> {
  const out = await t.client.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': { S: `release#prod-eu/shop/${name}` }, ':p': { S: prefix } },
      Select: 'COUNT',
    }),
  );
  return out.Count ?? 0;
}

describe('AuditStore.append on dynalite', () => {
  it('accepts an existing table of the right shape and starts a chain at seq 1', async () => {
    await createAuditTable(t.client, TABLE);
    const store = t.store();
    const { event, appended } = await store.append(input(1, { release: ref('first') }));
    expect(appended).toBe(true);
    expect(event).toMatchObject({ seq: 1, prevHash: ZERO_HASH });
    expect(await store.head(ref('first'))).toEqual(event);
    const item = await t.client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'release#prod-eu/shop/first' }, sk: { S: 'event#000000000001' } } }),
    );
    expect(item.Item).toMatchObject({
      actorKey: { S: 'actor#github:alice' },
      dayKey: { S: 'day#2026-11-24' },
      timeKey: { S: '2026-11-24T14:00:01.000Z#prod-eu/shop/first#000000000001' },
      idemKey: { S: idempotencyKey(event) },
    });
  });

  it('gives two concurrent appenders on one release a gap-free chain, each event once', async () => {
    let lostRaces = 0;
    const backoff = async () => {
      lostRaces++;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
    };
    const a = new AuditStore({ client: t.newClient(), tableName: TABLE, backoff });
    const b = new AuditStore({ client: t.newClient(), tableName: TABLE, backoff });
    const r = ref('race');
    const run = async (store: AuditStore, who: string) => {
      const results = [];
      for (let i = 0; i < 40; i++) results.push(await store.append(input(i, { release: r, step: `${who}-${i}`, actor: `cli:${who}` })));
      return results;
    };
    const [ra, rb] = await Promise.all([run(a, 'a'), run(b, 'b')]);
    expect([...ra, ...rb].every((x) => x.appended)).toBe(true);
    const seqs = [...ra, ...rb].map((x) => x.event.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    // They really raced: their events interleave, and some puts met the other's item.
    const max = (xs: typeof ra) => Math.max(...xs.map((x) => x.event.seq));
    const min = (xs: typeof ra) => Math.min(...xs.map((x) => x.event.seq));
    expect(min(ra) < max(rb) && min(rb) < max(ra)).toBe(true);
    expect(lostRaces).toBeGreaterThan(0);
    // Each writer's own events are in the order it appended them.
    expect(ra.map((x) => x.event.seq)).toEqual([...ra.map((x) => x.event.seq)].sort((x, y) => x - y));
    const events = await t.queries().releaseEvents(r, { limit: 1000 });
    expect(events.items.map((e) => e.step).sort()).toEqual([...ra, ...rb].map((x) => x.event.step).sort());
    expect(await t.queries().verify(r)).toMatchObject({ ok: true, count: 80 });
  });

  it('returns the logged event when the same step outcome is appended again (a retried Lambda)', async () => {
    const store = t.store();
    const r = ref('retry');
    await store.append(input(1, { release: r }));
    const first = await store.append(input(2, { release: r }));
    await store.append(input(3, { release: r }));
    // Same execution, step and outcome; a different clock and actor do not make it a new event.
    const again = await store.append(input(2, { release: r, time: '2026-11-25T00:00:00.000Z', actor: 'cli:retry' }));
    expect(again).toEqual({ event: first.event, appended: false });
    expect(await countItems('retry', 'event#')).toBe(3);
    // Another outcome of the same step is another event.
    const failed = await store.append(input(2, { release: r, outcome: 'failed' }));
    expect(failed).toMatchObject({ appended: true, event: { seq: 4 } });
  });

  it('lets concurrent twins of one append land exactly once', async () => {
    const r = ref('twins');
    await t.store().append(input(0, { release: r }));
    const stores = Array.from({ length: 4 }, () => new AuditStore({ client: t.newClient(), tableName: TABLE }));
    const results = await Promise.all(stores.map((s) => s.append(input(1, { release: r }))));
    expect(results.filter((x) => x.appended)).toHaveLength(1);
    expect(new Set(results.map((x) => x.event.hash)).size).toBe(1);
    expect(await countItems('twins', 'event#')).toBe(2);
    expect(await countItems('twins', 'idem#')).toBe(2);
  });

  it('completes an append whose writer died between its claim and its event', async () => {
    const r = ref('crashed');
    const store = t.store();
    await store.append(input(1, { release: r }));
    const lost = input(2, { release: r });
    // What a writer leaves when it dies after the claim: the idem item only.
    await t.client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: 'release#prod-eu/shop/crashed' },
          sk: { S: `idem#${idempotencyKey(lost)}` },
          floorSeq: { N: '2' },
          executionId: { S: lost.executionId },
          step: { S: lost.step },
          outcome: { S: lost.outcome },
          time: { S: lost.time },
        },
      }),
    );
    await store.append(input(3, { release: r }));
    const retried = await store.append(lost);
    expect(retried).toMatchObject({ appended: true, event: { seq: 3, step: 'step-2' } });
    expect(await store.append(lost)).toMatchObject({ appended: false, event: { seq: 3 } });
    expect(await t.queries().verify(r)).toMatchObject({ ok: true, count: 3 });
  });

  it('refuses an invalid event before any write', async () => {
    const store = t.store();
    await expect(store.append(input(1, { release: ref('invalid'), actor: 'nobody' }))).rejects.toBeInstanceOf(InvalidAuditEvent);
    await expect(store.append(input(1, { release: { ...REF, name: 'a/b' } }))).rejects.toThrow(/release\.name/);
    expect(await countItems('invalid', '')).toBe(0);
  });

  it('gives up with a retryable error after losing every race', async () => {
    const r = ref('contended');
    const store = t.store();
    await store.append(input(0, { release: r }));
    // A writer that always loses: just before each of its event puts, another writer takes that seq.
    const real = t.newClient();
    let rivals = 0;
    const racing = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
        return async (cmd: unknown) => {
          if (cmd instanceof PutItemCommand && cmd.input.Item?.sk?.S?.startsWith('event#')) {
            await store.append(input(1000 + rivals++, { release: r }));
          }
          return target.send(cmd as PutItemCommand);
        };
      },
    });
    const loser = new AuditStore({ client: racing, tableName: TABLE, maxAttempts: 3, backoff: async () => {} });
    const err = await loser.append(input(1, { release: r })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditAppendContention);
    expect(err).toMatchObject({ retryable: true, attempts: 3 });
    expect(rivals).toBe(3);
    // The rivals' events are all there, the loser's is not, and the chain is whole.
    expect(await t.queries().verify(r)).toMatchObject({ ok: true, count: 4 });
  });
});
