import { ReleaseNotFound, type ReleaseRef } from '../../release/errors.ts';
import { formatHistoryTable, historyRows } from '../../release/views.ts';
import type { OutputFormat } from '../args.ts';
import { goJson } from '../go-json.ts';
import { goYaml } from '../go-yaml.ts';
import type { CommandContext } from './context.ts';

export interface HistoryRequest {
  readonly ref: ReleaseRef;
  /** The newest `max` revisions (helm's --max, default 256). */
  readonly max: number;
  readonly output: OutputFormat;
}

/**
 * `helm history`: the table (uitable, ANSIC times in the stored offset), or the rows as Go's JSON
 * (keys revision, updated, status, chart, app_version, description) or YAML (keys sorted).
 * Throws ReleaseNotFound when the release has no record.
 */
export async function history(req: HistoryRequest, { store, out }: CommandContext): Promise<void> {
  const records = await store.history(req.ref);
  if (records.length === 0) throw new ReleaseNotFound(req.ref);
  const rows = historyRows(
    records.map((r) => r.release),
    req.max,
  );
  if (req.output === 'json') out.write(goJson(rows, () => false) + '\n');
  else if (req.output === 'yaml') out.write(goYaml(rows));
  else out.write(formatHistoryTable(rows));
}
