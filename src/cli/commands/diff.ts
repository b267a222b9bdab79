import { unifiedDiff } from '../../release/diff.ts';
import { ReleaseNotFound, type ReleaseRef } from '../../release/errors.ts';
import type { Release } from '../../release/record.ts';
import { diffRevisions } from '../../release/views.ts';
import { CannotAnswer } from '../errors.ts';
import { goYaml } from '../go-yaml.ts';
import type { CommandContext } from './context.ts';

export interface DiffRequest {
  readonly ref: ReleaseRef;
  /** Old side; default: the revision before `to` in the history. */
  readonly from?: number;
  /** New side; default: the newest revision. */
  readonly to?: number;
}

/**
 * Unified diffs between two revisions: the manifests, then the user-supplied values printed as
 * `helm get values -o yaml` prints them. Prints nothing when both are the same.
 * Throws ReleaseNotFound, RevisionNotFound, CannotAnswer (a single revision, nothing to compare).
 */
export async function diff(req: DiffRequest, { store, out }: CommandContext): Promise<void> {
  const history = (await store.history(req.ref)).map((s) => s.release);
  if (history.length === 0) throw new ReleaseNotFound(req.ref);
  const find = async (v: number): Promise<Release> =>
    history.find((r) => r.version === v) ?? (await store.get(req.ref, v)).release;

  const newest = history.at(-1)!;
  let a: Release;
  let b: Release;
  if (req.from !== undefined && req.to !== undefined) {
    [a, b] = [await find(req.from), await find(req.to)];
  } else if (req.from !== undefined) {
    [a, b] = [await find(req.from), newest];
  } else {
    if (history.length < 2) {
      throw new CannotAnswer(
        `release "${req.ref.name}" in namespace "${req.ref.namespace}" has only revision ${newest.version}: nothing to compare it with`,
      );
    }
    [a, b] = [history.at(-2)!, newest];
  }
  const label = (r: Release) => `${r.name} revision ${r.version} values`;
  const manifest = diffRevisions(a, b).manifest;
  const values = unifiedDiff(goYaml(a.config ?? {}), goYaml(b.config ?? {}), label(a), label(b));
  out.write(manifest + values);
}
