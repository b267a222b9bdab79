/**
 * What the cluster's Helm release records say, as samples. Pure.
 *
 * `helm_release_info` has one series per stored revision, valued 1 for the release's newest
 * record and 0 for the older ones. Both of the design article's rules then mean what they say:
 * `count(helm_release_info) by (name, namespace) > 10` counts the revisions kept in the cluster
 * (count ignores the value), and `helm_release_info{status="failed"} == 1` fires only while the
 * newest record is failed — not for a failed revision that a rollback has already replaced,
 * which stays in the history until pruned.
 */
import { parseHelmTime, type Release } from '../release/record.ts';
import type { Sample } from './exposition.ts';

/** One release's records, oldest first, as ReleaseStore.history returns them. */
export interface ReleaseHistory {
  readonly namespace: string;
  readonly name: string;
  readonly records: readonly Release[];
}

function newestVersion(records: readonly Release[]): number {
  return records.reduce((max, r) => Math.max(max, r.version), 0);
}

/** helm_release_info samples of one release, by revision. */
export function infoSamples(h: ReleaseHistory): Sample[] {
  const newest = newestVersion(h.records);
  return [...h.records]
    .sort((a, b) => a.version - b.version)
    .map((r) => ({
      labels: {
        name: h.name,
        namespace: h.namespace,
        revision: String(r.version),
        status: r.info.status,
        chart: r.chart?.metadata?.name ?? '',
        version: r.chart?.metadata?.version ?? '',
        app_version: r.chart?.metadata?.appVersion ?? '',
        owner: 'helm',
      },
      value: r.version === newest ? 1 : 0,
    }));
}

/**
 * helm_release_last_deployed_timestamp of one release: the `last_deployed` of the revision that
 * is running (status `deployed`), in seconds, so `time() - …` is the time since the last
 * successful deployment; a failed or pending newer revision does not reset it. Undefined when no
 * revision is deployed (a failed first install, an uninstalled release).
 */
export function lastDeployedSample(h: ReleaseHistory): Sample | undefined {
  let deployed: Release | undefined;
  for (const r of h.records) {
    if (r.info.status === 'deployed' && (!deployed || r.version > deployed.version)) deployed = r;
  }
  const at = deployed && parseHelmTime(deployed.info.last_deployed);
  return at ? { labels: { name: h.name, namespace: h.namespace }, value: at.getTime() / 1000 } : undefined;
}
