import { describe, expect, it } from 'vitest';

import { encodeRelease } from '../../../src/release/codec.ts';
import { CorruptRecord, InvalidReleaseName, ReleaseNotFound, RevisionNotFound } from '../../../src/release/errors.ts';
import { newInstallRecord } from '../../../src/release/lifecycle.ts';
import type { Release } from '../../../src/release/record.ts';
import { DirectSecretsReleaseStore, type Answer, type ApiReader } from '../../../src/store/direct.ts';
import { ClusterBusy, ClusterForbidden, ClusterRejected, ClusterUnavailable } from '../../../src/store/errors.ts';
import { MemoryReleaseStore } from '../../../src/store/memory.ts';
import type { ReleaseStore } from '../../../src/store/release-store.ts';
import { sampleRendered } from '../../contract/release-store.ts';

function record(name: string, version: number, namespace = 'shop'): Release {
  const { release } = newInstallRecord({ ...sampleRendered(), name, namespace });
  return { ...release, version };
}

function secret(r: Release, labels: Record<string, string> = {}, data?: string) {
  return {
    metadata: {
      name: `sh.helm.release.v1.${r.name}.v${r.version}`,
      namespace: r.namespace,
      resourceVersion: `${r.version}0`,
      labels: { name: r.name, owner: 'helm', status: r.info.status, version: String(r.version), ...labels },
    },
    type: 'helm.sh/release.v1',
    data: { release: data ?? Buffer.from(encodeRelease(r)).toString('base64') },
  };
}

/** An ApiReader stand-in: records the paths asked for, answers with `answer`. */
function fakeApi(answer: (path: string) => Answer | Error) {
  const paths: string[] = [];
  const api: ApiReader = {
    get: (path) => {
      paths.push(path);
      const a = answer(path);
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
    close: () => undefined,
  };
  return { api, paths };
}

const json = (status: number, body: unknown): Answer => ({ status, contentType: 'application/json', body: Buffer.from(JSON.stringify(body)) });
const ok = (body: unknown): Answer => json(200, body);
const status = (code: number, message: string): Answer => json(code, { kind: 'Status', message, code });
const noWrites = () => Promise.reject(new Error('no write expected'));

describe('DirectSecretsReleaseStore reads', () => {
  it("history: one LIST by helm's labels, records decoded and sorted by revision", async () => {
    const { api, paths } = fakeApi(() => ok({ items: [secret(record('web', 2), { team: 'a', createdAt: '17' }), secret(record('web', 1))] }));
    const h = await new DirectSecretsReleaseStore(api, 'https://k', noWrites).history({ namespace: 'shop', name: 'web' });
    expect(paths).toEqual(['/api/v1/namespaces/shop/secrets?labelSelector=owner%3Dhelm%2Cname%3Dweb']);
    expect(h.map((s) => [s.release.version, s.objectName, s.resourceVersion])).toEqual([
      [1, 'sh.helm.release.v1.web.v1', '10'],
      [2, 'sh.helm.release.v1.web.v2', '20'],
    ]);
    expect(h[1]!.labels).toEqual({ team: 'a' });
    expect(h[1]!.createdAt).toBe('17');
    expect(h[0]!.release).toEqual(record('web', 1));
  });

  it('history of a release with no record is empty; a null item list too', async () => {
    const { api } = fakeApi(() => ok({ items: null }));
    expect(await new DirectSecretsReleaseStore(api, 'https://k', noWrites).history({ namespace: 'shop', name: 'web' })).toEqual([]);
  });

  it('get reads one Secret; a missing one is RevisionNotFound, or ReleaseNotFound when the release has no record', async () => {
    const present = fakeApi((p) => (p.includes('labelSelector') ? ok({ items: [secret(record('web', 1))] }) : p.endsWith('.v1') ? ok(secret(record('web', 1))) : status(404, 'not found')));
    const s = new DirectSecretsReleaseStore(present.api, 'https://k', noWrites);
    expect((await s.get({ namespace: 'shop', name: 'web' }, 1)).release.version).toBe(1);
    expect(present.paths).toEqual(['/api/v1/namespaces/shop/secrets/sh.helm.release.v1.web.v1']);
    await expect(s.get({ namespace: 'shop', name: 'web' }, 7)).rejects.toBeInstanceOf(RevisionNotFound);

    const absent = fakeApi((p) => (p.includes('labelSelector') ? ok({ items: [] }) : status(404, 'not found')));
    await expect(new DirectSecretsReleaseStore(absent.api, 'https://k', noWrites).get({ namespace: 'shop', name: 'web' }, 1)).rejects.toBeInstanceOf(ReleaseNotFound);
  });

  it('list: the newest record of each release, by name, in one namespace or all', async () => {
    const items = [secret(record('web', 1)), secret(record('web', 3)), secret(record('api', 2, 'other'))];
    const { api, paths } = fakeApi(() => ok({ items }));
    const s = new DirectSecretsReleaseStore(api, 'https://k', noWrites);
    expect((await s.list()).map((r) => [r.release.name, r.release.version])).toEqual([
      ['api', 2],
      ['web', 3],
    ]);
    await s.list('shop');
    expect(paths).toEqual(['/api/v1/secrets?labelSelector=owner%3Dhelm', '/api/v1/namespaces/shop/secrets?labelSelector=owner%3Dhelm']);
  });

  it('checks the release name before any request', async () => {
    const { api, paths } = fakeApi(() => ok({ items: [] }));
    const s = new DirectSecretsReleaseStore(api, 'https://k', noWrites);
    await expect(s.history({ namespace: 'shop', name: 'web,owner=helm' })).rejects.toBeInstanceOf(InvalidReleaseName);
    await expect(s.get({ namespace: 'shop', name: 'Web' }, 1)).rejects.toBeInstanceOf(InvalidReleaseName);
    expect(paths).toEqual([]);
  });

  it('names a corrupt record and the layer that failed, never skips it', async () => {
    const { api } = fakeApi(() => ok({ items: [secret(record('web', 1)), secret(record('web', 2), {}, Buffer.from(Buffer.from('not gzip').toString('base64')).toString('base64'))] }));
    const err = await new DirectSecretsReleaseStore(api, 'https://k', noWrites).history({ namespace: 'shop', name: 'web' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptRecord);
    expect((err as CorruptRecord).message).toMatch(/^Secret shop\/sh\.helm\.release\.v1\.web\.v2 holds a corrupt release record \(json stage/);
  });
});

describe('DirectSecretsReleaseStore failures are typed as the Secrets driver types them', () => {
  const ref = { namespace: 'shop', name: 'web' };
  const cases: [string, Answer | Error, new (...a: never[]) => Error, boolean, RegExp][] = [
    ['429', status(429, 'slow down'), ClusterBusy, true, /answered HTTP 429 \(too many requests\) to list Secrets of release "web" in namespace "shop": slow down/],
    ['503', status(503, 'etcd leader changed'), ClusterBusy, true, /HTTP 503 \(server error\)/],
    ['403', status(403, 'secrets is forbidden: User "x" cannot list'), ClusterForbidden, false, /refused to list Secrets of release "web" in namespace "shop" \(HTTP 403: secrets is forbidden/],
    ['422', status(422, 'bad selector'), ClusterRejected, false, /rejected the request .* \(HTTP 422: bad selector\)/],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      ClusterUnavailable,
      true,
      /^Kubernetes cluster unreachable at https:\/\/k: list Secrets .*ECONNREFUSED/,
    ],
    ['a bad certificate', Object.assign(new Error('self-signed certificate'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), ClusterUnavailable, false, /TLS SELF_SIGNED_CERT_IN_CHAIN/],
  ];
  for (const [what, answer, type, retryable, message] of cases) {
    it(what, async () => {
      const { api } = fakeApi(() => answer);
      const err = await new DirectSecretsReleaseStore(api, 'https://k', noWrites).history(ref).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(type);
      expect((err as { retryable: boolean }).retryable).toBe(retryable);
      expect((err as Error).message).toMatch(message);
    });
  }
});

describe('DirectSecretsReleaseStore writes', () => {
  it('go to the full store, opened once on the first write and never for reads', async () => {
    const memory = new MemoryReleaseStore();
    let opened = 0;
    const { api } = fakeApi(() => ok({ items: [] }));
    const s = new DirectSecretsReleaseStore(api, 'https://k', () => {
      opened++;
      return Promise.resolve<ReleaseStore>(memory);
    });
    await s.history({ namespace: 'shop', name: 'web' });
    expect(opened).toBe(0);
    const created = await s.create(record('web', 1), { team: 'a' });
    const updated = await s.update(created, { ...created.release, info: { ...created.release.info, status: 'deployed' } });
    await s.delete({ namespace: 'shop', name: 'web' }, 1);
    expect(opened).toBe(1);
    expect(updated.labels).toEqual({ team: 'a' });
    expect(await memory.history({ namespace: 'shop', name: 'web' })).toEqual([]);
  });

  it('a full store that fails to open is tried again on the next write', async () => {
    let attempts = 0;
    const { api } = fakeApi(() => ok({ items: [] }));
    const s = new DirectSecretsReleaseStore(api, 'https://k', () => (++attempts === 1 ? Promise.reject(new Error('no kubeconfig')) : Promise.resolve<ReleaseStore>(new MemoryReleaseStore())));
    await expect(s.create(record('web', 1), {})).rejects.toThrow('no kubeconfig');
    await expect(s.create(record('web', 1), {})).resolves.toMatchObject({ objectName: 'sh.helm.release.v1.web.v1' });
    expect(attempts).toBe(2);
  });
});
