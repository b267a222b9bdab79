/**
 * The trigger service, whatever carries the request (helmstep serve's HTTP server, or a Lambda
 * behind API Gateway / EventBridge): deploy webhooks → the deploy machine, alarm events → the
 * rollback machine plus a freeze, with the triggers table as its memory and the audit log as
 * its record. Every answer is a status and a JSON body; a refusal of the caller's input is a 4xx
 * that wrote nothing and started nothing, a failure of ours is a 5xx with a message (no stack).
 */
import { HelmstepError } from '../release/errors.ts';
import { InvalidAuditEvent } from '../audit/errors.ts';
import type { AuditStore } from '../audit/store.ts';
import type { AuditEventInput, AuditRef } from '../audit/events.ts';
import { alarmTransitions, type AlarmTransition } from '../triggers/alarms.ts';
import { refuse, type Refusal } from '../triggers/answer.ts';
import { alarmAction, NOT_FROZEN, type AlarmAction } from '../triggers/freeze.ts';
import type { DynamoTriggerStore } from '../triggers/dynamo.ts';
import { bodyBytes, bodyLength, clip, header, isJsonMediaType, type RawRequest } from '../triggers/http.ts';
import { alarmExecutionName, executionName } from '../triggers/naming.ts';
import { receiveDelivery, type DeployStart } from '../triggers/receive.ts';
import { releaseText, type TargetsConfig } from '../triggers/targets.ts';
import { DEFAULT_MAX_BODY_BYTES, type VerifyOptions } from '../triggers/verify.ts';
import type { ExecutionStarter } from './executions.ts';
import { deployRequest, rollbackRequest } from './requests.ts';

export interface ServiceLog {
  info(message: string, attrs?: Record<string, unknown>): void;
  warn(message: string, attrs?: Record<string, unknown>): void;
  error(message: string, attrs?: Record<string, unknown>): void;
}

export const silentServiceLog: ServiceLog = { info() {}, warn() {}, error() {} };

export interface ServiceResponse {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface TriggerServiceDeps {
  /** Already narrowed to this cluster (servedConfig). */
  readonly config: TargetsConfig;
  /** The cluster this service's state machines deploy to. */
  readonly cluster: string;
  readonly store: DynamoTriggerStore;
  readonly starter: ExecutionStarter;
  /** Where alarm transitions are recorded (absent: the triggers table only). */
  readonly audit?: AuditStore;
  readonly github: VerifyOptions;
  readonly generic: VerifyOptions;
  /** Alarm bodies' size limit (default 256 KiB, as webhooks). */
  readonly maxAlarmBodyBytes?: number;
  readonly log?: ServiceLog;
}

/** Where transitions that name no release are logged: the audit log is per release. */
export const UNMAPPED_NAMESPACE = 'helmstep-alarms';

function refusalResponse(r: Refusal): ServiceResponse {
  const { ok: _ok, ...rest } = r;
  return { status: r.status, body: rest };
}

/** A failure of ours (the table, the engine): 503 when a retry may help, else 500; never a stack. */
export function failureResponse(e: unknown): ServiceResponse {
  const retryable = e instanceof HelmstepError && e.retryable;
  const reason = e instanceof HelmstepError ? e.reason : 'InternalError';
  const message = e instanceof Error ? e.message : String(e);
  return { status: retryable ? 503 : 500, body: { outcome: 'error', reason, message: `${message}${retryable ? '' : '; nothing more was started. See the service log'}` } };
}

type AlarmOutcome =
  | { readonly action: 'rollback'; readonly executionName: string; readonly executionId: string; readonly release: AuditRef; readonly message: string }
  | { readonly action: 'recorded'; readonly why: string; readonly message: string; readonly executionName?: string; readonly executionId?: string };

export class TriggerService {
  private readonly log: ServiceLog;

  constructor(readonly deps: TriggerServiceDeps) {
    this.log = deps.log ?? silentServiceLog;
  }

  /** A GitHub or generic deploy delivery. */
  async webhook(source: 'github' | 'generic', request: RawRequest): Promise<ServiceResponse> {
    const { store, starter } = this.deps;
    const start = async (s: DeployStart) => {
      const out = await starter.start('deploy', s.executionName, deployRequest(s));
      await store.deliveryStarted(source, s.delivery.deliveryId, out.executionId);
      return out;
    };
    try {
      const answer = await receiveDelivery(source, request, {
        verify: source === 'github' ? this.deps.github : this.deps.generic,
        config: this.deps.config,
        freezeOf: (release) => store.freezeOf(release),
        seen: async (id) => !(await store.recordDelivery(source, id, executionName(source, id))).fresh,
        start,
        resume: async (s) => {
          const known = await store.delivery(source, s.delivery.deliveryId);
          // Recorded but never started (a crash in between): start it now, under the same name.
          return known?.executionId ? { executionId: known.executionId } : start(s);
        },
      });
      const { ok: _ok, ...body } = answer;
      this.log.info(`webhook ${source}: ${answer.outcome}`, {
        status: answer.status,
        ...('reason' in answer ? { reason: answer.reason } : {}),
        ...('deliveryId' in answer ? { deliveryId: answer.deliveryId } : {}),
        ...('executionName' in answer && answer.executionName ? { executionName: answer.executionName } : {}),
      });
      return { status: answer.status, body };
    } catch (e) {
      this.log.error(`webhook ${source} failed`, { error: e instanceof Error ? e.message : String(e) });
      return failureResponse(e);
    }
  }

  /** An EventBridge `CloudWatch Alarm State Change` event or an Alertmanager webhook (version 4). */
  async alarm(kind: 'eventbridge' | 'alertmanager', request: RawRequest, opts: { tags?: Readonly<Record<string, string>> } = {}): Promise<ServiceResponse> {
    const payload = this.alarmPayload(kind, request);
    if ('reason' in payload) return refusalResponse(payload);
    return this.alarmEvent(payload.value, opts);
  }

  /** An alarm event already parsed (EventBridge invokes a Lambda with the event itself). */
  async alarmEvent(event: unknown, opts: { tags?: Readonly<Record<string, string>> } = {}): Promise<ServiceResponse> {
    const parsed = alarmTransitions(event, { config: this.deps.config, ...(opts.tags ? { tags: opts.tags } : {}) });
    if (!parsed.ok) return refusalResponse(parsed);
    try {
      const results: (AlarmOutcome & { alarm: string; state: string; time: string })[] = [];
      for (const t of parsed.transitions) results.push({ alarm: t.alarmName, state: t.state, time: t.time, ...(await this.transition(t)) });
      const started = results.some((r) => r.action === 'rollback');
      return {
        status: started ? 202 : 200,
        body: { outcome: started ? 'accepted' : 'recorded', message: results.map((r) => r.message).join('; ') || 'no alerts in the payload', transitions: results },
      };
    } catch (e) {
      this.log.error('alarm event failed', { error: e instanceof Error ? e.message : String(e) });
      return failureResponse(e);
    }
  }

  private alarmPayload(kind: 'eventbridge' | 'alertmanager', request: RawRequest): { value: unknown } | Refusal {
    const limit = this.deps.maxAlarmBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const size = bodyLength(request.body);
    if (size > limit) return refuse('BodyTooLarge', `the body is ${size} bytes, over the limit of ${limit} bytes; nothing was read`);
    const type = header(request.headers, 'content-type');
    if (type.kind === 'ambiguous' || (type.kind === 'value' && !isJsonMediaType(type.value))) {
      return refuse('UnsupportedMediaType', `Content-Type is ${type.kind === 'value' ? `"${clip(type.value)}"` : 'several values'}, not JSON; send the event as application/json`);
    }
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bodyBytes(request.body)));
    } catch {
      return refuse('UnsupportedMediaType', 'the body is not JSON; send the event as a JSON object');
    }
    const shaped = typeof value === 'object' && value !== null && (kind === 'eventbridge' ? 'detail-type' in value : 'alerts' in value);
    if (!shaped) {
      return refuse(
        'InvalidPayload',
        kind === 'eventbridge'
          ? 'not an EventBridge event: this endpoint takes "CloudWatch Alarm State Change" events (Alertmanager posts to /alarms/alertmanager)'
          : 'not an Alertmanager webhook (version 4): this endpoint takes Alertmanager notifications (EventBridge events go to /alarms/eventbridge)',
      );
    }
    return { value };
  }

  /** One transition: decided once, recorded once (a redelivery finds its record and does nothing new). */
  private async transition(raw: AlarmTransition): Promise<AlarmOutcome> {
    const { store, cluster } = this.deps;
    // A release in another cluster is another service's: recorded here, not acted on.
    const t: AlarmTransition =
      raw.release && raw.release.cluster !== cluster
        ? { ...raw, release: undefined, mappedBy: undefined, unmapped: `it maps to ${releaseText(raw.release)}, and this service deploys to cluster "${cluster}"` }
        : raw;
    const freeze = t.release ? await store.freezeOf(t.release) : NOT_FROZEN;
    const action = alarmAction(t, freeze);
    const name = alarmExecutionName(t.alarmId, t.time);
    const rec = await store.recordTransition(t, action.action === 'rollback' ? 'rollback' : action.why, name);

    if (!rec.fresh) {
      if (rec.action === 'rollback' && t.release) {
        // Recorded as a rollback the first time: make sure it was started (a crash may have come in between).
        const first = rec.executionId ? undefined : alarmAction(t, NOT_FROZEN);
        const out = first?.action === 'rollback' ? await this.rollback(first) : undefined;
        const id = rec.executionId ?? (out?.action === 'rollback' ? out.executionId : undefined);
        return {
          action: 'recorded',
          why: 'duplicate',
          executionName: name,
          ...(id ? { executionId: id } : {}),
          message: `alarm "${t.alarmName}" ${t.state} at ${t.time} was already received and started rollback ${name}; nothing new was started`,
        };
      }
      await this.record(t, rec.action ?? 'recorded', name);
      return { action: 'recorded', why: 'duplicate', message: `alarm "${t.alarmName}" ${t.state} at ${t.time} was already recorded; nothing new` };
    }
    if (action.action === 'rollback') return this.rollback(action);
    await this.record(t, action.why, name);
    this.log.info('alarm transition recorded', { alarm: t.alarmName, state: t.state, why: action.why });
    return { action: 'recorded', why: action.why, message: action.message };
  }

  /** Freeze, then start the rollback (both idempotent for the transition), then record it. */
  private async rollback(action: Extract<AlarmAction, { action: 'rollback' }>): Promise<AlarmOutcome> {
    const { store, starter } = this.deps;
    const t = action.transition;
    if (!(await store.freeze(action.freeze))) {
      // Another alarm froze the release between our read and our write: it rolled back already.
      const now = await store.freezeOf(action.release);
      const lost = alarmAction(t, now);
      await store.transitionAction(t, lost.action === 'rollback' ? 'already-frozen' : lost.why);
      await this.record(t, 'already-frozen', action.executionName);
      return { action: 'recorded', why: 'already-frozen', message: lost.action === 'record-only' ? lost.message : `${releaseText(action.release)} is already frozen` };
    }
    const out = await starter.start('rollback', action.executionName, rollbackRequest(action.release, t));
    await store.transitionStarted(t, out.executionId);
    await this.appendAudit({
      release: { ...action.release },
      actor: `alarm:${t.alarmName}`,
      trigger: { kind: 'alarm', alarmId: t.alarmId },
      executionId: action.executionName,
      step: 'AlarmRollback',
      outcome: 'started',
    });
    this.log.warn('alarm rollback started; the release is frozen for automatic deploys until acknowledged', {
      alarm: t.alarmName,
      release: releaseText(action.release),
      executionName: action.executionName,
    });
    return {
      action: 'rollback',
      executionName: action.executionName,
      executionId: out.executionId,
      release: { ...action.release },
      message: `${action.freeze.reason}; ${releaseText(action.release)} is frozen for automatic deploys until acknowledged (helmstep ack)`,
    };
  }

  /** The audit event of a transition that starts nothing: outcome skipped, one per transition. */
  private async record(t: AlarmTransition, why: string, name: string): Promise<void> {
    const step =
      { recovered: 'AlarmResolved', 'no-data': 'AlarmNoData', unmapped: 'AlarmUnmapped', duplicate: 'AlarmWhileFrozen', 'already-frozen': 'AlarmWhileFrozen' }[why] ??
      'AlarmRecorded';
    const release: AuditRef = t.release
      ? { ...t.release }
      : { cluster: this.deps.cluster, namespace: UNMAPPED_NAMESPACE, name: t.alarmName.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 253) || 'alarm' };
    await this.appendAudit({
      release,
      actor: `alarm:${t.alarmName}`,
      trigger: { kind: 'alarm', alarmId: t.alarmId },
      executionId: name,
      step,
      outcome: 'skipped',
      ...(t.unmapped ? { error: { reason: 'Unmapped', message: t.unmapped.slice(0, 8192) } } : {}),
    });
  }

  private async appendAudit(e: AuditEventInput): Promise<void> {
    if (!this.deps.audit) return;
    try {
      await this.deps.audit.append({ ...e, actor: e.actor.slice(0, 1024), trigger: { ...e.trigger, ...(e.trigger.alarmId ? { alarmId: e.trigger.alarmId.slice(0, 2048) } : {}) } });
    } catch (err) {
      // An alarm whose name the audit log cannot hold (control characters) is still acted on; a
      // table that fails is ours to report (5xx: the sender retries, the append is idempotent).
      if (!(err instanceof InvalidAuditEvent)) throw err;
      this.log.error('alarm transition not audited: the event does not fit the audit log', { step: e.step, error: err.message });
    }
  }
}
