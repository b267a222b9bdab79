/**
 * The hook poll loops: BackupHook and Migrate (install/upgrade's pre and post hooks),
 * PreRollbackHooks and PostRollbackHooks (the rollback machine's), RollbackPreHooks and
 * RollbackPostHooks (the deploy machine's remediation). One poll per call: the engine's pollHooks
 * advances the hooks as far as it can without waiting and records each transition in the pending
 * record, so a retried or repeated poll never starts a hook twice. Each hook is bounded by the
 * request's timeout (HookFailed "context deadline exceeded"); the loop as a whole by the timeout
 * per hook (PollTimedOut), so no wait is unbounded.
 */
import { hooksFor, type HookEvent } from '../../kube/hooks.ts';
import { operationRecord, pollHooks } from '../../engine/run-hooks.ts';
import type { OperationRef } from '../../engine/types.ts';
import { defineStep } from '../handler.ts';
import { DocumentSchema, PollSchema, type Doc } from '../document.ts';
import { answer, deadlineOf, engineWithLog, opOf, pollSecondsOf, renewLease } from './common.ts';

type Slot = 'backup' | 'migrate' | 'pre' | 'post' | 'rollbackPre' | 'rollbackPost';

export function hookEvent(op: OperationRef['op'], phase: 'pre' | 'post'): HookEvent {
  return `${phase}-${op}` as HookEvent;
}

export function hookLoop(state: string, phase: 'pre' | 'post', opSlot: 'op' | 'rollback', slot: Slot) {
  return defineStep({
    state,
    input: DocumentSchema,
    output: PollSchema,
    async run(deps, doc: Doc, log) {
      await renewLease(deps, doc);
      const op = opOf(doc, opSlot, state);
      const engine = engineWithLog(deps, log);
      const event = hookEvent(op.op, phase);
      const record = operationRecord(engine, op);
      const now = engine.now();
      const timeoutMs = doc.request.timeoutSeconds * 1000;
      const previous = doc[slot];
      let budget = timeoutMs;
      if (!previous) {
        // The loop may run every hook of the event in turn, each up to the timeout.
        const hooks = hooksFor((await record.read()).release.hooks ?? [], event);
        budget = timeoutMs * Math.max(1, hooks.length) + pollSecondsOf(deps) * 1000;
      }
      const deadline = deadlineOf(previous, now, budget);
      const poll = await pollHooks(engine, record, event, { timeoutMs, recordMigrations: true, pollSeconds: pollSecondsOf(deps) });
      if (!poll.done) log.info('hooks running', { event, progress: poll.progress });
      return answer(state, op, poll, deadline, now, pollSecondsOf(deps));
    },
  });
}

export const backupHook = hookLoop('BackupHook', 'pre', 'op', 'backup');
export const migrate = hookLoop('Migrate', 'post', 'op', 'migrate');
export const preRollbackHooks = hookLoop('PreRollbackHooks', 'pre', 'op', 'pre');
export const postRollbackHooks = hookLoop('PostRollbackHooks', 'post', 'op', 'post');
export const rollbackPreHooks = hookLoop('RollbackPreHooks', 'pre', 'rollback', 'rollbackPre');
export const rollbackPostHooks = hookLoop('RollbackPostHooks', 'post', 'rollback', 'rollbackPost');
