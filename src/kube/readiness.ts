/**
 * Readiness as helm 4 judges it, as pure functions of one live object: kstatus' rules
 * (fluxcd/cli-utils pkg/kstatus/status, the version helm 4.1.4 pins) for `--wait`, helm's Job
 * reader for `--wait-for-jobs`, and helm's hook completion. Messages are kstatus' own words, so
 * helm's wait error text comes out the same.
 */
import type { KubeObject, ObjectRef } from './types.ts';
import { groupVersion } from './manifest.ts';

export type KStatus = 'InProgress' | 'Failed' | 'Current' | 'Terminating' | 'Unknown';

export interface StatusResult {
  readonly status: KStatus;
  readonly message: string;
}

/** How long a pod may stay unschedulable before kstatus calls it Failed. */
export const SCHEDULE_WINDOW_MS = 15_000;

// ---------------------------------------------------------------------------------------------
// Field access with kstatus' defaults

type Obj = Record<string, unknown>;

/** A malformed field kstatus' Go conversion rejects: the status is Unknown. */
class FieldError extends Error {}

function field(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Obj)[part];
  }
  return cur;
}

/** GetIntField: an integer, else the default (absent or of another type). */
function int(obj: unknown, path: string, dflt: number): number {
  const v = field(obj, path);
  return typeof v === 'number' && Number.isInteger(v) ? v : dflt;
}

/** GetStringField: a string, else the default. */
function str(obj: unknown, path: string, dflt: string): string {
  const v = field(obj, path);
  return typeof v === 'string' ? v : dflt;
}

/** NestedInt64: undefined when absent; an error when present but not an integer. */
function strictInt(obj: unknown, path: string): number | undefined {
  const v = field(obj, path);
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new FieldError(`.${path} accessor error: ${JSON.stringify(v)} is of the type ${typeof v}, expected int64`);
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** status.conditions as kstatus reads them (GetObjectWithConditions). */
function conditions(obj: unknown): Condition[] {
  const status = field(obj, 'status');
  if (status === undefined || status === null) return [];
  if (typeof status !== 'object' || Array.isArray(status)) throw new FieldError('status is not an object');
  const list = (status as Obj).conditions;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new FieldError('status.conditions is not a list');
  return list.map((c: unknown) => {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new FieldError('a status condition is not an object');
    const o = c as Obj;
    const s = (k: string): string => {
      const v = o[k];
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') throw new FieldError(`condition ${k} is not a string`);
      return v;
    };
    return { type: s('type'), status: s('status'), reason: s('reason'), message: s('message') };
  });
}

function condition(conds: readonly Condition[], type: string, status: string): Condition | undefined {
  return conds.find((c) => c.type === type && c.status === status);
}

const current = (message: string): StatusResult => ({ status: 'Current', message });
const inProgress = (message: string): StatusResult => ({ status: 'InProgress', message });
const failed = (message: string): StatusResult => ({ status: 'Failed', message });

// ---------------------------------------------------------------------------------------------
// Generic checks (kstatus checkGenericProperties)

function checkGeneric(obj: KubeObject): StatusResult | undefined {
  const deletion = obj.metadata.deletionTimestamp;
  if (typeof deletion === 'string' && deletion !== '') return { status: 'Terminating', message: 'Resource scheduled for deletion' };

  const generation = strictInt(obj, 'metadata.generation');
  if (generation !== undefined) {
    const observed = strictInt(obj, 'status.observedGeneration');
    if (observed !== undefined && observed !== generation) {
      return inProgress(`${obj.kind} generation is ${generation}, but latest observed generation is ${observed}`);
    }
  }

  for (const c of conditions(obj)) {
    if (c.type === 'Reconciling' && c.status === 'True') return inProgress(c.message);
    if (c.type === 'Stalled' && c.status === 'True') return failed(c.message);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Per-kind rules (kstatus core.go)

type Rule = (obj: KubeObject, now: Date) => StatusResult;

const alwaysReady: Rule = () => current('Resource is always ready');

const deployment: Rule = (obj) => {
  // Without progressDeadlineSeconds the controller never sets Progressing; kstatus then
  // treats it as progressing (math.MaxInt32 is the controller's "unset").
  let progressing = int(obj, 'spec.progressDeadlineSeconds', 2147483647) === 2147483647;
  let available = false;
  for (const c of conditions(obj)) {
    if (c.type === 'Progressing') {
      if (c.reason === 'ProgressDeadlineExceeded') return failed('Progress deadline exceeded');
      if (c.status === 'True' && c.reason === 'NewReplicaSetAvailable') progressing = true;
    } else if (c.type === 'Available' && c.status === 'True') {
      available = true;
    }
  }
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const avail = int(obj, 'status.availableReplicas', 0);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress(`Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (updated > avail) return inProgress(`Available: ${avail}/${updated}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (!progressing) return inProgress('ReplicaSet not Available');
  if (!available) return inProgress('Deployment not Available');
  return current(`Deployment is available. Replicas: ${replicas}`);
};

const statefulSet: Rule = (obj) => {
  if (str(obj, 'spec.updateStrategy.type', '') === 'OnDelete') {
    return current('StatefulSet is using the ondelete update strategy');
  }
  const spec = int(obj, 'spec.replicas', 1);
  const ready = int(obj, 'status.readyReplicas', 0);
  const currentReplicas = int(obj, 'status.currentReplicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  const replicas = int(obj, 'status.replicas', 0);
  const partition = int(obj, 'spec.updateStrategy.rollingUpdate.partition', -1);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (partition !== -1) {
    if (updated < spec - partition) return inProgress(`updated: ${updated}/${spec - partition}`);
    return current(`Partition rollout complete. updated: ${updated}`);
  }
  if (spec > currentReplicas) return inProgress(`current: ${currentReplicas}/${spec}`);
  if (str(obj, 'status.currentRevision', '') !== str(obj, 'status.updateRevision', '')) {
    return inProgress('Waiting for updated revision to match current');
  }
  return current(`All replicas scheduled as expected. Replicas: ${replicas}`);
};

const daemonSet: Rule = (obj) => {
  // The controller always sets both once it has acted; their absence means it has not yet.
  if (strictInt(obj, 'metadata.generation') === undefined) return inProgress(`${obj.kind} metadata.generation not found`);
  if (strictInt(obj, 'status.observedGeneration') === undefined) return inProgress(`${obj.kind} status.observedGeneration not found`);
  const desired = int(obj, 'status.desiredNumberScheduled', -1);
  const currentN = int(obj, 'status.currentNumberScheduled', 0);
  const updated = int(obj, 'status.updatedNumberScheduled', 0);
  const avail = int(obj, 'status.numberAvailable', 0);
  const ready = int(obj, 'status.numberReady', 0);
  if (desired === -1) return inProgress('Missing .status.desiredNumberScheduled');
  if (desired > currentN) return inProgress(`Current: ${currentN}/${desired}`);
  if (desired > updated) return inProgress(`Updated: ${updated}/${desired}`);
  if (desired > avail) return inProgress(`Available: ${avail}/${desired}`);
  if (desired > ready) return inProgress(`Ready: ${ready}/${desired}`);
  return current(`All replicas scheduled as expected. Replicas: ${desired}`);
};

const replicaSet: Rule = (obj) => {
  if (condition(conditions(obj), 'ReplicaFailure', 'True')) return inProgress('Replica Failure condition. Check Pods');
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const avail = int(obj, 'status.availableReplicas', 0);
  const labelled = int(obj, 'status.fullyLabeledReplicas', 0);
  if (spec > labelled) return inProgress(`Labelled: ${labelled}/${spec}`);
  if (spec > avail) return inProgress(`Available: ${avail}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  return current(`ReplicaSet is available. Replicas: ${replicas}`);
};

const pvc: Rule = (obj) => {
  const phase = str(obj, 'status.phase', 'unknown');
  return phase === 'Bound' ? current('PVC is Bound') : inProgress(`PVC is not Bound. phase: ${phase}`);
};

/** Names of containers waiting in CrashLoopBackOff, in status order. */
function crashLooping(obj: KubeObject): string[] {
  const statuses = field(obj, 'status.containerStatuses');
  if (!Array.isArray(statuses)) return [];
  const names: string[] = [];
  for (const cs of statuses) {
    const name = field(cs, 'name');
    if (typeof name === 'string' && field(cs, 'state.waiting.reason') === 'CrashLoopBackOff') names.push(name);
  }
  return names;
}

const pod: Rule = (obj, now) => {
  const conds = conditions(obj);
  const phase = str(obj, 'status.phase', '');
  switch (phase) {
    case 'Succeeded':
      return current('Pod has completed successfully');
    case 'Failed':
      // kstatus: a finished pod is "current" either way; helm's hook reader tells them apart.
      return current('Pod has completed, but not successfully');
    case 'Running': {
      if (condition(conds, 'Ready', 'True')) return current('Pod is Ready');
      const looping = crashLooping(obj);
      if (looping.length > 0) return failed(`Containers in CrashLoop state: ${looping.join(',')}`);
      return inProgress('Pod is running but is not Ready');
    }
    case 'Pending': {
      const c = condition(conds, 'PodScheduled', 'False');
      if (c?.reason === 'Unschedulable') {
        // A missing creationTimestamp is Go's zero time: long past.
        const created = Date.parse(obj.metadata.creationTimestamp ?? '');
        const createdMs = Number.isNaN(created) ? -Infinity : created;
        if (now.getTime() - SCHEDULE_WINDOW_MS < createdMs) return inProgress('Pod has not been scheduled');
        return failed('Pod could not be scheduled');
      }
      return inProgress('Pod is in the Pending phase');
    }
    case '':
      return inProgress('Pod phase not available');
    default:
      throw new FieldError(`unknown phase ${phase}`);
  }
};

const job: Rule = (obj) => {
  const parallelism = int(obj, 'spec.parallelism', 1);
  const completions = int(obj, 'spec.completions', parallelism);
  const succeeded = int(obj, 'status.succeeded', 0);
  const active = int(obj, 'status.active', 0);
  const failedN = int(obj, 'status.failed', 0);
  for (const c of conditions(obj)) {
    if (c.type === 'Complete' && c.status === 'True') return current(`Job Completed. succeeded: ${succeeded}/${completions}`);
    if (c.type === 'Failed' && c.status === 'True') return failed(`Job Failed. failed: ${failedN}/${completions}`);
  }
  if (str(obj, 'status.startTime', '') === '') return inProgress('Job not started');
  return current(`Job in progress. success:${succeeded}, active: ${active}, failed: ${failedN}`);
};

const service: Rule = (obj) => {
  if (str(obj, 'spec.type', 'ClusterIP') === 'LoadBalancer' && str(obj, 'spec.clusterIP', '') === '') {
    return inProgress('ClusterIP not set. Service type: LoadBalancer');
  }
  return current('Service is ready');
};

const crd: Rule = (obj) => {
  for (const c of conditions(obj)) {
    if (c.type === 'NamesAccepted' && c.status === 'False') return failed(c.message);
    if (c.type === 'Established') {
      if (c.status === 'False' && c.reason !== 'Installing') return failed(c.message);
      if (c.status === 'True') return current('CRD is established');
    }
  }
  return inProgress('Install in progress');
};

const pdb: Rule = () => current('AllowedDisruptions has been computed.');

/** kstatus' legacyTypes, keyed `<group>/<Kind>` (`<Kind>` for the core group). */
const RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['Service', service],
  ['Pod', pod],
  ['Secret', alwaysReady],
  ['PersistentVolumeClaim', pvc],
  ['apps/StatefulSet', statefulSet],
  ['apps/DaemonSet', daemonSet],
  ['extensions/DaemonSet', daemonSet],
  ['apps/Deployment', deployment],
  ['extensions/Deployment', deployment],
  ['apps/ReplicaSet', replicaSet],
  ['extensions/ReplicaSet', replicaSet],
  ['policy/PodDisruptionBudget', pdb],
  ['batch/CronJob', alwaysReady],
  ['ConfigMap', alwaysReady],
  ['batch/Job', job],
  ['apiextensions.k8s.io/CustomResourceDefinition', crd],
]);

function ruleFor(obj: KubeObject): Rule | undefined {
  const { group } = groupVersion(obj.apiVersion);
  return RULES.get(group === '' ? obj.kind : `${group}/${obj.kind}`);
}

/** The widely used (if unofficial) `Ready` condition of kinds kstatus has no rule for. */
function readyCondition(obj: KubeObject): StatusResult | undefined {
  for (const c of conditions(obj)) {
    if (c.type !== 'Ready') continue;
    if (c.status === 'True') return current('Resource is Ready');
    if (c.status === 'False' || c.status === 'Unknown') return inProgress(c.message);
  }
  return undefined;
}

function guarded(fn: () => StatusResult): StatusResult {
  try {
    return fn();
  } catch (err) {
    // kstatus returns an error here, which the watcher reports as Unknown. Its message is
    // empty there; we keep the cause so a human can see what is malformed.
    if (err instanceof FieldError) return { status: 'Unknown', message: err.message };
    throw err;
  }
}

/**
 * kstatus' status of a live object: deletion, generation and the Reconciling/Stalled
 * conditions first, then the kind's rule, then a `Ready` condition, else Current.
 * `now` decides whether an unschedulable pod is still within its 15 s grace.
 */
export function computeStatus(obj: KubeObject, now: Date): StatusResult {
  return guarded(() => {
    const generic = checkGeneric(obj);
    if (generic) return generic;
    const rule = ruleFor(obj);
    if (rule) return rule(obj, now);
    return readyCondition(obj) ?? current('Resource is current');
  });
}

/**
 * A Job under `--wait-for-jobs` (helm's own Job reader): Current only once complete. Like
 * helm's reader it skips the generic checks.
 */
export function jobReady(obj: KubeObject): StatusResult {
  return guarded(() => {
    const parallelism = int(obj, 'spec.parallelism', 1);
    const completions = int(obj, 'spec.completions', parallelism);
    for (const c of conditions(obj)) {
      if (c.type === 'Complete' && c.status === 'True') {
        return current(`Job Completed. succeeded: ${int(obj, 'status.succeeded', 0)}/${completions}`);
      }
      if (c.type === 'Failed' && c.status === 'True') {
        return failed(`Job Failed. failed: ${int(obj, 'status.failed', 0)}/${completions}`);
      }
    }
    return inProgress('Job in progress');
  });
}

/** helm's `--wait` leaves paused Deployments out (apps/v1 only, as helm's typed check). */
export function skippedByWait(obj: KubeObject): boolean {
  return obj.apiVersion === 'apps/v1' && obj.kind === 'Deployment' && field(obj, 'spec.paused') === true;
}

// ---------------------------------------------------------------------------------------------
// Hooks

export interface HookStatus {
  readonly status: 'Running' | 'Succeeded' | 'Failed';
  /** helm's words for a failure (`job <name> failed: <reason>`, `pod <name> failed`), else progress. */
  readonly message: string;
  /** What helm 4's hook watcher reports (`Job Failed. failed: 1/1`), for its wait error text. */
  readonly kstatus: StatusResult;
  /**
   * On failure, the line helm 4 prints after `<event> hooks failed: `, e.g.
   * `resource Job/shop/web-backup not ready. status: Failed, message: Job Failed. failed: 1/1`
   * (helm 3 and helm 4's legacy waiter say `message` instead).
   */
  readonly helmText?: string;
}

/**
 * Whether a hook's live object is done: a Job when Complete or Failed, a Pod when Succeeded or
 * Failed; any other kind as soon as it exists.
 */
export function hookStatus(obj: KubeObject): HookStatus {
  const hs = hookState(obj);
  if (hs.status !== 'Failed') return hs;
  const ref = { kind: obj.kind, name: obj.metadata.name ?? '', namespace: obj.metadata.namespace ?? '' };
  return { ...hs, helmText: notReadyText([{ ref, ...hs.kstatus }]) };
}

function hookState(obj: KubeObject): HookStatus {
  const name = obj.metadata.name ?? '';
  const { group } = groupVersion(obj.apiVersion);
  if (group === 'batch' && obj.kind === 'Job') {
    const ks = jobReady(obj);
    if (ks.status === 'Current') return { status: 'Succeeded', message: ks.message, kstatus: ks };
    if (ks.status === 'Failed') {
      const reason = condition(conditions(obj), 'Failed', 'True')?.reason ?? '';
      return { status: 'Failed', message: `job ${name} failed: ${reason}`, kstatus: ks };
    }
    return { status: 'Running', message: ks.message, kstatus: ks };
  }
  if (group === '' && obj.kind === 'Pod') {
    const phase = str(obj, 'status.phase', '');
    if (phase === 'Succeeded') {
      const message = `pod ${name} succeeded`;
      return { status: 'Succeeded', message, kstatus: current(message) };
    }
    if (phase === 'Failed') {
      const message = `pod ${name} failed`;
      return { status: 'Failed', message, kstatus: failed(message) };
    }
    return { status: 'Running', message: 'Pod in progress', kstatus: inProgress('Pod in progress') };
  }
  return { status: 'Succeeded', message: 'Resource is current', kstatus: current('Resource is current') };
}

// ---------------------------------------------------------------------------------------------
// Aggregation and helm's wait error

export interface ObjectStatus extends StatusResult {
  readonly ref: Pick<ObjectRef, 'kind' | 'name' | 'namespace'> & { readonly apiVersion?: string };
}

export interface WaitSummary<T extends ObjectStatus = ObjectStatus> {
  /** How many are Current. */
  readonly ready: number;
  readonly total: number;
  /** The Failed ones, in input order. */
  readonly failed: T[];
  /** Every one not Current (Failed included), in input order: what helm's error lists. */
  readonly notReady: T[];
  /**
   * True when nothing is left to wait for: everything is Current or Failed (helm 4.1.1+ stops
   * waiting on Failed objects). With `failed` non-empty the wait has failed.
   */
  readonly settled: boolean;
}

export function aggregate<T extends ObjectStatus>(statuses: readonly T[]): WaitSummary<T> {
  const notReady = statuses.filter((s) => s.status !== 'Current');
  const failedList = notReady.filter((s) => s.status === 'Failed');
  return {
    ready: statuses.length - notReady.length,
    total: statuses.length,
    failed: failedList,
    notReady,
    settled: notReady.length === failedList.length,
  };
}

/** helm's wait error: `resource <Kind>/<ns>/<name> not ready. status: <S>, message: <M>`, one per line. */
export function notReadyText(statuses: readonly ObjectStatus[]): string {
  return statuses
    .map((s) => `resource ${s.ref.kind}/${s.ref.namespace ?? ''}/${s.ref.name} not ready. status: ${s.status}, message: ${s.message}`)
    .join('\n');
}
