/**
 * One poll of a release's hooks for one event (pre-upgrade, post-upgrade, test, ...), as helm's
 * execHook runs them, but resumable: every transition is written into the pending record's
 * `hooks[].last_run` (which helm keeps when it rewrites a record), so a retried or re-run poll
 * continues where the last one stopped and never runs a hook twice in one operation.
 *
 * Per hook, in helm's order (weight, then name):
 *   not started → before-hook-creation: delete the old copy and wait until it is gone;
 *                 then last_run = {started_at: now, phase: Running} is written, then the object
 *                 is created (server-side apply, no force);
 *   Running     → read the object: Job Complete / Pod Succeeded (or any other kind existing)
 *                 → Succeeded; Job Failed / Pod Failed → Failed; still running past the
 *                 timeout → Failed (timed out);
 *   Failed      → delete it if hook-failed, and earlier hooks of the event with hook-succeeded
 *                 (helm 4), then throw HookFailed.
 * When all have succeeded: hook-succeeded deletions in reverse order, then done.
 * "Started in this operation" means last_run.started_at ≥ the pending record's last_deployed: a
 * rollback copies the target's hooks with their old last_run, which must not count.
 */
import { HelmstepError, type ReleaseRef } from '../release/errors.ts';
import { formatHelmTime, parseHelmTime, type Hook, type Release } from '../release/record.ts';
import { updatePending } from '../actions/index.ts';
import { deletePolicies, hookObject, hookRanSince, hooksFor, isMigration, type HookEvent } from '../kube/hooks.ts';
import { hookStatus } from '../kube/readiness.ts';
import { refOf, resolveNamespace } from '../kube/client.ts';
import type { KubeObject, ObjectRef } from '../kube/types.ts';
import { observe } from './observe.ts';
import type { StoredRelease } from '../store/release-store.ts';
import type { EngineDeps, OperationRef, Poll } from './types.ts';

/** Label on a record whose operation started a migration hook: the revision it ran in. */
export const MIGRATED_IN_LABEL = 'helmstep.dev/migrated-in';

/** A hook failed or timed out. `text` is helm's wording for the operation's hook failure. */
export class HookFailed extends HelmstepError {
  override readonly name = 'HookFailed';
  readonly reason = 'HookFailed';
  /** helm's text, as the failed record's description carries it. */
  readonly text: string;
  constructor(
    readonly ref: ReleaseRef,
    readonly op: OperationRef['op'] | 'test',
    readonly event: HookEvent,
    readonly hook: string,
    readonly detail: string,
    readonly migration: boolean,
  ) {
    const text = hookErrorText(op, event, detail);
    super(`${text} (release "${ref.name}" in namespace "${ref.namespace}"; see kubectl describe -n ${ref.namespace} ${hookKindPath(detail)} and its pods' logs)`);
    this.text = text;
  }
}

function hookKindPath(detail: string): string {
  const m = /resource (\w+)\/[^/]*\/(\S+) not ready/.exec(detail);
  return m ? `${m[1]!.toLowerCase()}/${m[2]!}` : 'the hook';
}

/** Helm's wrapping of a hook error, per operation (upgrade.go, install.go; rollback returns it bare). */
export function hookErrorText(op: OperationRef['op'] | 'test', event: HookEvent, detail: string): string {
  if (op === 'upgrade') return `${event} hooks failed: ${detail}`;
  if (op === 'install') return `failed ${event}: ${detail}`;
  return detail;
}

function sameHook(a: Hook, b: Hook): boolean {
  return a.name === b.name && a.kind === b.kind && a.path === b.path;
}

/** Returns a copy of `rel` with `hook`'s fields changed. */
function withHook(rel: Release, hook: Hook, patch: Partial<Hook>): Release {
  return { ...rel, hooks: (rel.hooks ?? []).map((h) => (sameHook(h, hook) ? { ...h, ...patch } : h)) };
}

/** A hook object with its namespace filled in, and the reference to find it by. */
async function locate(deps: EngineDeps, obj: KubeObject, namespace: string): Promise<{ obj: KubeObject; ref: ObjectRef }> {
  const resolved = await resolveNamespace(deps.kube, obj, namespace);
  const ref = refOf(resolved);
  return { obj: resolved, ref };
}

/** last_run of a finished hook, keys in Go's struct order (started_at, completed_at, phase). */
function finished(hook: Hook, phase: 'Succeeded' | 'Failed', now: Date): NonNullable<Hook['last_run']> {
  return { started_at: hook.last_run?.started_at ?? formatHelmTime(now), completed_at: formatHelmTime(now), phase };
}

/** helm 4's watcher text for a hook that did not succeed (the same words as a resource wait). */
function hookFailureDetail(ref: ObjectRef, status: string, message: string): string {
  return `resource ${ref.kind}/${ref.namespace ?? ''}/${ref.name} not ready. status: ${status}, message: ${message}`;
}

export interface HookPollOptions {
  /** helm's --timeout, applied to each hook separately. */
  readonly timeoutMs: number;
  /** Only when true is a migration hook's start recorded (the label `helmstep.dev/migrated-in`). */
  readonly recordMigrations?: boolean;
  /** How soon to poll again while a hook runs. */
  readonly pollSeconds?: number;
}

/** The record whose hooks run, and how their progress is written back. */
export interface HookRecord {
  readonly ref: ReleaseRef;
  readonly op: OperationRef['op'] | 'test';
  /** The revision (for the migration label). */
  readonly revision: number;
  read(): Promise<StoredRelease>;
  write(change: (r: Release) => Release, labels?: Record<string, string>): Promise<StoredRelease>;
  /** Hooks started at or after this moment ran in this run. */
  since(stored: StoredRelease): Date;
}

/** An operation's own pending record (owner-checked compare-and-swap writes). */
export function operationRecord(deps: EngineDeps, op: OperationRef): HookRecord {
  return {
    ref: op,
    op: op.op,
    revision: op.revision,
    read: async () => (await observe(deps, op)).own,
    write: (change, labels) => updatePending(deps.store, op, op.revision, op.owner, change, labels),
    since: (stored) => parseHelmTime(stored.release.info.last_deployed) ?? new Date(0),
  };
}

/**
 * A deployed revision whose test hooks run (`helm test`): no lock, no new revision; results are
 * written into the same record with compare-and-swap, as helm's Releases.Update does.
 */
export function testRecord(deps: EngineDeps, ref: ReleaseRef, revision: number, startedAt: Date): HookRecord {
  return {
    ref,
    op: 'test',
    revision,
    read: () => deps.store.get(ref, revision),
    write: async (change, labels) => {
      const stored = await deps.store.get(ref, revision);
      return deps.store.update(stored, change(stored.release), labels ?? stored.labels);
    },
    since: () => startedAt,
  };
}

/**
 * Advances the hooks of `event` on a record as far as possible without waiting.
 * Throws HookFailed (the caller fails the release), OperationSuperseded, API errors.
 */
export async function pollHooks(deps: EngineDeps, record: HookRecord, event: HookEvent, opts: HookPollOptions): Promise<Poll> {
  const pollSeconds = opts.pollSeconds ?? 2;
  const own = await record.read();
  const op = { ...record.ref, op: record.op, revision: record.revision };
  let rel = own.release;
  const since = record.since(own);
  const hooks = hooksFor(rel.hooks ?? [], event);
  const persist = async (change: (r: Release) => Release, labels?: Record<string, string>) => {
    rel = (await record.write(change, labels)).release;
  };

  for (const listed of hooks) {
    const hook = (rel.hooks ?? []).find((h) => sameHook(h, listed)) ?? listed;
    const name = hook.name ?? '';
    const policies = deletePolicies(hook);
    const { obj, ref } = await locate(deps, hookObject(hook), op.namespace);
    const ran = hookRanSince(hook, since);
    const phase = ran ? hook.last_run?.phase : undefined;

    if (phase === 'Succeeded') continue;
    if (phase === 'Failed') {
      throw new HookFailed(record.ref, record.op, event, name, hookFailureDetail(ref, 'Failed', 'the hook failed earlier in this operation'), isMigration(hook));
    }
    if (phase !== 'Running') {
      // Not started in this operation yet.
      if (policies.includes('before-hook-creation')) {
        const old = await deps.kube.get(ref);
        if (old) {
          if (!old.metadata.deletionTimestamp) await deps.kube.delete(ref);
          deps.progress?.({ kind: 'hook', hook: name, event, phase: 'deleted', detail: 'before-hook-creation' });
          return { done: false, seconds: 1, progress: `waiting for the previous ${ref.kind} ${name} to be deleted` };
        }
      }
      const migration = isMigration(hook);
      const labels = migration && opts.recordMigrations ? { ...own.labels, [MIGRATED_IN_LABEL]: String(op.revision) } : undefined;
      const persistedPolicies = hook.delete_policies && hook.delete_policies.length > 0 ? {} : { delete_policies: policies };
      await persist(
        (r) => withHook(r, hook, { ...persistedPolicies, last_run: { started_at: formatHelmTime(deps.now()), phase: 'Running' } }),
        labels,
      );
      await deps.kube.apply(obj, { force: false });
      deps.progress?.({ kind: 'hook', hook: name, event, phase: 'started', detail: `${ref.kind}${migration ? ' (migration)' : ''}` });
      return { done: false, seconds: pollSeconds, progress: `hook ${name} running` };
    }

    // Running: look at it.
    const live = await deps.kube.get(ref);
    if (!live) {
      // Started was written but the create did not happen (a crash between the two): create it now.
      await deps.kube.apply(obj, { force: false });
      return { done: false, seconds: pollSeconds, progress: `hook ${name} running` };
    }
    const status = hookStatus(live);
    const startedAt = parseHelmTime(hook.last_run?.started_at) ?? since;
    const timedOut = status.status === 'Running' && deps.now().getTime() - startedAt.getTime() > opts.timeoutMs;
    if (status.status === 'Running' && !timedOut) {
      return { done: false, seconds: pollSeconds, progress: `hook ${name}: ${status.kstatus.message || 'running'}` };
    }
    if (status.status === 'Failed' || timedOut) {
      const detail = timedOut
        ? `${hookFailureDetail(ref, 'InProgress', status.kstatus.message)}\ncontext deadline exceeded`
        : hookFailureDetail(ref, 'Failed', status.kstatus.message);
      await persist((r) => withHook(r, hook, { last_run: finished(hook, 'Failed', deps.now()) }));
      deps.progress?.({ kind: 'hook', hook: name, event, phase: 'failed', detail });
      if (policies.includes('hook-failed')) await deps.kube.delete(ref);
      // helm 4 also deletes the earlier hooks of this event whose policy is hook-succeeded.
      for (const earlier of hooks) {
        if (sameHook(earlier, hook)) break;
        if (deletePolicies(earlier).includes('hook-succeeded')) await deps.kube.delete((await locate(deps, hookObject(earlier), op.namespace)).ref);
      }
      throw new HookFailed(record.ref, record.op, event, name, detail, isMigration(hook));
    }
    await persist((r) => withHook(r, hook, { last_run: finished(hook, 'Succeeded', deps.now()) }));
    deps.progress?.({ kind: 'hook', hook: name, event, phase: 'succeeded' });
  }

  // All succeeded: hook-succeeded deletions in reverse order (deleting a missing one is a no-op).
  for (const hook of [...hooks].reverse()) {
    if (deletePolicies(hook).includes('hook-succeeded')) {
      const { ref } = await locate(deps, hookObject(hook), op.namespace);
      if (await deps.kube.delete(ref)) deps.progress?.({ kind: 'hook', hook: hook.name ?? '', event, phase: 'deleted', detail: 'hook-succeeded' });
    }
  }
  return { done: true };
}
