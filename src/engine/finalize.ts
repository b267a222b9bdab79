/**
 * Finalize: the operation succeeded. Its record becomes `deployed` ("Install complete",
 * "Upgrade complete", its own "Rollback to N", or --description), then what it replaced becomes
 * `superseded` (the record layer orders the writes so a crash between them never leaves the
 * release without a deployed revision, and a re-run finishes them).
 * Throws OperationSuperseded/NotNewest when the record is no longer the operation's to finish.
 */
import { completeOperation } from '../actions/index.ts';
import type { Release } from '../release/record.ts';
import type { EngineDeps, OperationRef } from './types.ts';

export async function finalizeStep(deps: EngineDeps, op: OperationRef, opts: { readonly description?: string } = {}): Promise<Release> {
  const done = await completeOperation(deps.store, op, op.revision, {
    owner: op.owner,
    ...(opts.description ? { description: opts.description } : {}),
  });
  return done.release;
}
