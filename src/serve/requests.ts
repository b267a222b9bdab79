/**
 * What the triggers ask the state machines to do, as their execution inputs (pure): a matched
 * delivery → a deploy request, an alarm's rollback → a rollback request, each carrying its
 * trigger (actor, kind, delivery or alarm, commit) for the audit log. Also the targets
 * configuration as one service sees it: only its own cluster's targets, gates checked up front.
 */
import { stringify as yamlStringify } from 'yaml';
import { parseGoDuration } from '../cli/duration.ts';
import { parseGateFile } from '../gate/spec.ts';
import { DeployRequestSchema, type DeployRequestInput, type RollbackRequestInput, type Trigger } from '../orchestration/request.ts';
import type { AlarmTransition } from '../triggers/alarms.ts';
import type { Delivery } from '../triggers/payloads.ts';
import type { DeployStart } from '../triggers/receive.ts';
import { InvalidTargetsConfig, targetLabel, type ReleaseKey, type TargetsConfig } from '../triggers/targets.ts';

type SetEntry = { readonly kind: 'set' | 'set-string'; readonly value: string };

// helm's strvals parser takes a backslash as "the next character is literal" in keys and values.
const escapeKey = (k: string) => k.replace(/[\\.=,[\]]/g, (c) => `\\${c}`);
const escapeValue = (v: string) => v.replace(/[\\,]/g, (c) => `\\${c}`).replace(/^\{/, '\\{');

/**
 * Inline values as helm `--set` / `--set-string` entries (a deploy request carries values as
 * helm takes them on its command line): strings as set-string so `"007"` stays a string,
 * numbers, booleans and null as set; arrays by index. An empty object or array cannot be said
 * with --set and is left out.
 */
export function valuesToSet(values: Readonly<Record<string, unknown>>, prefix = ''): SetEntry[] {
  const out: SetEntry[] = [];
  const walk = (value: unknown, path: string): void => {
    if (value === null) out.push({ kind: 'set', value: `${path}=null` });
    else if (typeof value === 'string') out.push({ kind: 'set-string', value: `${path}=${escapeValue(value)}` });
    else if (typeof value === 'number' || typeof value === 'boolean') out.push({ kind: 'set', value: `${path}=${String(value)}` });
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, path ? `${path}.${escapeKey(k)}` : escapeKey(k));
  };
  for (const [k, v] of Object.entries(values)) walk(v, prefix ? `${prefix}.${escapeKey(k)}` : escapeKey(k));
  return out;
}

const timeoutSeconds = (goDuration: string) => Math.min(86_400, Math.max(1, Math.ceil(Number(parseGoDuration(goDuration)) / 1e9)));

/** `kind` of a delivery's trigger: lowercase and `-` only (github-push, github-workflow-run, generic-webhook). */
export function deliveryKind(d: Delivery): string {
  return d.source === 'generic' ? 'generic-webhook' : `github-${d.event.replace(/_/g, '-')}`;
}

/** `github:<login>`; generic senders are `system:webhook/<source>[/<actor>]` (no login of a known kind). */
export function deliveryActor(d: Delivery): string {
  if (d.source === 'github') return `github:${d.actor ?? 'unknown'}`;
  return `system:webhook/${d.genericSource ?? 'generic'}${d.actor ? `/${d.actor}` : ''}`.slice(0, 1024);
}

export function deliveryTrigger(d: Delivery): Trigger {
  return {
    actor: deliveryActor(d),
    kind: deliveryKind(d),
    deliveryId: d.deliveryId,
    ...(d.sha ? { commit: d.sha } : {}),
  };
}

/** Whether the deploy request schema takes chart repositories (`repo`) in this build. */
const TAKES_REPO = 'repo' in DeployRequestSchema.shape;

/** The deploy machine's input for a matched delivery. */
export function deployRequest(start: DeployStart): DeployRequestInput {
  const d = start.deploy;
  const set: SetEntry[] = [...(d.values ? valuesToSet(d.values) : []), ...(d.set ?? []).map((value, i) => ({ kind: d.setTemplated?.[i] ? ('set-string' as const) : ('set' as const), value }))];
  return {
    cluster: d.release.cluster,
    namespace: d.release.namespace,
    name: d.release.name,
    chart: d.chart,
    ...(d.chartVersion ? { chartVersion: d.chartVersion } : {}),
    ...(d.repo && TAKES_REPO ? { repo: d.repo } : {}),
    ...(set.length > 0 ? { values: { set } } : {}),
    mode: 'upgrade',
    installIfMissing: true,
    ...(d.atomic !== undefined ? { rollbackOnFailure: d.atomic } : {}),
    ...(d.timeout ? { timeoutSeconds: timeoutSeconds(d.timeout) } : {}),
    ...(d.gate ? { gate: d.gate } : {}),
    trigger: deliveryTrigger(start.delivery),
  };
}

/** The rollback machine's input for an alarm transition: back to the previous revision, as CodeDeploy does. */
export function rollbackRequest(release: ReleaseKey, t: AlarmTransition): RollbackRequestInput {
  return {
    cluster: release.cluster,
    namespace: release.namespace,
    name: release.name,
    target: 0,
    trigger: { actor: `alarm:${t.alarmName}`.slice(0, 1024), kind: 'alarm', alarmId: t.alarmId.slice(0, 2048) },
  };
}

/**
 * The configuration this service acts on: the targets of its own cluster (a state machine
 * deploys to the cluster it runs against; the others are listed in `skipped`), each target's
 * `gate` read in the gate file's form (`bake: 5m`, checks) and checked now rather than at the
 * first delivery.
 */
export function servedConfig(config: TargetsConfig, cluster: string, origin = 'the targets configuration'): { config: TargetsConfig; skipped: string[] } {
  const skipped: string[] = [];
  const targets = config.targets.flatMap((t, i) => {
    if (t.cluster !== cluster) {
      skipped.push(`${targetLabel(t)} (cluster "${t.cluster}")`);
      return [];
    }
    if (t.gate === undefined) return [t];
    try {
      const gate = parseGateFile(yamlStringify(t.gate), `targets.${i}.gate`);
      return [{ ...t, gate: gate }];
    } catch (e) {
      throw new InvalidTargetsConfig(origin, e instanceof Error ? e.message : String(e), { cause: e });
    }
  });
  return { config: { ...config, targets }, skipped };
}
