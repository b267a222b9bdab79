/** The tamper-evident audit log: events in a per-release hash chain, revision copies, queries. */
export * from './errors.ts';
export * from './events.ts';
export { KEYS, refPath, releasePk } from './keys.ts';
export { LocalDirObjectStore, recordObjectKey, type ObjectStore } from './objects.ts';
export { AuditQueries, type AuditQueriesOptions, type EventFilter, type Page, type PageOptions, type TimeRange } from './queries.ts';
export { INLINE_LIMIT_BYTES, type RevisionSummary } from './revisions.ts';
export { AuditStore, type AppendResult, type AuditStoreOptions, type PutRevisionResult, type StoredRevision } from './store.ts';
export { AuditTableMismatch, createAuditTable } from './table.ts';
