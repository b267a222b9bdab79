/**
 * Alarm events as transitions of one alarm: EventBridge `CloudWatch Alarm State Change` events
 * (one transition each) and Alertmanager webhooks, version 4 (one transition per alert in the
 * group). Pure: the caller passes what the event does not carry.
 *
 * The release an alarm guards comes from, in this order:
 * 1. an explicit mapping in the targets configuration (`alarms:`, by alarm name, ARN or alertname);
 * 2. CloudWatch alarm tags `helmstep:release`, `helmstep:namespace`, `helmstep:cluster`: from the
 *    event's `detail.alarmTags` when the alarm propagates its tags, merged under the tags the caller
 *    looked up (ListTagsForResource), which win;
 * 3. Alertmanager labels `helmstep_release`, `helmstep_namespace`, `helmstep_cluster` (Prometheus
 *    label names cannot contain ':').
 * The cluster may be left out and taken from the configuration's `defaultCluster`. A partial or
 * invalid mapping leaves the transition unmapped, with the reason.
 */
import { createHash } from 'node:crypto';

import * as z from 'zod';

import { MAX_RELEASE_NAME_LENGTH, RELEASE_NAME_PATTERN } from '../release/errors.ts';
import { refuse, type Refusal } from './answer.ts';
import { summariseIssues } from './payloads.ts';
import type { ReleaseKey, TargetsConfig } from './targets.ts';

export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' | 'firing' | 'resolved';

export interface AlarmTransition {
  readonly source: 'cloudwatch' | 'alertmanager';
  /** CloudWatch: the alarm ARN. Alertmanager: `alertmanager:<alertname>:<fingerprint>`. */
  readonly alarmId: string;
  /** CloudWatch alarm name, or the alert's alertname. */
  readonly alarmName: string;
  readonly state: AlarmState;
  readonly previousState?: AlarmState;
  /** When the alarm entered `state`, as toISOString(). With alarmId, it names the transition. */
  readonly time: string;
  /** CloudWatch's state reason, or the alert's summary/description annotation. */
  readonly reason?: string;
  readonly release?: ReleaseKey;
  readonly mappedBy?: 'config' | 'tags' | 'labels';
  /** Why no release could be found, when none was. */
  readonly unmapped?: string;
}

export const RELEASE_TAGS = { release: 'helmstep:release', namespace: 'helmstep:namespace', cluster: 'helmstep:cluster' } as const;
export const RELEASE_LABELS = { release: 'helmstep_release', namespace: 'helmstep_namespace', cluster: 'helmstep_cluster' } as const;

const CloudWatchStateSchema = z.object({
  value: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  reason: z.string().optional(),
  timestamp: z.string(),
});

export const CloudWatchAlarmEventSchema = z.object({
  id: z.string(),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  account: z.string().regex(/^[0-9]{12}$/, 'expected a 12-digit account id'),
  time: z.string(),
  region: z.string().min(1),
  resources: z.array(z.string()),
  detail: z.object({
    alarmName: z.string().min(1),
    state: CloudWatchStateSchema,
    previousState: CloudWatchStateSchema.partial({ timestamp: true }).optional(),
    alarmTags: z.record(z.string(), z.string()).optional(),
  }),
});

const labels = z.record(z.string(), z.string());

export const AlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.optional(),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const AlertmanagerWebhookSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labels,
  commonLabels: labels,
  commonAnnotations: labels,
  externalURL: z.string(),
  alerts: z.array(AlertSchema),
});

/**
 * RFC 3339 (`2019-10-02T17:04:40Z`, Alertmanager's nanoseconds included) and CloudWatch's
 * `2019-10-02T17:04:40.989+0000` → toISOString(); undefined when it is neither.
 */
export function normaliseTime(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.exec(text);
  if (!m) return undefined;
  // Date would roll 02-30 over into March; a transition time that is no calendar date is refused.
  const [y, mo, d] = m[1]!.split('-').map(Number) as [number, number, number];
  if (new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d || mo < 1 || mo > 12) return undefined;
  const fraction = m[3] ? m[3].slice(0, 4) : '';
  const zone = m[4] === 'Z' ? 'Z' : `${m[4]!.slice(0, 3)}:${m[4]!.slice(-2)}`;
  const date = new Date(`${m[1]}T${m[2]}${fraction}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export interface AlarmOptions {
  /** CloudWatch: the alarm's tags as the caller looked them up; they win over `detail.alarmTags`. */
  readonly tags?: Readonly<Record<string, string>>;
  /** For explicit `alarms:` mappings and `defaultCluster`. */
  readonly config?: TargetsConfig;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CLUSTER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

type Mapping = Pick<AlarmTransition, 'release' | 'mappedBy' | 'unmapped'>;

function fromKeys(
  keys: { readonly release: string; readonly namespace: string; readonly cluster: string },
  values: Readonly<Record<string, string>>,
  kind: 'tags' | 'labels',
  defaultCluster: string | undefined,
): Mapping | undefined {
  const name = values[keys.release];
  const namespace = values[keys.namespace];
  const cluster = values[keys.cluster] ?? defaultCluster;
  const word = kind === 'tags' ? 'tag' : 'label';
  if (name === undefined && namespace === undefined && values[keys.cluster] === undefined) return undefined;
  if (name === undefined || namespace === undefined) {
    return { unmapped: `${word} ${name === undefined ? keys.release : keys.namespace} is missing (both ${keys.release} and ${keys.namespace} are needed)` };
  }
  if (cluster === undefined) return { unmapped: `${word} ${keys.cluster} is missing and the configuration has no defaultCluster` };
  if (!RELEASE_NAME_PATTERN.test(name) || name.length > MAX_RELEASE_NAME_LENGTH) return { unmapped: `${word} ${keys.release} "${name}" is not a helm release name` };
  if (!NAMESPACE.test(namespace)) return { unmapped: `${word} ${keys.namespace} "${namespace}" is not a Kubernetes namespace` };
  if (!CLUSTER.test(cluster)) return { unmapped: `${word} ${keys.cluster} "${cluster}" is not a cluster name` };
  return { release: { cluster, namespace, name }, mappedBy: kind };
}

function fromConfig(config: TargetsConfig | undefined, ids: readonly string[]): Mapping | undefined {
  const m = config?.alarms.find((a) => ids.includes(a.alarm));
  return m && { release: { cluster: m.cluster, namespace: m.namespace, name: m.release }, mappedBy: 'config' };
}

const NO_MAPPING = (how: string): Mapping => ({
  unmapped: `no alarms: entry in the targets configuration and no ${how}; the transition is recorded only`,
});

function cloudWatch(event: z.infer<typeof CloudWatchAlarmEventSchema>, options: AlarmOptions): AlarmTransition | Refusal {
  const d = event.detail;
  const time = normaliseTime(d.state.timestamp);
  if (time === undefined) return refuse('InvalidPayload', `invalid CloudWatch alarm event: detail.state.timestamp "${d.state.timestamp.slice(0, 40)}" is not a time`);
  const arn = event.resources.find((r) => r.startsWith('arn:') && r.includes(':alarm:')) ?? `arn:aws:cloudwatch:${event.region}:${event.account}:alarm:${d.alarmName}`;
  const tags = { ...d.alarmTags, ...options.tags };
  const mapping =
    fromConfig(options.config, [d.alarmName, arn]) ??
    fromKeys(RELEASE_TAGS, tags, 'tags', options.config?.defaultCluster) ??
    NO_MAPPING(`${RELEASE_TAGS.release} / ${RELEASE_TAGS.namespace} tags on the alarm`);
  return {
    source: 'cloudwatch',
    alarmId: arn,
    alarmName: d.alarmName,
    state: d.state.value,
    ...(d.previousState?.value !== undefined && { previousState: d.previousState.value }),
    time,
    ...(d.state.reason !== undefined && { reason: d.state.reason }),
    ...mapping,
  };
}

function fingerprintOf(alertLabels: Readonly<Record<string, string>>): string {
  const text = Object.keys(alertLabels)
    .sort()
    .map((k) => `${k}\u0000${alertLabels[k]}`)
    .join('\u0001');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function alertmanager(hook: z.infer<typeof AlertmanagerWebhookSchema>, options: AlarmOptions): AlarmTransition[] | Refusal {
  const out: AlarmTransition[] = [];
  for (const [i, alert] of hook.alerts.entries()) {
    // Alertmanager sends the zero time for "not resolved"; a resolved alert's transition is its end.
    const at = alert.status === 'resolved' && alert.endsAt !== undefined ? alert.endsAt : alert.startsAt;
    const time = normaliseTime(at);
    if (time === undefined) return refuse('InvalidPayload', `invalid Alertmanager webhook: alerts.${i} time "${at.slice(0, 40)}" is not RFC 3339`);
    const alertLabels = { ...hook.commonLabels, ...alert.labels };
    const alertname = alertLabels['alertname'] ?? '(no alertname)';
    const fingerprint = alert.fingerprint ?? fingerprintOf(alertLabels);
    const mapping =
      fromConfig(options.config, [alertname]) ??
      fromKeys(RELEASE_LABELS, alertLabels, 'labels', options.config?.defaultCluster) ??
      NO_MAPPING(`${RELEASE_LABELS.release} / ${RELEASE_LABELS.namespace} labels on the alert`);
    const reason = alert.annotations?.['summary'] ?? alert.annotations?.['description'];
    out.push({
      source: 'alertmanager',
      alarmId: `alertmanager:${alertname}:${fingerprint}`,
      alarmName: alertname,
      state: alert.status,
      time,
      ...(reason !== undefined && { reason }),
      ...mapping,
    });
  }
  return out;
}

/**
 * The transitions an alarm event carries (one for CloudWatch, one per alert for Alertmanager),
 * or 400 when it is neither shape.
 */
export function alarmTransitions(event: unknown, options: AlarmOptions = {}): { readonly ok: true; readonly transitions: readonly AlarmTransition[] } | Refusal {
  if (typeof event === 'object' && event !== null && 'detail-type' in event) {
    const parsed = CloudWatchAlarmEventSchema.safeParse(event);
    if (!parsed.success) return refuse('InvalidPayload', `invalid CloudWatch alarm event: ${summariseIssues(parsed.error)}`);
    const t = cloudWatch(parsed.data, options);
    return 'ok' in t ? t : { ok: true, transitions: [t] };
  }
  if (typeof event === 'object' && event !== null && 'alerts' in event) {
    const parsed = AlertmanagerWebhookSchema.safeParse(event);
    if (!parsed.success) return refuse('InvalidPayload', `invalid Alertmanager webhook (version 4 expected): ${summariseIssues(parsed.error)}`);
    const ts = alertmanager(parsed.data, options);
    return Array.isArray(ts) ? { ok: true, transitions: ts } : ts;
  }
  return refuse(
    'InvalidPayload',
    'invalid alarm event: neither an EventBridge "CloudWatch Alarm State Change" event nor an Alertmanager webhook (version 4)',
  );
}
