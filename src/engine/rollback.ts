/**
 * Rollback (the ASL state of the same name): plans a rollback to a stored revision, refuses it
 * when it is unsafe (unless forced), then writes the `pending-rollback` "Rollback to N" record
 * with the target's chart, values, manifest and hooks. The hooks, apply, wait and finalize that
 * follow are the same steps an upgrade uses.
 *
 * Idempotent: when a record of this owner exists it is returned as is (`finished` set when the
 * rollback already ended).
 * `dryRun` only plans: nothing is written. Throws RollbackRefused (stop: a person decides),
 * ReleaseNotFound, RevisionNotFound, InvalidRevision, OperationInProgress.
 */
import { beginRollback } from '../actions/index.ts';
import { detectDrift } from '../kube/apply.ts';
import { withOwnership } from '../kube/manifest.ts';
import { HelmstepError, OperationInProgress, type ReleaseRef } from '../release/errors.ts';
import { resolveRollbackTarget, validateReleaseName } from '../release/lifecycle.ts';
import { isPending } from '../release/record.ts';
import { ownedBy } from './observe.ts';
import { eventsOf } from './render.ts';
import { describeRisk, planRollback, type RollbackPlan } from './rollback-plan.ts';
import { manifestObjects } from './upgrade.ts';
import type { StoredRelease } from '../store/release-store.ts';
import type { EngineDeps, OperationRef } from './types.ts';

/** The planner found a reason not to roll back; --force overrides it. */
export class RollbackRefused extends HelmstepError {
  override readonly name = 'RollbackRefused';
  readonly reason = 'RollbackRefused';
  constructor(
    readonly ref: ReleaseRef,
    readonly plan: RollbackPlan,
  ) {
    const reasons = plan.risks.filter((r) => r.refuse).map(describeRisk);
    super(
      `rollback of release "${ref.name}" in namespace "${ref.namespace}" to revision ${plan.targetRevision} refused: ${reasons.join('; ')}. ` +
        `Nothing was changed. Fix forward with an upgrade, or pass --force to roll back anyway (recorded in the revision's description)`,
    );
  }
}

export interface RollbackRequest extends ReleaseRef {
  /** 0 = the revision before the newest (failed revisions are not skipped, as in helm). */
  readonly target: number;
  readonly owner: string;
  readonly force: boolean;
  readonly maxHistory: number;
  /** helm's rollback ignores a pending newest record (that is how it unsticks one). */
  readonly ignoreLock: boolean;
}

export interface PlanOptions {
  /**
   * Look for drift (d): a server-side dry-run of every object of the current revision, compared
   * with the live object (two requests per object). On by default; the rollback step itself
   * turns it off, since drift never refuses a rollback and the rollback overwrites it anyway:
   * `rollback --dry-run` is where a person reads it.
   */
  readonly drift?: boolean;
  /** The history, when the caller has just read it. */
  readonly history?: readonly StoredRelease[];
}

/** Plans without writing anything (`rollback --dry-run`, and the first half of the step). */
export async function planRollbackStep(deps: EngineDeps, req: RollbackRequest, opts: PlanOptions = {}): Promise<RollbackPlan> {
  validateReleaseName(req.name);
  const history = opts.history ?? (await deps.store.history(req));
  const { current, target } = resolveRollbackTarget(
    history.map((h) => h.release),
    req,
    req.target,
  );
  deps.kube.rediscover(); // an API version may have stopped being served since discovery was read
  const currentObjects = await manifestObjects(deps, current, req.namespace);
  const targetObjects = await manifestObjects(deps, target, req.namespace);
  const served = new Map<string, boolean>();
  for (const o of targetObjects) {
    const key = `${o.apiVersion}|${o.kind}`;
    if (!served.has(key)) served.set(key, (await deps.kube.resource(o.apiVersion, o.kind)).served);
  }
  const drift = opts.drift === false ? [] : await detectDrift(
    deps.kube,
    currentObjects.map((o) => withOwnership(o, req.name, req.namespace)),
  );
  return planRollback({
    current,
    target,
    currentObjects,
    targetObjects,
    namespace: req.namespace,
    history,
    served: (apiVersion, kind) => served.get(`${apiVersion}|${kind}`) ?? true,
    drift,
  });
}

export async function rollbackStep(
  deps: EngineDeps,
  req: RollbackRequest,
): Promise<{ readonly op: OperationRef; readonly plan: RollbackPlan | undefined; readonly resumed: boolean }> {
  validateReleaseName(req.name);
  const history = await deps.store.history(req);
  const mine = ownedBy(history, req.owner);
  if (mine) {
    // A re-run: the rollback began (pending: resume it) or already finished (say so).
    const status = mine.release.info.status;
    const op: OperationRef = { ...refOnly(req), op: 'rollback', revision: mine.release.version, owner: req.owner, ...(isPending(status) ? {} : { finished: status }) };
    return { op, plan: undefined, resumed: true };
  }
  const newest = history.at(-1);
  if (newest && isPending(newest.release.info.status) && !req.ignoreLock) {
    throw new OperationInProgress(req, newest.release.version, newest.release.info.status);
  }
  const plan = await planRollbackStep(deps, req, { drift: false, history });
  if (plan.refused && !req.force) throw new RollbackRefused(req, plan);
  const overridden = plan.risks.filter((r) => r.refuse);
  // A forced override is part of the record: "Rollback to N" stays first, as helm writes it.
  const forced = req.force && overridden.length > 0 ? ` (forced past: ${overridden.map((r) => r.kind).join(', ')})` : '';
  const begun = await beginRollback(deps.store, req, plan.targetRevision, {
    owner: req.owner,
    maxHistory: req.maxHistory,
    now: deps.now(),
    ignoreLock: req.ignoreLock,
    applyMethod: 'ssa',
    history,
    ...(forced ? { description: `Rollback to ${plan.targetRevision}${forced}` } : {}),
  });
  const op: OperationRef = { ...refOnly(req), op: 'rollback', revision: begun.pending.release.version, owner: req.owner, hookEvents: eventsOf(begun.pending.release) };
  return { op, plan, resumed: false };
}

function refOnly(ref: ReleaseRef): ReleaseRef {
  return { namespace: ref.namespace, name: ref.name };
}
