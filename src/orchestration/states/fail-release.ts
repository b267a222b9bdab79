/**
 * FailRelease (and RollbackFailRelease): the operation failed. Its pending record becomes
 * `failed` with helm's text (the engine's failStep: --cleanup-on-fail first), then the state
 * decides whether the deploy machine rolls back (remediation.ts). When the failure came before
 * any record was written (ValidateLock, Render), nothing is failed. A record already failed (a
 * retry, a re-run, or `unlock`) counts as done. Never throws on a record that is not ours any
 * more: it reports it and the machine goes on to release the lease.
 */
import { failStep } from '../../engine/fail.ts';
import type { OperationRef } from '../../engine/types.ts';
import { isOwnedBy } from '../../release/owner.ts';
import { isPending } from '../../release/record.ts';
import { failureTextOf, parseCause } from '../classify.ts';
import { defineStep } from '../handler.ts';
import { DocumentSchema, FailureDocSchema, type Doc, type FailureDoc } from '../document.ts';
import { decideRemediation } from '../remediation.ts';
import { engineWithLog, renewLease } from './common.ts';
import { remediationOwner } from './rollback.ts';
import type { OrchestrationDeps } from '../deps.ts';

/** Reasons that mean the record is no longer this operation's to fail (it was finished or unlocked). */
const NOT_OURS: ReadonlySet<string> = new Set(['OperationSuperseded', 'NotOwner', 'NotPending', 'NotNewest']);

/** The operation, or the pending record this owner wrote when Render (RollbackBegin) failed after writing it. */
async function findOp(deps: OrchestrationDeps, doc: Doc, slot: 'op' | 'rollback'): Promise<OperationRef | undefined> {
  const known = doc[slot];
  if (known) return known;
  const owner = slot === 'rollback' ? remediationOwner(doc.owner) : doc.owner;
  const newest = (await deps.engine.store.history(doc.request)).at(-1);
  if (!newest || !isPending(newest.release.info.status) || !isOwnedBy(newest, owner)) return undefined;
  const status = newest.release.info.status;
  const op = status === 'pending-install' ? 'install' : status === 'pending-upgrade' ? 'upgrade' : 'rollback';
  // The remediation's slot only ever holds a rollback; the deploy's never does (a re-run's leftover).
  if ((slot === 'rollback') !== (op === 'rollback')) return undefined;
  return { namespace: doc.request.namespace, name: doc.request.name, op, revision: newest.release.version, owner };
}

export function failState(state: string, slot: 'op' | 'rollback', errorSlot: 'error' | 'rollbackError') {
  return defineStep({
    state,
    input: DocumentSchema,
    output: FailureDocSchema,
    async run(deps, doc: Doc, log): Promise<FailureDoc> {
      // Failing our own record is right even when the lease was lost; the renewal is best effort.
      await renewLease(deps, doc).catch((err: unknown) => log.warn('could not renew the lease', { error: String(err) }));
      const caught = doc[errorSlot];
      const cause = parseCause(caught, state);
      const op = await findOp(deps, doc, slot);
      if (!op) return { rollback: false, why: `nothing to fail: no revision was written (${cause.class} in ${cause.state})` };
      let failed: FailureDoc | undefined;
      try {
        const { release, cleaned } = await failStep(engineWithLog(deps, log), op, { text: failureTextOf(cause) }, { cleanupOnFail: doc.request.cleanupOnFail });
        log.info('release failed', { revision: release.version, description: release.info.description, cleaned: cleaned.length });
        failed = { revision: release.version, status: release.info.status ?? 'failed', description: release.info.description ?? '', rollback: false, why: '' };
      } catch (err) {
        const reason = (err as { reason?: unknown }).reason;
        if (typeof reason !== 'string' || !NOT_OURS.has(reason)) throw err;
        log.warn('the record is no longer this operation\'s to fail', { reason });
        failed = { revision: op.revision, rollback: false, why: '' };
      }
      if (slot === 'rollback') return { ...failed, why: 'the remediation rollback failed' };
      const history = (await deps.engine.store.history(doc.request)).map((h) => ({ version: h.release.version, status: h.release.info.status ?? '' }));
      const decision = decideRemediation({ error: caught?.Error ?? '', cause, request: doc.request, op, history });
      log.info('remediation decided', { ...decision });
      return { ...failed, rollback: decision.rollback, ...(decision.target !== undefined ? { target: decision.target } : {}), why: decision.why };
    },
  });
}

export const failRelease = failState('FailRelease', 'op', 'error');
export const rollbackFailRelease = failState('RollbackFailRelease', 'rollback', 'rollbackError');
