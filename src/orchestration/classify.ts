/**
 * How a step's failure is routed by the state machines, decided from the error's class (its
 * `reason`), never from its message. Every handler throws one of three error names:
 *
 *   helmstep.Retryable  nothing changed and running the same call again may succeed (429/5xx,
 *                       network, lost races, DynamoDB throttling): Retry with backoff, bounded;
 *   helmstep.Remediate  the operation failed after it began changing the cluster or while
 *                       waiting for it (hooks, apply, readiness, gate, timeouts, an
 *                       interrupted local run): fail the
 *                       release, then roll back when the request or the gate asks for it;
 *   helmstep.Stop       a person must decide (a lock held, a refused rollback, an ownership
 *                       conflict, a chart that does not render, invalid input): fail and stop.
 *
 * The error's message is the JSON cause: the state, the original class, reason and message (and
 * helm's text where it has one), so the execution's failure says what happened in full.
 */
import { HelmstepError } from '../release/errors.ts';

export const RETRYABLE = 'helmstep.Retryable';
export const REMEDIATE = 'helmstep.Remediate';
export const STOP = 'helmstep.Stop';

export type Outcome = typeof RETRYABLE | typeof REMEDIATE | typeof STOP;

/** What failed, carried as JSON in the Step Functions error's Cause. */
export interface StepCause {
  /** The state that failed. */
  readonly state: string;
  /** The original error's class name (`HookFailed`, `WaitTimedOut`, ...). */
  readonly class: string;
  readonly reason: string;
  readonly message: string;
  /** helm's wording of the failure, as a failed record's description carries it. */
  readonly text?: string;
  /** helm's exact CLI text for the condition, when helm has one. */
  readonly helmText?: string;
}

/**
 * Failures after the operation began: the release may be half changed, so a rollback can help.
 * Apply failures are here too: helm --atomic rolls back a half-applied upgrade.
 */
const REMEDIATE_REASONS: ReadonlySet<string> = new Set([
  'HookFailed',
  'WaitFailed',
  'WaitTimedOut',
  'PollTimedOut',
  'OperationFailed',
  'GateFailed',
  'ApplyConflict',
  'InvalidObject',
  'KindNotServed',
  // Ctrl-C of a local run: helm fails the release, and rolls it back with --atomic.
  'Interrupted',
]);

/** The outcome for an error thrown by a step. Unknown errors stop: a person looks first. */
export function classify(err: unknown): Outcome {
  if (err instanceof HelmstepError || isHelmstepLike(err)) {
    if (err.retryable) return RETRYABLE;
    if (REMEDIATE_REASONS.has(err.reason)) return REMEDIATE;
    return STOP;
  }
  return STOP;
}

function isHelmstepLike(err: unknown): err is { reason: string; retryable: boolean } {
  return typeof err === 'object' && err !== null && typeof (err as { reason?: unknown }).reason === 'string' && typeof (err as { retryable?: unknown }).retryable === 'boolean';
}

/** Step Functions keeps at most 32 KiB of Cause; the message is cut well before that. */
const MAX_MESSAGE = 8_000;

function cut(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}… (${s.length - MAX_MESSAGE} more characters)` : s;
}

export function causeOf(err: unknown, state: string): StepCause {
  const e = err as { name?: unknown; reason?: unknown; message?: unknown; text?: unknown; helmText?: unknown } | null;
  const cls = typeof e?.name === 'string' ? e.name : typeof err;
  const message = err instanceof Error ? err.message : String(err);
  return {
    state,
    class: cls,
    reason: typeof e?.reason === 'string' ? e.reason : cls,
    message: cut(message),
    ...(typeof e?.text === 'string' ? { text: cut(e.text) } : {}),
    ...(typeof e?.helmText === 'string' ? { helmText: cut(e.helmText) } : {}),
  };
}

/** The error a handler throws: `name` routes (Retry/Catch), `message` is the JSON cause. */
export class StepError extends Error {
  override readonly name: Outcome;
  readonly stepCause: StepCause;
  constructor(outcome: Outcome, cause: StepCause) {
    super(JSON.stringify(cause));
    this.name = outcome;
    this.stepCause = cause;
  }
}

export function toStepError(err: unknown, state: string): StepError {
  if (err instanceof StepError) return err;
  return new StepError(classify(err), causeOf(err, state));
}

/** What a Catch puts into the state document: `{ Error, Cause }`. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string | undefined;
}

/**
 * Reads a caught error's Cause back. In AWS, a Lambda error's Cause is the runtime's JSON
 * (`{"errorType","errorMessage","trace"}`) whose errorMessage is our JSON; locally it is our
 * JSON itself; other failures (States.Timeout, a crashed runtime) carry free text.
 */
export function parseCause(caught: CaughtError | undefined, fallbackState = 'unknown'): StepCause {
  if (!caught) return { state: fallbackState, class: 'Unknown', reason: 'Unknown', message: 'the execution failed without an error' };
  const raw = caught.Cause ?? '';
  const parsed = parseJson(raw);
  const inner = parsed && typeof parsed.errorMessage === 'string' ? parseJson(parsed.errorMessage) : undefined;
  const candidate = inner ?? parsed;
  if (candidate && typeof candidate.state === 'string' && typeof candidate.reason === 'string' && typeof candidate.message === 'string') {
    return candidate as unknown as StepCause;
  }
  const message = parsed && typeof parsed.errorMessage === 'string' ? parsed.errorMessage : raw || caught.Error;
  return { state: fallbackState, class: caught.Error, reason: caught.Error, message: cut(message) };
}

function parseJson(s: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(s) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** What helm would put after `Upgrade "x" failed: ` for this cause. */
export function failureTextOf(cause: StepCause): string {
  return cause.text ?? cause.message;
}
