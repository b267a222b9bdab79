/**
 * Execution names derived from what triggered them, so that a redelivery maps to the same name
 * and Step Functions refuses a second execution (names are unique per state machine for 90 days).
 *
 * Step Functions' rule for names that also log to CloudWatch: 1 to 80 characters of
 * `[A-Za-z0-9_-]`. An id that already fits is kept readable: `<kind>-<id>`. Anything else
 * becomes `<kind>_<readable part>_<40 hex of sha256(kind, id)>`. The character after the kind
 * (`-` or `_`, neither of which a kind contains) tells the two forms apart, so distinct ids never
 * share a name (short of a sha256 collision).
 */
import { createHash } from 'node:crypto';

export const EXECUTION_KINDS = ['github', 'generic', 'alarm'] as const;
export type ExecutionKind = (typeof EXECUTION_KINDS)[number];

export const MAX_EXECUTION_NAME = 80;
export const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

const HASH_HEX = 40;

/**
 * `readable` only picks the human part of a hashed name (say, an alarm's name rather than the
 * start of its ARN); the hash is of the id alone. Pass something derived from the id, so a
 * redelivery gets the same name.
 */
export function executionName(kind: ExecutionKind, deliveryId: string, readable: string = deliveryId): string {
  const plain = `${kind}-${deliveryId}`;
  if (/^[A-Za-z0-9_-]+$/.test(deliveryId) && plain.length <= MAX_EXECUTION_NAME) return plain;
  const hash = createHash('sha256').update(`${kind}\n${deliveryId}`, 'utf8').digest('hex').slice(0, HASH_HEX);
  const room = MAX_EXECUTION_NAME - kind.length - HASH_HEX - 2;
  const part = readable
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, room);
  return `${kind}_${part}_${hash}`;
}

/** An alarm transition's execution: one per alarm and transition time, whatever the redeliveries. */
export function alarmExecutionName(alarmId: string, transitionTime: string): string {
  // The readable part is the alarm's own name: the tail of a CloudWatch ARN or of `alertmanager:<alertname>:<fingerprint>`.
  const tail = alarmId.startsWith('arn:') ? (alarmId.split(':').pop() ?? alarmId) : alarmId.replace(/^alertmanager:/, '');
  return executionName('alarm', `${alarmId}@${transitionTime}`, tail);
}
