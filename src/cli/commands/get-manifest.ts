import type { ReleaseRef } from '../../release/errors.ts';
import { manifestOf } from '../../release/views.ts';
import { readRevision, type CommandContext } from './context.ts';

export interface GetManifestRequest {
  readonly ref: ReleaseRef;
  /** Undefined: the newest revision. */
  readonly revision?: number;
}

/** `helm get manifest`: the stored manifest and one newline (Go's fmt.Fprintln). */
export async function getManifest(req: GetManifestRequest, { store, out }: CommandContext): Promise<void> {
  const rec = await readRevision(store, req.ref, req.revision);
  out.write(manifestOf(rec) + '\n');
}
