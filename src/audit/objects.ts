/**
 * Where record bodies too large for a table item go. Append-only like the table: a key, once
 * written, keeps its bytes. The audit store names bodies by their sha256 (`records/sha256/<hex>`),
 * so equal bodies share one object and a reader can check what it got.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { InvalidObjectKey, ObjectConflict, ObjectNotFound } from './errors.ts';
import { sha256Hex } from './events.ts';

export interface ObjectStore {
  /**
   * Stores `bytes` under `key` unless the key already holds the same bytes; returns their sha256
   * hex. Throws ObjectConflict when the key holds different bytes.
   */
  put(key: string, bytes: Uint8Array): Promise<string>;
  /** The bytes under `key`; throws ObjectNotFound. */
  get(key: string): Promise<Uint8Array>;
}

/** The key of a body in the object store: content-addressed. */
export function recordObjectKey(digest: string): string {
  return `records/sha256/${digest}`;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

function checkKey(key: string): string[] {
  const segments = key.split('/');
  if (key.length === 0 || key.length > 1024 || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new InvalidObjectKey(key);
  }
  return segments;
}

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === 'ENOENT';
}

/** Objects as files under a directory (the local default and tests; S3 in AWS). */
export class LocalDirObjectStore implements ObjectStore {
  constructor(readonly dir: string) {}

  async put(key: string, bytes: Uint8Array): Promise<string> {
    const path = join(this.dir, ...checkKey(key));
    const digest = sha256Hex(bytes);
    const existing = await this.read(path);
    if (existing) {
      const have = sha256Hex(existing);
      if (have !== digest) throw new ObjectConflict(key, have, digest);
      return digest;
    }
    await mkdir(dirname(path), { recursive: true });
    // Write aside then rename: a reader never sees half an object, a crash leaves only a temp file.
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, bytes, { flag: 'wx' });
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
    return digest;
  }

  async get(key: string): Promise<Uint8Array> {
    const bytes = await this.read(join(this.dir, ...checkKey(key)));
    if (!bytes) throw new ObjectNotFound(key, `directory ${this.dir}`);
    return bytes;
  }

  private async read(path: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}
