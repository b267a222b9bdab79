import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { loadKubeconfig } from '../../../src/kube/kubeconfig.ts';
import { parseKubeconfigYaml } from '../../../src/store/kubeconfig-yaml.ts';
import { DirectSecretsReleaseStore, httpsReader, type ApiReader } from '../../../src/store/direct.ts';
import { PROTOBUF } from '../../../src/store/protobuf.ts';
import { connect } from '../../../src/store/kube.ts';
import { openStore } from '../../../src/store/open.ts';
import type { ReleaseStore } from '../../../src/store/release-store.ts';
import { releaseStoreContract } from '../../contract/release-store.ts';
import { createCorruptReleaseSecret, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';

const readers: ApiReader[] = [];
afterAll(() => readers.forEach((r) => r.close()));

/** Reads over plain HTTPS, writes through the client-node driver: what the CLI's openStore gives. */
function direct(): ReleaseStore {
  const loaded = loadKubeconfig({ kubeconfig: inject('kubeconfig') }, {});
  if (loaded.kind !== 'direct') throw new Error(`the test kubeconfig should load directly: ${loaded.why}`);
  const api = httpsReader(loaded.connection);
  readers.push(api);
  return new DirectSecretsReleaseStore(api, loaded.connection.server, () => Promise.resolve(connect({ kubeconfig: inject('kubeconfig') }).store));
}

const ns = useNamespace('direct');
releaseStoreContract('Secrets read over plain HTTPS (DirectSecretsReleaseStore)', direct, ns);

describe('DirectSecretsReleaseStore against the client-node driver', () => {
  const hns = useNamespace('direct-helm');

  beforeAll(async () => {
    await helmOk(4, ['install', 'web', webappChart, '-n', hns.name, '--set', 'message=one', '--set', 'backup.enabled=false']);
    await helmOk(4, ['upgrade', 'web', webappChart, '-n', hns.name, '--set', 'message=two', '--set', 'backup.enabled=false']);
    await helmOk(3, ['install', 'other', webappChart, '-n', hns.name, '--set', 'backup.enabled=false']);
  });

  it('asks for protobuf, and the API server answers Secrets in it', async () => {
    const loaded = loadKubeconfig({ kubeconfig: inject('kubeconfig') }, {});
    if (loaded.kind !== 'direct') throw new Error('expected a direct kubeconfig');
    const api = httpsReader(loaded.connection);
    readers.push(api);
    const list = await api.get(`/api/v1/namespaces/${hns.name}/secrets?labelSelector=owner%3Dhelm`);
    expect([list.status, list.contentType]).toEqual([200, PROTOBUF]);
    const missing = await api.get(`/api/v1/namespaces/${hns.name}/secrets/nothing`);
    expect([missing.status, missing.contentType]).toEqual([404, PROTOBUF]);
  });

  it('reads what helm wrote (protobuf) exactly as the client-node driver does (JSON): history, get, list', async () => {
    const full = connect({ kubeconfig: inject('kubeconfig') }).store;
    const ours = direct();
    const ref = { namespace: hns.name, name: 'web' };
    const history = await ours.history(ref);
    expect(history.map((r) => [r.release.version, r.release.info.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    expect(history).toEqual(await full.history(ref));
    expect(await ours.get(ref, 1)).toEqual(await full.get(ref, 1));
    expect(await ours.list(hns.name)).toEqual(await full.list(hns.name));
    expect((await ours.list()).filter((r) => r.release.namespace === hns.name)).toEqual(await full.list(hns.name));
  });

  it('fails as the client-node driver fails: a missing revision, a corrupt record', async () => {
    const full = connect({ kubeconfig: inject('kubeconfig') }).store;
    const ours = direct();
    const error = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => [(e as Error).constructor.name, (e as Error).message]);
    const ref = { namespace: hns.name, name: 'web' };
    expect(await error(ours.get(ref, 9))).toEqual(await error(full.get(ref, 9)));
    expect(await error(ours.get({ namespace: hns.name, name: 'nothing' }, 1))).toEqual(await error(full.get({ namespace: hns.name, name: 'nothing' }, 1)));
    await createCorruptReleaseSecret(hns.name, 'broken', 1);
    const corrupt = await error(ours.history({ namespace: hns.name, name: 'broken' }));
    expect(corrupt?.[0]).toBe('CorruptRecord');
    expect(corrupt).toEqual(await error(full.history({ namespace: hns.name, name: 'broken' })));
  });
});

describe('openStore', () => {
  it("reads the cluster's generated kubeconfig with the small YAML reader, as yaml reads it", () => {
    const text = readFileSync(inject('kubeconfig'), 'utf8');
    const ours = parseKubeconfigYaml(text);
    expect(ours).toBeDefined();
    expect(ours).toEqual(parse(text));
  });

  const dir = mkdtempSync(join(tmpdir(), 'helmstep-open-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ons = useNamespace('direct-open');

  beforeAll(async () => {
    await helmOk(4, ['install', 'web', webappChart, '-n', ons.name, '--set', 'backup.enabled=false']);
  });

  it('reads directly with a certificate kubeconfig; the namespace of the context is the default', async () => {
    const doc = parse(readFileSync(inject('kubeconfig'), 'utf8')) as { contexts: { context: Record<string, unknown> }[] };
    for (const c of doc.contexts) c.context.namespace = ons.name;
    const file = join(dir, 'with-namespace');
    writeFileSync(file, stringify(doc));
    const opened = await openStore({ kubeconfig: file }, {});
    try {
      expect(opened.via).toBe('direct');
      expect(opened.defaultNamespace).toBe(ons.name);
      expect((await opened.store.history({ namespace: ons.name, name: 'web' })).map((r) => r.release.version)).toEqual([1]);
    } finally {
      opened.close();
    }
  });

  it('an exec credential plugin goes through client-node, and still reads', async () => {
    // The plugin hands out the admin's client certificate, as `aws eks get-token` hands out a token.
    const doc = parse(readFileSync(inject('kubeconfig'), 'utf8')) as { users: { user: Record<string, unknown> }[] };
    const user = doc.users[0]!.user;
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: Buffer.from(String(user['client-certificate-data']), 'base64').toString(),
        clientKeyData: Buffer.from(String(user['client-key-data']), 'base64').toString(),
      },
    };
    const plugin = join(dir, 'plugin.mjs');
    writeFileSync(plugin, `process.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`);
    doc.users[0]!.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } };
    const file = join(dir, 'exec');
    writeFileSync(file, stringify(doc));

    const opened = await openStore({ kubeconfig: file }, {});
    expect(opened.via).toBe('client-node');
    expect((await opened.store.history({ namespace: ons.name, name: 'web' })).map((r) => r.release.version)).toEqual([1]);
  });
});
