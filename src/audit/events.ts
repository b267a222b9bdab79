/**
 * The audit event: what happened to a release, by whom, and its place in the release's hash chain.
 * Pure: schema, canonical form, hashing and chain verification; no I/O.
 *
 * Each release has its own chain. Event `seq` N (1, 2, 3, … without gaps) carries
 * `prevHash` = the `hash` of event N-1 (64 zeros for event 1) and
 * `hash` = sha256 of the canonical JSON of the event without `hash`. Changing any field of any
 * event, removing one, or moving one breaks the chain at that event. The chain is
 * tamper-evident, not tamper-proof: whoever can write the table can also rewrite every later event
 * with fresh hashes, and removing the newest events leaves a valid shorter chain. Anchoring the
 * newest hash elsewhere (a signed checkpoint) closes both; verifyChain takes such a head.
 */
import { createHash } from 'node:crypto';

import * as z from 'zod/mini';

import { issueLines } from './zod.ts';

export { issueLines };

/** prevHash of a release's first event. */
export const ZERO_HASH = '0'.repeat(64);

/** Largest sequence number: the sort key pads it to 12 digits. */
export const MAX_SEQ = 999_999_999_999;

const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits (sha256)'));
// Key parts: no `/` (the pk separator) and no `#` (the sk separator); covers Kubernetes and EKS names.
const keyPart = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/, 'expected a cluster, namespace or release name'));
const text = (max: number, ...more: z.core.$ZodCheck<string>[]) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    // eslint-disable-next-line no-control-regex
    z.regex(/^[^\u0000-\u001f\u007f]*$/, 'control characters are not allowed'),
    ...more,
  );
const revision = z.int().check(z.minimum(1), z.maximum(2_147_483_647));

export const AuditRefSchema = z.strictObject({ cluster: keyPart, namespace: keyPart, name: keyPart });
export type AuditRef = z.infer<typeof AuditRefSchema>;

/**
 * Who or what triggered the event: `github:<login>`, `alarm:<alarm ARN or alertname>`,
 * `cli:<user>`, or `system:<component>` for the service itself (e.g. a reconciler).
 */
export const ActorSchema = text(1024, z.regex(/^(github|alarm|cli|system):./, 'expected github:<login>, alarm:<arn or alertname>, cli:<user> or system:<component>'));

export const TriggerSchema = z.strictObject({
  /** Lowercase token, e.g. `github-push`, `github-deployment`, `alarm`, `cli`. */
  kind: z.string().check(z.regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected a lowercase token such as github-push, alarm or cli')),
  /** GitHub's X-GitHub-Delivery of the webhook. */
  deliveryId: z.optional(text(256)),
  /** The alarm (state change) that fired. */
  alarmId: z.optional(text(2048)),
  /** The git commit deployed. */
  commit: z.optional(z.string().check(z.regex(/^[0-9a-f]{7,64}$/, 'expected a hex git commit id'))),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const OUTCOMES = ['started', 'succeeded', 'failed', 'refused', 'rolled-back', 'skipped', 'timed-out', 'cancelled'] as const;
export const OutcomeSchema = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof OutcomeSchema>;

/** `toISOString()` form only: UTC, milliseconds, fixed width, so string order is time order. */
export const IsoTimeSchema = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'expected a UTC time as Date.toISOString() writes it'),
  z.refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s, 'not a real date'),
);

const eventFields = {
  release: AuditRefSchema,
  time: IsoTimeSchema,
  actor: ActorSchema,
  trigger: TriggerSchema,
  /** The Step Functions execution (or CLI run) the step belongs to. */
  executionId: text(2048),
  step: text(256),
  outcome: OutcomeSchema,
  error: z.optional(z.strictObject({ reason: text(128), message: text(8192) })),
  fromRevision: z.optional(revision),
  toRevision: z.optional(revision),
  /** sha256 hex of the user-supplied values. */
  valuesDigest: z.optional(hex64),
  /** sha256 hex of the rendered manifest. */
  manifestDigest: z.optional(hex64),
};

/** What a caller appends; the store assigns seq and the chain hashes (and the time, if absent). */
export const AuditEventInputSchema = z.strictObject({ ...eventFields, time: z.optional(IsoTimeSchema) });
export type AuditEventInput = z.input<typeof AuditEventInputSchema>;

export const AuditEventSchema = z.strictObject({
  ...eventFields,
  seq: z.int().check(z.minimum(1), z.maximum(MAX_SEQ)),
  prevHash: hex64,
  hash: hex64,
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;


/**
 * JSON with object keys sorted (by UTF-16 code unit, as Array.prototype.sort orders them; all
 * schema keys are ASCII) and no whitespace; undefined object members are left out. The hash
 * input, so its output must never change for the same value.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no form for ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: unknown) => canonicalJson(v)).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of Object.keys(obj).sort()) {
      if (obj[k] !== undefined) parts.push(`${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The chain hash of an event: sha256 over the canonical JSON of every field but `hash`. */
export function eventHash(event: Readonly<Record<string, unknown>>): string {
  const { hash: _hash, ...rest } = event;
  return sha256Hex(canonicalJson(rest));
}

/**
 * The idempotency key of an event: one execution's step reaches one outcome once. sha256 of the
 * canonical triple, so the key has a fixed length whatever the ids hold.
 */
export function idempotencyKey(e: { executionId: string; step: string; outcome: string }): string {
  return sha256Hex(canonicalJson([e.executionId, e.step, e.outcome]));
}

/** Validates an input and places it in the chain after `prev` (undefined for the first event). */
export function sealEvent(
  input: AuditEventInput & { time: string },
  prev: { seq: number; hash: string } | undefined,
): AuditEvent {
  const seq = prev ? prev.seq + 1 : 1;
  const draft = { ...input, seq, prevHash: prev ? prev.hash : ZERO_HASH };
  const event = { ...draft, hash: eventHash(draft) };
  return AuditEventSchema.parse(event);
}

export type ChainFault = 'altered' | 'missing' | 'reordered' | 'broken-link' | 'truncated';

export type ChainVerdict =
  | { readonly ok: true; readonly count: number; readonly head?: { readonly seq: number; readonly hash: string } }
  | {
      readonly ok: false;
      /** The sequence number at which the chain breaks: the first event that is not what it should be. */
      readonly seq: number;
      /** Position in the list given (0-based) where the fault was found. */
      readonly index: number;
      readonly reason: ChainFault;
      readonly message: string;
    };

/** An event as read back: typed events, or raw items whose fields may have been tampered with. */
export type ChainLink = Readonly<Record<string, unknown>>;

function fault(seq: number, index: number, reason: ChainFault, message: string): ChainVerdict {
  return { ok: false, seq, index, reason, message };
}

/**
 * Checks a release's events, in stored (sort key) order, from seq 1. Returns the first fault:
 * - `altered`: the event's content does not hash to its `hash` (a field changed, added or removed);
 * - `missing`: the event expected at this position is absent from the whole list;
 * - `reordered`: the event expected here is present, but later in the list;
 * - `broken-link`: the event is intact and in place, but its `prevHash` is not the previous
 *   event's `hash` (an earlier event was replaced by one with a recomputed hash);
 * - `truncated`: the list ends before `expectHead` (a trusted copy of the newest seq and hash).
 * `seq` names the sequence number expected at the faulty position.
 */
export function verifyChain(events: readonly ChainLink[], opts: { expectHead?: { seq: number; hash: string } } = {}): ChainVerdict {
  const seqs = events.map((e) => e.seq);
  let prevHash = ZERO_HASH;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const expected = i + 1;
    let recomputed: string | undefined;
    try {
      recomputed = eventHash(e);
    } catch {
      recomputed = undefined;
    }
    if (typeof e.hash !== 'string' || recomputed !== e.hash) {
      return fault(expected, i, 'altered', `event ${expected} does not hash to its recorded hash: its content was changed`);
    }
    if (e.seq !== expected) {
      const later = seqs.indexOf(expected, i + 1);
      return later >= 0
        ? fault(expected, i, 'reordered', `event ${expected} is stored at position ${later + 1}, not ${i + 1} (found event ${String(e.seq)} there)`)
        : fault(expected, i, 'missing', `event ${expected} is missing (the next stored event is ${String(e.seq)})`);
    }
    if (e.prevHash !== prevHash) {
      return fault(expected, i, 'broken-link', `event ${expected} does not link to event ${expected - 1}: an earlier event was replaced`);
    }
    prevHash = e.hash;
  }
  const head = events.length > 0 ? { seq: events.length, hash: prevHash } : undefined;
  const want = opts.expectHead;
  if (want) {
    if (events.length < want.seq) {
      return fault(events.length + 1, events.length, 'truncated', `the chain ends at event ${events.length}, before the trusted head ${want.seq}`);
    }
    const atHead = events[want.seq - 1]!;
    if (atHead.hash !== want.hash) {
      return fault(want.seq, want.seq - 1, 'broken-link', `event ${want.seq} is not the trusted head: the chain was rewritten up to it`);
    }
  }
  return head ? { ok: true, count: events.length, head } : { ok: true, count: 0 };
}
