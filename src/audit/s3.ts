/**
 * The object store in AWS: record bodies too large for a table item, in S3 under their sha256.
 * Append-only as the local directory store: PutObject with `If-None-Match: *` writes a key only
 * if it is absent (S3 conditional writes), so a key keeps its first bytes; a second put of the
 * same body reads the object back to tell "same bytes" (fine) from "different bytes" (ObjectConflict).
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { ObjectConflict, ObjectNotFound } from './errors.ts';
import { sha256Hex } from './events.ts';
import type { ObjectStore } from './objects.ts';

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    /** Key prefix inside the bucket (e.g. `audit/`). */
    readonly prefix = '',
  ) {}

  async put(key: string, bytes: Uint8Array): Promise<string> {
    const digest = sha256Hex(bytes);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: bytes, IfNoneMatch: '*', ContentType: 'application/octet-stream' }));
      return digest;
    } catch (e) {
      // 412: the key exists. 409: a concurrent conditional write to the same key won the race.
      const status = e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
      if (status !== 412 && status !== 409) throw e;
    }
    const have = sha256Hex(await this.get(key));
    if (have !== digest) throw new ObjectConflict(key, have, digest);
    return digest;
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      if (!out.Body) throw new ObjectNotFound(key, `s3://${this.bucket}/${this.prefix}`);
      return await out.Body.transformToByteArray();
    } catch (e) {
      if (e instanceof NoSuchKey) throw new ObjectNotFound(key, `s3://${this.bucket}/${this.prefix}`);
      throw e;
    }
  }
}

/** The object store the environment names: S3 bucket `HELMSTEP_AUDIT_BUCKET` (prefix `HELMSTEP_AUDIT_PREFIX`), or none. */
export async function objectStoreFromEnv(env: Readonly<Record<string, string | undefined>>): Promise<ObjectStore | undefined> {
  const bucket = env.HELMSTEP_AUDIT_BUCKET;
  if (!bucket) return undefined;
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3ObjectStore(new S3Client({}), bucket, env.HELMSTEP_AUDIT_PREFIX ?? '');
}
