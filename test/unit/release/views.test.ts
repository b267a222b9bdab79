import { describe, expect, it } from 'vitest';

import { decodeRelease } from '../../../src/release/codec.ts';
import type { Release } from '../../../src/release/record.ts';
import {
  allValues,
  diffRevisions,
  displayWidth,
  formatANSIC,
  formatHistoryTable,
  historyRows,
  hooksText,
  manifestOf,
  statusView,
  uitable,
  userValues,
  valuesYaml,
} from '../../../src/release/views.ts';
import { HELM3_JSON, HELM4_JSON, helmEncode, rec } from './fixtures.ts';

const helm3 = decodeRelease(helmEncode(HELM3_JSON));
const helm4 = decodeRelease(helmEncode(HELM4_JSON));

describe('formatANSIC (Go time.ANSIC)', () => {
  it.each([
    ['2024-03-05T10:15:13.123456789+01:00', 'original', 'Tue Mar  5 10:15:13 2024'],
    ['2024-03-05T10:15:13.123456789+01:00', 'utc', 'Tue Mar  5 09:15:13 2024'],
    ['2024-12-31T23:30:00-02:00', 'original', 'Tue Dec 31 23:30:00 2024'],
    ['2024-12-31T23:30:00-02:00', 'utc', 'Wed Jan  1 01:30:00 2025'],
    ['2016-10-03T10:15:13Z', 'original', 'Mon Oct  3 10:15:13 2016'],
    ['', 'original', 'Mon Jan  1 00:00:00 0001'],
    ['0001-01-01T00:00:00Z', 'utc', 'Mon Jan  1 00:00:00 0001'],
  ] as const)('%s in %s zone → %s', (t, zone, want) => {
    expect(formatANSIC(t, zone)).toBe(want);
  });
});

describe('helm history', () => {
  const h: Release[] = [
    helm3, // rev 1
    rec(3, 'failed', { info: { last_deployed: '2024-03-12T10:00:00.500+00:00', status: 'failed', description: 'Upgrade "web" failed: boom' } }),
    rec(2, 'deployed', {
      info: { last_deployed: '2024-03-12T09:00:00Z', status: 'deployed', description: 'Upgrade complete' },
      chart: { metadata: { name: 'web', version: '1.3.0', appVersion: '4.5.7' } },
    }),
  ];

  it('rows: newest max, ascending, Go-marshalled updated, MISSING chart', () => {
    const rows = historyRows([...h, rec(4, 'pending-upgrade', { chart: null, info: { status: 'pending-upgrade' } })], 3);
    expect(rows).toEqual([
      { revision: 2, updated: '2024-03-12T09:00:00Z', status: 'deployed', chart: 'web-1.3.0', app_version: '4.5.7', description: 'Upgrade complete' },
      { revision: 3, updated: '2024-03-12T10:00:00.5Z', status: 'failed', chart: 'web-1.0.3', app_version: '1.0', description: 'Upgrade "web" failed: boom' },
      { revision: 4, updated: '', status: 'pending-upgrade', chart: 'MISSING', app_version: 'MISSING', description: '' },
    ]);
    expect(historyRows(h, 1).map((r) => r.revision)).toEqual([3]);
    expect(historyRows(h)[0]!.updated).toBe('2024-03-05T10:15:13.123456789+01:00');
  });

  it('zero updated is "" for helm 3 and Go zero for helm 4', () => {
    const z = [rec(1, 'deployed', { info: { status: 'deployed' } })];
    expect(historyRows(z)[0]!.updated).toBe('');
    expect(historyRows(z, 256, { helm: 4 })[0]!.updated).toBe('0001-01-01T00:00:00Z');
  });

  it('table: uitable layout, every cell padded, tab separated, newline-terminated', () => {
    const table = formatHistoryTable(historyRows(h.slice(0, 1).concat(h[2]!)));
    expect(table).toBe(
      'REVISION\tUPDATED                 \tSTATUS  \tCHART    \tAPP VERSION\tDESCRIPTION     \n' +
        '1       \tTue Mar  5 10:15:13 2024\tdeployed\tweb-1.2.3\t4.5.6      \tInstall complete\n' +
        '2       \tTue Mar 12 09:00:00 2024\tdeployed\tweb-1.3.0\t4.5.7      \tUpgrade complete\n',
    );
  });

  it('table: zero time prints Go\'s zero date', () => {
    const table = formatHistoryTable(historyRows([rec(1, 'deployed', { info: { status: 'deployed', description: 'd' } })]));
    expect(table.split('\n')[1]).toBe('1       \tMon Jan  1 00:00:00 0001\tdeployed\tweb-1.0.1\t1.0        \td          ');
  });

  it('uitable: multi-line cells as gosuri/uitable renders them; wide characters count double', () => {
    // The whole cell is resized first: its total width exceeds the widest line, so it is cut.
    expect(uitable([['A', 'B'], ['x', 'one\ntwo']])).toBe('A\tB  \nx\t...');
    // A cell whose total width equals its widest line survives and spills onto a second line.
    expect(uitable([['A', 'B'], ['x', 'ab\n']])).toBe('A\tB \nx\tab\n \t  ');
    expect(displayWidth('日本')).toBe(4);
    expect(uitable([['H', 'Z'], ['日本', 'z']])).toBe('H   \tZ\n日本\tz');
  });
});

describe('helm get', () => {
  it('values: user-supplied only', () => {
    expect(userValues(helm3)).toEqual({ replicas: 3 });
    expect(userValues(rec(1, 'deployed', { config: null }))).toEqual({});
  });

  it('values --all: coalesced like chartutil.CoalesceValues', () => {
    const r = rec(1, 'deployed', {
      chart: {
        values: {
          replicas: 1,
          image: { repository: 'nginx', tag: 'latest', pullPolicy: 'IfNotPresent' },
          svc: { port: 80 },
          list: [1, 2],
          probe: { enabled: true },
          mode: 'simple',
        },
      },
      config: {
        replicas: 3,
        image: { tag: '1.2', pullPolicy: null, extraNull: null },
        svc: null,
        list: [3],
        probe: 'off',
        mode: { complex: true },
        topNull: null,
        userOnly: { a: null, b: 1 },
      },
    });
    expect(allValues(r)).toEqual({
      replicas: 3,
      image: { repository: 'nginx', tag: '1.2' },
      list: [3],
      probe: 'off',
      mode: { complex: true },
      topNull: null,
      userOnly: { a: null, b: 1 },
    });
    // The record itself is untouched.
    expect((r.config as { image: { pullPolicy: null } }).image.pullPolicy).toBeNull();
    expect((r.chart?.values as { svc: unknown }).svc).toEqual({ port: 80 });
  });

  it('values --all with no chart values is the user values', () => {
    expect(allValues(rec(1, 'deployed', { chart: null, config: { a: 1 } }))).toEqual({ a: 1 });
  });

  it('manifest and hooks text', () => {
    expect(manifestOf(helm4)).toBe('---\n# Source: api/templates/deploy.yaml\nkind: Deployment\n');
    expect(hooksText(helm4)).toBe('---\n# Source: api/templates/migrate.yaml\nkind: Job\n');
    expect(hooksText(rec(1, 'deployed', { hooks: null }))).toBe('');
  });

  it('values YAML sorts keys and does not indent sequences (like sigs.k8s.io/yaml)', () => {
    expect(valuesYaml({ b: [1, 2], a: { z: 1, y: 'x' } })).toBe('a:\n  y: x\n  z: 1\nb:\n- 1\n- 2\n');
  });
});

describe('helm status', () => {
  it('helm 3: no DESCRIPTION by default, time in its own offset, test hook never run prints no TEST SUITE', () => {
    expect(statusView(helm3, { helm: 3 })).toBe(
      'NAME: web\n' +
        'LAST DEPLOYED: Tue Mar  5 10:15:13 2024\n' +
        'NAMESPACE: default\n' +
        'STATUS: deployed\n' +
        'REVISION: 1\n' +
        'NOTES:\n1. Get the application URL\n',
    );
    expect(statusView(helm3, { helm: 3, showDescription: true })).toContain('REVISION: 1\nDESCRIPTION: Install complete\n');
  });

  it('helm 4: DESCRIPTION always, TEST SUITE: None without test hooks', () => {
    expect(statusView(helm4, { zone: 'utc' })).toBe(
      'NAME: api\n' +
        'LAST DEPLOYED: Mon Jun  2 16:30:00 2025\n' +
        'NAMESPACE: prod\n' +
        'STATUS: deployed\n' +
        'REVISION: 2\n' +
        'DESCRIPTION: Upgrade complete\n' +
        'TEST SUITE: None\n',
    );
  });

  it('prints a run test hook, omits LAST DEPLOYED when zero, trims notes, shows caller-supplied resources', () => {
    const r = rec(4, 'deployed', {
      info: { status: 'deployed', description: 'Upgrade complete', notes: '\n  Visit me  \n\n' },
      hooks: [
        { name: 'web-test', events: ['test'], last_run: { started_at: '2025-01-01T10:00:00Z', completed_at: '2025-01-01T10:00:05Z', phase: 'Succeeded' } },
        { name: 'web-pre', events: ['pre-upgrade'], last_run: { started_at: '2025-01-01T09:00:00Z', completed_at: '', phase: 'Succeeded' } },
      ],
    });
    expect(statusView(r, { helm: 4, zone: 'utc', resources: '==> v1/Service\nNAME  TYPE\nweb   ClusterIP\n' })).toBe(
      'NAME: web\n' +
        'NAMESPACE: default\n' +
        'STATUS: deployed\n' +
        'REVISION: 4\n' +
        'DESCRIPTION: Upgrade complete\n' +
        'RESOURCES:\n==> v1/Service\nNAME  TYPE\nweb   ClusterIP\n\n' +
        'TEST SUITE:     web-test\n' +
        'Last Started:   Wed Jan  1 10:00:00 2025\n' +
        'Last Completed: Wed Jan  1 10:00:05 2025\n' +
        'Phase:          Succeeded\n' +
        'NOTES:\nVisit me\n',
    );
  });

  it('a dry-run record also prints HOOKS and MANIFEST', () => {
    const r = rec(1, 'pending-install', {
      info: { status: 'pending-install', description: 'Dry run complete' },
      hooks: [{ path: 'web/templates/job.yaml', manifest: 'kind: Job' }],
      manifest: 'kind: Service',
    });
    expect(statusView(r, { helm: 3 })).toContain('HOOKS:\n---\n# Source: web/templates/job.yaml\nkind: Job\nMANIFEST:\nkind: Service\n');
  });
});

describe('diffRevisions', () => {
  it('diffs manifests and user values as unified text', () => {
    const a = rec(1, 'superseded', { manifest: 'a\nb\nc\n', config: { replicas: 1, image: { tag: 'v1' } } });
    const b = rec(2, 'deployed', { manifest: 'a\nB\nc\n', config: { replicas: 1, image: { tag: 'v2' } } });
    const d = diffRevisions(a, b);
    expect(d.manifest).toBe('--- web revision 1 manifest\n+++ web revision 2 manifest\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
    expect(d.values).toBe('--- web revision 1 values\n+++ web revision 2 values\n@@ -1,3 +1,3 @@\n image:\n-  tag: v1\n+  tag: v2\n replicas: 1\n');
  });

  it('is empty for identical revisions', () => {
    expect(diffRevisions(rec(1, 'deployed'), { ...rec(1, 'deployed'), version: 2 })).toEqual({ manifest: '', values: '' });
  });
});
