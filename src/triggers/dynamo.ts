/**
 * The triggers' state in one DynamoDB table (`pk` string, on demand), conditional writes only:
 *
 *   delivery#<source>#<id>        a received deploy delivery: the execution name derived from it,
 *                                 then the execution id once started. Put if absent: a second
 *                                 delivery of the same id finds it (409 Replay) and starts nothing.
 *   freeze#<cluster>/<ns>/<name>  a release frozen after an alarm rollback: alarm, transition
 *                                 time, rollback execution, reason. Put if absent (or the same
 *                                 transition's); `ack` deletes it on condition that it is the
 *                                 freeze that was shown.
 *   transition#<alarm>@<time>#<state>  one alarm transition, recorded once: a redelivered event
 *                                 finds it and does nothing new.
 *
 * Record, then start: a crash between the two leaves an item without an execution id. Since the
 * execution name derives from the delivery (or transition), the replay path starts it again under
 * the same name (StartExecution is idempotent for a name) and fills the id in.
 *
 * `ack` deletes the freeze item rather than appending an "acknowledged" mark: this table is the
 * current state (a deploy asks one GetItem "is it frozen?"); the history — frozen by which alarm,
 * acknowledged by whom — is the audit log's, which stays append-only.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

import { HelmstepError } from '../release/errors.ts';
import type { AlarmTransition } from './alarms.ts';
import type { Freeze, FreezeState } from './freeze.ts';
import { NOT_FROZEN } from './freeze.ts';
import type { ExecutionKind } from './naming.ts';
import { createKeyTable } from '../orchestration/lease.ts';
import { releaseText, type ReleaseKey } from './targets.ts';

/** Delivery and transition items expire (DynamoDB TTL on `ttl`) after Step Functions' 90-day name reuse window. */
export const RECORD_TTL_SECONDS = 90 * 24 * 3600;

export async function createTriggersTable(client: DynamoDBClient, name: string): Promise<void> {
  await createKeyTable(client, name);
}

export function deliveryKey(source: ExecutionKind, deliveryId: string): string {
  return `delivery#${source}#${deliveryId}`;
}

export function freezeKey(r: ReleaseKey): string {
  return `freeze#${r.cluster}/${r.namespace}/${r.name}`;
}

export function transitionKey(t: Pick<AlarmTransition, 'alarmId' | 'time' | 'state'>): string {
  return `transition#${t.alarmId}@${t.time}#${t.state}`;
}

/** The triggers table could not be read or written (not the caller's fault: a 5xx). */
export class TriggerStoreFailed extends HelmstepError {
  override readonly name = 'TriggerStoreFailed';
  readonly reason = 'TriggerStoreFailed';
  override readonly retryable = true;
  constructor(table: string, what: string, options?: { cause?: unknown }) {
    const cause = options?.cause instanceof Error ? options.cause.message : 'unknown error';
    super(`the triggers table ${table} could not ${what}: ${cause}; check that it exists and is reachable, then retry`, options);
  }
}

/** The freeze to lift is not there (never frozen, already acknowledged, or replaced by a newer one). */
export class NotFrozen extends HelmstepError {
  override readonly name = 'NotFrozen';
  readonly reason = 'NotFrozen';
  constructor(readonly release: ReleaseKey) {
    super(`${releaseText(release)} is not frozen: nothing to acknowledge. Check the name, namespace and --cluster`);
  }
}

/** A delivery or transition as recorded: the execution it names, and its id once started. */
export interface Recorded {
  /** True when this call wrote the item; false when it was already there. */
  readonly fresh: boolean;
  readonly executionName: string;
  /** Absent until the execution was started (or when the record starts nothing). */
  readonly executionId?: string;
  /** For transitions: what was decided the first time. */
  readonly action?: string;
}

function isConditionFailure(e: unknown): boolean {
  return e instanceof ConditionalCheckFailedException || (e instanceof Error && e.name === 'ConditionalCheckFailedException');
}

const s = (v: string): AttributeValue => ({ S: v });
const str = (item: Record<string, AttributeValue> | undefined, k: string): string | undefined => item?.[k]?.S;

export interface TriggerStoreOptions {
  readonly now?: () => Date;
}

export class DynamoTriggerStore {
  private readonly now: () => Date;

  constructor(
    private readonly client: DynamoDBClient,
    readonly table: string,
    opts: TriggerStoreOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  private async send<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isConditionFailure(e)) throw e;
      throw new TriggerStoreFailed(this.table, what, { cause: e });
    }
  }

  private ttl(): AttributeValue {
    return { N: String(Math.floor(this.now().getTime() / 1000) + RECORD_TTL_SECONDS) };
  }

  /** Records the item if absent; else returns what is there. */
  private async putOnce(pk: string, attrs: Record<string, AttributeValue>, executionName: string): Promise<Recorded> {
    try {
      await this.send('record a delivery', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { pk: s(pk), executionName: s(executionName), recordedAt: s(this.now().toISOString()), ttl: this.ttl(), ...attrs },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return { fresh: true, executionName, ...(attrs.action?.S ? { action: attrs.action.S } : {}) };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    const item = await this.get(pk);
    const executionId = str(item, 'executionId');
    const action = str(item, 'action');
    return { fresh: false, executionName: str(item, 'executionName') ?? executionName, ...(executionId ? { executionId } : {}), ...(action ? { action } : {}) };
  }

  private async get(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.send('be read', () => this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: s(pk) }, ConsistentRead: true })));
    return out.Item;
  }

  private async setExecutionId(pk: string, executionId: string): Promise<void> {
    await this.send('record a started execution', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: s(pk) },
          UpdateExpression: 'SET executionId = :id, startedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':id': s(executionId), ':at': s(this.now().toISOString()) },
        }),
      ),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Deliveries

  /** Records a delivery id with the execution name derived from it; `fresh: false` on a replay. */
  recordDelivery(source: ExecutionKind, deliveryId: string, executionName: string): Promise<Recorded> {
    return this.putOnce(deliveryKey(source, deliveryId), { kind: s('delivery') }, executionName);
  }

  deliveryStarted(source: ExecutionKind, deliveryId: string, executionId: string): Promise<void> {
    return this.setExecutionId(deliveryKey(source, deliveryId), executionId);
  }

  async delivery(source: ExecutionKind, deliveryId: string): Promise<Recorded | undefined> {
    const item = await this.get(deliveryKey(source, deliveryId));
    if (!item) return undefined;
    const executionId = str(item, 'executionId');
    return { fresh: false, executionName: str(item, 'executionName') ?? '', ...(executionId ? { executionId } : {}) };
  }

  // -------------------------------------------------------------------------------------------
  // Freezes

  async freezeOf(release: ReleaseKey): Promise<FreezeState> {
    const item = await this.get(freezeKey(release));
    if (!item) return NOT_FROZEN;
    return {
      frozen: true,
      release,
      alarmId: str(item, 'alarmId') ?? '',
      alarmName: str(item, 'alarmName') ?? '',
      transitionTime: str(item, 'transitionTime') ?? '',
      executionName: str(item, 'executionName') ?? '',
      reason: str(item, 'reason') ?? '',
    };
  }

  /**
   * Freezes the release for this transition. True when it is now frozen by it (written, or
   * already written by the same transition); false when another freeze holds it.
   */
  async freeze(f: Freeze): Promise<boolean> {
    try {
      await this.send('freeze a release', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              pk: s(freezeKey(f.release)),
              kind: s('freeze'),
              alarmId: s(f.alarmId),
              alarmName: s(f.alarmName),
              transitionTime: s(f.transitionTime),
              executionName: s(f.executionName),
              reason: s(f.reason),
              frozenAt: s(this.now().toISOString()),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR executionName = :name',
            ExpressionAttributeValues: { ':name': s(f.executionName) },
          }),
        ),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /**
   * Lifts the freeze: deletes the item on condition that it is still the one read (a newer
   * alarm's freeze is never lifted unseen). Returns the freeze lifted; NotFrozen when there is none.
   */
  async ack(release: ReleaseKey): Promise<Freeze> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = await this.freezeOf(release);
      if (!state.frozen) throw new NotFrozen(release);
      try {
        await this.send('lift a freeze', () =>
          this.client.send(
            new DeleteItemCommand({
              TableName: this.table,
              Key: { pk: s(freezeKey(release)) },
              ConditionExpression: 'executionName = :name',
              ExpressionAttributeValues: { ':name': s(state.executionName) },
            }),
          ),
        );
        const { frozen: _frozen, ...freeze } = state;
        return freeze;
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    }
    throw new TriggerStoreFailed(this.table, `lift the freeze of ${releaseText(release)}`, { cause: new Error('it kept changing while being lifted') });
  }

  /**
   * Keeps who acknowledged a freeze and why (`ack#<release>#<rollback execution>`): the audit
   * event of the ack has no free-text field, and the reason is worth keeping beside it.
   */
  async recordAck(f: Freeze, by: string, reason: string | undefined): Promise<void> {
    const r = f.release;
    await this.send('record an acknowledgement', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: s(`ack#${r.cluster}/${r.namespace}/${r.name}#${f.executionName}`),
            kind: s('ack'),
            by: s(by),
            ...(reason ? { reason: s(reason) } : {}),
            alarmName: s(f.alarmName),
            frozenReason: s(f.reason),
            executionName: s(f.executionName),
            ackedAt: s(this.now().toISOString()),
            ttl: this.ttl(),
          },
        }),
      ),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Alarm transitions

  /** Records a transition once, with the action decided for it; `fresh: false` when it was already recorded. */
  recordTransition(t: AlarmTransition, action: string, executionName: string): Promise<Recorded> {
    return this.putOnce(transitionKey(t), { kind: s('transition'), action: s(action), alarmName: s(t.alarmName) }, executionName);
  }

  transitionStarted(t: AlarmTransition, executionId: string): Promise<void> {
    return this.setExecutionId(transitionKey(t), executionId);
  }

  /** Changes a recorded transition's action (a rollback that lost the freeze to another alarm). */
  async transitionAction(t: AlarmTransition, action: string): Promise<void> {
    await this.send('record a transition', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: s(transitionKey(t)) },
          UpdateExpression: 'SET #a = :a',
          ExpressionAttributeNames: { '#a': 'action' },
          ExpressionAttributeValues: { ':a': s(action) },
        }),
      ),
    );
  }
}
