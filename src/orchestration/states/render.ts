/**
 * Render: the engine's renderStep — refuses a release another operation holds, renders the chart
 * with helm, writes the pending-install/pending-upgrade record carrying the owner. Idempotent:
 * a retry (or a re-run of the execution) finds its own pending record and renders nothing; a
 * re-run of an execution whose operation already finished stops (AlreadyFinished).
 */
import { sourceOptionsOf } from '../../chart/source.ts';
import { renderStep } from '../../engine/render.ts';
import { isOwnedBy } from '../../release/owner.ts';
import { AlreadyFinished, RemediationInterrupted } from '../errors.ts';
import { remediationOwner } from './rollback.ts';
import { defineStep } from '../handler.ts';
import { DeployRequestDocSchema, DocumentSchema, OpRefSchema } from '../document.ts';
import { engineWithLog, renewLease } from './common.ts';

const Input = DocumentSchema.extend({ request: DeployRequestDocSchema });

export const render = defineStep({
  state: 'Render',
  input: Input,
  output: OpRefSchema,
  async run(deps, doc, log) {
    await renewLease(deps, doc);
    const r = doc.request;
    // A re-run whose remediation rollback was interrupted: that rollback holds the lock.
    const newest = (await deps.engine.store.history(r)).at(-1);
    if (newest?.release.info.status === 'pending-rollback' && isOwnedBy(newest, remediationOwner(doc.owner))) {
      throw new RemediationInterrupted(r, newest.release.version, doc.owner);
    }
    const op = await renderStep(engineWithLog(deps, log), {
      namespace: r.namespace,
      name: r.name,
      chart: r.chart,
      ...(r.values ? { values: r.values } : {}),
      ...(r.chartVersion ? { chartVersion: r.chartVersion } : {}),
      ...sourceOptionsOf(r),
      mode: r.mode,
      installIfMissing: r.installIfMissing,
      ...(r.labels ? { labels: r.labels } : {}),
      maxHistory: r.maxHistory,
      owner: doc.owner,
    });
    if (op.finished) throw new AlreadyFinished(r, op.revision, op.finished, doc.owner);
    log.info(op.resumed ? 'resumed the pending record' : 'wrote the pending record', { revision: op.revision, op: op.op });
    return { namespace: op.namespace, name: op.name, op: op.op, revision: op.revision, owner: op.owner };
  },
});
