import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AuditDigestMismatch,
  AuditObjectStoreMissing,
  AuditRecordTooLarge,
  AuditRefMismatch,
  INLINE_LIMIT_BYTES,
  LocalDirObjectStore,
  sha256Hex,
} from '../../../src/audit/index.ts';
import { itemSize } from '../../../src/audit/items.ts';
import { encodeRelease } from '../../../src/release/codec.ts';
import { bigRelease, release } from '../../unit/audit/fixtures.ts';
import { TABLE, startAuditDb, type AuditDb } from './dynamo.ts';

let t: AuditDb;
let dir: string;
let objects: LocalDirObjectStore;
beforeAll(async () => {
  t = await startAuditDb();
  dir = mkdtempSync(join(tmpdir(), 'helmstep-audit-objects-'));
  objects = new LocalDirObjectStore(dir);
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const ref = { cluster: 'prod-eu', namespace: 'shop', name: 'web' };
const revKey = (revision: number) => ({ pk: { S: 'release#prod-eu/shop/web' }, sk: { S: `rev#${String(revision).padStart(10, '0')}` } });

describe('revision copies', () => {
  it('keeps each revision’s record in helm’s encoding with its labels, once', async () => {
    const store = t.store({ objects });
    const r1 = release(1);
    expect(await store.putRevision(ref, r1, { team: 'payments' })).toEqual({
      written: true,
      digest: sha256Hex(encodeRelease(r1)),
      sameContent: true,
      storage: 'inline',
    });
    const back = await store.getRevision(ref, 1);
    expect(back).toMatchObject({ revision: 1, status: 'deployed', labels: { team: 'payments' }, storage: 'inline', chart: 'webapp' });
    expect(back!.release).toEqual(r1);
    expect(back!.text).toBe(encodeRelease(r1));

    // A retry changes nothing; a later state of the same revision is reported, not stored.
    expect(await store.putRevision(ref, r1, { team: 'payments' })).toMatchObject({ written: false, sameContent: true });
    const superseded = { ...r1, info: { ...r1.info, status: 'superseded' as const } };
    expect(await store.putRevision(ref, superseded)).toMatchObject({ written: false, sameContent: false, digest: sha256Hex(encodeRelease(r1)) });
    expect((await store.getRevision(ref, 1))!.release.info.status).toBe('deployed');
    expect(await store.getRevision(ref, 99)).toBeUndefined();
  });

  it('puts a record too large for an item in the object store and reads it back by its digest', async () => {
    const store = t.store({ objects });
    const big = bigRelease(2, 500_000);
    const text = encodeRelease(big);
    expect(text.length).toBeGreaterThan(INLINE_LIMIT_BYTES);
    const digest = sha256Hex(text);
    expect(await store.putRevision(ref, big)).toEqual({ written: true, digest, sameContent: true, storage: 'object' });

    const file = join(dir, 'records', 'sha256', digest);
    expect(readFileSync(file, 'utf8')).toBe(text);
    const item = (await t.client.send(new GetItemCommand({ TableName: TABLE, Key: revKey(2) }))).Item!;
    expect(item.record).toBeUndefined();
    expect(item.objectKey).toEqual({ S: `records/sha256/${digest}` });
    expect(itemSize(item)).toBeLessThan(2_000);

    const back = await store.getRevision(ref, 2);
    expect(back).toMatchObject({ storage: 'object', digest, size: text.length });
    expect(back!.release).toEqual(big);
    expect(sha256Hex(back!.text)).toBe(digest);
    expect(await store.putRevision(ref, big)).toMatchObject({ written: false, sameContent: true });
    await expect(t.store().getRevision(ref, 2)).rejects.toBeInstanceOf(AuditObjectStoreMissing);
  });

  it('refuses a large record without an object store, writing nothing', async () => {
    const store = t.store();
    await expect(store.putRevision(ref, bigRelease(3, 500_000))).rejects.toBeInstanceOf(AuditRecordTooLarge);
    expect((await t.client.send(new GetItemCommand({ TableName: TABLE, Key: revKey(3) }))).Item).toBeUndefined();
  });

  it('refuses a record of another release', async () => {
    await expect(t.store().putRevision(ref, { ...release(4), name: 'api' })).rejects.toBeInstanceOf(AuditRefMismatch);
    await expect(t.store().putRevision(ref, { ...release(4), namespace: 'other' })).rejects.toBeInstanceOf(AuditRefMismatch);
  });

  it('names a body changed after it was written, inline or in the object store', async () => {
    const store = t.store({ objects });
    await store.putRevision(ref, release(5));
    const item = (await t.client.send(new GetItemCommand({ TableName: TABLE, Key: revKey(5) }))).Item!;
    await t.client.send(new PutItemCommand({ TableName: TABLE, Item: { ...item, record: { S: encodeRelease(release(5, { manifest: 'kind: Evil\n' })) } } }));
    await expect(store.getRevision(ref, 5)).rejects.toBeInstanceOf(AuditDigestMismatch);

    const big = bigRelease(6, 400_000);
    const { digest } = await store.putRevision(ref, big);
    writeFileSync(join(dir, 'records', 'sha256', digest), encodeRelease(bigRelease(6, 400_000)));
    await expect(store.getRevision(ref, 6)).rejects.toThrow(new RegExp(`object records/sha256/${digest}`));
  });

  it('lists a release’s revisions in order, page by page, without their bodies', async () => {
    const store = t.store({ objects });
    for (let v = 7; v <= 30; v++) await store.putRevision(ref, release(v), { v: String(v) });
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.queries().releaseRevisions(ref, { limit: 7, cursor });
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((s) => s.revision));
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual([1, 2, 5, 6, ...Array.from({ length: 24 }, (_, i) => i + 7)]);
    const newest = await t.queries().releaseRevisions(ref, { limit: 2, order: 'desc' });
    expect(newest.items.map((s) => [s.revision, s.labels])).toEqual([
      [30, { v: '30' }],
      [29, { v: '29' }],
    ]);
    expect(newest.items[0]).not.toHaveProperty('record');
    // Revisions and events share the partition; neither listing shows the other.
    await store.append({
      release: ref,
      actor: 'cli:ops',
      trigger: { kind: 'cli' },
      executionId: 'x',
      step: 'upgrade',
      outcome: 'succeeded',
      toRevision: 30,
    });
    const count = await t.client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'release#prod-eu/shop/web' } },
        Select: 'COUNT',
      }),
    );
    expect(count.Count).toBe(28 + 2);
    expect((await t.queries().releaseRevisions(ref, { limit: 1000 })).items).toHaveLength(28);
    expect((await t.queries().releaseEvents(ref)).items).toHaveLength(1);
  });
});
