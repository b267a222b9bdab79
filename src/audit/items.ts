/**
 * Audit items ↔ DynamoDB attribute values. Pure.
 *
 * An event item holds the event's own fields as native attributes (so index keys and filters
 * see them) plus attributes derived from them (pk, sk, actorKey, dayKey, timeKey, idemKey).
 * Reading an event takes every non-derived attribute back, so any attribute added to, removed
 * from or changed in the item changes what the hash is computed over.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

import { AuditItemCorrupt } from './errors.ts';
import { AuditEventSchema, idempotencyKey, issueLines, type AuditEvent } from './events.ts';
import { derivedEventKeys } from './keys.ts';

export type Item = Record<string, AttributeValue>;

/** JSON-like value → attribute value. Numbers must be finite; undefined members are dropped. */
export function toAttr(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'boolean') return { BOOL: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value}`);
    return { N: String(value) };
  }
  if (Array.isArray(value)) return { L: value.map((v: unknown) => toAttr(v)) };
  if (typeof value === 'object') return { M: toItem(value as Record<string, unknown>) };
  throw new TypeError(`cannot store a ${typeof value}`);
}

export function toItem(obj: Readonly<Record<string, unknown>>): Item {
  const item: Item = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) item[k] = toAttr(v);
  return item;
}

/** Attribute value → JSON-like value. Sets and binaries (never written here) come back tagged, so they still alter a hash. */
export function fromAttr(a: AttributeValue): unknown {
  if (a.S !== undefined) return a.S;
  if (a.N !== undefined) return Number(a.N);
  if (a.BOOL !== undefined) return a.BOOL;
  if (a.NULL !== undefined) return null;
  if (a.M !== undefined) return fromItem(a.M);
  if (a.L !== undefined) return a.L.map((v) => fromAttr(v));
  if (a.SS !== undefined) return { $SS: a.SS };
  if (a.NS !== undefined) return { $NS: a.NS };
  if (a.B !== undefined) return { $B: Buffer.from(a.B).toString('base64') };
  if (a.BS !== undefined) return { $BS: a.BS.map((b) => Buffer.from(b).toString('base64')) };
  return { $unknown: true };
}

export function fromItem(item: Item): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) obj[k] = fromAttr(v);
  return obj;
}

const DERIVED = ['pk', 'sk', 'actorKey', 'dayKey', 'timeKey', 'idemKey'] as const;

export function eventToItem(event: AuditEvent): Item {
  return toItem({ ...event, ...derivedEventKeys({ ...event, idemKey: idempotencyKey(event) }) });
}

/** What an event item holds, split into the event's fields and the derived attributes. */
export interface RawEventItem {
  readonly pk: string;
  readonly sk: string;
  /** Every attribute that is not derived, as read: the hash input. */
  readonly fields: Record<string, unknown>;
  /** Names of derived attributes (other than sk) that do not match the fields. */
  readonly inconsistent: readonly string[];
}

function attrString(item: Item, name: string): string {
  return item[name]?.S ?? '';
}

/**
 * Splits an event item. The sort key is not checked against `seq`: an item stored under another
 * event's key is a reordering, which the chain reports as such.
 */
export function readEventItem(item: Item): RawEventItem {
  const all = fromItem(item);
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) if (!(DERIVED as readonly string[]).includes(k)) fields[k] = v;
  const inconsistent: string[] = [];
  const parsed = AuditEventSchema.safeParse(fields);
  if (parsed.success) {
    const want = derivedEventKeys({ ...parsed.data, idemKey: idempotencyKey(parsed.data) });
    for (const name of DERIVED) {
      if (name !== 'sk' && attrString(item, name) !== want[name]) inconsistent.push(name);
    }
  }
  return { pk: attrString(item, 'pk'), sk: attrString(item, 'sk'), fields, inconsistent };
}

/** An event item as a typed event; throws AuditItemCorrupt when it does not match the schema or its keys. */
export function itemToEvent(item: Item, table: string): AuditEvent {
  const raw = readEventItem(item);
  const parsed = AuditEventSchema.safeParse(raw.fields);
  if (!parsed.success) throw new AuditItemCorrupt(table, raw, issueLines(parsed.error).join('; '), { cause: parsed.error });
  if (raw.inconsistent.length > 0) {
    throw new AuditItemCorrupt(table, raw, `${raw.inconsistent.join(', ')} do not match the event's fields`);
  }
  return parsed.data;
}

/**
 * DynamoDB's size of an item: attribute names plus values (strings as UTF-8, numbers at most
 * 21 bytes, 3 bytes of overhead per map, list and element, 1 per boolean or null). Rounded up
 * where DynamoDB's own rule is finer, so the estimate never falls short.
 */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [k, v] of Object.entries(item)) size += Buffer.byteLength(k, 'utf8') + attrSize(v);
  return size;
}

function attrSize(a: AttributeValue): number {
  if (a.S !== undefined) return Buffer.byteLength(a.S, 'utf8');
  if (a.N !== undefined) return 21;
  if (a.BOOL !== undefined || a.NULL !== undefined) return 1;
  if (a.B !== undefined) return a.B.length;
  if (a.M !== undefined) return 3 + Object.entries(a.M).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k, 'utf8') + attrSize(v), 0);
  if (a.L !== undefined) return 3 + a.L.reduce((n, v) => n + 1 + attrSize(v), 0);
  if (a.SS !== undefined) return a.SS.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
  if (a.NS !== undefined) return a.NS.length * 21;
  if (a.BS !== undefined) return a.BS.reduce((n, b) => n + b.length, 0);
  return 0;
}
