/**
 * install's record half: writes revision 1 `pending-install` "Initial install underway" (or
 * newest + 1 when replacing an uninstalled or failed release, as helm 4's `install --replace` and
 * `upgrade --install` over an uninstalled release do), carrying its owner, then prunes.
 *
 * Resume: when the newest record is this owner's `pending-install`, returns it and writes nothing.
 * Throws OperationInProgress (another operation's pending record is the newest), NameInUse,
 * InvalidReleaseName, ReservedLabel, ReleaseTooLarge, ReleaseExists (retryable: lost the race).
 * The replaced record is marked "superseded by new release" when the install completes.
 */
import type { ReleaseRef } from '../release/errors.ts';
import { newInstallRecord, validateReleaseName, type InstallInput } from '../release/lifecycle.ts';
import type { ReleaseStore, StoredRelease } from '../store/release-store.ts';
import { NameInUse } from './errors.ts';
import { createThenPrune, resumeOrRefuse, type Begun } from './shared.ts';

export interface BeginInstallOptions {
  /** The execution that will own the pending record. */
  readonly owner: string;
  /** 0 (the default for install) keeps every revision. */
  readonly maxHistory?: number;
  /** helm's Replace: allowed over a newest record that is uninstalled or failed. */
  readonly replace?: boolean;
}

/** Statuses a replacing install may build on (helm 4 install.go availableName). */
const REPLACEABLE = new Set(['uninstalled', 'failed']);

function previousOf(history: readonly StoredRelease[], version: number): StoredRelease | undefined {
  return history.filter((h) => h.release.version < version).at(-1);
}

export async function beginInstall(store: ReleaseStore, input: InstallInput, opts: BeginInstallOptions): Promise<Begun> {
  validateReleaseName(input.name);
  const ref: ReleaseRef = { namespace: input.namespace, name: input.name };
  const history = await store.history(ref);
  const resumed = resumeOrRefuse(history, ref, opts.owner, 'pending-install');
  if (resumed) {
    const previous = previousOf(history, resumed.release.version);
    return { pending: resumed, resumed: true, pruned: [], ...(previous ? { previous } : {}) };
  }
  const newest = history.at(-1);
  if (newest && !(opts.replace === true && REPLACEABLE.has(newest.release.info.status))) {
    throw new NameInUse(ref, newest.release.version, newest.release.info.status);
  }
  const rec = newInstallRecord({ ...input, version: (newest?.release.version ?? 0) + 1 });
  const written = await createThenPrune(store, ref, history, rec, opts.owner, opts.maxHistory ?? 0);
  return { ...written, resumed: false, ...(newest ? { previous: newest } : {}) };
}
