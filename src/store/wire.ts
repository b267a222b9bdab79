/**
 * A release Secret as the API server sends it, decoded into a StoredRelease: the same decoding
 * whichever client fetched the Secret and whichever encoding (JSON or protobuf) it came in.
 */
import { decodeRelease, ReleaseDecodeError } from '../release/codec.ts';
import { CorruptRecord } from '../release/errors.ts';
import { customLabelsOf } from '../release/lifecycle.ts';
import type { StoredRelease } from './release-store.ts';

/** The metadata of a Secret this store reads. */
export interface SecretMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A Secret as JSON has it: data values in base64. */
export interface WireSecret {
  readonly metadata?: SecretMeta;
  readonly data?: Readonly<Record<string, string>>;
}

/** A Secret reduced to what a release needs: its metadata and the storage text of its `release` key. */
export interface SecretRecord {
  readonly metadata?: SecretMeta;
  /** The data value's bytes as text (latin1): helm's base64 of the gzip'd record. Absent when the key is. */
  readonly release?: string;
}

/** A JSON Secret as a SecretRecord (removes the API's own base64 layer). */
export function fromJsonSecret(s: WireSecret): SecretRecord {
  const data = s.data?.release;
  return { ...(s.metadata ? { metadata: s.metadata } : {}), ...(data === undefined ? {} : { release: Buffer.from(data, 'base64').toString('latin1') }) };
}

/**
 * Decodes the record a Secret holds. Throws CorruptRecord naming `<namespace>/<object>` and the
 * layer that failed.
 */
export function storedFromRecord(s: SecretRecord, namespace: string): StoredRelease {
  const objectName = s.metadata?.name ?? '(unnamed)';
  const ns = s.metadata?.namespace ?? namespace;
  try {
    if (s.release === undefined) throw new ReleaseDecodeError('base64', 'the Secret has no data key "release"');
    const release = decodeRelease(s.release);
    // Helm fills the namespace from the object when a record lacks it.
    if (!release.namespace) release.namespace = ns;
    const createdAt = s.metadata?.labels?.createdAt;
    return {
      release,
      labels: customLabelsOf(s.metadata?.labels),
      objectName,
      resourceVersion: s.metadata?.resourceVersion ?? '',
      ...(createdAt === undefined ? {} : { createdAt }),
    };
  } catch (err) {
    if (err instanceof ReleaseDecodeError) {
      throw new CorruptRecord({ namespace: ns, name: objectName }, err.stage, err.message, { cause: err });
    }
    throw err;
  }
}

/** storedFromRecord of a JSON Secret. */
export function storedFromSecret(s: WireSecret, namespace: string): StoredRelease {
  return storedFromRecord(fromJsonSecret(s), namespace);
}

/** The newest record of each release, by release name (for `list`). */
export function newestPerRelease(records: readonly StoredRelease[]): StoredRelease[] {
  const newest = new Map<string, StoredRelease>();
  for (const rec of records) {
    const key = `${rec.release.namespace ?? ''}/${rec.release.name}`;
    const seen = newest.get(key);
    if (!seen || seen.release.version < rec.release.version) newest.set(key, rec);
  }
  return [...newest.values()].sort((a, b) => a.release.name.localeCompare(b.release.name));
}
