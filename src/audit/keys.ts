/**
 * The audit table's key design, as values. The names match the CDK table's AUDIT_TABLE_SCHEMA
 * (a unit test holds them equal); they are repeated here so Lambdas do not load aws-cdk-lib.
 *
 * | item      | pk                                     | sk                        |
 * | --------- | -------------------------------------- | ------------------------- |
 * | revision  | `release#<cluster>/<namespace>/<name>` | `rev#<revision, 10 digits>` |
 * | event     | same                                   | `event#<seq, 12 digits>`  |
 * | idem key  | same                                   | `idem#<sha256 hex>`       |
 *
 * Events sort by their per-release sequence number (not by time): the order of the hash chain,
 * and two writers of the same next event collide on one key instead of both succeeding.
 * Their time goes to the GSI sort key `timeKey = <iso-time>#<cluster>/<namespace>/<name>#<seq>`
 * (the seq suffix orders events of one release within one millisecond).
 *
 * Revision listings read the sparse GSI `byRevision` (pk, `revision` as a number): only revision
 * items have a `revision` attribute (events have fromRevision/toRevision), so only they are in it,
 * and it projects the summary without the body. DynamoDB counts a Query's 1 MB page on the items
 * it reads, before any ProjectionExpression: on the base table 1,000 summaries of 29 KB records
 * are 29 requests over ~29 MB; on the index, one of 0.48 MB. Keying it on attributes every
 * revision item already has leaves the write path as it was, and an index added to a table that
 * already holds revisions is filled by DynamoDB from them (no rewrite of append-only items).
 * `revision` is therefore reserved to revision items: an item of another kind with a numeric
 * `revision` would show up in listings (and be reported corrupt there).
 */
import type { AuditEvent, AuditRef } from './events.ts';

export const KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  revisionDigits: 10,
  seqDigits: 12,
  byActor: { indexName: 'byActor', partitionKey: 'actorKey', sortKey: 'timeKey' },
  byTime: { indexName: 'byTime', partitionKey: 'dayKey', sortKey: 'timeKey' },
  byRevision: {
    indexName: 'byRevision',
    partitionKey: 'pk',
    /** A number attribute (the others are strings): revisions sort numerically. */
    sortKey: 'revision',
    /** Projected besides the keys (pk, sk, revision): a listing's summary; never `record`, the body. */
    nonKeyAttributes: [
      'status', 'digest', 'size', 'labels', 'chart', 'chartVersion', 'appVersion', 'description', 'lastDeployed', 'recordedAt', 'storage', 'objectKey',
    ],
  },
} as const;

export const REV_PREFIX = 'rev#';
export const EVENT_PREFIX = 'event#';
export const IDEM_PREFIX = 'idem#';

export function refPath(ref: AuditRef): string {
  return `${ref.cluster}/${ref.namespace}/${ref.name}`;
}

export function releasePk(ref: AuditRef): string {
  return `release#${refPath(ref)}`;
}

export function revisionSk(revision: number): string {
  return `${REV_PREFIX}${String(revision).padStart(KEYS.revisionDigits, '0')}`;
}

export function eventSk(seq: number): string {
  return `${EVENT_PREFIX}${String(seq).padStart(KEYS.seqDigits, '0')}`;
}

/** Above every event sort key: the upper bound of "events from seq N on". */
export const EVENT_SK_MAX = `${EVENT_PREFIX}${'9'.repeat(KEYS.seqDigits)}`;

export function idemSk(key: string): string {
  return `${IDEM_PREFIX}${key}`;
}

export function actorKey(actor: string): string {
  return `actor#${actor}`;
}

/** `day#YYYY-MM-DD` of an ISO time (its UTC day). */
export function dayKey(isoTime: string): string {
  return `day#${isoTime.slice(0, 10)}`;
}

export function timeKey(e: Pick<AuditEvent, 'time' | 'release' | 'seq'>): string {
  return `${e.time}#${refPath(e.release)}#${String(e.seq).padStart(KEYS.seqDigits, '0')}`;
}

/** The attributes of an event item that are derived from the event (keys and index keys). */
export function derivedEventKeys(e: Pick<AuditEvent, 'time' | 'release' | 'seq' | 'actor'> & { idemKey: string }): Record<string, string> {
  return {
    pk: releasePk(e.release),
    sk: eventSk(e.seq),
    actorKey: actorKey(e.actor),
    dayKey: dayKey(e.time),
    timeKey: timeKey(e),
    idemKey: e.idemKey,
  };
}

/** Every UTC day `YYYY-MM-DD` from the day of `from` to the day of `to`, inclusive. */
export function utcDays(from: Date, to: Date): string[] {
  const days: string[] = [];
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  while (d.getTime() <= to.getTime()) {
    days.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return days;
}
