import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

import { helm, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { helmstep } from './helmstep.ts';

const VALUE_FIXTURES = ['values-scalars', 'values-layout', 'values-long-keys'] as const;
const valuesFile = (name: string) => fileURLToPath(new URL(`../../unit/cli/fixtures/${name}.input.yaml`, import.meta.url));

// helm writes the release (install, then an upgrade through the pre-upgrade hook Job); helmstep
// must print what the same helm prints for it, byte for byte.
describe.each([4, 3] as const)('helmstep prints what helm %i prints', (major) => {
  const ns = useNamespace(`cli-h${major}`);

  beforeAll(async () => {
    await helmOk(major, ['install', 'web', webappChart, '-n', ns.name, '--set', 'message=one', '--timeout', '90s']);
    await helmOk(major, [
      'upgrade', 'web', webappChart, '-n', ns.name, '--set', 'message=two', '--set', 'image.tag=2.0', '--timeout', '90s',
    ]);
    await helmOk(major, ['install', 'plain', webappChart, '-n', ns.name, '--set', 'backup.enabled=false']);
    for (const name of VALUE_FIXTURES) {
      await helmOk(major, ['install', name, webappChart, '-n', ns.name, '-f', valuesFile(name), '--set', 'backup.enabled=false']);
    }
  });

  const same = [
    ['history', 'web', '-o', 'json'],
    ['history', 'web', '-o', 'yaml'],
    ['history', 'web'],
    ['history', 'web', '--max', '1', '-o', 'json'],
    ['get', 'values', 'web'],
    ['get', 'values', 'web', '-o', 'json'],
    ['get', 'values', 'web', '-o', 'yaml'],
    ['get', 'values', 'web', '--all'],
    ['get', 'values', 'web', '--all', '-o', 'json'],
    ['get', 'values', 'web', '--revision', '1'],
    ['get', 'values', 'web', '--revision', '1', '--all', '-o', 'json'],
    ['get', 'values', 'plain'],
    ['get', 'values', 'plain', '-o', 'json'],
    ['get', 'manifest', 'web'],
    ['get', 'manifest', 'web', '--revision', '1'],
    ['get', 'hooks', 'web'],
    ['get', 'hooks', 'plain'],
    ...VALUE_FIXTURES.flatMap((name) => [
      ['get', 'values', name, '-o', 'yaml'],
      ['get', 'values', name, '-o', 'json'],
      ['get', 'values', name, '--all'],
    ]),
  ];

  it.each(same.map((args) => [args.join(' '), args] as const))('helmstep %s', async (_line, args) => {
    const theirs = await helmOk(major, [...args, '-n', ns.name]);
    const ours = await helmstep([...args, '-n', ns.name]);
    expect(ours.stderr).toBe('');
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs);
  });

  it('status -o json: the record without its chart (helm 4 adds live info.resources)', async () => {
    const theirs = await helmOk(major, ['status', 'web', '-n', ns.name, '-o', 'json']);
    const ours = await helmstep(['status', 'web', '-n', ns.name, '-o', 'json']);
    expect(ours.code).toBe(0);
    if (major === 3) {
      expect(ours.stdout).toBe(theirs);
    } else {
      const parsed = JSON.parse(theirs) as { info: Record<string, unknown> };
      delete parsed.info.resources;
      expect(JSON.parse(ours.stdout)).toEqual(parsed);
    }
  });

  // helmstep prints helm 3's status layout (helm 4's needs live resources), so helm 3 is the
  // reference for releases written by either major.
  it('status (table) equals helm 3’s, with and without --show-desc', async () => {
    for (const extra of [[], ['--show-desc'], ['--revision', '1']]) {
      const theirs = await helmOk(3, ['status', 'web', '-n', ns.name, ...extra]);
      expect((await helmstep(['status', 'web', '-n', ns.name, ...extra])).stdout).toBe(theirs);
    }
  });

  it('diff shows what the upgrade changed: the ConfigMap message, the image tag and the values', async () => {
    const r = await helmstep(['diff', 'web', '-n', ns.name]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-  message: "one"\n+  message: "two"\n');
    expect(r.stdout).toContain('+          image: "registry.example.com/webapp:2.0"\n');
    expect(r.stdout).toContain('--- web revision 1 values\n+++ web revision 2 values\n@@ -1 +1,3 @@\n-message: one\n+image:\n+  tag: "2.0"\n+message: two\n');
  });

  it('an unknown release fails like helm (`Error: release: not found`), with the namespace to check', async () => {
    for (const args of [['history', 'nope'], ['get', 'values', 'nope'], ['get', 'manifest', 'web', '--revision', '9']]) {
      const theirs = await helm(major, [...args, '-n', ns.name]);
      const ours = await helmstep([...args, '-n', ns.name]);
      expect(theirs.stderr).toBe('Error: release: not found\n');
      expect(ours.code).toBe(theirs.code);
      expect(ours.stderr.startsWith('Error: release: not found')).toBe(true);
      expect(ours.stderr).toContain(`namespace "${ns.name}"`);
    }
  });
});
