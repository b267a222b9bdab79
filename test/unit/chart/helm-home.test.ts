import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELM_HOME_PREFIX, helmHomeEnv, withHelmHome } from '../../../src/chart/helm-home.ts';

describe('the per-render helm home', () => {
  it('points every helm path into one folder', () => {
    const env = helmHomeEnv('/tmp/h');
    expect(Object.keys(env).sort()).toEqual(['HELM_CACHE_HOME', 'HELM_CONFIG_HOME', 'HELM_DATA_HOME', 'HELM_REGISTRY_CONFIG', 'HELM_REPOSITORY_CACHE', 'HELM_REPOSITORY_CONFIG']);
    for (const v of Object.values(env)) expect(v.startsWith('/tmp/h/')).toBe(true);
  });

  it('lives under the temp dir while the render runs and is removed after, also when it fails', async () => {
    let home = '';
    await withHelmHome((env) => {
      home = join(env.HELM_CACHE_HOME ?? '', '..');
      expect(home.startsWith(join(tmpdir(), `${HELM_HOME_PREFIX}${process.pid}-`))).toBe(true);
      expect(existsSync(home)).toBe(true);
      return Promise.resolve();
    });
    expect(existsSync(home)).toBe(false);
    await expect(
      withHelmHome((env) => {
        home = join(env.HELM_CACHE_HOME ?? '', '..');
        return Promise.reject(new Error('helm failed'));
      }),
    ).rejects.toThrow('helm failed');
    expect(existsSync(home)).toBe(false);
  });
});
