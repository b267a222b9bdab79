import { describe, expect, it } from 'vitest';

import {
  HOOK_EVENTS,
  MIGRATION_ANNOTATION,
  deletePolicies,
  hookObject,
  hookRanSince,
  hooksFor,
  isMigration,
} from '../../../src/kube/hooks.ts';
import { InvalidManifest } from '../../../src/kube/manifest.ts';
import type { Hook } from '../../../src/release/record.ts';

function hook(name: string, events: string[], weight?: number, extra: Partial<Hook> = {}): Hook {
  return {
    name,
    kind: 'Job',
    path: `c/templates/${name}.yaml`,
    manifest: `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n`,
    events,
    ...(weight === undefined ? {} : { weight }),
    ...extra,
  };
}

describe('hooksFor', () => {
  it('knows helm events', () => {
    expect(HOOK_EVENTS).toContain('pre-upgrade');
    expect(HOOK_EVENTS).toContain('test');
    expect(HOOK_EVENTS).not.toContain('test-success');
  });

  it('filters by event and orders by weight, then name, ignoring stored order', () => {
    const hooks = [
      hook('zeta', ['pre-upgrade'], 0),
      hook('post', ['post-upgrade'], -100),
      hook('alpha', ['pre-upgrade', 'pre-install'], 0),
      hook('heavy', ['pre-upgrade'], 5),
      hook('light', ['pre-upgrade'], -5),
      hook('noweight', ['pre-upgrade']),
    ];
    expect(hooksFor(hooks, 'pre-upgrade').map((h) => h.name)).toEqual(['light', 'alpha', 'noweight', 'zeta', 'heavy']);
    expect(hooksFor(hooks, 'pre-install').map((h) => h.name)).toEqual(['alpha']);
    expect(hooksFor(hooks, 'post-upgrade').map((h) => h.name)).toEqual(['post']);
    expect(hooksFor(hooks, 'pre-rollback')).toEqual([]);
    expect(hooksFor([], 'test')).toEqual([]);
  });

  it('keeps stored (kind) order on exact ties and compares names bytewise', () => {
    const sa = { ...hook('same', ['pre-install'], 1), kind: 'ServiceAccount' };
    const job = { ...hook('same', ['pre-install'], 1), kind: 'Job' };
    expect(hooksFor([sa, job], 'pre-install').map((h) => h.kind)).toEqual(['ServiceAccount', 'Job']);
    expect(hooksFor([job, sa], 'pre-install').map((h) => h.kind)).toEqual(['Job', 'ServiceAccount']);
    expect(hooksFor([hook('b', ['test']), hook('B', ['test']), hook('a', ['test'])], 'test').map((h) => h.name)).toEqual(['B', 'a', 'b']);
  });

  it('counts test-success as test, and runs a hook listing an event twice only once', () => {
    const hooks = [hook('legacy', ['test-success']), hook('modern', ['test']), hook('both', ['test', 'test-success'])];
    expect(hooksFor(hooks, 'test').map((h) => h.name)).toEqual(['both', 'legacy', 'modern']);
  });

  it('copes with records without events', () => {
    expect(hooksFor([{ name: 'x', events: null }], 'pre-install')).toEqual([]);
  });

  it('does not reorder its input', () => {
    const hooks = [hook('b', ['pre-install'], 2), hook('a', ['pre-install'], 1)];
    hooksFor(hooks, 'pre-install');
    expect(hooks.map((h) => h.name)).toEqual(['b', 'a']);
  });
});

describe('deletePolicies', () => {
  it('defaults to before-hook-creation when there are none', () => {
    expect(deletePolicies(hook('a', ['pre-install']))).toEqual(['before-hook-creation']);
    expect(deletePolicies(hook('a', ['pre-install'], 0, { delete_policies: [] }))).toEqual(['before-hook-creation']);
    expect(deletePolicies(hook('a', ['pre-install'], 0, { delete_policies: null }))).toEqual(['before-hook-creation']);
  });
  it('keeps the hook own policies, without before-hook-creation when not listed', () => {
    expect(deletePolicies(hook('a', ['pre-install'], 0, { delete_policies: ['hook-succeeded', 'hook-failed'] }))).toEqual([
      'hook-succeeded',
      'hook-failed',
    ]);
  });
  it('returns a copy', () => {
    const h = hook('a', ['pre-install'], 0, { delete_policies: ['hook-succeeded'] });
    deletePolicies(h).push('x');
    expect(h.delete_policies).toEqual(['hook-succeeded']);
  });
});

describe('hookObject and isMigration', () => {
  const migration = hook('migrate', ['pre-upgrade'], 0, {
    manifest: `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n    ${MIGRATION_ANNOTATION}: "true"\nspec:\n  backoffLimit: 0\n`,
  });

  it('parses the hook manifest into its object', () => {
    const o = hookObject(migration);
    expect(o.kind).toBe('Job');
    expect(o.metadata.name).toBe('migrate');
    expect(o.spec).toEqual({ backoffLimit: 0 });
  });

  it('marks migrations by the annotation value "true" only', () => {
    expect(isMigration(migration)).toBe(true);
    const withValue = (v: string) =>
      hook('m', ['pre-upgrade'], 0, { manifest: `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: m\n  annotations:\n    ${MIGRATION_ANNOTATION}: ${v}\n` });
    expect(isMigration(withValue('"false"'))).toBe(false);
    expect(isMigration(withValue('"True"'))).toBe(false);
    // Unquoted `true` is a YAML boolean; Kubernetes would refuse it as an annotation value.
    expect(isMigration(withValue('true'))).toBe(false);
    expect(isMigration(hook('plain', ['pre-upgrade']))).toBe(false);
  });

  it('throws InvalidManifest naming the hook template when the manifest is not one object', () => {
    let err: unknown;
    try {
      hookObject(hook('broken', ['pre-install'], 0, { manifest: 'kind: Job\nmetadata:\n  name: broken\n' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidManifest);
    expect((err as InvalidManifest).source).toBe('c/templates/broken.yaml');
    expect(() => hookObject({ name: 'empty', events: ['pre-install'] })).toThrow(/hook empty.*the manifest is empty/);
  });
});

describe('hookRanSince', () => {
  const since = new Date('2026-11-24T18:10:00.500Z');
  const run = (started_at: string | undefined | null) =>
    hook('h', ['pre-upgrade'], 0, { last_run: started_at === undefined ? undefined : { started_at, completed_at: '', phase: 'Running' } });

  it.each([
    ['2026-11-24T18:10:00.5Z', true],
    ['2026-11-24T18:10:00.500999999Z', true],
    ['2026-11-24T18:10:01Z', true],
    ['2026-11-24T19:10:01+01:00', true],
    ['2026-11-24T18:10:00.499Z', false],
    ['2026-11-24T19:10:00.4+01:00', false],
    ['0001-01-01T00:00:00Z', false],
    ['', false],
    [null, false],
    [undefined, false],
  ])('started_at %s → %s', (startedAt, expected) => {
    expect(hookRanSince(run(startedAt), since)).toBe(expected);
  });

  it('is false for a hook that never ran (helm 4 writes {"phase":""})', () => {
    expect(hookRanSince(hook('h', ['pre-upgrade'], 0, { last_run: { phase: '' } }), since)).toBe(false);
  });
});
