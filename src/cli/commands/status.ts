import type { ReleaseRef } from '../../release/errors.ts';
import type { Release } from '../../release/record.ts';
import { statusView } from '../../release/views.ts';
import type { OutputFormat } from '../args.ts';
import { goJson } from '../go-json.ts';
import { goYaml } from '../go-yaml.ts';
import { readRevision, type CommandContext } from './context.ts';

export interface StatusRequest {
  readonly ref: ReleaseRef;
  /** Undefined: the newest revision. */
  readonly revision?: number;
  readonly output: OutputFormat;
  /** helm 3's --show-desc. */
  readonly showDescription: boolean;
}

/** The record as `helm status -o json` prints it: everything but the chart (helm strips it). */
export function statusRecord(rec: Release): Omit<Release, 'chart'> {
  const { chart: _chart, ...rest } = rec;
  return rest;
}

/**
 * `helm status` from the record alone: helm 3's table layout (times in the stored offset,
 * DESCRIPTION only with --show-desc), or the record without its chart as Go's JSON (struct field
 * order as stored, `config` keys sorted) or YAML. Live resources (helm 4's RESOURCES and
 * info.resources) are not queried.
 */
export async function status(req: StatusRequest, { store, out }: CommandContext): Promise<void> {
  const rec = await readRevision(store, req.ref, req.revision);
  if (req.output === 'json') out.write(goJson(statusRecord(rec), (path) => path[0] === 'config') + '\n');
  else if (req.output === 'yaml') out.write(goYaml(statusRecord(rec)));
  else out.write(statusView(rec, { helm: 3, showDescription: req.showDescription, zone: 'original' }));
}
