import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventHash, type AuditEvent } from '../../../src/audit/events.ts';
import { eventToItem } from '../../../src/audit/items.ts';
import { input } from '../../unit/audit/fixtures.ts';
import { TABLE, startAuditDb, type AuditDb } from './dynamo.ts';

type Item = Record<string, AttributeValue>;

let t: AuditDb;
beforeAll(async () => {
  t = await startAuditDb();
});
afterAll(async () => {
  await t.close();
});

const ref = (name: string) => ({ cluster: 'prod-eu', namespace: 'shop', name });
const key = (name: string, seq: number) => ({
  pk: { S: `release#prod-eu/shop/${name}` },
  sk: { S: `event#${String(seq).padStart(12, '0')}` },
});

/** A release with `n` events, as the service writes them. */
async function logOf(name: string, n = 6): Promise<AuditEvent[]> {
  const store = t.store();
  const events: AuditEvent[] = [];
  for (let i = 1; i <= n; i++) events.push((await store.append(input(i, { release: ref(name) }))).event);
  expect(await t.queries().verify(ref(name))).toMatchObject({ ok: true, count: n });
  return events;
}

// What someone with table access (not the service: it has PutItem-if-absent only) can do.
async function read(name: string, seq: number): Promise<Item> {
  const out = await t.client.send(new GetItemCommand({ TableName: TABLE, Key: key(name, seq) }));
  return out.Item!;
}
async function overwrite(name: string, seq: number, item: Item): Promise<void> {
  await t.client.send(new PutItemCommand({ TableName: TABLE, Item: { ...item, ...key(name, seq) } }));
}

describe('verify after the table was changed behind the service', () => {
  it('names an event whose attribute was altered', async () => {
    await logOf('altered');
    const item = await read('altered', 3);
    await overwrite('altered', 3, { ...item, outcome: { S: 'failed' } });
    expect(await t.queries().verify(ref('altered'))).toMatchObject({ ok: false, seq: 3, reason: 'altered' });
  });

  it('names an event that gained an attribute', async () => {
    await logOf('added');
    const item = await read('added', 2);
    await overwrite('added', 2, { ...item, note: { S: 'approved by mallory' } });
    expect(await t.queries().verify(ref('added'))).toMatchObject({ ok: false, seq: 2, reason: 'altered' });
  });

  it('names a removed event', async () => {
    await logOf('removed');
    await t.client.send(new DeleteItemCommand({ TableName: TABLE, Key: key('removed', 4) }));
    expect(await t.queries().verify(ref('removed'))).toMatchObject({ ok: false, seq: 4, index: 3, reason: 'missing' });
  });

  it('names the first of two swapped events', async () => {
    await logOf('swapped');
    const [two, three] = [await read('swapped', 2), await read('swapped', 3)];
    await overwrite('swapped', 2, three);
    await overwrite('swapped', 3, two);
    expect(await t.queries().verify(ref('swapped'))).toMatchObject({ ok: false, seq: 2, reason: 'reordered' });
  });

  it('notices a rewritten event with a recomputed hash at the next event', async () => {
    const events = await logOf('forged');
    const { hash: _h, ...rest } = { ...events[2]!, outcome: 'succeeded' as const, actor: 'cli:mallory' };
    const forged = { ...rest, hash: eventHash(rest) } as AuditEvent;
    await overwrite('forged', 3, eventToItem(forged));
    expect(await t.queries().verify(ref('forged'))).toMatchObject({ ok: false, seq: 4, reason: 'broken-link' });
  });

  it('names an event whose index attribute was changed to hide it from an auditor', async () => {
    await logOf('hidden');
    const item = await read('hidden', 5);
    await overwrite('hidden', 5, { ...item, actorKey: { S: 'actor#github:nobody' } });
    expect(await t.queries().verify(ref('hidden'))).toMatchObject({ ok: false, seq: 5, reason: 'altered' });
    expect((await t.queries().eventsByActor('github:alice')).items.some((e) => e.release.name === 'hidden' && e.seq === 5)).toBe(false);
  });

  it('reports the first fault when there are several', async () => {
    await logOf('several');
    await t.client.send(new DeleteItemCommand({ TableName: TABLE, Key: key('several', 5) }));
    const item = await read('several', 2);
    await overwrite('several', 2, { ...item, step: { S: 'other' } });
    expect(await t.queries().verify(ref('several'))).toMatchObject({ ok: false, seq: 2, reason: 'altered' });
  });

  it('notices removal of the newest events only against a trusted head', async () => {
    const events = await logOf('truncated');
    const head = { seq: 6, hash: events[5]!.hash };
    await t.client.send(new DeleteItemCommand({ TableName: TABLE, Key: key('truncated', 6) }));
    expect(await t.queries().verify(ref('truncated'))).toMatchObject({ ok: true, count: 5 });
    expect(await t.queries().verify(ref('truncated'), { expectHead: head })).toMatchObject({ ok: false, seq: 6, reason: 'truncated' });
  });
});
