/**
 * Finalize (and RollbackFinalize): the record becomes deployed, what it replaced superseded (the
 * engine's finalizeStep, idempotent for its owner). Finalize, the success path's last state, then
 * releases the lease; RollbackFinalize leaves it to ReleaseLease, which ends the execution failed.
 */
import { finalizeStep } from '../../engine/finalize.ts';
import { defineStep } from '../handler.ts';
import { DocumentSchema, ReleaseSummarySchema, type Doc } from '../document.ts';
import { engineWithLog, leaseRefOf, opOf, renewLease } from './common.ts';

export function finalizeState(state: string, opSlot: 'op' | 'rollback', releaseLease: boolean) {
  return defineStep({
    state,
    input: DocumentSchema,
    output: ReleaseSummarySchema,
    async run(deps, doc: Doc, log) {
      await renewLease(deps, doc);
      const op = opOf(doc, opSlot, state);
      const description = opSlot === 'op' && 'description' in doc.request ? doc.request.description : undefined;
      const rel = await finalizeStep(engineWithLog(deps, log), op, description ? { description } : {});
      if (releaseLease && !(await deps.lease.release(leaseRefOf(doc.request), doc.owner))) {
        log.warn('the lease was already held by another execution; left as is');
      }
      log.info('deployed', { revision: rel.version, description: rel.info.description });
      return { namespace: op.namespace, name: op.name, revision: rel.version, status: rel.info.status ?? 'deployed', description: rel.info.description ?? '' };
    },
  });
}

export const finalize = finalizeState('Finalize', 'op', true);
export const rollbackFinalize = finalizeState('RollbackFinalize', 'rollback', false);
