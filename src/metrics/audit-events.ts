/**
 * Reads the events of one release after a sequence number: a key-range Query on the release's
 * partition (`event#<seq+1>` … `event#999…`), consistent, projected to the four fields the
 * counters use. Never a Scan; with nothing new it returns one empty page.
 */
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

import type { AuditRef } from '../audit/events.ts';
import { EVENT_SK_MAX, KEYS, eventSk, releasePk } from '../audit/keys.ts';
import type { Item } from '../audit/items.ts';
import type { CountedEvent } from './counters.ts';

const SEQ_IN_SK = /^event#(\d+)$/;

function counted(item: Item): CountedEvent | undefined {
  const m = SEQ_IN_SK.exec(item.sk?.S ?? '');
  const executionId = item.executionId?.S;
  const step = item.step?.S;
  const outcome = item.outcome?.S;
  // An item without these fields was changed outside the service (`helmstep audit verify` finds
  // it); it cannot be counted, and the log after it still can.
  if (!m || executionId === undefined || step === undefined || outcome === undefined) return undefined;
  return { seq: Number(m[1]), executionId, step, outcome };
}

export interface EventsAfter {
  readonly events: CountedEvent[];
  /** The highest sequence number read (`after` when nothing new), including uncountable items. */
  readonly lastSeq: number;
}

export async function eventsAfter(client: DynamoDBClient, table: string, ref: AuditRef, after: number): Promise<EventsAfter> {
  const events: CountedEvent[] = [];
  let lastSeq = after;
  let start: Item | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': KEYS.partitionKey, '#sk': KEYS.sortKey, '#x': 'executionId', '#st': 'step', '#o': 'outcome' },
        ExpressionAttributeValues: { ':pk': { S: releasePk(ref) }, ':from': { S: eventSk(after + 1) }, ':to': { S: EVENT_SK_MAX } },
        ProjectionExpression: '#sk, #x, #st, #o',
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const seq = Number(SEQ_IN_SK.exec(item.sk?.S ?? '')?.[1] ?? NaN);
      if (Number.isInteger(seq)) lastSeq = Math.max(lastSeq, seq);
      const e = counted(item);
      if (e) events.push(e);
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return { events, lastSeq };
}
