/**
 * HealthGate, readiness part: one poll of every object of the operation's revision through
 * kstatus' rules, as helm 4's `--wait` (watcher) does. The Prometheus, CloudWatch and bake-time
 * checks join this state with the orchestration; here it is the resource wait.
 *
 * Reads only. Answers done when every object is Current; `wait` with `ready n/m` otherwise;
 * throws WaitFailed as soon as nothing is in progress any more but something Failed (helm
 * 4.1.1+ stops early), and WaitTimedOut past the deadline, with helm's texts.
 */
import { HelmstepError } from '../release/errors.ts';
import { refOf } from '../kube/client.ts';
import { aggregate, computeStatus, jobReady, notReadyText, skippedByWait } from '../kube/readiness.ts';
import { observe } from './observe.ts';
import { manifestObjects } from './upgrade.ts';
import type { EngineDeps, OperationRef, Poll, WaitStrategy } from './types.ts';

/** Objects did not become ready: `text` is helm's error text (what the failed record says). */
export class WaitFailed extends HelmstepError {
  override readonly name: string = 'WaitFailed';
  readonly reason: string = 'WaitFailed';
  constructor(
    readonly op: OperationRef,
    readonly text: string,
  ) {
    super(text);
  }
}

/** The deadline passed before every object was ready. */
export class WaitTimedOut extends WaitFailed {
  override readonly name = 'WaitTimedOut';
  override readonly reason = 'WaitTimedOut';
}

export interface ReadinessOptions {
  readonly strategy: WaitStrategy;
  /** --wait-for-jobs: Jobs count only once complete. */
  readonly waitForJobs: boolean;
  /** When the wait gives up (the operation's start + --timeout). */
  readonly deadline: Date;
  readonly pollSeconds?: number;
}

export async function pollReadiness(deps: EngineDeps, op: OperationRef, opts: ReadinessOptions): Promise<Poll> {
  if (opts.strategy === 'hookOnly') return { done: true };
  const { own } = await observe(deps, op);
  const objects = (await manifestObjects(deps, own.release, op.namespace)).filter((o) => !skippedByWait(o));
  const now = deps.now();
  const statuses = [];
  for (const obj of objects) {
    const ref = refOf(obj);
    const live = await deps.kube.get(ref);
    const st = !live
      ? { status: 'InProgress' as const, message: 'Resource not found' }
      : opts.waitForJobs && live.kind === 'Job'
        ? jobReady(live)
        : computeStatus(live, now);
    statuses.push({ ref, ...st });
  }
  const summary = aggregate(statuses);
  if (summary.ready === summary.total) return { done: true };
  if (summary.settled && summary.failed.length > 0) {
    throw new WaitFailed(op, notReadyText(summary.failed));
  }
  if (now.getTime() >= opts.deadline.getTime()) {
    throw new WaitTimedOut(op, `${notReadyText(summary.notReady)}\ncontext deadline exceeded`);
  }
  const first = summary.notReady[0];
  return {
    done: false,
    seconds: opts.pollSeconds ?? 2,
    progress: `ready ${summary.ready}/${summary.total}${first ? `; waiting for ${first.ref.kind}/${first.ref.name}: ${first.message}` : ''}`,
  };
}
