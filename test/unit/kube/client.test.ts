/**
 * The client's transport and discovery rules against a scripted local HTTP server: the things a
 * real API server does not do on demand (answer 503, hang, speak only legacy discovery). What
 * the real API server does with the requests is tested in test/integration/kube.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';

import { openKubeClient, parseAggregatedDiscovery, parseResourceList, resolveNamespace, resourcePath } from '../../../src/kube/client.ts';
import { KindNotServed, KubeApiUnavailable } from '../../../src/kube/errors.ts';

const CORE = {
  kind: 'APIGroupDiscoveryList',
  apiVersion: 'apidiscovery.k8s.io/v2',
  items: [
    {
      metadata: { name: '' },
      versions: [
        {
          version: 'v1',
          resources: [
            { resource: 'configmaps', responseKind: { group: '', version: '', kind: 'ConfigMap' }, scope: 'Namespaced' },
            { resource: 'namespaces', responseKind: { group: '', version: '', kind: 'Namespace' }, scope: 'Cluster' },
          ],
        },
      ],
    },
  ],
};
const GROUPS = {
  kind: 'APIGroupDiscoveryList',
  apiVersion: 'apidiscovery.k8s.io/v2',
  items: [
    {
      metadata: { name: 'apps' },
      versions: [{ version: 'v1', resources: [{ resource: 'deployments', responseKind: { kind: 'Deployment' }, scope: 'Namespaced' }] }],
    },
  ],
};

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

type Handler = (req: Seen) => { status: number; body: unknown } | 'hang';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Handler): Promise<{ kc: KubeConfig; seen: Seen[]; connections: () => number }> {
  const seen: Seen[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(s);
      const answer = handler(s);
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kc, seen, connections: () => connections };
}

function aggregated(req: Seen): { status: number; body: unknown } | undefined {
  if (req.url === '/api') return { status: 200, body: CORE };
  if (req.url === '/apis') return { status: 200, body: GROUPS };
  return undefined;
}

describe('discovery documents', () => {
  it('indexes an aggregated list by group/version and kind', () => {
    const index = parseAggregatedDiscovery(GROUPS);
    expect(index?.get('apps/v1')?.get('Deployment')).toEqual({ plural: 'deployments', namespaced: true });
    expect(parseAggregatedDiscovery(CORE)?.get('v1')?.get('Namespace')).toEqual({ plural: 'namespaces', namespaced: false });
    expect(parseAggregatedDiscovery({ kind: 'APIVersions', versions: ['v1'] })).toBeUndefined();
  });

  it('reads a legacy resource list without subresources', () => {
    const kinds = parseResourceList({
      resources: [
        { name: 'pods', kind: 'Pod', namespaced: true },
        { name: 'pods/log', kind: 'Pod', namespaced: true },
        { name: 'nodes', kind: 'Node', namespaced: false },
      ],
    });
    expect([...kinds]).toEqual([
      ['Pod', { plural: 'pods', namespaced: true }],
      ['Node', { plural: 'nodes', namespaced: false }],
    ]);
  });

  it('builds object and collection paths', () => {
    expect(resourcePath('v1', { plural: 'configmaps', namespaced: true }, 'shop', 'web')).toBe('/api/v1/namespaces/shop/configmaps/web');
    expect(resourcePath('apps/v1', { plural: 'deployments', namespaced: true }, 'shop')).toBe('/apis/apps/v1/namespaces/shop/deployments');
    expect(resourcePath('v1', { plural: 'namespaces', namespaced: false }, 'ignored', 'shop')).toBe('/api/v1/namespaces/shop');
  });
});

describe('HttpKubeClient', () => {
  it('discovers once, over one keep-alive connection, with identity encoding and the token', async () => {
    const { kc, seen, connections } = await serve((req) => aggregated(req) ?? { status: 200, body: { kind: 'ConfigMap', metadata: {} } });
    const client = openKubeClient(kc);
    for (let i = 0; i < 5; i++) await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: `c${i}` });
    await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' });
    expect(seen.map((s) => s.url)).toEqual([
      '/api',
      '/api/v1/namespaces/shop/configmaps/c0',
      '/api/v1/namespaces/shop/configmaps/c1',
      '/api/v1/namespaces/shop/configmaps/c2',
      '/api/v1/namespaces/shop/configmaps/c3',
      '/api/v1/namespaces/shop/configmaps/c4',
      '/apis',
      '/apis/apps/v1/namespaces/shop/deployments/web',
    ]);
    expect(client.requests).toBe(8);
    expect(connections()).toBe(1);
    expect(seen[0]!.headers.accept).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json');
    expect(seen[1]!.headers['accept-encoding']).toBe('identity');
    expect(seen[1]!.headers.authorization).toBe('Bearer secret-token');
    client.close();
  });

  it('refreshes discovery once on a miss, and again only after it applied something', async () => {
    const { kc, seen } = await serve((req) => aggregated(req) ?? { status: 201, body: { kind: 'X', metadata: {} } });
    const client = openKubeClient(kc);
    expect(await client.resource('example.com/v1', 'Widget')).toEqual({ served: false, namespaced: false });
    expect(seen.map((s) => s.url)).toEqual(['/apis', '/apis']);
    await client.resource('example.com/v1', 'Widget');
    expect(seen).toHaveLength(2);
    await client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } }, { force: false });
    await client.resource('example.com/v1', 'Widget');
    expect(seen.map((s) => s.url).slice(2)).toEqual(['/api', '/api/v1/namespaces/shop/configmaps/c?fieldManager=helm&fieldValidation=Strict&force=false', '/apis']);
    await expect(client.get({ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'shop', name: 'w' })).rejects.toBeInstanceOf(KindNotServed);
    client.close();
  });

  it('reads discovery again after rediscover(), and only then', async () => {
    const { kc, seen } = await serve((req) => aggregated(req) ?? { status: 404, body: {} });
    const client = openKubeClient(kc);
    await client.resource('v1', 'ConfigMap');
    await client.resource('v1', 'Namespace');
    expect(seen.map((s) => s.url)).toEqual(['/api']);
    client.rediscover();
    expect(await client.resource('v1', 'Namespace')).toEqual({ served: true, namespaced: false });
    expect(seen.map((s) => s.url)).toEqual(['/api', '/api']);
    client.close();
  });

  it('sends server-side apply as helm does and reports a 201 as created', async () => {
    const { kc, seen } = await serve((req) => aggregated(req) ?? { status: 201, body: { kind: 'ConfigMap', metadata: { name: 'c' } } });
    const client = openKubeClient(kc);
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' }, data: { a: '1' } };
    const r = await client.apply(obj, { force: true, dryRun: true });
    expect(r.created).toBe(true);
    const sent = seen[1]!;
    expect(sent.method).toBe('PATCH');
    expect(sent.url).toBe('/api/v1/namespaces/shop/configmaps/c?fieldManager=helm&fieldValidation=Strict&force=true&dryRun=All');
    expect(sent.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(JSON.parse(sent.body)).toEqual(obj);
    client.close();
  });

  it('falls back to legacy discovery, one resource list per group/version when needed', async () => {
    const { kc, seen } = await serve((req) => {
      if (req.url === '/api') return { status: 200, body: { kind: 'APIVersions', versions: ['v1'] } };
      if (req.url === '/api/v1') return { status: 200, body: { kind: 'APIResourceList', resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] } };
      return { status: 404, body: { kind: 'Status', message: 'not found', details: {} } };
    });
    const client = openKubeClient(kc);
    const ns = await resolveNamespace(client, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, 'shop');
    expect(ns.metadata.namespace).toBe('shop');
    await client.resource('v1', 'ConfigMap');
    expect(seen.map((s) => s.url)).toEqual(['/api', '/api/v1']);
    client.close();
  });

  it('turns a 503 and a hung request into a retryable KubeApiUnavailable', async () => {
    const { kc } = await serve((req) => {
      if (req.url === '/api') return { status: 503, body: { kind: 'Status', message: 'etcd is down' } };
      return 'hang';
    });
    const busy = openKubeClient(kc);
    const err = await busy.resource('v1', 'ConfigMap').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiUnavailable);
    expect((err as KubeApiUnavailable).status).toBe(503);
    expect((err as KubeApiUnavailable).retryable).toBe(true);
    const slow = openKubeClient(kc, { timeoutMs: 200 });
    const hung = await slow.resource('apps/v1', 'Deployment').catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(KubeApiUnavailable);
    expect((hung as KubeApiUnavailable).status).toBeUndefined();
    busy.close();
    slow.close();
  });
});
