/**
 * The audit trail of executions: one event per state transition (a state that ended, a poll
 * loop once it is done, a state that failed) appended to the release's hash chain, and a copy of
 * each revision record an operation ended (Finalize, FailRelease and their rollback twins).
 *
 * Pure part: `transitionEvent` decides what a transition means for auditors. I/O part:
 * `auditRecorder` appends it through the AuditStore (idempotent per execution + state + outcome,
 * so a retried or re-run step never logs twice) and copies records from the cluster's store.
 */
import { createHash } from 'node:crypto';
import type { AuditEventInput, AuditRef, Outcome } from '../audit/events.ts';
import { canonicalJson } from '../audit/events.ts';
import type { AuditStore } from '../audit/store.ts';
import type { ReleaseStore } from '../store/release-store.ts';
import type { Doc } from './document.ts';

/** What the handler reports after each invocation. */
export interface StateTransition {
  readonly state: string;
  /** The state's (parsed) input: the state document. */
  readonly doc: unknown;
  /** Its output, when it succeeded. */
  readonly output?: unknown;
  /** Its classified failure, when it failed. */
  readonly error?: { readonly name: string; readonly message: string };
}

/** Where the handlers report transitions (absent: no audit log configured). */
export interface AuditSink {
  transition(t: StateTransition): Promise<void>;
}

/** States whose success ends an operation on a revision: its record is then copied. */
const ENDS_REVISION: Readonly<Record<string, 'op' | 'rollback'>> = {
  Finalize: 'op',
  FailRelease: 'op',
  RollbackFinalize: 'rollback',
  RollbackFailRelease: 'rollback',
};

/** The log's text fields hold one line: helm's multi-line messages (`…\ncontext deadline exceeded`) become one. */
function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, max);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface LooseDoc {
  readonly request?: Doc['request'];
  readonly owner?: string;
  /** ValidateLock's input names the execution instead (it has no state document yet). */
  readonly execution?: string;
  readonly op?: Doc['op'];
  readonly rollback?: Doc['rollback'];
  readonly rollbackRelease?: unknown;
  readonly failure?: Doc['failure'];
}

function outcomeOf(t: StateTransition, doc: LooseDoc): Outcome | undefined {
  if (t.error) {
    if (/Interrupted|context canceled/.test(t.error.message)) return 'cancelled';
    if (/TimedOut|timed out/i.test(t.error.name + t.error.message)) return 'timed-out';
    return t.state === 'ValidateLock' ? 'refused' : 'failed';
  }
  const out = t.output as { done?: unknown; error?: unknown; cause?: unknown } | undefined;
  // A poll loop's unfinished polls are progress, not transitions.
  if (out && out.done === false) return undefined;
  if (t.state === 'ReleaseLease') return doc.rollbackRelease ? 'rolled-back' : 'failed';
  if (t.state === 'FailRelease' || t.state === 'RollbackFailRelease') return 'failed';
  if (t.state === 'Rollback' || t.state === 'RollbackBegin') return 'started';
  return 'succeeded';
}

/** The audit event of one transition, or undefined when it is not one (an unfinished poll, a doc without a request). */
export function transitionEvent(t: StateTransition, cluster: string): AuditEventInput | undefined {
  const doc = (t.doc ?? {}) as LooseDoc;
  const request = doc.request;
  const owner = doc.owner ?? doc.execution;
  if (!request || typeof request.namespace !== 'string' || typeof request.name !== 'string' || typeof owner !== 'string') return undefined;
  const outcome = outcomeOf(t, doc);
  if (!outcome) return undefined;
  const trigger = request.trigger;
  const release: AuditRef = { cluster: request.cluster || cluster, namespace: request.namespace, name: request.name };
  const op = t.state.startsWith('Rollback') && doc.rollback ? doc.rollback : doc.op;
  let error: AuditEventInput['error'];
  if (t.error) error = { reason: oneLine(t.error.name, 128), message: oneLine(t.error.message, 8192) || oneLine(t.error.name, 128) };
  else if (t.state === 'ReleaseLease') {
    const o = t.output as { error?: string; cause?: string } | undefined;
    if (o?.error) error = { reason: oneLine(o.error, 128), message: oneLine(o.cause ?? o.error, 8192) };
  }
  const from = doc.failure?.revision ?? doc.op?.revision;
  return {
    release,
    actor: trigger?.actor ?? 'system:helmstep',
    trigger: {
      kind: trigger?.kind ?? 'system',
      ...(trigger?.deliveryId ? { deliveryId: trigger.deliveryId } : {}),
      ...(trigger?.alarmId ? { alarmId: trigger.alarmId } : {}),
      ...(trigger?.commit ? { commit: trigger.commit } : {}),
    },
    executionId: owner,
    step: t.state,
    outcome,
    ...(error ? { error } : {}),
    ...(doc.rollback && op === doc.rollback && from !== undefined && from !== op.revision ? { fromRevision: from } : {}),
    ...(op ? { toRevision: op.revision } : {}),
  };
}

/**
 * The sink over a real audit table: appends each transition's event and copies the record of a
 * revision whose operation just ended, with the digests of its values and manifest.
 */
export function auditRecorder(audit: AuditStore, store: ReleaseStore, cluster: string): AuditSink {
  return {
    async transition(t) {
      const event = transitionEvent(t, cluster);
      if (!event) return;
      const slot = t.error ? undefined : ENDS_REVISION[t.state];
      const doc = t.doc as LooseDoc;
      const op = slot ? doc[slot] : undefined;
      if (op) {
        const stored = await store.get({ namespace: op.namespace, name: op.name }, op.revision);
        await audit.putRevision(event.release, stored.release, stored.labels);
        event.manifestDigest = sha256(stored.release.manifest ?? '');
        event.valuesDigest = sha256(canonicalJson(stored.release.config ?? {}));
      }
      await audit.append(event);
    },
  };
}
