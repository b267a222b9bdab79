import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { ObjectConflict, ObjectNotFound } from '../../../src/audit/errors.ts';
import { sha256Hex } from '../../../src/audit/events.ts';
import { S3ObjectStore } from '../../../src/audit/s3.ts';

const s3 = mockClient(S3Client);
/** What the SDK's streaming Body offers the store: its bytes. */
const body = (text: string) => ({ transformToByteArray: () => Promise.resolve(new Uint8Array(Buffer.from(text))) });
const preconditionFailed = () => new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'At least one of the pre-conditions you specified did not hold' });

describe('S3ObjectStore', () => {
  beforeEach(() => s3.reset());
  const store = () => new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'audit-bucket', 'helmstep/');

  it('writes a new key only if absent (If-None-Match: *) and returns the sha256', async () => {
    s3.on(PutObjectCommand).resolves({});
    const digest = await store().put('records/sha256/abc', Buffer.from('record'));
    expect(digest).toBe(sha256Hex(Buffer.from('record')));
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'audit-bucket', Key: 'helmstep/records/sha256/abc', IfNoneMatch: '*' });
  });

  it('accepts a key that already holds the same bytes, and refuses one that holds others', async () => {
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectCommand).resolvesOnce({ Body: body('record') } as never).resolvesOnce({ Body: body('tampered') } as never);
    expect(await store().put('k', Buffer.from('record'))).toBe(sha256Hex(Buffer.from('record')));
    await expect(store().put('k', Buffer.from('record'))).rejects.toBeInstanceOf(ObjectConflict);
  });

  it('reads a key back, and names a missing one', async () => {
    s3.on(GetObjectCommand, { Key: 'helmstep/there' }).resolves({ Body: body('bytes') } as never);
    s3.on(GetObjectCommand, { Key: 'helmstep/gone' }).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    expect(Buffer.from(await store().get('there')).toString()).toBe('bytes');
    await expect(store().get('gone')).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('passes other failures through (a retry may fix them)', async () => {
    s3.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' }));
    await expect(store().put('k', Buffer.from('x'))).rejects.toMatchObject({ name: 'SlowDown' });
  });
});
