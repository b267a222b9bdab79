/**
 * The release lease: one DynamoDB item per release (`pk = lease#<cluster>/<ns>/<name>`) that an
 * execution holds while it works on the release, besides helm's pending record. Conditional
 * writes only (no transactions):
 *
 *   acquire  PutItem if the item is absent, expired, or already this owner's (a retried
 *            ValidateLock, or a re-run of the same execution, gets it again);
 *   renew    UpdateItem of the expiry, only while the owner still holds it (every step);
 *   release  DeleteItem only while the owner holds it (Finalize, ReleaseLease);
 *   takeOver PutItem for `unlock`, only when the lease has expired (or forced).
 *
 * So two executions never interleave on one release, and a dead execution's lease expires.
 * The decisions are pure functions (tested as a table); the DynamoDB conditions say the same.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ResourceInUseException,
  UpdateItemCommand,
  waitUntilTableExists,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { LeaseHeld, LeaseLost, LeaseNotExpired, LeaseStoreFailed, LeaseStoreUnavailable, type LeaseRef } from './errors.ts';

export interface Lease {
  readonly owner: string;
  readonly expiresAt: Date;
  readonly acquiredAt: Date;
}

export function leaseKey(ref: LeaseRef): string {
  return `lease#${ref.cluster}/${ref.namespace}/${ref.name}`;
}

// ---------------------------------------------------------------------------------------------
// Pure decisions

export type AcquireDecision = 'free' | 'ours' | 'expired' | 'held';

/** Whether `owner` may take the lease now. An expiry equal to now counts as expired. */
export function decideAcquire(current: Lease | undefined, owner: string, now: Date): AcquireDecision {
  if (!current) return 'free';
  if (current.owner === owner) return 'ours';
  if (current.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'held';
}

/** A lease is renewed only by its owner; an expired lease nobody took over is still the owner's. */
export function decideRenew(current: Lease | undefined, owner: string): 'ours' | 'lost' {
  return current?.owner === owner ? 'ours' : 'lost';
}

export function decideRelease(current: Lease | undefined, owner: string): 'release' | 'absent' | 'not-ours' {
  if (!current) return 'absent';
  return current.owner === owner ? 'release' : 'not-ours';
}

/** unlock takes over only an absent or expired lease, unless forced. */
export function decideTakeOver(current: Lease | undefined, now: Date, force: boolean): 'free' | 'expired' | 'forced' | 'held' {
  if (!current) return 'free';
  if (current.expiresAt.getTime() <= now.getTime()) return 'expired';
  return force ? 'forced' : 'held';
}

// ---------------------------------------------------------------------------------------------
// The store

export interface Grant {
  readonly lease: Lease;
  /** The expired lease of another execution this acquire replaced. */
  readonly tookOver?: Lease;
}

export interface LeaseStore {
  /** Throws LeaseHeld. */
  acquire(ref: LeaseRef, owner: string, now: Date, ttlMs: number): Promise<Grant>;
  /** Throws LeaseLost. */
  renew(ref: LeaseRef, owner: string, now: Date, ttlMs: number): Promise<Lease>;
  /** False when the lease is another owner's (it is left alone). */
  release(ref: LeaseRef, owner: string): Promise<boolean>;
  /** For unlock: the lease becomes `by`'s. Throws LeaseNotExpired. Returns what it replaced. */
  takeOver(ref: LeaseRef, by: string, now: Date, ttlMs: number, force: boolean): Promise<Lease | undefined>;
  read(ref: LeaseRef): Promise<Lease | undefined>;
}

/** In memory, with the same decisions: unit tests and single-process use. */
export class MemoryLeaseStore implements LeaseStore {
  readonly items = new Map<string, Lease>();

  acquire(ref: LeaseRef, owner: string, now: Date, ttlMs: number): Promise<Grant> {
    return later(() => {
      const current = this.items.get(leaseKey(ref));
      const decision = decideAcquire(current, owner, now);
      if (decision === 'held' && current) throw new LeaseHeld(ref, current.owner, current.expiresAt);
      const lease = { owner, expiresAt: new Date(now.getTime() + ttlMs), acquiredAt: decision === 'ours' && current ? current.acquiredAt : now };
      this.items.set(leaseKey(ref), lease);
      return decision === 'expired' && current ? { lease, tookOver: current } : { lease };
    });
  }

  renew(ref: LeaseRef, owner: string, now: Date, ttlMs: number): Promise<Lease> {
    return later(() => {
      const current = this.items.get(leaseKey(ref));
      if (decideRenew(current, owner) === 'lost' || !current) throw new LeaseLost(ref, owner, current?.owner);
      const lease = { ...current, expiresAt: new Date(now.getTime() + ttlMs) };
      this.items.set(leaseKey(ref), lease);
      return lease;
    });
  }

  release(ref: LeaseRef, owner: string): Promise<boolean> {
    return later(() => {
      const decision = decideRelease(this.items.get(leaseKey(ref)), owner);
      if (decision === 'release') this.items.delete(leaseKey(ref));
      return decision !== 'not-ours';
    });
  }

  takeOver(ref: LeaseRef, by: string, now: Date, ttlMs: number, force: boolean): Promise<Lease | undefined> {
    return later(() => {
      const current = this.items.get(leaseKey(ref));
      if (decideTakeOver(current, now, force) === 'held' && current) throw new LeaseNotExpired(ref, current.owner, current.expiresAt);
      this.items.set(leaseKey(ref), { owner: by, expiresAt: new Date(now.getTime() + ttlMs), acquiredAt: now });
      return current;
    });
  }

  read(ref: LeaseRef): Promise<Lease | undefined> {
    return later(() => this.items.get(leaseKey(ref)));
  }
}

/** Runs `fn` asynchronously, as a remote store would answer (a throw becomes a rejection). */
function later<T>(fn: () => T): Promise<T> {
  return Promise.resolve().then(fn);
}

/** DynamoDB error names that mean "busy or unreachable, try again". */
const RETRYABLE_DYNAMO: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Maps an SDK failure to LeaseStoreUnavailable (retryable) or LeaseStoreFailed. Pure. */
export function classifyDynamoError(err: unknown, table: string, ref: LeaseRef): LeaseStoreUnavailable | LeaseStoreFailed {
  const e = err as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const detail = `${name}: ${typeof e?.message === 'string' ? e.message : String(err)}`;
  const status = e?.$metadata?.httpStatusCode;
  const retryable =
    RETRYABLE_DYNAMO.has(name) ||
    (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) ||
    e?.$retryable !== undefined ||
    (typeof status === 'number' && status >= 500);
  return retryable ? new LeaseStoreUnavailable(table, ref, detail, { cause: err }) : new LeaseStoreFailed(table, ref, detail, { cause: err });
}

function leaseOf(item: Record<string, AttributeValue> | undefined): Lease | undefined {
  if (!item?.owner?.S || !item.expiresAt?.N) return undefined;
  return { owner: item.owner.S, expiresAt: new Date(Number(item.expiresAt.N)), acquiredAt: new Date(item.acquiredAt?.S ?? 0) };
}

/** Items stay a day after expiry for people to read, then DynamoDB's TTL removes them. */
const KEEP_AFTER_EXPIRY_S = 86_400;

export class DynamoLeaseStore implements LeaseStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly table: string,
  ) {}

  private item(ref: LeaseRef, owner: string, now: Date, ttlMs: number): Record<string, AttributeValue> {
    const expires = now.getTime() + ttlMs;
    return {
      pk: { S: leaseKey(ref) },
      owner: { S: owner },
      expiresAt: { N: String(expires) },
      acquiredAt: { S: now.toISOString() },
      renewedAt: { S: now.toISOString() },
      ttl: { N: String(Math.ceil(expires / 1000) + KEEP_AFTER_EXPIRY_S) },
    };
  }

  private async send<T>(ref: LeaseRef, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw err;
      throw classifyDynamoError(err, this.table, ref);
    }
  }

  async read(ref: LeaseRef): Promise<Lease | undefined> {
    const out = await this.send(ref, () => this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: leaseKey(ref) } }, ConsistentRead: true })));
    return leaseOf(out.Item);
  }

  async acquire(ref: LeaseRef, owner: string, now: Date, ttlMs: number): Promise<Grant> {
    // Two tries: a lease released or expired between the failed write and the read is taken on the second.
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.send(ref, () =>
          this.client.send(
            new PutItemCommand({
              TableName: this.table,
              Item: this.item(ref, owner, now, ttlMs),
              ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner OR expiresAt <= :now',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: { ':owner': { S: owner }, ':now': { N: String(now.getTime()) } },
              ReturnValues: 'ALL_OLD',
            }),
          ),
        );
        const previous = leaseOf(out.Attributes);
        const lease = { owner, expiresAt: new Date(now.getTime() + ttlMs), acquiredAt: now };
        return previous && previous.owner !== owner ? { lease, tookOver: previous } : { lease };
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        const current = await this.read(ref);
        if (current && decideAcquire(current, owner, now) === 'held') throw new LeaseHeld(ref, current.owner, current.expiresAt);
        if (attempt >= 1) throw classifyDynamoError(new Error('the lease changed twice while it was being acquired'), this.table, ref);
      }
    }
  }

  async renew(ref: LeaseRef, owner: string, now: Date, ttlMs: number): Promise<Lease> {
    const expires = now.getTime() + ttlMs;
    try {
      const out = await this.send(ref, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: { S: leaseKey(ref) } },
            UpdateExpression: 'SET expiresAt = :exp, renewedAt = :now, #ttl = :ttl',
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':owner': { S: owner },
              ':exp': { N: String(expires) },
              ':now': { S: now.toISOString() },
              ':ttl': { N: String(Math.ceil(expires / 1000) + KEEP_AFTER_EXPIRY_S) },
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return leaseOf(out.Attributes) ?? { owner, expiresAt: new Date(expires), acquiredAt: now };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      throw new LeaseLost(ref, owner, (await this.read(ref))?.owner);
    }
  }

  async release(ref: LeaseRef, owner: string): Promise<boolean> {
    try {
      await this.send(ref, () =>
        this.client.send(
          new DeleteItemCommand({
            TableName: this.table,
            Key: { pk: { S: leaseKey(ref) } },
            ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': { S: owner } },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async takeOver(ref: LeaseRef, by: string, now: Date, ttlMs: number, force: boolean): Promise<Lease | undefined> {
    try {
      const out = await this.send(ref, () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: this.item(ref, by, now, ttlMs),
            ...(force
              ? {}
              : { ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now', ExpressionAttributeValues: { ':now': { N: String(now.getTime()) } } }),
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      return leaseOf(out.Attributes);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = await this.read(ref);
      if (current) throw new LeaseNotExpired(ref, current.owner, current.expiresAt);
      return this.takeOver(ref, by, now, ttlMs, force);
    }
  }
}

/**
 * Creates the lease table (on-demand, string key `pk`) and waits until it is ACTIVE, for tests
 * and the local default. In AWS the stack owns the table (with TTL on `ttl`).
 */
export async function createLeaseTable(client: DynamoDBClient, name: string): Promise<void> {
  await createKeyTable(client, name);
}

/** An on-demand table keyed by the string `pk` alone (the lease and triggers tables), ACTIVE when this returns. */
export async function createKeyTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: name });
}
