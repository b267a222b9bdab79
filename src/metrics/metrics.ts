/**
 * The exporter behind `GET /metrics`: the metric names of the product's design article, so its
 * alert rules (helm-release.rules.yml) work as written.
 *
 * Per scrape: one LIST of the newest records (ReleaseStore.list), one history read per release
 * (the cluster is the truth for the release series), and, with an audit log, one Query per
 * release for the events after the last one this process has folded into its counters. The
 * first scrape of a process reads each release's events from event 1; later ones read only
 * what is new. Concurrent scrapes share one read, so no event is folded twice.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { AuditRefSchema, issueLines } from '../audit/events.ts';
import type { ReleaseStore } from '../store/release-store.ts';
import { eventsAfter } from './audit-events.ts';
import { EMPTY_TALLY, foldEvents, type Tally } from './counters.ts';
import { InvalidMetricsSources, MetricsUnavailable } from './errors.ts';
import { CONTENT_TYPE, renderExposition, type Family, type Sample } from './exposition.ts';
import { infoSamples, lastDeployedSample, type ReleaseHistory } from './releases.ts';

export interface MetricsSources {
  /** The cluster's records: list(namespace?) = newest record of every release. */
  readonly releases: ReleaseStore;
  /** The audit log (src/audit); without it the rollback and failed-upgrade counters are not exported. */
  readonly audit?: { readonly dynamo: DynamoDBClient; readonly table: string };
  /** The cluster's name in the audit log's keys (as the state machines' deps name it). */
  readonly cluster: string;
  /** Export the releases of this namespace only (default: every namespace the store can list). */
  readonly namespace?: string;
  /** Clock of helmstep_metrics_audit_last_read_timestamp_seconds. */
  readonly now?: () => Date;
}

export interface Metrics {
  readonly contentType: string;
  /** The exposition text. Throws MetricsUnavailable when the cluster's records cannot be read. */
  text(): Promise<string>;
}

/** Parallel reads per scrape: enough to hide latency, few enough to be polite to the API server. */
const READ_CONCURRENCY = 4;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A Kubernetes namespace name (RFC 1123 label). */
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkSources(src: MetricsSources): void {
  const issues: string[] = [];
  const cluster = AuditRefSchema.shape.cluster.safeParse(src.cluster);
  if (!cluster.success) issues.push(...issueLines(cluster.error).map((l) => `cluster ${JSON.stringify(src.cluster)}: ${l.replace(/^\(event\): /, '')}`));
  if (src.namespace !== undefined && !DNS_LABEL.test(src.namespace)) {
    issues.push(`namespace ${JSON.stringify(src.namespace)} is not a Kubernetes namespace name`);
  }
  if (src.audit && !src.audit.table) issues.push('audit.table is empty: name the audit table or leave audit out');
  if (issues.length > 0) throw new InvalidMetricsSources(issues);
}

const key = (h: { namespace: string; name: string }) => `${h.namespace}/${h.name}`;

export function createMetrics(src: MetricsSources): Metrics {
  checkSources(src);
  const now = src.now ?? (() => new Date());
  const tallies = new Map<string, Tally>();
  let lastAuditRead: Date | undefined;
  let inflight: Promise<string> | undefined;

  async function readHistories(): Promise<ReleaseHistory[]> {
    try {
      const newest = await src.releases.list(src.namespace);
      const histories = await mapLimit(newest, READ_CONCURRENCY, async (n) => {
        const ref = { namespace: n.release.namespace ?? src.namespace ?? '', name: n.release.name };
        return { ...ref, records: (await src.releases.history(ref)).map((s) => s.release) };
      });
      // A release deleted between the list and its history read is gone: leave it out.
      return histories.filter((h) => h.records.length > 0);
    } catch (err) {
      throw new MetricsUnavailable(src.cluster, src.namespace, err);
    }
  }

  /** Folds each release's new events into its tally; false when any read failed (its tally keeps its last value). */
  async function refreshCounters(histories: readonly ReleaseHistory[]): Promise<boolean> {
    const audit = src.audit!;
    const listed = new Set(histories.map(key));
    // A release no longer in the cluster drops out; if it comes back, its log is read again from the start.
    for (const k of tallies.keys()) if (!listed.has(k)) tallies.delete(k);
    const results = await mapLimit(histories, READ_CONCURRENCY, async (h) => {
      const before = tallies.get(key(h)) ?? EMPTY_TALLY;
      try {
        const read = await eventsAfter(audit.dynamo, audit.table, { cluster: src.cluster, namespace: h.namespace, name: h.name }, before.lastSeq);
        tallies.set(key(h), foldEvents(before, read.events, read.lastSeq));
        return true;
      } catch {
        return false;
      }
    });
    const ok = results.every(Boolean);
    if (ok) lastAuditRead = now();
    return ok;
  }

  async function scrape(): Promise<string> {
    const histories = await readHistories();
    histories.sort((a, b) => key(a).localeCompare(key(b)));
    const families: Family[] = [
      {
        name: 'helm_release_info',
        type: 'gauge',
        help: "Helm release revisions stored in the cluster: 1 for each release's newest record, 0 for its older revisions (count() gives the revisions kept).",
        samples: histories.flatMap(infoSamples),
      },
      {
        name: 'helm_release_last_deployed_timestamp',
        type: 'gauge',
        help: 'Unix time in seconds at which the running (deployed) revision of the release was deployed.',
        samples: histories.map(lastDeployedSample).filter((s): s is Sample => s !== undefined),
      },
    ];
    if (src.audit) {
      const ok = await refreshCounters(histories);
      const counter = (pick: (t: Tally) => number): Sample[] =>
        histories.flatMap((h) => {
          const t = tallies.get(key(h));
          return t ? [{ labels: { name: h.name, namespace: h.namespace }, value: pick(t) }] : [];
        });
      families.push(
        {
          name: 'helm_release_rollback_total',
          type: 'counter',
          help: 'Rollbacks started by helmstep on the release (the rollback machine and automatic rollbacks), from the audit log.',
          samples: counter((t) => t.rollbacks),
        },
        {
          name: 'helm_upgrade_failed_total',
          type: 'counter',
          help: 'Failed helmstep upgrades (and installs) of the release, once per execution, from the audit log.',
          samples: counter((t) => t.failedUpgrades),
        },
        {
          name: 'helmstep_metrics_audit_up',
          type: 'gauge',
          help: "1 when every release's audit events were read in this scrape; 0 when a read failed (the counters then keep their last values).",
          samples: [{ labels: {}, value: ok ? 1 : 0 }],
        },
        {
          name: 'helmstep_metrics_audit_last_read_timestamp_seconds',
          type: 'gauge',
          help: 'Unix time in seconds of the last scrape that read every release\'s audit events.',
          samples: lastAuditRead ? [{ labels: {}, value: lastAuditRead.getTime() / 1000 }] : [],
        },
      );
    }
    return renderExposition(families);
  }

  return {
    contentType: CONTENT_TYPE,
    text() {
      inflight ??= scrape().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
  };
}
