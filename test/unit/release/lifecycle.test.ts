import { describe, expect, it } from 'vitest';

import {
  InvalidReleaseName,
  InvalidRevision,
  NoDeployedRelease,
  OperationInProgress,
  ReleaseNotFound,
  ReservedLabel,
  RevisionNotFound,
} from '../../../src/release/errors.ts';
import {
  assertNoOperationInProgress,
  currentForUpgrade,
  customLabelsOf,
  deployed,
  lastSuccessfulRevision,
  latest,
  markDeployed,
  markFailed,
  markSuperseded,
  markUninstalled,
  markUnlocked,
  markUninstalling,
  mergeLabels,
  newInstallRecord,
  newRollbackRecord,
  newUpgradeRecord,
  nextRevision,
  planPrune,
  resolveRollbackTarget,
  secretLabels,
  secretName,
  shouldInstallOnUpgrade,
  supersedeAllDeployed,
  systemLabels,
  validateReleaseName,
} from '../../../src/release/lifecycle.ts';
import type { Release, Status } from '../../../src/release/record.ts';
import { rec } from './fixtures.ts';

const ref = { namespace: 'default', name: 'web' };
const hist = (...statuses: Status[]): Release[] => statuses.map((s, i) => rec(i + 1, s));
const now = new Date('2025-02-03T04:05:06.789Z');

describe('history queries', () => {
  it('latest and nextRevision use the highest revision whatever the order or status', () => {
    const h = [rec(3, 'failed'), rec(1, 'superseded'), rec(2, 'deployed')];
    expect(latest(h)?.version).toBe(3);
    expect(nextRevision(h)).toBe(4);
    expect(nextRevision([])).toBe(1);
    expect(latest([])).toBeUndefined();
  });

  it('deployed picks the highest deployed revision when several claim it', () => {
    expect(deployed([rec(1, 'deployed'), rec(4, 'deployed'), rec(5, 'failed')])?.version).toBe(4);
    expect(deployed(hist('superseded', 'failed'))).toBeUndefined();
  });
});

describe('assertNoOperationInProgress: only the newest record locks', () => {
  const cases: [string, Status[], boolean][] = [
    ['empty history', [], false],
    ['newest deployed', ['superseded', 'deployed'], false],
    ['newest failed', ['deployed', 'failed'], false],
    ['newest pending-install', ['pending-install'], true],
    ['newest pending-upgrade', ['deployed', 'pending-upgrade'], true],
    ['newest pending-rollback', ['deployed', 'failed', 'pending-rollback'], true],
    ['older pending, newest deployed', ['pending-upgrade', 'deployed'], false],
    ['newest uninstalling', ['deployed', 'uninstalling'], false],
  ];
  it.each(cases)('%s', (_label, statuses, locked) => {
    const run = () => assertNoOperationInProgress(hist(...statuses));
    if (!locked) return expect(run).not.toThrow();
    expect(run).toThrow(OperationInProgress);
    try {
      run();
    } catch (e) {
      const err = e as OperationInProgress;
      expect(err.helmText).toBe('another operation (install/upgrade/rollback) is in progress');
      expect(err.reason).toBe('OperationInProgress');
      expect(err.retryable).toBe(false);
      expect(err.revision).toBe(statuses.length);
      expect(err.message).toContain('sh.helm.release.v1.web.v' + statuses.length);
      expect(err.message).toContain('"default"');
    }
  });
});

describe('currentForUpgrade', () => {
  const cases: [string, Status[], number | string][] = [
    ['newest deployed', ['superseded', 'deployed'], 2],
    ['newest failed, older deployed', ['deployed', 'failed'], 1],
    ['failed after failed after deployed', ['deployed', 'failed', 'failed'], 1],
    ['only failed', ['failed'], 1],
    ['newest superseded, none deployed', ['failed', 'superseded'], 2],
    ['newest uninstalled, none deployed', ['superseded', 'uninstalled'], 'NoDeployedRelease'],
    ['newest pending', ['deployed', 'pending-upgrade'], 'OperationInProgress'],
    ['no history', [], 'NoDeployedRelease'],
  ];
  it.each(cases)('%s → %s', (_label, statuses, want) => {
    const h = hist(...statuses);
    if (typeof want === 'number') {
      const base = currentForUpgrade(h, ref);
      expect(base.current.version).toBe(want);
      expect(base.newest.version).toBe(statuses.length);
      expect(base.version).toBe(statuses.length + 1);
    } else {
      let caught: unknown;
      try {
        currentForUpgrade(h, ref);
      } catch (e) {
        caught = e;
      }
      expect((caught as { reason?: string } | undefined)?.reason).toBe(want);
    }
  });

  it('words "no deployed releases" as helm does', () => {
    expect(() => currentForUpgrade([], ref)).toThrow(NoDeployedRelease);
    try {
      currentForUpgrade([], ref);
    } catch (e) {
      expect((e as NoDeployedRelease).helmText).toBe('"web" has no deployed releases');
    }
  });

  it('upgrade --install installs on empty history or newest uninstalled only', () => {
    expect(shouldInstallOnUpgrade([])).toBe(true);
    expect(shouldInstallOnUpgrade(hist('deployed', 'uninstalled'))).toBe(true);
    expect(shouldInstallOnUpgrade(hist('uninstalled', 'failed'))).toBe(false);
  });

  it('atomic rollback targets the highest superseded or deployed revision', () => {
    expect(lastSuccessfulRevision(hist('superseded', 'deployed', 'failed'))).toBe(2);
    expect(lastSuccessfulRevision(hist('deployed', 'superseded', 'failed', 'failed'))).toBe(2);
    expect(lastSuccessfulRevision(hist('failed'))).toBeUndefined();
  });
});

describe('planPrune (helm\'s removeLeastRecent, run after the new record is written)', () => {
  // Each history ends with the record just written (pending); helm's rule, run before its
  // Create with maxHistory − 1, deletes the same revisions.
  const cases: [string, number, Status[], number[]][] = [
    ['acceptance: max 3, [sup, failed, deployed, failed] + new', 3, ['superseded', 'failed', 'deployed', 'failed', 'pending-upgrade'], [1, 2]],
    ['under the limit', 10, ['deployed', 'superseded', 'pending-upgrade'], []],
    ['exactly at the limit', 3, ['superseded', 'deployed', 'pending-upgrade'], []],
    ['one over the limit deletes one', 3, ['superseded', 'superseded', 'deployed', 'pending-upgrade'], [1]],
    ['never deletes the newest deployed, even if oldest', 2, ['deployed', 'failed', 'failed', 'pending-upgrade'], [2, 3]],
    ['max 1 keeps the deployed one and the new one (helm #10168)', 1, ['superseded', 'deployed', 'pending-upgrade'], [1]],
    ['failed revisions are deleted like any other', 3, ['failed', 'failed', 'failed', 'failed', 'pending-upgrade'], [1, 2]],
    ['disabled at 0', 0, ['superseded', 'superseded', 'deployed', 'pending-upgrade'], []],
    ['only the newest deployed is protected', 2, ['deployed', 'deployed', 'failed', 'pending-rollback'], [1, 3]],
  ];
  it.each(cases)('%s', (_label, max, statuses, want) => {
    expect(planPrune(hist(...statuses), max, statuses.length)).toEqual(want);
  });

  it('sorts by revision, not input order', () => {
    const h = [rec(4, 'failed'), rec(5, 'pending-upgrade'), rec(3, 'deployed'), rec(2, 'failed'), rec(1, 'superseded')];
    expect(planPrune(h, 3, 5)).toEqual([1, 2]);
  });

  it('never deletes the record just written, even when it is not the highest revision read', () => {
    // max 1 over [1 deployed, 2 pending written]: only 2 could go, and it may not.
    expect(planPrune(hist('deployed', 'pending-install'), 1, 2)).toEqual([]);
    expect(planPrune(hist('failed', 'pending-install'), 1, 2)).toEqual([1]);
  });

  it('gives the same answer as helm\'s before-create rule (keep max − 1 of the old history) for every small history', () => {
    const statuses: Status[] = ['deployed', 'superseded', 'failed'];
    const helmRule = (old: Release[], max: number): number[] => {
      if (max <= 0 || old.length <= max - 1) return [];
      const last = deployed(old);
      const out: number[] = [];
      for (const r of [...old].sort((a, b) => a.version - b.version)) {
        if (old.length - out.length === max - 1) break;
        if (r.version !== last?.version) out.push(r.version);
      }
      return out;
    };
    for (let n = 0; n <= 5; n++) {
      for (let combo = 0; combo < statuses.length ** n; combo++) {
        const old = Array.from({ length: n }, (_, i) => rec(i + 1, statuses[Math.floor(combo / statuses.length ** i) % statuses.length]!));
        for (let max = 0; max <= 6; max++) {
          expect(planPrune([...old, rec(n + 1, 'pending-upgrade')], max, n + 1)).toEqual(helmRule(old, max));
        }
      }
    }
  });
});

describe('labels', () => {
  it('merge: desired overrides, "null" deletes (from either side), current kept', () => {
    expect(mergeLabels({ team: 'a', tier: 'web', old: 'null' }, { team: 'b', tier: 'null', env: 'prod' })).toEqual({
      team: 'b',
      env: 'prod',
    });
  });

  it.each(['name', 'owner', 'status', 'version', 'createdAt', 'modifiedAt'])('refuses reserved label %s', (key) => {
    expect(() => mergeLabels({}, { [key]: 'x' }, ref)).toThrow(ReservedLabel);
  });

  it('names every reserved label in one error, with helm\'s text', () => {
    try {
      mergeLabels({}, { owner: 'me', status: 'x', fine: 'y' });
      expect.unreachable();
    } catch (e) {
      const err = e as ReservedLabel;
      expect(err.labels).toEqual(['owner', 'status']);
      expect(err.helmText).toBe(
        'user supplied labels contains system reserved label name. System labels: [name owner status version createdAt modifiedAt]',
      );
    }
  });

  it('customLabelsOf drops the system labels a Secret carries', () => {
    expect(customLabelsOf({ name: 'web', owner: 'helm', status: 'deployed', version: '3', createdAt: '1', team: 'a' })).toEqual({ team: 'a' });
  });

  it('systemLabels keeps a stored createdAt beside a new modifiedAt, as helm\'s Update copies what it read', () => {
    expect(systemLabels(rec(2, 'superseded'), { createdAt: '1700000000', modifiedAt: now })).toEqual({
      name: 'web',
      owner: 'helm',
      status: 'superseded',
      version: '2',
      createdAt: '1700000000',
      modifiedAt: '1738555506',
    });
  });

  it('systemLabels: status/version from the record, createdAt on create or modifiedAt on update, unix seconds', () => {
    const r = rec(12, 'pending-upgrade');
    expect(systemLabels(r, { createdAt: now })).toEqual({
      name: 'web',
      owner: 'helm',
      status: 'pending-upgrade',
      version: '12',
      createdAt: '1738555506',
    });
    expect(systemLabels(r, { modifiedAt: now })).toEqual({
      name: 'web',
      owner: 'helm',
      status: 'pending-upgrade',
      version: '12',
      modifiedAt: '1738555506',
    });
  });

  it('secretLabels puts custom labels first and never lets them override system ones', () => {
    const labels = secretLabels(rec(1, 'deployed'), { team: 'a', status: 'forged' }, { createdAt: now });
    expect(Object.keys(labels)).toEqual(['team', 'name', 'owner', 'status', 'version', 'createdAt']);
    expect(labels.status).toBe('deployed');
    expect(secretName('web', 12)).toBe('sh.helm.release.v1.web.v12');
  });
});

describe('release names', () => {
  it.each(['web', 'a', 'my-app.v2', 'x'.repeat(53), '0abc', 'a.b.c'])('accepts %s', (n) => {
    expect(() => validateReleaseName(n)).not.toThrow();
  });
  it.each(['', 'Web', '-web', 'web-', 'web_app', 'a..b', 'x'.repeat(54), 'a.-b', 'web app'])('refuses %j', (n) => {
    expect(() => validateReleaseName(n)).toThrow(InvalidReleaseName);
  });
});

describe('creating records', () => {
  const rendered = {
    chart: { metadata: { name: 'web', version: '2.0.0' } },
    config: { replicas: 2 },
    manifest: 'kind: Service\n',
    hooks: [],
    now,
  };

  it('install: pending-install "Initial install underway", revision 1, both times now', () => {
    const { release, labels } = newInstallRecord({ ...rendered, name: 'web', namespace: 'prod', labels: { team: 'a', gone: 'null' }, notes: 'hi' });
    expect(release).toEqual({
      name: 'web',
      info: {
        first_deployed: '2025-02-03T04:05:06.789Z',
        last_deployed: '2025-02-03T04:05:06.789Z',
        description: 'Initial install underway',
        status: 'pending-install',
        notes: 'hi',
      },
      chart: rendered.chart,
      config: { replicas: 2 },
      manifest: 'kind: Service\n',
      version: 1,
      namespace: 'prod',
    });
    expect(labels).toEqual({ team: 'a' });
  });

  it('omits empty config, manifest and hooks the way Go omitempty does', () => {
    const { release } = newInstallRecord({ ...rendered, config: {}, manifest: '', name: 'web', namespace: 'prod' });
    const json = JSON.parse(JSON.stringify(release)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['name', 'info', 'chart', 'version', 'namespace']);
  });

  it('install validates the name and labels', () => {
    expect(() => newInstallRecord({ ...rendered, name: 'Bad', namespace: 'x' })).toThrow(InvalidReleaseName);
    expect(() => newInstallRecord({ ...rendered, name: 'ok', namespace: 'x', labels: { owner: 'me' } })).toThrow(ReservedLabel);
  });

  it('upgrade: pending-upgrade "Preparing upgrade", first_deployed copied, labels merged from newest', () => {
    const h = hist('superseded', 'deployed', 'failed');
    const { current, version } = currentForUpgrade(h, ref);
    const { release, labels } = newUpgradeRecord(current, {
      ...rendered,
      version,
      previousLabels: { team: 'a', tier: 'web' },
      labels: { tier: 'null', env: 'prod' },
      applyMethod: 'ssa',
    });
    expect(release.version).toBe(4);
    expect(release.info).toEqual({
      first_deployed: '2024-01-01T00:00:00Z',
      last_deployed: '2025-02-03T04:05:06.789Z',
      description: 'Preparing upgrade',
      status: 'pending-upgrade',
    });
    expect(release.namespace).toBe('default');
    expect(release.apply_method).toBe('ssa');
    expect(release.info.notes).toBeUndefined();
    expect(labels).toEqual({ team: 'a', env: 'prod' });
  });

  it('upgrade omits a zero first_deployed instead of copying ""', () => {
    const cur = rec(1, 'deployed', { info: { first_deployed: '', status: 'deployed' } });
    expect(newUpgradeRecord(cur, { ...rendered, version: 2 }).release.info).not.toHaveProperty('first_deployed');
  });

  it('inputs are never mutated', () => {
    const h = hist('deployed');
    const before = structuredClone(h);
    newUpgradeRecord(h[0]!, { ...rendered, version: 2 });
    markDeployed(h[0]!);
    markFailed(h[0]!, 'upgrade', 'x');
    newRollbackRecord(h[0]!, h[0]!, now);
    expect(h).toEqual(before);
  });
});

describe('rollback', () => {
  it('target 0 is newest − 1, even when that revision failed', () => {
    const h = hist('superseded', 'deployed', 'failed', 'failed');
    const { current, target } = resolveRollbackTarget(h, ref, 0);
    expect(current.version).toBe(4);
    expect(target.version).toBe(3);
    expect(target.info.status).toBe('failed');
  });

  it('explicit target, missing target, negative target, empty history', () => {
    const h = hist('superseded', 'deployed');
    expect(resolveRollbackTarget(h, ref, 1).target.version).toBe(1);
    expect(() => resolveRollbackTarget(h, ref, 9)).toThrow(RevisionNotFound);
    try {
      resolveRollbackTarget(h, ref, 9);
    } catch (e) {
      expect((e as RevisionNotFound).helmText).toBe('release has no 9 version');
    }
    expect(() => resolveRollbackTarget(hist('deployed'), ref, 0)).toThrow('release has no 0 version');
    expect(() => resolveRollbackTarget(h, ref, -1)).toThrow(InvalidRevision);
    expect(() => resolveRollbackTarget([], ref, 0)).toThrow(ReleaseNotFound);
  });

  it('new record copies the target, keeps current first_deployed, is pending "Rollback to N" at newest + 1', () => {
    const current = rec(5, 'failed', { info: { first_deployed: '2020-01-01T00:00:00Z', status: 'failed', description: 'x' } });
    const target = rec(3, 'superseded', {
      info: { first_deployed: '2021-01-01T00:00:00Z', status: 'superseded', notes: 'target notes' },
      apply_method: 'csa',
      hooks: [{ name: 'h', events: ['post-rollback'] }],
    });
    const { release, labels } = newRollbackRecord(current, target, now, { team: 'old', owner: 'helm' });
    expect(release).toEqual({
      name: 'web',
      info: {
        first_deployed: '2020-01-01T00:00:00Z',
        last_deployed: '2025-02-03T04:05:06.789Z',
        description: 'Rollback to 3',
        status: 'pending-rollback',
        notes: 'target notes',
      },
      chart: target.chart,
      config: target.config,
      manifest: target.manifest,
      hooks: target.hooks,
      version: 6,
      namespace: 'default',
      apply_method: 'csa',
    });
    expect(labels).toEqual({ team: 'old' });
  });

  it('after success every deployed record is superseded (not just one)', () => {
    const h = [rec(1, 'deployed'), rec(2, 'deployed'), rec(3, 'failed'), rec(4, 'pending-rollback')];
    const out = supersedeAllDeployed(h);
    expect(out.map((r) => [r.version, r.info.status, r.info.description])).toEqual([
      [2, 'superseded', 'rev 2'],
      [1, 'superseded', 'rev 1'],
    ]);
  });
});

describe('status transitions', () => {
  it.each([
    ['pending-install', undefined, 'Install complete'],
    ['pending-upgrade', undefined, 'Upgrade complete'],
    ['pending-rollback', undefined, 'rev 1'],
    ['pending-upgrade', 'custom', 'custom'],
  ] as const)('markDeployed from %s', (status, desc, want) => {
    const r = markDeployed(rec(1, status), desc);
    expect(r.info.status).toBe('deployed');
    expect(r.info.description).toBe(want);
  });

  it.each([
    ['install', 'Release "web" failed: boom'],
    ['upgrade', 'Upgrade "web" failed: boom'],
    ['rollback', 'Rollback "web" failed: boom'],
  ] as const)('markFailed %s uses helm\'s message', (op, want) => {
    const r = markFailed(rec(2, 'pending-upgrade'), op, new Error('boom'));
    expect(r.info.status).toBe('failed');
    expect(r.info.description).toBe(want);
  });

  it('superseded keeps the description unless given one', () => {
    expect(markSuperseded(rec(1, 'deployed')).info.description).toBe('rev 1');
    expect(markSuperseded(rec(1, 'deployed'), 'superseded by new release').info.description).toBe('superseded by new release');
  });

  it('unlock marks the pending record failed, saying who, why and what it was', () => {
    const r = markUnlocked(rec(3, 'pending-upgrade'), 'alice', 'the runner died');
    expect(r.info).toMatchObject({ status: 'failed', description: 'Unlocked by alice: the runner died (was pending-upgrade)' });
  });

  it('uninstall sets deleted and helm\'s descriptions', () => {
    const u = markUninstalling(rec(1, 'deployed'), now);
    expect(u.info).toMatchObject({ status: 'uninstalling', deleted: '2025-02-03T04:05:06.789Z' });
    expect(markUninstalled(u).info).toMatchObject({ status: 'uninstalled', description: 'Uninstallation complete' });
  });
});
