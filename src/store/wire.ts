/**
 * A release Secret as the API server sends it (JSON), decoded into a StoredRelease. Pure: the
 * same decoding whichever client fetched the Secret.
 */
import { decodeRelease, ReleaseDecodeError } from '../release/codec.ts';
import { CorruptRecord } from '../release/errors.ts';
import { customLabelsOf } from '../release/lifecycle.ts';
import type { StoredRelease } from './release-store.ts';

/** The fields of a Secret this store reads. */
export interface WireSecret {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly data?: Readonly<Record<string, string>>;
}

/**
 * Decodes the record in a Secret (data key `release`: base64 of gzip'd JSON). Throws
 * CorruptRecord naming `<namespace>/<object>` and the layer that failed.
 */
export function storedFromSecret(s: WireSecret, namespace: string): StoredRelease {
  const objectName = s.metadata?.name ?? '(unnamed)';
  const ns = s.metadata?.namespace ?? namespace;
  const data = s.data?.release;
  try {
    if (data === undefined) throw new ReleaseDecodeError('base64', 'the Secret has no data key "release"');
    const release = decodeRelease(Buffer.from(data, 'base64').toString('latin1'));
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
