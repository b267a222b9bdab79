import { ApiException, type CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { encodeRelease } from '../../../src/release/codec.ts';
import { InvalidReleaseName } from '../../../src/release/errors.ts';
import { newInstallRecord } from '../../../src/release/lifecycle.ts';
import { ClusterBusy, ClusterRejected, ClusterUnavailable, ReleaseExists } from '../../../src/store/errors.ts';
import { SecretsReleaseStore } from '../../../src/store/secrets.ts';
import { sampleRendered } from '../../contract/release-store.ts';

const { release } = newInstallRecord({ ...sampleRendered(), name: 'web', namespace: 'shop' });

function secret(type: string | undefined, labels: Record<string, string> = {}): V1Secret {
  return {
    metadata: { name: 'sh.helm.release.v1.web.v1', namespace: 'shop', resourceVersion: '7', labels: { name: 'web', owner: 'helm', status: 'pending-install', version: '1', ...labels } },
    ...(type === undefined ? {} : { type }),
    data: { release: Buffer.from(encodeRelease(release)).toString('base64') },
  };
}

/** A CoreV1Api stand-in: records calls, answers with `answer`. */
function fakeCore(answer: (method: string, args: unknown) => unknown) {
  const calls: { method: string; args: unknown }[] = [];
  const handler = (method: string) => (args: unknown) => {
    calls.push({ method, args });
    return new Promise((resolve) => resolve(answer(method, args)));
  };
  const core = new Proxy({}, { get: (_t, method: string) => handler(method) }) as unknown as CoreV1Api;
  return { core, calls };
}

const now = () => new Date('2025-01-02T00:00:00Z');

describe('SecretsReleaseStore without a cluster', () => {
  it('checks the release name with helm\'s rules before any API call', async () => {
    const { core, calls } = fakeCore(() => ({ items: [] }));
    const s = new SecretsReleaseStore(core, 'https://x', now);
    const bad = { namespace: 'shop', name: 'web,owner=helm' };
    await expect(s.history(bad)).rejects.toBeInstanceOf(InvalidReleaseName);
    await expect(s.get(bad, 1)).rejects.toBeInstanceOf(InvalidReleaseName);
    await expect(s.delete(bad, 1)).rejects.toBeInstanceOf(InvalidReleaseName);
    await expect(s.create({ ...release, name: 'Web' }, {})).rejects.toBeInstanceOf(InvalidReleaseName);
    expect(calls).toEqual([]);
  });

  it('decodes release Secrets whatever their type, as helm does', async () => {
    const { core } = fakeCore(() => ({ items: [secret('Opaque'), { ...secret(undefined), metadata: { ...secret(undefined).metadata, name: 'sh.helm.release.v1.web.v2' } }] }));
    const h = await new SecretsReleaseStore(core, 'https://x', now).history({ namespace: 'shop', name: 'web' });
    expect(h).toHaveLength(2);
  });

  it('update keeps the createdAt it read and stamps modifiedAt, as helm\'s Update does', async () => {
    const { core, calls } = fakeCore((method, args) => (method === 'listNamespacedSecret' ? { items: [secret('helm.sh/release.v1', { createdAt: '1700000000', team: 'a' })] } : (args as { body: V1Secret }).body));
    const s = new SecretsReleaseStore(core, 'https://x', now);
    const [read] = await s.history({ namespace: 'shop', name: 'web' });
    expect(read?.createdAt).toBe('1700000000');
    await s.update(read!, { ...read!.release, info: { ...read!.release.info, status: 'deployed' } });
    const body = (calls.at(-1)?.args as { body: V1Secret }).body;
    expect(body.metadata?.resourceVersion).toBe('7');
    expect(body.metadata?.labels).toEqual({ team: 'a', name: 'web', owner: 'helm', status: 'deployed', version: '1', createdAt: '1700000000', modifiedAt: '1735776000' });
  });

  it('turns API answers into typed errors: 409 on create is ReleaseExists, 429/5xx ClusterBusy, other 4xx ClusterRejected', async () => {
    const answers: Record<string, unknown> = {
      createNamespacedSecret: new ApiException(409, 'conflict', { message: 'already exists' }, {}),
      listNamespacedSecret: new ApiException(503, 'unavailable', { message: 'etcd leader changed' }, {}),
      readNamespacedSecret: new ApiException(422, 'invalid', { message: 'bad name' }, {}),
      deleteNamespacedSecret: new ApiException(429, 'slow down', '', {}),
    };
    const { core } = fakeCore((method) => {
      throw answers[method] as Error;
    });
    const s = new SecretsReleaseStore(core, 'https://x', now);
    const ref = { namespace: 'shop', name: 'web' };
    await expect(s.create(release, {})).rejects.toBeInstanceOf(ReleaseExists);
    await expect(s.history(ref)).rejects.toBeInstanceOf(ClusterBusy);
    await expect(s.get(ref, 1)).rejects.toBeInstanceOf(ClusterRejected);
    await expect(s.delete(ref, 1)).rejects.toBeInstanceOf(ClusterBusy);
  });

  it('a reset connection is a retryable ClusterUnavailable naming the server', async () => {
    const { core } = fakeCore(() => {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', type: 'system', name: 'FetchError' });
    });
    const err = await new SecretsReleaseStore(core, 'https://k8s:6443', now).history({ namespace: 'shop', name: 'web' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterUnavailable);
    expect((err as ClusterUnavailable).retryable).toBe(true);
    expect((err as Error).message).toContain('https://k8s:6443');
  });
});
