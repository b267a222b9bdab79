/**
 * Upgrade (and RollbackUpgrade): the engine's upgradeStep — server-side apply of the operation's
 * revision in helm's kind order, then deletion of what it dropped. Idempotent: applying the same
 * objects again changes nothing.
 */
import { upgradeStep } from '../../engine/upgrade.ts';
import { defineStep } from '../handler.ts';
import { DocumentSchema, UpgradeDocSchema, type Doc } from '../document.ts';
import { engineWithLog, opOf, renewLease } from './common.ts';

export function applyState(state: string, opSlot: 'op' | 'rollback') {
  return defineStep({
    state,
    input: DocumentSchema,
    output: UpgradeDocSchema,
    async run(deps, doc: Doc, log) {
      await renewLease(deps, doc);
      const op = opOf(doc, opSlot, state);
      const r = await upgradeStep(engineWithLog(deps, log), op, { forceConflicts: doc.request.forceConflicts });
      log.info('applied', { revision: op.revision, ...r });
      return r;
    },
  });
}

export const upgrade = applyState('Upgrade', 'op');
export const rollbackUpgrade = applyState('RollbackUpgrade', 'rollback');
