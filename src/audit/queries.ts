/**
 * Reading the audit log: by release (revisions, events), by time across releases (byTime, one
 * Query per UTC day), by actor (byActor), optionally filtered by outcome; and verify, which
 * checks a release's hash chain. Queries only, never a Scan.
 *
 * Pages end at `limit` items; `cursor` (opaque: base64url JSON of DynamoDB's LastEvaluatedKey,
 * the day being read, and a fingerprint of the query) continues where the previous page ended.
 * A page may hold fewer than `limit` items and still have a cursor (DynamoDB stops at its own
 * page size); the end is when no cursor comes back.
 */
import type { DynamoDBClient, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';

import type { DynamoQuery } from '../aws/dynamodb-json.ts';
import { AuditItemCorrupt, InvalidAuditQuery, InvalidCursor, missingRevisionIndex } from './errors.ts';
import {
  ActorSchema,
  AuditRefSchema,
  OutcomeSchema,
  canonicalJson,
  sha256Hex,
  verifyChain,
  type AuditEvent,
  type AuditRef,
  type ChainVerdict,
  type Outcome,
} from './events.ts';
import { itemToEvent, readEventItem, type Item } from './items.ts';
import { EVENT_PREFIX, KEYS, actorKey, releasePk, utcDays } from './keys.ts';
import { parseRevisionItem, type RevisionSummary } from './revisions.ts';
import { issueLines } from './zod.ts';

export interface Page<T> {
  readonly items: T[];
  /**
   * Items of this page that do not decode (changed outside the service), left out of `items`;
   * each names its key. Run verify on their releases.
   */
  readonly corrupt?: AuditItemCorrupt[];
  /** Pass it back for the next page; absent on the last page. */
  readonly cursor?: string;
}

export interface PageOptions {
  /** Items per page, 1–1000 (default 100). */
  readonly limit?: number;
  readonly cursor?: string;
  /** Oldest first (default) or newest first. */
  readonly order?: 'asc' | 'desc';
}

export interface EventFilter {
  /** Only events with this outcome (or any of these). A filter: pages may come back short. */
  readonly outcome?: Outcome | readonly Outcome[];
}

export interface TimeRange {
  /** Inclusive. */
  readonly from: Date;
  /** Exclusive. */
  readonly to: Date;
}

export interface AuditQueriesOptions {
  /**
   * The AWS SDK's client (Lambdas, the service), or a DynamoQuery such as the light
   * DynamoJsonClient a CLI process reads with (no SDK to load).
   */
  readonly client: DynamoDBClient | DynamoQuery;
  readonly tableName: string;
}

/** The SDK's client as a DynamoQuery; the SDK's Query command loads on the first query (a CLI with a DynamoJsonClient never loads it). */
function sdkQuery(client: DynamoDBClient): DynamoQuery {
  return {
    query: async (input) => {
      const { QueryCommand } = await import('@aws-sdk/client-dynamodb');
      return client.send(new QueryCommand(input));
    },
  };
}

const MAX_LIMIT = 1000;
// With a filter, DynamoDB's Limit counts items before filtering: read in larger pages.
const FILTERED_READ = 200;

const CursorSchema = z.strictObject({
  v: z.literal(1),
  q: z.string(),
  d: z.optional(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/))),
  // Key attributes: strings, and byRevision's number sort key.
  k: z.optional(z.record(z.string(), z.union([z.strictObject({ S: z.string() }), z.strictObject({ N: z.string().check(z.regex(/^\d{1,10}$/)) })]))),
});
type Cursor = z.infer<typeof CursorSchema>;

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeCursor(query: string, fingerprint: string, cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (e) {
    throw new InvalidCursor(query, 'it is not a cursor this service wrote', { cause: e });
  }
  const parsed = CursorSchema.safeParse(value);
  if (!parsed.success) throw new InvalidCursor(query, 'it is not a cursor this service wrote', { cause: parsed.error });
  if (parsed.data.q !== fingerprint) throw new InvalidCursor(query, 'it belongs to a query with other arguments');
  return parsed.data;
}

function fingerprintOf(args: unknown): string {
  return sha256Hex(canonicalJson(args)).slice(0, 16);
}

function pageLimit(query: string, limit: number | undefined): number {
  const n = limit ?? 100;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidAuditQuery(query, `limit must be an integer from 1 to ${MAX_LIMIT}, got ${n}`);
  return n;
}

function outcomes(query: string, o: EventFilter['outcome']): Outcome[] | undefined {
  if (o === undefined) return undefined;
  const list = [...(typeof o === 'string' ? [o] : o)];
  for (const x of list) {
    if (!OutcomeSchema.safeParse(x).success) throw new InvalidAuditQuery(query, `unknown outcome ${JSON.stringify(x)}`);
  }
  return list.length > 0 ? list : undefined;
}

function outcomeFilter(list: Outcome[] | undefined): Partial<QueryCommandInput> {
  if (!list) return {};
  const names = list.map((_, i) => `:o${i}`);
  return {
    FilterExpression: `#outcome IN (${names.join(', ')})`,
    ExpressionAttributeNames: { '#outcome': 'outcome' },
    ExpressionAttributeValues: Object.fromEntries(list.map((o, i) => [names[i]!, { S: o }])),
  };
}

/** Merges query parts (attribute values and names from several sources). */
function mergeInput(a: QueryCommandInput, b: Partial<QueryCommandInput>): QueryCommandInput {
  return {
    ...a,
    ...b,
    ExpressionAttributeValues: { ...a.ExpressionAttributeValues, ...b.ExpressionAttributeValues },
    ...(a.ExpressionAttributeNames || b.ExpressionAttributeNames
      ? { ExpressionAttributeNames: { ...a.ExpressionAttributeNames, ...b.ExpressionAttributeNames } }
      : {}),
  };
}

function checkRange(query: string, r: Partial<TimeRange>): void {
  for (const [name, d] of [['from', r.from], ['to', r.to]] as const) {
    if (d !== undefined && (!(d instanceof Date) || Number.isNaN(d.getTime()))) throw new InvalidAuditQuery(query, `${name} is not a valid date`);
  }
  if (r.from && r.to && r.to.getTime() <= r.from.getTime()) {
    throw new InvalidAuditQuery(query, `to (${r.to.toISOString()}) must be after from (${r.from.toISOString()})`);
  }
}

interface Collected {
  readonly items: Item[];
  /** Where to continue; undefined when the query is exhausted. */
  readonly next?: Item;
}

export class AuditQueries {
  readonly tableName: string;
  private readonly client: DynamoQuery;

  constructor(opts: AuditQueriesOptions) {
    this.client = 'send' in opts.client ? sdkQuery(opts.client) : opts.client;
    this.tableName = opts.tableName;
  }

  /** A release's events in chain order (seq), newest first with order 'desc'. */
  async releaseEvents(ref: AuditRef, opts: PageOptions & EventFilter = {}): Promise<Page<AuditEvent>> {
    const q = 'releaseEvents';
    const r = this.ref(q, ref);
    const list = outcomes(q, opts.outcome);
    const limit = pageLimit(q, opts.limit);
    const fp = fingerprintOf([q, r, list ?? null, opts.order ?? 'asc']);
    const cursor = decodeCursor(q, fp, opts.cursor);
    const input = mergeInput(
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: releasePk(r) }, ':prefix': { S: EVENT_PREFIX } },
        ScanIndexForward: opts.order !== 'desc',
        ConsistentRead: true,
      },
      outcomeFilter(list),
    );
    const got = await this.collect(input, [KEYS.partitionKey, KEYS.sortKey], limit, cursor?.k, list !== undefined);
    return this.page(got.items, this.event, got.next && { v: 1, q: fp, k: keyOf(got.next) });
  }

  /**
   * A release's recorded revisions in revision order, without their bodies (AuditStore.getRevision
   * reads one). Reads the index byRevision, which holds the summaries only: 1,000 of them are one
   * request of ~0.5 MB where the base table, whose 1 MB page counts the bodies, takes a request
   * per MB of records (29 for 29 KB each).
   *
   * Index reads are eventually consistent (a GSI offers nothing else): a revision written a moment
   * ago may be missing from the listing for a moment, never wrong in it, since revision items are
   * never updated or deleted. That suits a listing, and the reconciler, which plans from it, only
   * retries the copy of such a revision, which its conditional put then skips. Whatever must see
   * the newest write reads the base table (getRevision).
   */
  async releaseRevisions(ref: AuditRef, opts: PageOptions = {}): Promise<Page<RevisionSummary>> {
    const q = 'releaseRevisions';
    const r = this.ref(q, ref);
    const limit = pageLimit(q, opts.limit);
    const index = KEYS.byRevision;
    // The index in the fingerprint: a cursor of the base-table listing (other key attributes) is refused as such.
    const fp = fingerprintOf([q, index.indexName, r, opts.order ?? 'asc']);
    const cursor = decodeCursor(q, fp, opts.cursor);
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: index.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': { S: releasePk(r) } },
      Select: 'ALL_PROJECTED_ATTRIBUTES',
      ScanIndexForward: opts.order !== 'desc',
    };
    let got: Collected;
    try {
      got = await this.collect(input, indexKeyNames(index), limit, cursor?.k, false);
    } catch (e) {
      if (isMissingIndex(e, index.indexName)) throw missingRevisionIndex(this.tableName, { cause: e });
      throw e;
    }
    return this.page(
      got.items,
      (i) => parseRevisionItem(i, this.tableName, { body: false }).summary,
      got.next && { v: 1, q: fp, k: keyOf(got.next) },
    );
  }

  /** Events of every release in [from, to), in time order: one byTime Query per UTC day. */
  async eventsByTime(range: TimeRange & PageOptions & EventFilter): Promise<Page<AuditEvent>> {
    const q = 'eventsByTime';
    checkRange(q, range);
    const list = outcomes(q, range.outcome);
    const limit = pageLimit(q, range.limit);
    const desc = range.order === 'desc';
    const from = range.from.toISOString();
    const to = range.to.toISOString();
    const fp = fingerprintOf([q, from, to, list ?? null, desc]);
    const cursor = decodeCursor(q, fp, range.cursor);
    // `to` is exclusive: its own day holds nothing before it when it is midnight.
    const days = utcDays(range.from, new Date(range.to.getTime() - 1));
    if (desc) days.reverse();
    let i = 0;
    if (cursor?.d !== undefined) {
      i = days.indexOf(cursor.d);
      if (i < 0) throw new InvalidCursor(q, `its day ${cursor.d} is outside the range`);
    }
    const items: Item[] = [];
    let start = cursor?.k;
    for (; i < days.length; i++) {
      const remaining = limit - items.length;
      if (remaining === 0) return this.page(items, this.event, { v: 1, q: fp, d: days[i]! });
      const input = mergeInput(
        {
          TableName: this.tableName,
          IndexName: KEYS.byTime.indexName,
          // timeKey is `<iso>#…`: `<iso>#…` ≥ from for events at from, and > to for events at to.
          KeyConditionExpression: '#day = :day AND #time BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#day': KEYS.byTime.partitionKey, '#time': KEYS.byTime.sortKey },
          ExpressionAttributeValues: { ':day': { S: `day#${days[i]!}` }, ':from': { S: from }, ':to': { S: to } },
          ScanIndexForward: !desc,
        },
        outcomeFilter(list),
      );
      const got = await this.collect(input, indexKeyNames(KEYS.byTime), remaining, start, list !== undefined);
      items.push(...got.items);
      if (got.next) return this.page(items, this.event, { v: 1, q: fp, d: days[i]!, k: keyOf(got.next) });
      start = undefined;
    }
    return this.page(items, this.event, undefined);
  }

  /** Everything one actor did (optionally within [from, to)), in time order, across releases. */
  async eventsByActor(actor: string, opts: Partial<TimeRange> & PageOptions & EventFilter = {}): Promise<Page<AuditEvent>> {
    const q = 'eventsByActor';
    const a = ActorSchema.safeParse(actor);
    if (!a.success) throw new InvalidAuditQuery(q, `actor: ${issueLines(a.error).join('; ')}`);
    checkRange(q, opts);
    const list = outcomes(q, opts.outcome);
    const limit = pageLimit(q, opts.limit);
    // Bounds below and above every ISO time when a side is open.
    const from = opts.from?.toISOString() ?? '0000';
    const to = opts.to?.toISOString() ?? '9999~';
    const fp = fingerprintOf([q, actor, from, to, list ?? null, opts.order ?? 'asc']);
    const cursor = decodeCursor(q, fp, opts.cursor);
    const input = mergeInput(
      {
        TableName: this.tableName,
        IndexName: KEYS.byActor.indexName,
        KeyConditionExpression: '#actor = :actor AND #time BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#actor': KEYS.byActor.partitionKey, '#time': KEYS.byActor.sortKey },
        ExpressionAttributeValues: { ':actor': { S: actorKey(actor) }, ':from': { S: from }, ':to': { S: to } },
        ScanIndexForward: opts.order !== 'desc',
      },
      outcomeFilter(list),
    );
    const got = await this.collect(input, indexKeyNames(KEYS.byActor), limit, cursor?.k, list !== undefined);
    return this.page(got.items, this.event, got.next && { v: 1, q: fp, k: keyOf(got.next) });
  }

  /**
   * Reads a release's whole event log (consistent reads) and checks its hash chain, plus that
   * each item's key and index attributes match its event (a changed actorKey would hide an event
   * from the actor query without touching the event). `expectHead`: a trusted newest seq and hash.
   */
  async verify(ref: AuditRef, opts: { expectHead?: { seq: number; hash: string } } = {}): Promise<ChainVerdict> {
    const r = this.ref('verify', ref);
    const raws = [];
    let start: Item | undefined;
    do {
      const out = await this.client.query({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: releasePk(r) }, ':prefix': { S: EVENT_PREFIX } },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const item of out.Items ?? []) raws.push(readEventItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
    const verdict = verifyChain(raws.map((x) => x.fields), opts);
    const firstInconsistent = raws.findIndex((x) => x.inconsistent.length > 0);
    if (firstInconsistent >= 0 && (verdict.ok || firstInconsistent < verdict.index)) {
      const seq = firstInconsistent + 1;
      return {
        ok: false,
        seq,
        index: firstInconsistent,
        reason: 'altered',
        message: `event ${seq}'s item attributes ${raws[firstInconsistent]!.inconsistent.join(', ')} do not match its content`,
      };
    }
    return verdict;
  }

  private ref(query: string, ref: AuditRef): AuditRef {
    const parsed = AuditRefSchema.safeParse(ref);
    if (!parsed.success) throw new InvalidAuditQuery(query, issueLines(parsed.error).map((l) => `release.${l}`).join('; '));
    return parsed.data;
  }

  private readonly event = (item: Item): AuditEvent => itemToEvent(item, this.tableName);

  /** Decodes a page; items that do not decode are reported beside it, not thrown, so one tampered item cannot hide the rest. */
  private page<T>(raw: Item[], decode: (item: Item) => T, cursor: Cursor | undefined): Page<T> {
    const items: T[] = [];
    const corrupt: AuditItemCorrupt[] = [];
    for (const item of raw) {
      try {
        items.push(decode(item));
      } catch (e) {
        if (!(e instanceof AuditItemCorrupt)) throw e;
        corrupt.push(e);
      }
    }
    return { items, ...(corrupt.length > 0 ? { corrupt } : {}), ...(cursor ? { cursor: encodeCursor(cursor) } : {}) };
  }

  /**
   * Runs a query until `limit` items or the end. Each request asks for one item more than is
   * missing (with a filter, more still): when that item comes, the page is cut before it and
   * resumes after its last item (whose key attributes are the key); when it does not, the query is
   * over, and a page that ends with the data says so without a request that finds nothing (DynamoDB
   * returns a LastEvaluatedKey whenever Limit is reached, even at the end). Otherwise DynamoDB's
   * LastEvaluatedKey (its 1 MB page was full) is the resume point.
   */
  private async collect(input: QueryCommandInput, keyNames: readonly string[], limit: number, start: Item | undefined, filtered: boolean): Promise<Collected> {
    const items: Item[] = [];
    let from = start;
    for (;;) {
      const remaining = limit - items.length;
      const out = await this.client.query({
        ...input,
        Limit: filtered ? Math.max(remaining + 1, FILTERED_READ) : remaining + 1,
        ...(from ? { ExclusiveStartKey: from } : {}),
      });
      const got = out.Items ?? [];
      if (got.length > remaining) {
        items.push(...got.slice(0, remaining));
        return { items, next: pick(items.at(-1)!, keyNames, this.tableName) };
      }
      items.push(...got);
      from = out.LastEvaluatedKey;
      if (!from) return { items };
      if (items.length === limit) return { items, next: from };
    }
  }
}

function indexKeyNames(index: { partitionKey: string; sortKey: string }): string[] {
  return [KEYS.partitionKey, KEYS.sortKey, index.partitionKey, index.sortKey];
}

function pick(item: Item, names: readonly string[], table: string): Item {
  const key: Item = {};
  for (const n of names) {
    const v = item[n];
    if (v?.S === undefined && v?.N === undefined) throw new AuditItemCorrupt(table, { pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' }, `key attribute ${n} is missing`);
    key[n] = v;
  }
  return key;
}

function keyOf(item: Item): Record<string, { S: string } | { N: string }> {
  const key: Record<string, { S: string } | { N: string }> = {};
  for (const [k, v] of Object.entries(item)) key[k] = v.N !== undefined ? { N: v.N } : { S: v.S ?? '' };
  return key;
}

/** DynamoDB's (and dynalite's) answer to a Query on an index the table does not have. */
function isMissingIndex(e: unknown, indexName: string): boolean {
  return e instanceof Error && e.name === 'ValidationException' && e.message.includes('does not have the specified index') && e.message.includes(indexName);
}
