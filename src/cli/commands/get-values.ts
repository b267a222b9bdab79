import type { ReleaseRef } from '../../release/errors.ts';
import { allValues } from '../../release/views.ts';
import type { OutputFormat } from '../args.ts';
import { goJson } from '../go-json.ts';
import { goYaml } from '../go-yaml.ts';
import { readRevision, type CommandContext } from './context.ts';

export interface GetValuesRequest {
  readonly ref: ReleaseRef;
  /** Undefined: the newest revision. */
  readonly revision?: number;
  /** --all: the chart's values coalesced under the user's. */
  readonly all: boolean;
  readonly output: OutputFormat;
}

/**
 * `helm get values`: the record's `config` (null when the user gave none), or with --all the
 * computed values. Table output is YAML under a `USER-SUPPLIED VALUES:` / `COMPUTED VALUES:` line.
 */
export async function getValues(req: GetValuesRequest, { store, out }: CommandContext): Promise<void> {
  const rec = await readRevision(store, req.ref, req.revision);
  const values = req.all ? allValues(rec) : (rec.config ?? null);
  if (req.output === 'json') out.write(goJson(values) + '\n');
  else if (req.output === 'yaml') out.write(goYaml(values));
  else out.write(`${req.all ? 'COMPUTED VALUES:' : 'USER-SUPPLIED VALUES:'}\n${goYaml(values)}`);
}
