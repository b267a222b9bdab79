/** What the state cores share: the lease renewal every step starts with, engine deps with logs, poll answers. */
import type { EngineDeps, OperationRef, Poll, ProgressEvent } from '../../engine/types.ts';
import type { OrchestrationDeps, StepLog } from '../deps.ts';
import type { Doc, OpRefDoc, PollDoc } from '../document.ts';
import { InvalidRequest, PollTimedOut, type LeaseRef } from '../errors.ts';
import type { AnyRequest } from '../request.ts';

export function leaseRefOf(request: Pick<AnyRequest, 'cluster' | 'namespace' | 'name'>): LeaseRef {
  return { cluster: request.cluster, namespace: request.namespace, name: request.name };
}

/** Every step extends the lease first: a step that lost it (taken over after expiry) stops. */
export async function renewLease(deps: OrchestrationDeps, doc: Pick<Doc, 'request' | 'owner'>): Promise<void> {
  await deps.lease.renew(leaseRefOf(doc.request), doc.owner, deps.engine.now(), deps.leaseTtlMs);
}

/** The engine's deps with its progress events also logged (debug) under this state. */
export function engineWithLog(deps: OrchestrationDeps, log: StepLog): EngineDeps {
  const forward = deps.engine.progress;
  return {
    ...deps.engine,
    progress: (e: ProgressEvent) => {
      log.debug('progress', { event: e });
      forward?.(e);
    },
  };
}

export function opOf(doc: Doc, slot: 'op' | 'rollback', state: string): OperationRef {
  const op = doc[slot];
  if (!op) throw new InvalidRequest(state, [`${slot}: the operation is missing (the state that writes it did not run)`]);
  return op;
}

export function pollSecondsOf(deps: OrchestrationDeps): number {
  return Math.max(1, Math.ceil(deps.pollSeconds ?? 2));
}

/** The loop's deadline: kept from the previous poll, or set by the first one. */
export function deadlineOf(previous: PollDoc | undefined, now: Date, budgetMs: number): Date {
  return previous ? new Date(previous.deadline) : new Date(now.getTime() + budgetMs);
}

/** A poll's answer as the state document keeps it; past the deadline, the loop times out. */
export function answer(state: string, op: OpRefDoc, poll: Poll, deadline: Date, now: Date, pollSeconds: number): PollDoc {
  if (poll.done) return { done: true, seconds: 1, progress: 'done', deadline: deadline.toISOString() };
  if (now.getTime() > deadline.getTime()) throw new PollTimedOut(op, state, deadline, poll.progress);
  return { done: false, seconds: Math.max(1, Math.ceil(Math.min(poll.seconds, pollSeconds))), progress: poll.progress, deadline: deadline.toISOString() };
}
