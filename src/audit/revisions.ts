/**
 * Revision items: a copy of each Helm revision's record, encoded with helm's own codec (the
 * base64 text a release Secret holds), so `decodeRelease` reads it back byte for byte. Pure.
 *
 * The body sits in the item (`record`) unless the item would pass the inline limit (350 KB,
 * under DynamoDB's 400 KB item limit); then it sits in the object store under its sha256 and
 * the item keeps the key (`objectKey`). Either way `digest` is the sha256 of the text.
 */
import * as z from 'zod/mini';

import type { Labels, Release } from '../release/record.ts';
import { AuditItemCorrupt } from './errors.ts';
import { sha256Hex, type AuditRef } from './events.ts';
import { fromItem, itemSize, toItem, type Item } from './items.ts';
import { releasePk, revisionSk } from './keys.ts';
import { issueLines } from './zod.ts';

/** Largest item that keeps its record inline: DynamoDB's 400 KB limit less room for growth. */
export const INLINE_LIMIT_BYTES = 350 * 1024;

export const RevisionFieldsSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  revision: z.int().check(z.nonnegative()),
  status: z.string(),
  digest: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  /** Bytes of the encoded text. */
  size: z.int().check(z.nonnegative()),
  labels: z.record(z.string(), z.string()),
  chart: z.optional(z.string()),
  chartVersion: z.optional(z.string()),
  appVersion: z.optional(z.string()),
  description: z.optional(z.string()),
  /** The record's info.last_deployed, as helm wrote it. */
  lastDeployed: z.optional(z.string()),
  /** When the audit log took this copy. */
  recordedAt: z.string(),
  storage: z.enum(['inline', 'object']),
  record: z.optional(z.string()),
  objectKey: z.optional(z.string()),
});
type RevisionFields = z.infer<typeof RevisionFieldsSchema>;

const HEX64 = /^[0-9a-f]{64}$/;
const OPTIONAL_TEXT = ['chart', 'chartVersion', 'appVersion', 'description', 'lastDeployed'] as const;
const count = (a: Item[string] | undefined): number | undefined => {
  const n = a?.N === undefined ? Number.NaN : Number(a.N);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/**
 * The fields of a well-formed revision item, read straight from its attribute values without
 * zod: a listing decodes 1,000 items, which took 15–35 ms through fromItem and the schema, most
 * of what a listing computes. Takes a subset of what RevisionFieldsSchema takes of
 * fromItem(item), with the same output in the same key order (a unit property holds both);
 * undefined means "ask the schema", which then names what is wrong.
 */
export function revisionFieldsFast(item: Item): RevisionFields | undefined {
  const pk = item.pk?.S;
  const sk = item.sk?.S;
  const revision = count(item.revision);
  const status = item.status?.S;
  const digest = item.digest?.S;
  const size = count(item.size);
  const m = item.labels?.M;
  const recordedAt = item.recordedAt?.S;
  const storage = item.storage?.S;
  if (pk === undefined || sk === undefined || revision === undefined || status === undefined || size === undefined || m === undefined) return undefined;
  if (digest === undefined || !HEX64.test(digest) || recordedAt === undefined || (storage !== 'inline' && storage !== 'object')) return undefined;
  const labels: Record<string, string> = {};
  for (const k in m) {
    const v = m[k]!.S;
    if (v === undefined) return undefined;
    labels[k] = v;
  }
  const f: Record<string, unknown> = { pk, sk, revision, status, digest, size, labels };
  for (const k of OPTIONAL_TEXT) {
    const a = item[k];
    if (a === undefined) continue;
    if (a.S === undefined) return undefined;
    f[k] = a.S;
  }
  f.recordedAt = recordedAt;
  f.storage = storage;
  for (const k of ['record', 'objectKey'] as const) {
    const a = item[k];
    if (a === undefined) continue;
    if (a.S === undefined) return undefined;
    f[k] = a.S;
  }
  return f as RevisionFields;
}

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
  const key = { pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' };
  let f = revisionFieldsFast(item);
  if (!f) {
    const parsed = RevisionFieldsSchema.safeParse(fromItem(item));
    if (!parsed.success) throw new AuditItemCorrupt(table, key, issueLines(parsed.error).join('; '), { cause: parsed.error });
    f = parsed.data;
  }
  const ref = parseRef(f.pk);
  if (!ref || f.sk !== revisionSk(f.revision)) throw new AuditItemCorrupt(table, key, 'its keys do not match its revision');
  if (f.storage === 'inline' ? opts.body && f.record === undefined : f.objectKey === undefined) {
    throw new AuditItemCorrupt(table, key, `storage is ${f.storage} but the ${f.storage === 'inline' ? 'record' : 'objectKey'} attribute is missing`);
  }
  const { pk: _pk, sk: _sk, record, ...rest } = f;
  return { summary: { ref, ...rest }, ...(record === undefined ? {} : { record }) };
}
