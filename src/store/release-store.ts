import type { Labels, Release } from '../release/record.ts';
import type { ReleaseRef } from '../release/errors.ts';

/** A record as stored: the decoded release, its custom labels and the object's version for CAS. */
export interface StoredRelease {
  readonly release: Release;
  /** Custom labels only (the six system labels are derived from the record). */
  readonly labels: Labels;
  /** Storage object name, `sh.helm.release.v1.<name>.v<N>`. */
  readonly objectName: string;
  /** Kubernetes resourceVersion at read time; update() fails if it moved. */
  readonly resourceVersion: string;
  /** The `createdAt` label as stored (unix seconds), which update() keeps as helm's Update does. */
  readonly createdAt?: string;
}

/**
 * Helm's release storage, one small contract for every backend (Kubernetes Secrets, and memory
 * for tests). Every method names its errors; none retries on its own. Every method that takes a
 * release name checks it with helm's rules first (InvalidReleaseName) and makes no call otherwise.
 * Reaching the backend can also fail with ClusterUnavailable or ClusterBusy (retryable),
 * ClusterForbidden or ClusterRejected (not retryable).
 */
export interface ReleaseStore {
  /**
   * Every record of a release, oldest first; empty when the release has none.
   * Throws CorruptRecord naming the object if any record does not decode (never skipped),
   * ClusterUnavailable, ClusterForbidden.
   */
  history(ref: ReleaseRef): Promise<StoredRelease[]>;

  /** One revision. Throws RevisionNotFound (ReleaseNotFound when the release has no record), CorruptRecord. */
  get(ref: ReleaseRef, version: number): Promise<StoredRelease>;

  /** The newest record of every release in a namespace (all namespaces when undefined). Throws CorruptRecord. */
  list(namespace?: string): Promise<StoredRelease[]>;

  /**
   * Stores a new record. Refuses before any write a record over the 1 MiB limit (ReleaseTooLarge).
   * Throws ReleaseExists when the object is already there: that is the lock between two writers.
   */
  create(release: Release, labels: Labels): Promise<StoredRelease>;

  /**
   * Replaces a stored record (status/description/labels change), if and only if it has not
   * changed since `stored` was read. `labels` are the new custom labels (default: the stored
   * ones); createdAt is kept and modifiedAt stamped, as helm's Update does.
   * Throws ConcurrentUpdate, ReleaseTooLarge, RevisionNotFound.
   */
  update(stored: StoredRelease, next: Release, labels?: Labels): Promise<StoredRelease>;

  /** Deletes one revision; a missing one is not an error (idempotent). */
  delete(ref: ReleaseRef, version: number): Promise<void>;
}
