/**
 * Rollback (the rollback machine) and RollbackBegin (the deploy machine's remediation): the
 * engine's rollbackStep — plan, refuse an unsafe rollback (RollbackRefused, helmstep.Stop, with
 * the plan's reasons), then write the pending-rollback "Rollback to N" record. Idempotent: a retry
 * or re-run finds its own pending-rollback record.
 */
import * as z from 'zod';
import { rollbackStep } from '../../engine/rollback.ts';
import { defineStep } from '../handler.ts';
import { DeployRequestDocSchema, DocumentSchema, FailureDocSchema, OpRefSchema, RollbackRequestDocSchema } from '../document.ts';
import { AlreadyFinished } from '../errors.ts';
import { engineWithLog, renewLease } from './common.ts';

/**
 * The owner of the deploy execution's remediation rollback record: not the execution's own
 * name, which already owns the failed upgrade's record (owners find their records whatever their
 * status, so one owner writes one record).
 */
export function remediationOwner(owner: string): string {
  return `${owner}/rollback`;
}

export const rollback = defineStep({
  state: 'Rollback',
  input: DocumentSchema.extend({ request: RollbackRequestDocSchema }),
  output: OpRefSchema,
  async run(deps, doc, log) {
    await renewLease(deps, doc);
    const r = doc.request;
    const { op, plan, resumed } = await rollbackStep(engineWithLog(deps, log), {
      namespace: r.namespace,
      name: r.name,
      target: r.target,
      owner: doc.owner,
      force: r.force,
      maxHistory: r.maxHistory,
      ignoreLock: r.ignoreLock,
    });
    if (op.finished) throw new AlreadyFinished(r, op.revision, op.finished, doc.owner);
    log.info(resumed ? 'resumed the pending rollback' : 'wrote the pending rollback', {
      revision: op.revision,
      ...(plan ? { target: plan.targetRevision, risks: plan.risks.map((k) => k.kind) } : {}),
    });
    return { namespace: op.namespace, name: op.name, op: op.op, revision: op.revision, owner: op.owner };
  },
});

export const rollbackBegin = defineStep({
  state: 'RollbackBegin',
  input: DocumentSchema.extend({ request: DeployRequestDocSchema, failure: FailureDocSchema.extend({ target: z.number().int().min(1) }) }),
  output: OpRefSchema,
  async run(deps, doc, log) {
    await renewLease(deps, doc);
    const { op, plan, resumed } = await rollbackStep(engineWithLog(deps, log), {
      namespace: doc.request.namespace,
      name: doc.request.name,
      target: doc.failure.target,
      owner: remediationOwner(doc.owner),
      force: false,
      maxHistory: doc.request.maxHistory,
      ignoreLock: false,
    });
    if (op.finished) throw new AlreadyFinished(doc.request, op.revision, op.finished, op.owner);
    log.info(resumed ? 'resumed the remediation rollback' : 'began the remediation rollback', {
      revision: op.revision,
      target: plan?.targetRevision ?? doc.failure.target,
    });
    return { namespace: op.namespace, name: op.name, op: op.op, revision: op.revision, owner: op.owner };
  },
});
