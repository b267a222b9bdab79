/**
 * Errors of the audit log. Each names the release (cluster/namespace/name) and the item or object
 * it concerns, says why, and what to do next.
 */
import { HelmstepError } from '../release/errors.ts';
import type { AuditRef } from './events.ts';
import { KEYS } from './keys.ts';

export function refText(ref: AuditRef): string {
  return `release "${ref.name}" in namespace "${ref.namespace}" of cluster "${ref.cluster}"`;
}

/** An event or release reference that does not match the audit schema; nothing was written. */
export class InvalidAuditEvent extends HelmstepError {
  override readonly name = 'InvalidAuditEvent';
  readonly reason = 'InvalidAuditEvent';
  constructor(
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`audit event refused before any write: ${issues.join('; ')}; fix the caller that built it`, options);
  }
}

/**
 * Every attempt to append lost the race for the next sequence number to another writer.
 * Retryable: the other writers finish and the next attempt finds the sequence free.
 */
export class AuditAppendContention extends HelmstepError {
  override readonly name = 'AuditAppendContention';
  readonly reason = 'AuditAppendContention';
  override readonly retryable = true;
  constructor(
    readonly ref: AuditRef,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `audit log of ${refText(ref)}: ${attempts} attempts to append lost the race for the next sequence number ` +
        `to other writers; nothing was written by this call. Retry it (the idempotency key prevents a duplicate)`,
      options,
    );
  }
}

/** An item read from the audit table does not decode as what its key says it is. */
export class AuditItemCorrupt extends HelmstepError {
  override readonly name = 'AuditItemCorrupt';
  readonly reason = 'AuditItemCorrupt';
  constructor(
    readonly table: string,
    readonly key: { readonly pk: string; readonly sk: string },
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `audit table ${table} item pk="${key.pk}" sk="${key.sk}" is corrupt (${detail}); the service never updates items, ` +
        `so it was changed outside it. Run verify on the release and compare with the table's point-in-time backups`,
      options,
    );
  }
}

/** The release record passed to putRevision belongs to another release than the reference says. */
export class AuditRefMismatch extends HelmstepError {
  override readonly name = 'AuditRefMismatch';
  readonly reason = 'AuditRefMismatch';
  constructor(
    readonly ref: AuditRef,
    readonly record: { readonly namespace?: string | undefined; readonly name: string; readonly version: number },
    options?: { cause?: unknown },
  ) {
    super(
      `refusing to record revision ${record.version} of release "${record.name}" in namespace "${record.namespace ?? ''}" ` +
        `under ${refText(ref)}; pass the reference of the release the record belongs to`,
      options,
    );
  }
}

/** A record too large for a table item, and no object store to put its body in. */
export class AuditRecordTooLarge extends HelmstepError {
  override readonly name = 'AuditRecordTooLarge';
  readonly reason = 'AuditRecordTooLarge';
  constructor(
    readonly ref: AuditRef,
    readonly revision: number,
    readonly size: number,
    readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super(
      `revision ${revision} of ${refText(ref)} makes an audit item of ${size} bytes, over the ${limit}-byte inline limit, ` +
        `and the audit store has no object store for the body; configure one (objects) and retry`,
      options,
    );
  }
}

/** A revision's body is in the object store, and this audit store was given none. */
export class AuditObjectStoreMissing extends HelmstepError {
  override readonly name = 'AuditObjectStoreMissing';
  readonly reason = 'AuditObjectStoreMissing';
  constructor(
    readonly ref: AuditRef,
    readonly revision: number,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`revision ${revision} of ${refText(ref)} keeps its record in object ${key}, and this audit store has no object store; configure one (objects) to read it`, options);
  }
}

/** Bytes read back from the object store (or an inline record) do not hash to the recorded digest. */
export class AuditDigestMismatch extends HelmstepError {
  override readonly name = 'AuditDigestMismatch';
  readonly reason = 'AuditDigestMismatch';
  constructor(
    readonly ref: AuditRef,
    readonly revision: number,
    readonly expected: string,
    readonly actual: string,
    readonly where: string,
    options?: { cause?: unknown },
  ) {
    super(
      `revision ${revision} of ${refText(ref)}: the record in ${where} hashes to sha256:${actual}, ` +
        `not the recorded sha256:${expected}; it was changed after it was written. Restore it from a backup`,
      options,
    );
  }
}

/** An object key already holds different bytes; objects, like items, are never overwritten. */
export class ObjectConflict extends HelmstepError {
  override readonly name = 'ObjectConflict';
  readonly reason = 'ObjectConflict';
  constructor(
    readonly key: string,
    readonly existing: string,
    readonly attempted: string,
    options?: { cause?: unknown },
  ) {
    super(
      `object ${key} already holds sha256:${existing}; refusing to overwrite it with sha256:${attempted}. ` +
        `Objects are append-only: write the new bytes under a new key`,
      options,
    );
  }
}

/** An object the table points at is not in the object store. */
export class ObjectNotFound extends HelmstepError {
  override readonly name = 'ObjectNotFound';
  readonly reason = 'ObjectNotFound';
  constructor(
    readonly key: string,
    readonly store: string,
    options?: { cause?: unknown },
  ) {
    super(`object ${key} is not in ${store}; it was deleted or the store points at the wrong place. Restore it from a backup`, options);
  }
}

/** An object key that could escape the store or is not a plain relative path. */
export class InvalidObjectKey extends HelmstepError {
  override readonly name = 'InvalidObjectKey';
  readonly reason = 'InvalidObjectKey';
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(
      `object key ${JSON.stringify(key)} is invalid: use relative segments of A-Z a-z 0-9 . _ - separated by /, without . or .. segments`,
      options,
    );
  }
}

/** A pagination cursor that was not produced by the same query. */
export class InvalidCursor extends HelmstepError {
  override readonly name = 'InvalidCursor';
  readonly reason = 'InvalidCursor';
  constructor(
    readonly query: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`cursor rejected for the ${query} query: ${detail}; pass the cursor the previous page of this same query returned, or none to start over`, options);
  }
}

/** A query's arguments cannot describe a range (e.g. the end before the start). */
export class InvalidAuditQuery extends HelmstepError {
  override readonly name = 'InvalidAuditQuery';
  readonly reason = 'InvalidAuditQuery';
  constructor(
    readonly query: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid ${query} query: ${detail}`, options);
  }
}

// ---- the table (table.ts creates and checks it; a query can find it lacking an index)

const NOT_AUDIT = 'choose another table name or delete that table';
/** What to do about a table from before the byRevision index (it is otherwise an audit table). */
export const ADD_REVISION_INDEX =
  `add the index ${KEYS.byRevision.indexName}: in AWS deploy the current helmstep stack (DynamoDB fills the new index from the revisions already stored); ` +
  'dynalite cannot add an index to a table, so for the local state move its directory (HELMSTEP_STATE_DIR) aside and run helmstep audit reconcile -A to copy the cluster\'s revisions into a new log';

/** A table of that name exists with keys or indexes the audit store cannot use. */
export class AuditTableMismatch extends HelmstepError {
  override readonly name = 'AuditTableMismatch';
  readonly reason = 'AuditTableMismatch';
  constructor(
    readonly table: string,
    readonly detail: string,
    options?: { cause?: unknown; todo?: string },
  ) {
    super(
      options?.todo === undefined
        ? `table ${table} exists but is not an audit table (${detail}); ${NOT_AUDIT}`
        : `table ${table} is not the audit table this helmstep reads (${detail}); ${options.todo}`,
      options,
    );
  }
}

/** The mismatch of a table whose only problem is the missing byRevision index (an earlier helmstep's table). */
export function missingRevisionIndex(table: string, options?: { cause?: unknown }): AuditTableMismatch {
  return new AuditTableMismatch(table, `no index ${KEYS.byRevision.indexName}`, { ...options, todo: ADD_REVISION_INDEX });
}
