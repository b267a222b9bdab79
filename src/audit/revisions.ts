/**
 * Revision items: a copy of each Helm revision's record, encoded with helm's own codec (the
 * base64 text a release Secret holds), so `decodeRelease` reads it back byte for byte. Pure.
 *
 * The body sits in the item (`record`) unless the item would pass the inline limit (350 KB,
 * under DynamoDB's 400 KB item limit); then it sits in the object store under its sha256 and
 * the item keeps the key (`objectKey`). Either way `digest` is the sha256 of the text.
 */
import { z } from 'zod';

import type { Labels, Release } from '../release/record.ts';
import { AuditItemCorrupt } from './errors.ts';
import { issueLines, sha256Hex, type AuditRef } from './events.ts';
import { fromItem, itemSize, toItem, type Item } from './items.ts';
import { releasePk, revisionSk } from './keys.ts';

/** Largest item that keeps its record inline: DynamoDB's 400 KB limit less room for growth. */
export const INLINE_LIMIT_BYTES = 350 * 1024;

const RevisionFieldsSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  revision: z.number().int().nonnegative(),
  status: z.string(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  /** Bytes of the encoded text. */
  size: z.number().int().nonnegative(),
  labels: z.record(z.string(), z.string()),
  chart: z.string().optional(),
  chartVersion: z.string().optional(),
  appVersion: z.string().optional(),
  description: z.string().optional(),
  /** The record's info.last_deployed, as helm wrote it. */
  lastDeployed: z.string().optional(),
  /** When the audit log took this copy. */
  recordedAt: z.string(),
  storage: z.enum(['inline', 'object']),
  record: z.string().optional(),
  objectKey: z.string().optional(),
});
type RevisionFields = z.infer<typeof RevisionFieldsSchema>;

/** A stored revision without its body: what a history listing shows. */
export interface RevisionSummary {
  readonly ref: AuditRef;
  readonly revision: number;
  readonly status: string;
  readonly digest: string;
  readonly size: number;
  readonly labels: Labels;
  readonly chart?: string;
  readonly chartVersion?: string;
  readonly appVersion?: string;
  readonly description?: string;
  readonly lastDeployed?: string;
  readonly recordedAt: string;
  readonly storage: 'inline' | 'object';
  readonly objectKey?: string;
}

export interface RevisionBody {
  /** The encoded record text. */
  readonly text: string;
  readonly digest: string;
}

export function encodeBody(text: string): RevisionBody {
  return { text, digest: sha256Hex(text) };
}

function nonEmpty(s: string | null | undefined): string | undefined {
  return s === null || s === undefined || s === '' ? undefined : s;
}

/** The revision item with the body inline; `withObject` swaps the body for an object key. */
export function revisionItem(ref: AuditRef, release: Release, labels: Labels, body: RevisionBody, recordedAt: string): Item {
  const meta = release.chart?.metadata;
  return toItem({
    pk: releasePk(ref),
    sk: revisionSk(release.version),
    revision: release.version,
    status: release.info.status,
    digest: body.digest,
    size: Buffer.byteLength(body.text, 'utf8'),
    labels,
    chart: nonEmpty(meta?.name),
    chartVersion: nonEmpty(meta?.version),
    appVersion: nonEmpty(meta?.appVersion),
    description: nonEmpty(release.info.description),
    lastDeployed: nonEmpty(release.info.last_deployed),
    recordedAt,
    storage: 'inline',
    record: body.text,
  });
}

export function withObject(item: Item, objectKey: string): Item {
  const { record: _record, ...rest } = item;
  return { ...rest, storage: { S: 'object' }, objectKey: { S: objectKey } };
}

export function fitsInline(item: Item, limit = INLINE_LIMIT_BYTES): boolean {
  return itemSize(item) <= limit;
}

export interface ParsedRevisionItem {
  readonly summary: RevisionSummary;
  /** The inline body, when stored inline. */
  readonly record?: string;
}

function parseRef(pk: string): AuditRef | undefined {
  const m = /^release#([^/]+)\/([^/]+)\/([^/]+)$/.exec(pk);
  return m ? { cluster: m[1]!, namespace: m[2]!, name: m[3]! } : undefined;
}

/** Parses a revision item; `body: false` for items read without their body (a listing's projection). */
export function parseRevisionItem(item: Item, table: string, opts: { body: boolean } = { body: true }): ParsedRevisionItem {
  const raw = fromItem(item);
  const key = { pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' };
  const parsed = RevisionFieldsSchema.safeParse(raw);
  if (!parsed.success) throw new AuditItemCorrupt(table, key, issueLines(parsed.error).join('; '), { cause: parsed.error });
  const f: RevisionFields = parsed.data;
  const ref = parseRef(f.pk);
  if (!ref || f.sk !== revisionSk(f.revision)) throw new AuditItemCorrupt(table, key, 'its keys do not match its revision');
  if (f.storage === 'inline' ? opts.body && f.record === undefined : f.objectKey === undefined) {
    throw new AuditItemCorrupt(table, key, `storage is ${f.storage} but the ${f.storage === 'inline' ? 'record' : 'objectKey'} attribute is missing`);
  }
  const { pk: _pk, sk: _sk, record, ...rest } = f;
  return { summary: { ref, ...rest }, ...(record === undefined ? {} : { record }) };
}
