/**
 * HealthGate (and RollbackHealthGate): one poll per call. First readiness — the engine's
 * pollReadiness, kstatus' rules for every object of the revision, bounded by the request's
 * timeout (WaitTimedOut past the deadline, WaitFailed as soon as something failed). Then, once
 * everything is ready and the request has a `gate`, the gate checks (Prometheus, CloudWatch
 * alarms, bake time) through the GatePoller in the deps: the extension point the gate plugs into.
 * A gate with `tests: true` first runs the chart's test hooks against the new revision (once per
 * operation: a hook started since the pending record was written counts as run), then the rest.
 * A failure of either is helmstep.Remediate; the deploy machine then rolls back.
 */
import { pollReadiness } from '../../engine/health-gate.ts';
import { HookFailed, operationRecord, pollHooks } from '../../engine/run-hooks.ts';
import { GateFailed } from '../../gate/errors.ts';
import type { WaitStrategy } from '../../engine/types.ts';
import { defineStep } from '../handler.ts';
import { DocumentSchema, PollSchema, type Doc } from '../document.ts';
import { GateUnavailable } from '../errors.ts';
import { answer, deadlineOf, engineWithLog, leaseRefOf, opOf, pollSecondsOf, renewLease } from './common.ts';

export function gateState(state: string, opSlot: 'op' | 'rollback', slot: 'gate' | 'rollbackGate', remediation: boolean) {
  return defineStep({
    state,
    input: DocumentSchema,
    output: PollSchema,
    async run(deps, doc: Doc, log) {
      await renewLease(deps, doc);
      const op = opOf(doc, opSlot, state);
      const engine = engineWithLog(deps, log);
      const now = engine.now();
      const previous = doc[slot];
      const deadline = deadlineOf(previous, now, doc.request.timeoutSeconds * 1000);
      // A remediation rollback always waits, as helm's --rollback-on-failure does.
      const strategy: WaitStrategy = remediation && doc.request.wait === 'hookOnly' ? 'watcher' : doc.request.wait;
      const pollSeconds = pollSecondsOf(deps);
      const readiness = await pollReadiness(engine, op, { strategy, waitForJobs: doc.request.waitForJobs, deadline, pollSeconds });
      if (!readiness.done) {
        log.info('waiting for readiness', { progress: readiness.progress });
        return answer(state, op, readiness, deadline, now, pollSeconds);
      }
      const spec = !remediation && 'gate' in doc.request ? doc.request.gate : undefined;
      if (!spec) return answer(state, op, readiness, deadline, now, pollSeconds);
      let gateState = previous?.gateState;
      if (spec.tests === true && gateState?.testsPassed !== true) {
        // The test hooks, on the operation's own record (owner-checked writes), as `helm test` runs them.
        const record = { ...operationRecord(engine, op), op: 'test' as const };
        let tests;
        try {
          tests = await pollHooks(engine, record, 'test', { timeoutMs: Math.max(1000, deadline.getTime() - now.getTime()), pollSeconds });
        } catch (err) {
          // helm's words for a failed hook event (`test hooks failed: resource Pod/…`), naming the hook's object.
          if (err instanceof HookFailed) throw new GateFailed(`test hook ${err.hook}`, 'failed', `test hooks failed: ${err.text}`);
          throw err;
        }
        if (!tests.done) return answer(state, op, { ...tests, progress: `test hooks: ${tests.progress}` }, deadline, now, pollSeconds);
        log.info('test hooks passed');
        gateState = { testsPassed: true };
        if (!spec.prometheus && !spec.alarms && !spec.bakeSeconds) return { done: true, seconds: 1, progress: 'gate passed: test hooks succeeded', deadline: deadline.toISOString(), gateState };
      }
      // The gate extension point: readiness passed, now the request's gate checks.
      if (!deps.gate) throw new GateUnavailable(leaseRefOf(doc.request));
      const g = await deps.gate(deps, spec, gateState, now);
      const keep = gateState?.testsPassed === true ? { testsPassed: true } : {};
      if (g.done) return { done: true, seconds: 1, progress: g.progress ?? 'gate passed', deadline: deadline.toISOString() };
      log.info('gate checks running', { progress: g.progress });
      return {
        done: false,
        seconds: Math.max(1, Math.ceil(g.seconds ?? pollSeconds)),
        progress: g.progress ?? 'gate checks running',
        deadline: deadline.toISOString(),
        gateState: { ...(g.state ?? {}), ...keep },
      };
    },
  });
}

export const healthGate = gateState('HealthGate', 'op', 'gate', false);
export const rollbackHealthGate = gateState('RollbackHealthGate', 'rollback', 'rollbackGate', true);
