/**
 * Render (with ValidateLock's record half): the first state of install and upgrade. It refuses a
 * release held by another operation, renders the chart with helm's own engine (which needs the
 * history to compute `.Release.Revision`, so it runs before the lock is written), then writes the
 * pending record carrying the operation's owner: that record is the lock helm respects.
 *
 * Idempotent: when a record of this owner exists (a retry after the write, or a re-run after a
 * crash), it returns that operation without rendering again, with `finished` set when the
 * operation already ended.
 * Writes one record (pending-install or pending-upgrade), prunes to --history-max after it.
 * Throws OperationInProgress, NoDeployedRelease, NameInUse, RenderFailed, ReleaseChanged (retry:
 * the history moved between render and write), ReleaseTooLarge.
 */
import { beginInstall, beginUpgrade } from '../actions/index.ts';
import { RenderFailed, renderRelease, type ChartSource, type ValuesInput } from '../chart/render.ts';
import { sourceOptionsOf } from '../chart/source.ts';
import { OperationInProgress, type ReleaseRef } from '../release/errors.ts';
import { latest, validateReleaseName } from '../release/lifecycle.ts';
import { isPending, type Labels, type Release } from '../release/record.ts';
import { ownedBy } from './observe.ts';
import type { EngineDeps, OperationRef } from './types.ts';

/** helm's lock refusal, as its render prints it. */
const IN_PROGRESS = 'another operation (install/upgrade/rollback) is in progress';

/**
 * The chart source (chart, chartVersion, repo, caFile, insecureSkipTlsVerify, plainHttp,
 * username, password) is ChartSource's: a path, a .tgz, a chart name with `repo`, or an oci:// reference.
 */
export interface DeployRequest extends ReleaseRef, ChartSource {
  readonly values?: ValuesInput;
  /** `install` = helm install (refuses an existing release); `upgrade` = helm upgrade [--install]. */
  readonly mode: 'install' | 'upgrade';
  /** upgrade --install: install when the release has no history or its newest record is uninstalled. */
  readonly installIfMissing?: boolean;
  readonly labels?: Labels;
  /** --history-max (0 = unlimited). */
  readonly maxHistory: number;
  readonly owner: string;
}

function opFor(req: DeployRequest, revision: number, status: string): OperationRef {
  return {
    namespace: req.namespace,
    name: req.name,
    owner: req.owner,
    revision,
    op: status === 'pending-install' ? 'install' : 'upgrade',
  };
}

export async function renderStep(deps: EngineDeps, req: DeployRequest): Promise<OperationRef & { readonly resumed: boolean }> {
  validateReleaseName(req.name);
  const history = await deps.store.history(req);
  const mine = ownedBy(history, req.owner);
  if (mine) {
    // A re-run: the operation began (pending: resume it) or already finished (say so).
    const status = mine.release.info.status;
    const op = opFor(req, mine.release.version, isPending(status) ? status : mine.release.info.description === 'Install complete' ? 'pending-install' : 'pending-upgrade');
    return { ...op, resumed: true, ...(isPending(status) ? {} : { finished: status }) };
  }
  const newest = history.at(-1);
  if (newest && isPending(newest.release.info.status)) {
    throw new OperationInProgress(req, newest.release.version, newest.release.info.status);
  }
  const newestRelease = latest(history.map((h) => h.release));
  const install =
    req.mode === 'install' || (req.installIfMissing === true && (!newestRelease || newestRelease.info.status === 'uninstalled'));
  const rendered = await renderChecked(deps, req, {
    ref: req,
    chart: req.chart,
    ...(req.values ? { values: req.values } : {}),
    ...(req.chartVersion ? { version: req.chartVersion } : {}),
    ...sourceOptionsOf(req),
    helm: deps.helm,
    ...(deps.kubeconfig ? { kubeconfig: deps.kubeconfig } : {}),
    ...(deps.kubeContext ? { kubeContext: deps.kubeContext } : {}),
  });
  // helmstep applies server-side, as helm 4 does for new releases and with --server-side=true.
  const asSsa = { ...rendered, applyMethod: 'ssa' };
  if (install) {
    const begun = await beginInstall(
      deps.store,
      { ...asSsa, name: req.name, namespace: req.namespace, ...(req.labels ? { labels: req.labels } : {}) },
      // upgrade --install over an uninstalled release replaces it, as helm's upgrade command does.
      { owner: req.owner, maxHistory: req.maxHistory, replace: req.mode === 'upgrade' },
    );
    return { ...opFor(req, begun.pending.release.version, 'pending-install'), resumed: false, hookEvents: eventsOf(begun.pending.release) };
  }
  const begun = await beginUpgrade(deps.store, req, asSsa, {
    owner: req.owner,
    maxHistory: req.maxHistory,
    ...(req.labels ? { labels: req.labels } : {}),
  });
  return { ...opFor(req, begun.pending.release.version, 'pending-upgrade'), resumed: false, hookEvents: eventsOf(begun.pending.release) };
}

/**
 * helm's render reads the history and refuses a locked release with its in-progress text: when
 * another writer took the lock between our check and the render, say so as the lock refusal it
 * is, not as a chart error.
 */
async function renderChecked(deps: EngineDeps, ref: ReleaseRef, req: Parameters<typeof renderRelease>[0]) {
  try {
    return await renderRelease(req, deps.now());
  } catch (err) {
    if (!(err instanceof RenderFailed) || !err.helmStderr.includes(IN_PROGRESS)) throw err;
    const newest = (await deps.store.history(ref)).at(-1);
    if (newest && isPending(newest.release.info.status)) throw new OperationInProgress(ref, newest.release.version, newest.release.info.status);
    throw err;
  }
}

/** The hook events a record has hooks for (`test-success` is `test`). */
export function eventsOf(rel: Release): string[] {
  const events = new Set<string>();
  for (const h of rel.hooks ?? []) for (const e of h.events ?? []) events.add(e === 'test-success' ? 'test' : e);
  return [...events];
}
