/**
 * helm is the oracle: the same story (install → upgrade with changed values → rollback to 1 →
 * test) told once by the real helm 4 in one namespace and once by helmstep's engine in another,
 * then compared after every operation — histories, live objects, hook runs and the records.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RollbackRefused } from '../../../src/engine/rollback.ts';
import { runTest } from '../../../src/engine/sequence.ts';
import { FIXTURE_CHARTS, helmOk, useNamespace } from '../../harness/cluster.ts';
import { deploy, engineDeps, expectHelmAgrees, rollback } from './harness.ts';
import { hookRuns, liveObjects, recordEssentials } from './normalize.ts';

interface Story {
  readonly chart: string;
  readonly release: string;
  readonly install: string[];
  readonly upgrade: string[];
  /** Hook objects expected to be left after each operation (what the delete policies leave). */
  readonly hooksLeft: { install: string[]; upgrade: string[]; rollback: string[]; test: string[] };
  /** Started hooks (name order of `started_at`) in the newest record after each operation. */
  readonly startedOrder: { install: string[]; upgrade: string[]; rollback: string[] };
  /** A rollback over a migration is refused by helmstep's planner unless forced (helm has no planner). */
  readonly forcedRollback?: string;
}

const stories: Story[] = [
  {
    chart: 'webapp',
    release: 'web',
    install: ['migration.enabled=true', 'tests.enabled=true'],
    upgrade: ['migration.enabled=true', 'tests.enabled=true', 'message=v2', 'image.tag=1.1.0', 'replicaCount=3'],
    hooksLeft: {
      install: [],
      upgrade: ['Job/web-webapp-backup'], // before-hook-creation stays; the migration is hook-succeeded
      rollback: ['Job/web-webapp-backup'],
      test: ['Job/web-webapp-backup', 'Pod/web-webapp-smoke-test'],
    },
    startedOrder: { install: [], upgrade: ['web-webapp-backup', 'web-webapp-db-migration'], rollback: [] },
    forcedRollback: ' (forced past: MigrationSinceTarget)',
  },
  {
    chart: 'hookshow',
    release: 'hs',
    install: [],
    upgrade: ['generation=2'],
    hooksLeft: {
      install: ['ConfigMap/hs-pre-install-cm'],
      upgrade: ['ConfigMap/hs-pre-install-cm', 'Job/hs-pre-upgrade-a', 'Job/hs-pre-upgrade-b'],
      rollback: ['ConfigMap/hs-post-rollback-cm', 'ConfigMap/hs-pre-install-cm', 'Job/hs-pre-upgrade-a', 'Job/hs-pre-upgrade-b'],
      test: ['ConfigMap/hs-post-rollback-cm', 'ConfigMap/hs-pre-install-cm', 'Job/hs-pre-upgrade-a', 'Job/hs-pre-upgrade-b', 'Pod/hs-test'],
    },
    startedOrder: {
      install: ['hs-pre-install-cm', 'hs-post-install-job'],
      // weight −5 twice (a before b by name), then 10, then the post-upgrade Job
      upgrade: ['hs-pre-upgrade-a', 'hs-pre-upgrade-b', 'hs-pre-upgrade-cm', 'hs-post-upgrade-job'],
      // the target's runs are copied into the rollback's record, then its own hooks run
      rollback: ['hs-pre-install-cm', 'hs-post-install-job', 'hs-pre-rollback-job', 'hs-post-rollback-cm'],
    },
  },
];

/** The objects of a live snapshot that are hook objects (annotated helm.sh/hook). */
function hookObjects(live: Record<string, Record<string, unknown>>): string[] {
  return Object.entries(live)
    .filter(([, o]) => ((o.metadata as { annotations?: Record<string, string> }).annotations ?? {})['helm.sh/hook'] !== undefined)
    .map(([k]) => k)
    .sort();
}

const wait = ['--wait', '--timeout', '60s'];
const sets = (values: string[]) => (values.length ? ['--set', values.join(',')] : []);

for (const story of stories) {
  describe(`helm 4 and helmstep tell the same ${story.chart} story`, () => {
    const viaHelm = useNamespace(`diff-helm-${story.release}`);
    const viaEngine = useNamespace(`diff-engine-${story.release}`);
    const deps = engineDeps();
    const chart = join(FIXTURE_CHARTS, story.chart);
    const { release } = story;
    /** helmstep's description of a revision, from helm's: the same, but for the documented forced rollback. */
    const expectedDescription = (revision: number, helmText: string) => (revision === 3 && story.forcedRollback ? helmText + story.forcedRollback : helmText);

    /** Everything observable is the same in both namespaces after `step`; returns the live hook objects. */
    async function expectSame(step: keyof Story['hooksLeft']): Promise<void> {
      const a = { namespace: viaHelm.name, name: release };
      const b = { namespace: viaEngine.name, name: release };
      // Histories, as the real helm prints them for both releases.
      type Row = { revision: number; status: string; description: string; chart: string; app_version: string };
      const rows = async (ns: string) => JSON.parse(await helmOk(4, ['history', release, '-n', ns, '-o', 'json'])) as Row[];
      const [helmRows, engineRows] = await Promise.all([rows(viaHelm.name), rows(viaEngine.name)]);
      expect(engineRows.map((r) => [r.revision, r.status, r.description, r.chart, r.app_version])).toEqual(
        helmRows.map((r) => [r.revision, r.status, expectedDescription(r.revision, r.description), r.chart, r.app_version]),
      );
      await expectHelmAgrees(deps, viaHelm.name, release);
      await expectHelmAgrees(deps, viaEngine.name, release);

      // Records, revision by revision: rendered parts, statuses, hook runs.
      const [helmRecords, engineRecords] = await Promise.all([deps.store.history(a), deps.store.history(b)]);
      expect(engineRecords.length).toBe(helmRecords.length);
      // helm 4 applies server-side from the install on, rollbacks included; so does helmstep.
      expect(helmRecords.map((r) => r.release.apply_method)).toEqual(helmRecords.map(() => 'ssa'));
      helmRecords.forEach((h, i) => {
        const e = engineRecords[i]!;
        const want = recordEssentials(h.release);
        expect(recordEssentials(e.release), `${step}: revision ${h.release.version}'s record`).toEqual({
          ...want,
          description: expectedDescription(h.release.version, want.description),
        });
        expect(hookRuns(e.release), `${step}: revision ${h.release.version}'s hook runs`).toEqual(hookRuns(h.release));
      });
      if (step !== 'test') {
        const newest = helmRecords.at(-1)!.release;
        expect(hookRuns(newest).started).toEqual(story.startedOrder[step]);
      }

      // Live objects, normalised: identical, hook objects left behind included.
      const [helmLive, engineLive] = await Promise.all([liveObjects(viaHelm.name), liveObjects(viaEngine.name)]);
      expect(engineLive, `${step}: live objects`).toEqual(helmLive);
      expect(hookObjects(helmLive)).toEqual(story.hooksLeft[step]);
    }

    it(`${story.chart}: install, upgrade, rollback to 1 and test match helm 4's, step by step`, async () => {
      await helmOk(4, ['install', release, chart, '-n', viaHelm.name, ...sets(story.install), ...wait]);
      const installed = await deploy(deps, viaEngine.name, release, chart, { set: story.install, mode: 'install' });
      expect(installed.info.status).toBe('deployed');
      expect(installed.apply_method).toBe('ssa');
      await expectSame('install');

      await helmOk(4, ['upgrade', release, chart, '-n', viaHelm.name, ...sets(story.upgrade), ...wait]);
      await deploy(deps, viaEngine.name, release, chart, { set: story.upgrade, mode: 'upgrade' });
      await expectSame('upgrade');

      await helmOk(4, ['rollback', release, '1', '-n', viaHelm.name, ...wait]);
      if (story.forcedRollback) {
        await expect(rollback(deps, viaEngine.name, release, 1)).rejects.toBeInstanceOf(RollbackRefused);
        await rollback(deps, viaEngine.name, release, 1, { force: true });
      } else {
        await rollback(deps, viaEngine.name, release, 1);
      }
      await expectSame('rollback');

      await helmOk(4, ['test', release, '-n', viaHelm.name, '--timeout', '60s']);
      const tested = await runTest(deps, { namespace: viaEngine.name, name: release }, { timeoutMs: 60_000, pollSeconds: 0.5 });
      const testPhases = tested.hooks.map((h) => [h.name, h.phase]);
      expect(testPhases).toEqual(story.hooksLeft.test.filter((k) => k.startsWith('Pod/')).map((k) => [k.slice(4), 'Succeeded']));
      await expectSame('test');
    });
  });
}
