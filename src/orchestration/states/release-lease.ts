/**
 * ReleaseLease: the last Task of every failure path. Works out how the execution ends (its Error
 * and Cause: outcome.ts), then releases the lease, conditional on this execution still holding
 * it. The Fail state that follows reads the outcome.
 */
import { defineStep } from '../handler.ts';
import { DocumentSchema, OutcomeSchema, type Doc } from '../document.ts';
import { outcomeOf } from '../outcome.ts';
import { leaseRefOf } from './common.ts';

export const releaseLease = defineStep({
  state: 'ReleaseLease',
  input: DocumentSchema,
  output: OutcomeSchema,
  async run(deps, doc: Doc, log) {
    const outcome = outcomeOf(doc);
    const released = await deps.lease.release(leaseRefOf(doc.request), doc.owner);
    log.info('execution failed', { error: outcome.error, released, cause: JSON.parse(outcome.cause) as unknown });
    return outcome;
  },
});
