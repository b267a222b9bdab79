import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { depsFromEnv } from '../../../src/orchestration/env.ts';
import { S3ObjectStore } from '../../../src/audit/s3.ts';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;

function kubeconfigFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'helmstep-env-')), 'kubeconfig');
  writeFileSync(file, KUBECONFIG);
  return file;
}

afterEach(() => vi.unstubAllEnvs());

describe('the Lambda handlers\' deps from the environment', () => {
  const base = () => {
    vi.stubEnv('KUBECONFIG', kubeconfigFile());
    vi.stubEnv('HELMSTEP_CLUSTER_NAME', 'prod-eks');
    vi.stubEnv('HELMSTEP_LEASE_TABLE', 'helmstep-leases');
    vi.stubEnv('HELMSTEP_AUDIT_TABLE', 'helmstep-audit');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
  };

  it('wires the lease, the audit sink, the gate and the step metrics', async () => {
    base();
    const deps = await depsFromEnv();
    expect(deps.cluster).toBe('prod-eks');
    expect(deps.engine.helm).toBe('/opt/helm/helm');
    expect(deps.audit).toBeDefined();
    expect(deps.gate).toBeDefined();
    expect(deps.metrics).toBeDefined();
  });

  it('refuses to start without the audit table, naming the variable', async () => {
    base();
    vi.stubEnv('HELMSTEP_AUDIT_TABLE', '');
    await expect(depsFromEnv()).rejects.toThrow(/HELMSTEP_AUDIT_TABLE is not set/);
  });

  it('puts large record bodies in the S3 bucket the environment names', async () => {
    const { objectStoreFromEnv } = await import('../../../src/audit/s3.ts');
    expect(await objectStoreFromEnv({})).toBeUndefined();
    const store = await objectStoreFromEnv({ HELMSTEP_AUDIT_BUCKET: 'audit-bodies', HELMSTEP_AUDIT_PREFIX: 'prod/', AWS_REGION: 'eu-west-1' });
    expect(store).toBeInstanceOf(S3ObjectStore);
    expect(store).toMatchObject({ bucket: 'audit-bodies', prefix: 'prod/' });
  });
});
