/**
 * zod/mini for the audit log's schemas (each module imports `* as z from 'zod/mini'` itself: a
 * namespace passed on as a value would bundle all of zod again): the same validation as zod's classic API, but
 * tree-shakable, so a process that only reads the log (`helmstep audit history`) compiles a few
 * KB of zod instead of ~600 KB (~35 ms a start). Classic zod registers English messages when its
 * first schema is built; mini registers none, so this does, once, for processes that load no
 * classic schema: the messages are the same either way. Import issueLines from here so that runs first.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

if (!z.config().localeError) z.config(en());

/** Human lines for zod issues: `path: message`. */
export function issueLines(error: { readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[] }): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(event)'}: ${i.message}`);
}
