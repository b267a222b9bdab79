/**
 * What the trigger edge answers. Every refusal of user input is a value, never a throw: a
 * receiver maps it to its HTTP status as is. Only the injected I/O (recording a delivery,
 * starting an execution) may throw, and that is the service's fault, not the caller's.
 */
import { HelmstepError } from '../release/errors.ts';

export const REFUSAL_STATUS = {
  /** No, or an unparsable, signature or token header. */
  SignatureMissing: 401,
  /** A signature or token that does not match any configured secret. */
  SignatureInvalid: 401,
  /** The generic timestamp header is missing or not unix seconds. */
  TimestampInvalid: 401,
  /** A signed timestamp outside the replay window (either way). */
  TimestampStale: 401,
  /** A required header (event, delivery id) is missing or malformed. */
  InvalidHeaders: 400,
  /** JSON that does not have the expected shape. */
  InvalidPayload: 400,
  /** No target (or alarm mapping) matches the delivery. */
  UnknownTarget: 404,
  /** The delivery id was already received. */
  Replay: 409,
  /** The target release is frozen after an alarm rollback. */
  ReleaseFrozen: 409,
  /** The body is over the size limit; checked before hashing. */
  BodyTooLarge: 413,
  /** The body is not JSON (declared media type or content). */
  UnsupportedMediaType: 415,
} as const;

export type RefusalReason = keyof typeof REFUSAL_STATUS;
export type RefusalStatus = (typeof REFUSAL_STATUS)[RefusalReason];

export interface Refusal {
  readonly ok: false;
  readonly outcome: 'refused';
  readonly status: RefusalStatus;
  readonly reason: RefusalReason;
  readonly message: string;
  /** Replay: the execution the first delivery started (names are derived from delivery ids). */
  readonly executionName?: string;
  /** Replay: its id, when the receiver looked it up (ReceiveDeps.resume). */
  readonly executionId?: string;
}

export function refuse(reason: RefusalReason, message: string, extra?: { executionName?: string; executionId?: string }): Refusal {
  return { ok: false, outcome: 'refused', status: REFUSAL_STATUS[reason], reason, message, ...extra };
}

/** A verified delivery that starts nothing by design (a ping, a failed workflow run, a branch deletion). */
export interface Ignored {
  readonly ok: true;
  readonly outcome: 'ignored';
  readonly status: 200;
  readonly message: string;
  readonly deliveryId: string;
}

export function ignore(deliveryId: string, message: string): Ignored {
  return { ok: true, outcome: 'ignored', status: 200, message, deliveryId };
}

/** The HTTP response a receiver sends for an answer: JSON, status as decided. */
export function httpResponse(answer: { readonly status: number; readonly outcome: string; readonly message?: string } & object): {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
} {
  const { ok: _ok, ...rest } = answer as { ok?: unknown } & Record<string, unknown>;
  return {
    statusCode: answer.status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(rest),
  };
}

/** A refusal as an error, for code paths (middy handlers) that throw to answer. */
export class TriggerRefused extends HelmstepError {
  override readonly name = 'TriggerRefused';
  readonly reason: RefusalReason;
  readonly status: RefusalStatus;
  constructor(
    readonly refusal: Refusal,
    options?: { cause?: unknown },
  ) {
    super(refusal.message, options);
    this.reason = refusal.reason;
    this.status = refusal.status;
  }
}
