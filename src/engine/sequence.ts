/**
 * The local sequencer: runs the engine's steps one after another in this process, as the
 * deploy and rollback state machines order them, sleeping between polls (only here: a Lambda
 * never sleeps; Step Functions' Wait states do that in AWS). Used by the CLI.
 *
 *   install/upgrade: Render → BackupHook (pre-*) → Upgrade → HealthGate → Migrate (post-*) → Finalize
 *   rollback:        Rollback → pre-rollback hooks → Upgrade → HealthGate → post-rollback hooks → Finalize
 *   on failure:      Fail (cleanup-on-fail) → with --rollback-on-failure, the rollback sequence to
 *                    the last successful revision
 */
import { randomUUID } from 'node:crypto';
import { HelmstepError, ReleaseNotFound, type ReleaseRef } from '../release/errors.ts';
import type { Release } from '../release/record.ts';
import { unlock } from '../actions/index.ts';
import type { HookEvent } from '../kube/hooks.ts';
import { failStep, failureMessage, failureText } from './fail.ts';
import { finalizeStep } from './finalize.ts';
import { pollReadiness } from './health-gate.ts';
import { renderStep, type DeployRequest } from './render.ts';
import { rollbackStep, type RollbackRequest } from './rollback.ts';
import type { RollbackPlan } from './rollback-plan.ts';
import { operationRecord, pollHooks, testRecord, type HookRecord } from './run-hooks.ts';
import { upgradeStep } from './upgrade.ts';
import type { EngineDeps, OperationRef, Poll, WaitStrategy } from './types.ts';

/** The run was interrupted (Ctrl-C): helm's text for a cancelled operation. */
export class Interrupted extends HelmstepError {
  override readonly name = 'Interrupted';
  readonly reason = 'Interrupted';
  constructor() {
    super('context canceled');
  }
}

/** An operation failed after its record was written: the record says failed (or rolled back). */
export class OperationFailed extends HelmstepError {
  override readonly name = 'OperationFailed';
  readonly reason = 'OperationFailed';
  constructor(
    readonly ref: ReleaseRef,
    /** helm's error text (`UPGRADE FAILED: …`, `release x failed, and has been rolled back …`). */
    message: string,
    readonly release: Release | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface WaitOptions {
  readonly strategy: WaitStrategy;
  readonly waitForJobs: boolean;
  /** helm's --timeout: each hook separately, and the resource wait. */
  readonly timeoutMs: number;
}

export interface DeployOptions extends WaitOptions {
  readonly request: Omit<DeployRequest, 'owner'> & { readonly owner?: string };
  readonly rollbackOnFailure: boolean;
  readonly cleanupOnFail: boolean;
  readonly forceConflicts: boolean;
  readonly description?: string;
  readonly signal?: AbortSignal;
  /** Poll interval override (tests). */
  readonly pollSeconds?: number;
}

export interface RollbackOptions extends WaitOptions {
  readonly request: Omit<RollbackRequest, 'owner'> & { readonly owner?: string };
  readonly cleanupOnFail: boolean;
  readonly forceConflicts?: boolean;
  readonly signal?: AbortSignal;
  readonly pollSeconds?: number;
}

function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, seconds * 1000);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Interrupted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Calls a poll step until it is done, sleeping between calls; aborts on the signal. */
async function untilDone(deps: EngineDeps, step: string, poll: () => Promise<Poll>, signal?: AbortSignal, pollSeconds?: number): Promise<void> {
  // Short waits first, doubling up to the step's own interval: most hooks and rollouts on a
  // healthy cluster finish within a second, and a fixed 2 s poll would wait longer than helm.
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new Interrupted();
    const r = await poll();
    if (r.done) return;
    deps.progress?.({ kind: 'wait', step, detail: r.progress });
    await sleep(pollSeconds ?? Math.min(r.seconds, 0.25 * 2 ** attempt), signal);
  }
}

async function step<T>(deps: EngineDeps, name: string, fn: () => Promise<T>, detail?: (t: T) => string): Promise<T> {
  deps.progress?.({ kind: 'step', step: name, phase: 'enter' });
  const out = await fn();
  deps.progress?.({ kind: 'step', step: name, phase: 'leave', ...(detail ? { detail: detail(out) } : {}) });
  return out;
}

function hookEvents(op: OperationRef['op']): { pre: HookEvent; post: HookEvent } {
  return op === 'install'
    ? { pre: 'pre-install', post: 'post-install' }
    : op === 'upgrade'
      ? { pre: 'pre-upgrade', post: 'post-upgrade' }
      : { pre: 'pre-rollback', post: 'post-rollback' };
}

/** Runs hooks, apply, wait, hooks and finalize for an operation whose pending record exists. */
async function carryOut(
  deps: EngineDeps,
  op: OperationRef,
  opts: WaitOptions & { forceConflicts: boolean; description?: string; signal?: AbortSignal; pollSeconds?: number },
): Promise<Release> {
  const events = hookEvents(op.op);
  const record = operationRecord(deps, op);
  const hookOpts = { timeoutMs: opts.timeoutMs, recordMigrations: true, ...(opts.pollSeconds ? { pollSeconds: opts.pollSeconds } : {}) };
  const started = deps.now();
  const names = op.op === 'rollback' ? { pre: 'PreRollbackHooks', post: 'PostRollbackHooks' } : { pre: 'BackupHook', post: 'Migrate' };
  const has = (event: HookEvent) => op.hookEvents === undefined || op.hookEvents.includes(event);
  const noHooks = (event: HookEvent) => async () => {
    await Promise.resolve();
    return `no ${event} hooks`;
  };
  if (has(events.pre)) await step(deps, names.pre, () => untilDone(deps, names.pre, () => pollHooks(deps, record, events.pre, hookOpts), opts.signal, opts.pollSeconds));
  else await step(deps, names.pre, noHooks(events.pre), (d) => d);
  await step(deps, 'Upgrade', () => upgradeStep(deps, op, { forceConflicts: opts.forceConflicts }), (r) => `${r.applied} applied (${r.created} created), ${r.deleted} deleted${r.kept ? `, ${r.kept} kept` : ''}`);
  const deadline = new Date(started.getTime() + (opts.timeoutMs > 0 ? opts.timeoutMs : 30_000));
  await step(deps, 'HealthGate', () =>
    untilDone(deps, 'HealthGate', () => pollReadiness(deps, op, { strategy: opts.strategy, waitForJobs: opts.waitForJobs, deadline, ...(opts.pollSeconds ? { pollSeconds: opts.pollSeconds } : {}) }), opts.signal, opts.pollSeconds),
  );
  if (has(events.post)) await step(deps, names.post, () => untilDone(deps, names.post, () => pollHooks(deps, record, events.post, hookOpts), opts.signal, opts.pollSeconds));
  else await step(deps, names.post, noHooks(events.post), (d) => d);
  return step(deps, 'Finalize', () => finalizeStep(deps, op, opts.description ? { description: opts.description } : {}));
}

/**
 * A re-run of an operation that already ended: a deployed record gets Finalize again (it finishes
 * the supersedes a crash may have interrupted), a failed one is reported as the failure it was.
 */
async function alreadyFinished(deps: EngineDeps, op: OperationRef): Promise<Release> {
  const history = await deps.store.history(op);
  const own = history.find((h) => h.release.version === op.revision)!.release;
  if (op.finished === 'failed') throw new OperationFailed(op, own.info.description ?? 'failed', own);
  if (op.finished === 'deployed' && history.at(-1)?.release.version === op.revision) {
    return step(deps, 'Finalize', () => finalizeStep(deps, op));
  }
  return own;
}

/** A local run's owner: unique per run, readable in `kubectl get secret --show-labels`. */
export function localOwner(): string {
  return `local-${randomUUID()}`;
}

/** helmstep install / upgrade [--install]. Throws OperationFailed after a failed operation. */
export async function runDeploy(deps: EngineDeps, opts: DeployOptions): Promise<Release> {
  const owner = opts.request.owner ?? localOwner();
  const req: DeployRequest = { ...opts.request, owner };
  const op = await step(deps, 'Render', () => renderStep(deps, req), (o) => `revision ${o.revision} ${o.resumed ? 'resumed' : 'locked'} by ${owner}`);
  if (op.finished) return alreadyFinished(deps, op);
  try {
    return await carryOut(deps, op, opts);
  } catch (err) {
    if (!(err instanceof HelmstepError) || err.reason === 'OperationSuperseded') throw err;
    const verb = op.op === 'install' ? 'INSTALLATION FAILED' : 'UPGRADE FAILED';
    const { release } = await step(deps, 'Fail', () => failStep(deps, op, err, { cleanupOnFail: opts.cleanupOnFail }));
    if (!opts.rollbackOnFailure) throw new OperationFailed(op, `${verb}: ${failureMessage(err)}`, release, { cause: err });
    return atomicRollback(deps, op, err, opts);
  }
}

/** --rollback-on-failure: roll back to the highest superseded or deployed revision, with a wait. */
async function atomicRollback(deps: EngineDeps, op: OperationRef, err: unknown, opts: DeployOptions): Promise<Release> {
  const history = await deps.store.history(op);
  const good = [...history].reverse().find((h) => h.release.version < op.revision && (h.release.info.status === 'superseded' || h.release.info.status === 'deployed'));
  if (!good) {
    throw new OperationFailed(op, `unable to find a previously successful release when attempting to rollback. original upgrade error: ${failureText(err)}`, undefined, { cause: err });
  }
  try {
    await runRollback(deps, {
      request: { namespace: op.namespace, name: op.name, target: good.release.version, force: false, maxHistory: 0, ignoreLock: false },
      strategy: opts.strategy === 'hookOnly' ? 'watcher' : opts.strategy,
      waitForJobs: opts.waitForJobs,
      timeoutMs: opts.timeoutMs,
      cleanupOnFail: opts.cleanupOnFail,
      forceConflicts: opts.forceConflicts,
      // Not the run's signal: after a Ctrl-C the rollback must still happen (a second Ctrl-C
      // ends the process at once, as helm's does).
      ...(opts.pollSeconds ? { pollSeconds: opts.pollSeconds } : {}),
    });
  } catch (rollErr) {
    throw new OperationFailed(op, `an error occurred while rolling back the release. original upgrade error: ${failureText(err)}: ${failureText(rollErr)}`, undefined, { cause: rollErr });
  }
  const last = (await deps.store.history(op)).at(-1)?.release;
  throw new OperationFailed(op, `release ${op.name} failed, and has been rolled back due to rollback-on-failure being set: ${failureText(err)}`, last, { cause: err });
}

/** helmstep rollback. Returns the new deployed record, or the plan with `dryRun`. */
export async function runRollback(deps: EngineDeps, opts: RollbackOptions): Promise<Release> {
  const owner = opts.request.owner ?? localOwner();
  const { op } = await step(deps, 'Rollback', () => rollbackStep(deps, { ...opts.request, owner }), (r) => `revision ${r.op.revision} "Rollback to ${r.plan?.targetRevision ?? '?'}"`);
  if (op.finished) return alreadyFinished(deps, op);
  try {
    return await carryOut(deps, op, { ...opts, forceConflicts: opts.forceConflicts ?? false });
  } catch (err) {
    if (!(err instanceof HelmstepError) || err.reason === 'OperationSuperseded') throw err;
    const { release } = await step(deps, 'Fail', () => failStep(deps, op, err, { cleanupOnFail: opts.cleanupOnFail }));
    throw new OperationFailed(op, failureMessage(err), release, { cause: err });
  }
}

export interface TestResult {
  readonly release: Release;
  readonly hooks: readonly { readonly name: string; readonly phase: string; readonly startedAt?: string; readonly completedAt?: string }[];
}

/** helmstep test: the newest revision's test hooks; results recorded on that revision. */
export async function runTest(deps: EngineDeps, ref: ReleaseRef, opts: { timeoutMs: number; signal?: AbortSignal; pollSeconds?: number }): Promise<TestResult> {
  const newest = (await deps.store.history(ref)).at(-1);
  if (!newest) throw new ReleaseNotFound(ref);
  const record: HookRecord = testRecord(deps, ref, newest.release.version, deps.now());
  let failure: unknown;
  try {
    await step(deps, 'Test', () => untilDone(deps, 'Test', () => pollHooks(deps, record, 'test', { timeoutMs: opts.timeoutMs, ...(opts.pollSeconds ? { pollSeconds: opts.pollSeconds } : {}) }), opts.signal, opts.pollSeconds));
  } catch (err) {
    failure = err;
  }
  const after = (await deps.store.get(ref, newest.release.version)).release;
  const hooks = (after.hooks ?? [])
    .filter((h) => (h.events ?? []).some((e) => e === 'test' || e === 'test-success'))
    .map((h) => ({ name: h.name ?? '', phase: h.last_run?.phase ?? '', ...(h.last_run?.started_at ? { startedAt: h.last_run.started_at } : {}), ...(h.last_run?.completed_at ? { completedAt: h.last_run.completed_at } : {}) }));
  if (failure) throw new OperationFailed(ref, failureMessage(failure), after, { cause: failure });
  return { release: after, hooks };
}

/** helmstep unlock: a pending record whose owner is gone becomes failed, saying who and why. */
export async function runUnlock(
  deps: EngineDeps,
  ref: ReleaseRef,
  opts: { readonly force: boolean; readonly reason: string; readonly by: string; readonly staleAfterMs: number },
): Promise<Release> {
  const now = deps.now();
  const done = await unlock(deps.store, ref, { by: opts.by, reason: opts.reason, force: opts.force, olderThan: new Date(now.getTime() - opts.staleAfterMs), now });
  return done.release;
}

export type { RollbackPlan };
