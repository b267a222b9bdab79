import type { ReleaseRef } from '../../release/errors.ts';
import { hooksText } from '../../release/views.ts';
import { readRevision, type CommandContext } from './context.ts';

export interface GetHooksRequest {
  readonly ref: ReleaseRef;
  /** Undefined: the newest revision. */
  readonly revision?: number;
}

/** `helm get hooks`: `---\n# Source: <path>\n<manifest>\n` per stored hook, in stored order. */
export async function getHooks(req: GetHooksRequest, { store, out }: CommandContext): Promise<void> {
  const rec = await readRevision(store, req.ref, req.revision);
  out.write(hooksText(rec));
}
