import { describe, expect, it } from 'vitest';
import { createMetrics, InvalidMetricsSources, MetricsUnavailable, parseExposition } from '../../../src/metrics/index.ts';
import { ClusterUnavailable } from '../../../src/store/errors.ts';
import { formatHelmTime, type Release, type Status } from '../../../src/release/record.ts';
import { MemoryReleaseStore } from '../../../src/store/memory.ts';
import type { ReleaseStore } from '../../../src/store/release-store.ts';

const chart = { metadata: { name: 'webapp', version: '0.3.1', appVersion: '1.4.2', apiVersion: 'v2' }, templates: [], values: {} };

function rec(namespace: string, name: string, version: number, status: Status, deployedAt: string): Release {
  return { name, namespace, version, chart, config: {}, manifest: '', info: { status, first_deployed: deployedAt, last_deployed: deployedAt, description: `rev ${version}` } };
}

/** web: installed, upgrade failed, rolled back (newest deployed); api: newest failed; new: a failed first install. */
function store(): MemoryReleaseStore {
  return new MemoryReleaseStore([
    rec('shop', 'web', 1, 'superseded', '2025-05-01T10:00:00Z'),
    rec('shop', 'web', 2, 'failed', '2025-05-02T10:00:00Z'),
    rec('shop', 'web', 3, 'deployed', '2025-05-02T10:05:00.25Z'),
    rec('shop', 'api', 1, 'deployed', '2025-05-03T00:00:00Z'),
    rec('shop', 'api', 2, 'failed', '2025-05-04T00:00:00Z'),
    rec('lab', 'new', 1, 'failed', '2025-05-05T00:00:00Z'),
  ]);
}

const samplesOf = async (text: Promise<string>, name: string) => parseExposition(await text).filter((s) => s.name === name);

describe('metrics from the cluster records', () => {
  it('helm_release_info: one series per stored revision, 1 for the newest record only, with the article\'s labels', async () => {
    const m = createMetrics({ releases: store(), cluster: 'prod' });
    const info = await samplesOf(m.text(), 'helm_release_info');
    const row = (s: (typeof info)[number]) => [s.labels.namespace, s.labels.name, s.labels.revision, s.labels.status, s.value];
    expect(info.map(row)).toEqual([
      ['lab', 'new', '1', 'failed', 1],
      ['shop', 'api', '1', 'deployed', 0],
      ['shop', 'api', '2', 'failed', 1],
      ['shop', 'web', '1', 'superseded', 0],
      ['shop', 'web', '2', 'failed', 0],
      ['shop', 'web', '3', 'deployed', 1],
    ]);
    expect(info[5]!.labels).toEqual({ name: 'web', namespace: 'shop', revision: '3', status: 'deployed', chart: 'webapp', version: '0.3.1', app_version: '1.4.2', owner: 'helm' });
  });

  it('what the article\'s rule expressions select: failed newest records only, revision counts per release', async () => {
    const info = await samplesOf(createMetrics({ releases: store(), cluster: 'prod' }).text(), 'helm_release_info');
    // helm_release_info{status="failed"} == 1 — web's failed revision 2 was rolled back and does not alert.
    expect(info.filter((s) => s.labels.status === 'failed' && s.value === 1).map((s) => s.labels.name)).toEqual(['new', 'api']);
    // count(helm_release_info) by (name, namespace)
    const count = new Map<string, number>();
    for (const s of info) count.set(s.labels.name!, (count.get(s.labels.name!) ?? 0) + 1);
    expect(Object.fromEntries(count)).toEqual({ new: 1, api: 2, web: 3 });
  });

  it('helm_release_last_deployed_timestamp: when the running revision was deployed; none without a deployed revision', async () => {
    const ts = await samplesOf(createMetrics({ releases: store(), cluster: 'prod' }).text(), 'helm_release_last_deployed_timestamp');
    expect(ts.map((s) => [s.labels, s.value])).toEqual([
      [{ name: 'api', namespace: 'shop' }, Date.parse('2025-05-03T00:00:00Z') / 1000], // not the failed revision 2's time
      [{ name: 'web', namespace: 'shop' }, Date.parse('2025-05-02T10:05:00.25Z') / 1000],
    ]);
  });

  it('writes HELP and TYPE lines, and no audit counters when no audit log is configured', async () => {
    const text = await createMetrics({ releases: store(), cluster: 'prod' }).text();
    expect(text).toContain('# TYPE helm_release_info gauge\n');
    expect(text).toContain('# TYPE helm_release_last_deployed_timestamp gauge\n');
    expect(text).not.toContain('helm_release_rollback_total');
    expect(text).not.toContain('helm_upgrade_failed_total');
  });

  it('exports one namespace when asked to', async () => {
    const info = await samplesOf(createMetrics({ releases: store(), cluster: 'prod', namespace: 'lab' }).text(), 'helm_release_info');
    expect(info.map((s) => s.labels.name)).toEqual(['new']);
  });

  it('follows the cluster: a new revision shows at the next scrape', async () => {
    const s = store();
    const m = createMetrics({ releases: s, cluster: 'prod', namespace: 'lab' });
    expect((await samplesOf(m.text(), 'helm_release_info')).length).toBe(1);
    await s.create(rec('lab', 'new', 2, 'deployed', formatHelmTime(new Date('2025-06-01T00:00:00Z'))), {});
    const info = await samplesOf(m.text(), 'helm_release_info');
    expect(info.map((x) => [x.labels.revision, x.labels.status, x.value])).toEqual([
      ['1', 'failed', 0],
      ['2', 'deployed', 1],
    ]);
  });

  it('refuses sources it cannot use before reading anything', () => {
    let reads = 0;
    const counting = new Proxy(store(), { get: (t, p, r) => (reads++, Reflect.get(t, p, r) as unknown) });
    const err = (() => {
      try {
        createMetrics({ releases: counting, cluster: 'prod/eu', namespace: 'Bad_NS', audit: { dynamo: {} as never, table: '' } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidMetricsSources);
    const e = err as InvalidMetricsSources;
    expect(e.reason).toBe('InvalidMetricsSources');
    expect(e.message).toMatch(/^metrics: invalid sources: cluster "prod\/eu": expected a cluster, namespace or release name; namespace "Bad_NS" is not a Kubernetes namespace name; audit.table is empty/);
    expect(reads).toBe(0);
  });

  it('fails the scrape with MetricsUnavailable, naming the cluster and the cause, when the records cannot be read', async () => {
    const s = store();
    const down: ReleaseStore = Object.assign(Object.create(s) as ReleaseStore, {
      list: () => Promise.reject(new ClusterUnavailable('https://10.0.0.1:6443', 'list helm release Secrets: connect ECONNREFUSED', { retryable: true })),
    });
    const err = await createMetrics({ releases: down, cluster: 'prod' }).text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsUnavailable);
    expect((err as MetricsUnavailable).retryable).toBe(true);
    expect((err as Error).message).toBe(
      'metrics: could not read the Helm release records in any namespace of cluster "prod": Kubernetes cluster unreachable at https://10.0.0.1:6443: ' +
        'list helm release Secrets: connect ECONNREFUSED; check --kubeconfig/--kube-context (or KUBECONFIG) and that the API server is up',
    );
  });

  it('concurrent scrapes share one read of the cluster', async () => {
    const s = store();
    let lists = 0;
    const counting: ReleaseStore = Object.assign(Object.create(s) as ReleaseStore, {
      list: (ns?: string) => {
        lists++;
        return s.list(ns);
      },
    });
    const m = createMetrics({ releases: counting, cluster: 'prod' });
    const [a, b] = await Promise.all([m.text(), m.text()]);
    expect(a).toBe(b);
    expect(lists).toBe(1);
    await m.text();
    expect(lists).toBe(2);
  });
});
