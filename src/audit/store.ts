/**
 * The append-only audit log over DynamoDB. Every write is one PutItem with
 * `attribute_not_exists(pk)`: no transactions, no updates, no deletes.
 *
 * Appending event N of a release is a race for the key `event#N`: of two writers that read the
 * same head, one put succeeds and the other fails its condition, re-reads and tries N+1. Each
 * success therefore extends the head its writer read, and the chain stays gap-free.
 *
 * Idempotency (a retried Lambda must not log twice) without transactions: before its event, an
 * append claims `idem#<key>` (key = executionId + step + outcome), recording the lowest seq its
 * event can get (`floorSeq`, the head + 1 it saw). A later append with the same key finds the
 * claim and looks for the event among events from floorSeq on; if the first writer died between
 * claim and event, it writes the event itself. Before every event put a writer has read all
 * events from floorSeq to the seq it puts and found no twin, so two appends of one key can never
 * both land.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

import { decodeRelease, encodeRelease } from '../release/codec.ts';
import type { Labels, Release } from '../release/record.ts';
import {
  AuditAppendContention,
  AuditDigestMismatch,
  AuditItemCorrupt,
  AuditObjectStoreMissing,
  AuditRecordTooLarge,
  AuditRefMismatch,
  InvalidAuditEvent,
} from './errors.ts';
import {
  AuditEventInputSchema,
  AuditRefSchema,
  idempotencyKey,
  issueLines,
  sealEvent,
  sha256Hex,
  type AuditEvent,
  type AuditEventInput,
  type AuditRef,
} from './events.ts';
import { eventToItem, itemSize, itemToEvent, type Item } from './items.ts';
import { EVENT_PREFIX, EVENT_SK_MAX, eventSk, idemSk, releasePk, revisionSk } from './keys.ts';
import { recordObjectKey, type ObjectStore } from './objects.ts';
import {
  INLINE_LIMIT_BYTES,
  encodeBody,
  fitsInline,
  parseRevisionItem,
  revisionItem,
  withObject,
  type RevisionSummary,
} from './revisions.ts';

export interface AuditStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Where bodies too large for an item go; without it such a record is refused. */
  readonly objects?: ObjectStore;
  /** Clock for events without a time and for `recordedAt`. */
  readonly now?: () => Date;
  /** Attempts of an append before AuditAppendContention (default 16). */
  readonly maxAttempts?: number;
  /** Wait before attempt `n` (n ≥ 2) after losing a race; default: random 0–(5·2^n) ms, at most 250. */
  readonly backoff?: (attempt: number) => Promise<void>;
  /** Largest item that keeps its record inline (default 350 KB). */
  readonly inlineLimit?: number;
}

export interface AppendResult {
  readonly event: AuditEvent;
  /** False when an event with the same idempotency key was already in the log (it is returned). */
  readonly appended: boolean;
}

export interface PutRevisionResult {
  /** False when the revision was already recorded; the first copy stays. */
  readonly written: boolean;
  /** Digest of the stored copy (the existing one when not written). */
  readonly digest: string;
  /** Whether the stored copy is this record, byte for byte. */
  readonly sameContent: boolean;
  readonly storage: 'inline' | 'object';
}

export interface StoredRevision extends RevisionSummary {
  readonly release: Release;
  /** The encoded record text, verified against `digest`. */
  readonly text: string;
}

function isConditionFailure(e: unknown): boolean {
  return e instanceof ConditionalCheckFailedException || (e instanceof Error && e.name === 'ConditionalCheckFailedException');
}

const defaultBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(250, 5 * 2 ** attempt)));

function checkRef(ref: AuditRef): AuditRef {
  const parsed = AuditRefSchema.safeParse(ref);
  if (!parsed.success) throw new InvalidAuditEvent(issueLines(parsed.error).map((l) => `release.${l}`), { cause: parsed.error });
  return parsed.data;
}

interface Claim {
  readonly floor: number;
  /** True when this call made the claim (false: an earlier append of the same key did). */
  readonly fresh: boolean;
  /** The head read just before a claim this call made. */
  readonly head?: AuditEvent | undefined;
}

export class AuditStore {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly objects: ObjectStore | undefined;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private readonly inlineLimit: number;

  constructor(opts: AuditStoreOptions) {
    this.client = opts.client;
    this.tableName = opts.tableName;
    this.objects = opts.objects;
    this.now = opts.now ?? (() => new Date());
    this.maxAttempts = opts.maxAttempts ?? 16;
    this.backoff = opts.backoff ?? defaultBackoff;
    this.inlineLimit = opts.inlineLimit ?? INLINE_LIMIT_BYTES;
  }

  /**
   * Appends an event to its release's chain, or returns the event already logged under the
   * same idempotency key (executionId + step + outcome; the first write's content stays).
   * Throws InvalidAuditEvent before any write, AuditAppendContention after maxAttempts lost races.
   */
  async append(input: AuditEventInput): Promise<AppendResult> {
    const parsed = AuditEventInputSchema.safeParse(input);
    if (!parsed.success) throw new InvalidAuditEvent(issueLines(parsed.error), { cause: parsed.error });
    const base = { ...parsed.data, time: parsed.data.time ?? this.now().toISOString() };
    const ref = base.release;
    const key = idempotencyKey(base);
    const claim = await this.claim(base, key);

    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backoff(attempt);
      let head: AuditEvent | undefined;
      if (attempt === 1 && claim.fresh) {
        // No twin can have landed: twins only write after seeing this claim, and this put races them.
        head = claim.head;
      } else {
        const since = await this.eventsFrom(ref, claim.floor);
        const twin = since.find((e) => idempotencyKey(e) === key);
        if (twin) return { event: twin, appended: false };
        head = since.at(-1) ?? (claim.floor > 1 ? await this.eventAt(ref, claim.floor - 1) : undefined);
      }
      const event = sealEvent(base, head);
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: eventToItem(event),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return { event, appended: true };
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    }
    throw new AuditAppendContention(ref, this.maxAttempts);
  }

  /** The newest event of a release. */
  async head(ref: AuditRef): Promise<AuditEvent | undefined> {
    const r = checkRef(ref);
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
        ExpressionAttributeValues: { ':pk': { S: releasePk(r) }, ':event': { S: EVENT_PREFIX } },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? itemToEvent(item, this.tableName) : undefined;
  }

  private async claim(base: AuditEventInput & { time: string }, key: string): Promise<Claim> {
    const ref = base.release;
    const pk = releasePk(ref);
    const head = await this.head(ref);
    const floor = (head?.seq ?? 0) + 1;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: pk },
            sk: { S: idemSk(key) },
            floorSeq: { N: String(floor) },
            executionId: { S: base.executionId },
            step: { S: base.step },
            outcome: { S: base.outcome },
            time: { S: base.time },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { floor, head, fresh: true };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    const found = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: pk }, sk: { S: idemSk(key) } }, ConsistentRead: true }),
    );
    const floorSeq = Number(found.Item?.floorSeq?.N);
    if (!Number.isInteger(floorSeq) || floorSeq < 1) {
      throw new AuditItemCorrupt(this.tableName, { pk, sk: idemSk(key) }, 'the idempotency claim has no valid floorSeq');
    }
    return { floor: floorSeq, fresh: false };
  }

  /** Every event from `seq` on, oldest first (consistent reads, all pages). */
  private async eventsFrom(ref: AuditRef, seq: number): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let start: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': { S: releasePk(ref) }, ':from': { S: eventSk(seq) }, ':to': { S: EVENT_SK_MAX } },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) events.push(itemToEvent(item, this.tableName));
      start = out.LastEvaluatedKey;
    } while (start);
    return events;
  }

  private async eventAt(ref: AuditRef, seq: number): Promise<AuditEvent> {
    const pk = releasePk(ref);
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: pk }, sk: { S: eventSk(seq) } }, ConsistentRead: true }),
    );
    if (!out.Item) throw new AuditItemCorrupt(this.tableName, { pk, sk: eventSk(seq) }, `event ${seq} is missing though a later append saw it`);
    return itemToEvent(out.Item, this.tableName);
  }

  /**
   * Records a copy of a revision's record (helm's encoding) with its custom labels. Idempotent:
   * the first copy of a revision stays; a later call reports whether it held the same bytes
   * (a record helm later marks superseded differs, and the events tell that story).
   */
  async putRevision(ref: AuditRef, release: Release, labels: Labels = {}): Promise<PutRevisionResult> {
    const r = checkRef(ref);
    if (release.name !== r.name || (release.namespace !== undefined && release.namespace !== '' && release.namespace !== r.namespace)) {
      throw new AuditRefMismatch(r, release);
    }
    const body = encodeBody(encodeRelease(release));
    let item = revisionItem(r, release, labels, body, this.now().toISOString());
    let storage: 'inline' | 'object' = 'inline';
    if (!fitsInline(item, this.inlineLimit)) {
      if (!this.objects) throw new AuditRecordTooLarge(r, release.version, itemSize(item), this.inlineLimit);
      // The object goes first: an item never points at an object that is not there.
      const key = recordObjectKey(body.digest);
      const digest = await this.objects.put(key, Buffer.from(body.text, 'utf8'));
      if (digest !== body.digest) throw new AuditDigestMismatch(r, release.version, body.digest, digest, `object ${key}`);
      item = withObject(item, key);
      storage = 'object';
    }
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return { written: true, digest: body.digest, sameContent: true, storage };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    const existing = await this.revisionItem(r, release.version);
    if (!existing) throw new AuditItemCorrupt(this.tableName, { pk: releasePk(r), sk: revisionSk(release.version) }, 'the item vanished after its put failed its condition');
    const { summary } = parseRevisionItem(existing, this.tableName);
    return { written: false, digest: summary.digest, sameContent: summary.digest === body.digest, storage: summary.storage };
  }

  /** A recorded revision with its record decoded, body checked against its digest; undefined if none. */
  async getRevision(ref: AuditRef, revision: number): Promise<StoredRevision | undefined> {
    const r = checkRef(ref);
    const item = await this.revisionItem(r, revision);
    if (!item) return undefined;
    const { summary, record } = parseRevisionItem(item, this.tableName);
    let text: string;
    let where: string;
    if (summary.storage === 'inline') {
      text = record!;
      where = `the table item ${revisionSk(revision)}`;
    } else {
      if (!this.objects) throw new AuditObjectStoreMissing(r, revision, summary.objectKey!);
      text = Buffer.from(await this.objects.get(summary.objectKey!)).toString('utf8');
      where = `object ${summary.objectKey!}`;
    }
    const digest = sha256Hex(text);
    if (digest !== summary.digest) throw new AuditDigestMismatch(r, revision, summary.digest, digest, where);
    return { ...summary, release: decodeRelease(text), text };
  }

  private async revisionItem(ref: AuditRef, revision: number): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: releasePk(ref) }, sk: { S: revisionSk(revision) } },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }
}
