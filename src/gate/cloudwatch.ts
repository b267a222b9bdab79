/**
 * CloudWatch alarm states for the gate: DescribeAlarms by name (metric and composite alarms),
 * through an injected client so tests and the Lambda build it their own way.
 */
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { AlarmsUnavailable } from './errors.ts';
import type { AlarmReading } from './evaluate.ts';

/** DescribeAlarms takes at most 100 names per call. */
const MAX_NAMES = 100;

const STATES: ReadonlySet<string> = new Set(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

function transient(err: unknown): boolean {
  const e = err as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  if (!e) return false;
  if (e.$retryable) return true;
  // The SDK's own retries have given up by now, but throttling passes.
  if (/^(Throttling|ThrottlingException|RequestLimitExceeded|TooManyRequestsException)$/.test(e.name ?? '')) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status === 429 || status >= 500;
  // No HTTP answer at all: the network, a timeout.
  return !/AccessDenied|Unauthorized|InvalidClientTokenId|Validation|InvalidParameter|InvalidNextToken/i.test(e.name ?? '');
}

/**
 * The states of the named alarms that exist; a name that matches no alarm is simply absent
 * (the gate decides what that means). Throws AlarmsUnavailable, retryable or not.
 */
export async function describeAlarmStates(client: CloudWatchClient, names: readonly string[]): Promise<AlarmReading[]> {
  const out: AlarmReading[] = [];
  for (let i = 0; i < names.length; i += MAX_NAMES) {
    const chunk = names.slice(i, i + MAX_NAMES);
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await client.send(new DescribeAlarmsCommand({ AlarmNames: chunk, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken }));
      } catch (err) {
        const e = err as Error;
        throw new AlarmsUnavailable(chunk, `${e.name}: ${e.message}`, transient(err), { cause: err });
      }
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (!a.AlarmName || !a.StateValue || !STATES.has(a.StateValue)) continue;
        out.push({ name: a.AlarmName, state: a.StateValue, ...(a.StateReason ? { reason: a.StateReason } : {}) });
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return out;
}
