import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { KubeconfigError, kubeconfigFile, loadKubeconfig, planConnection, type Connection } from '../../../src/kube/kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'helmstep-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');
writeFileSync(join(dir, 'ca.pem'), 'CA FROM FILE');
writeFileSync(join(dir, 'cert.pem'), 'CERT FROM FILE');
writeFileSync(join(dir, 'key.pem'), 'KEY FROM FILE');
writeFileSync(join(dir, 'token'), 'token-from-file\n');

interface Doc {
  clusters?: unknown[];
  users?: unknown[];
  contexts?: unknown[];
  'current-context'?: string;
}

function doc(cluster: Record<string, unknown>, user: Record<string, unknown> | undefined, context: Record<string, unknown> = {}): Doc {
  return {
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
    users: user === undefined ? [] : [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', ...context } }],
    'current-context': 'ctx',
  };
}

let files = 0;
function write(d: unknown): string {
  const file = join(dir, `config-${++files}`);
  writeFileSync(file, stringify(d));
  return file;
}

/** What client-node itself puts on a request for the file: the reference this loader must match. */
async function clientNode(file: string, context?: string): Promise<{ server: string; tls: Record<string, unknown>; headers: Record<string, unknown> }> {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  if (context) kc.setCurrentContext(context);
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, unknown> = { ...(opts.headers as Record<string, unknown> | undefined) };
  if (typeof opts.auth === 'string') headers.Authorization ??= `Basic ${b64(opts.auth)}`;
  const tls: Record<string, unknown> = {};
  for (const k of ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const) {
    const v = (opts as Record<string, unknown>)[k];
    if (v !== undefined) tls[k] = Buffer.isBuffer(v) ? v.toString() : v;
  }
  return { server: kc.getCurrentCluster()!.server, tls, headers };
}

function ours(c: Connection): { server: string; tls: Record<string, unknown>; headers: Record<string, unknown> } {
  const tls: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.tls)) if (v !== undefined) tls[k] = Buffer.isBuffer(v) ? v.toString() : v;
  return { server: c.server, tls, headers: { ...c.headers } };
}

describe('loadKubeconfig reads what client-node reads', () => {
  const cases: [string, Doc, string?][] = [
    ['inline CA, client certificate and key', doc({ 'certificate-authority-data': b64('CA') }, { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') })],
    ['files, relative to the kubeconfig', doc({ 'certificate-authority': 'ca.pem' }, { 'client-certificate': 'cert.pem', 'client-key': join(dir, 'key.pem') })],
    ['a bearer token, insecure, a TLS server name, a trailing slash', doc({ server: 'https://10.0.0.1:6443/', 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' }, { token: 'abc' })],
    ['basic auth, and impersonation', doc({}, { username: 'admin', password: 's3cret', as: 'jane' })],
    ['a token wins over basic auth', doc({}, { username: 'admin', password: 'p', token: 'tok' })],
    ['plain http with verification off', doc({ server: 'http://127.0.0.1:8080', 'insecure-skip-tls-verify': true }, { token: 'abc' })],
    ['a user with no fields', doc({ 'certificate-authority-data': b64('CA') }, {})],
    [
      'another context, chosen by name',
      {
        clusters: [
          { name: 'a', cluster: { server: 'https://a:1' } },
          { name: 'b', cluster: { server: 'https://b:2', 'certificate-authority-data': b64('CA-B') } },
        ],
        users: [
          { name: 'ua', user: { token: 'ta' } },
          { name: 'ub', user: { token: 'tb' } },
        ],
        contexts: [
          { name: 'one', context: { cluster: 'a', user: 'ua' } },
          { name: 'two', context: { cluster: 'b', user: 'ub', namespace: 'shop' } },
        ],
        'current-context': 'one',
      },
      'two',
    ],
  ];
  for (const [what, d, context] of cases) {
    it(what, async () => {
      const file = write(d);
      const loaded = loadKubeconfig({ kubeconfig: file, ...(context ? { context } : {}) }, {});
      expect(loaded.kind).toBe('direct');
      if (loaded.kind !== 'direct') return;
      expect(ours(loaded.connection)).toEqual(await clientNode(file, context));
    });
  }

  it('a token file: read at load, without its trailing newline', () => {
    const loaded = loadKubeconfig({ kubeconfig: write(doc({}, { 'token-file': join(dir, 'token') })) }, {});
    expect(loaded.kind === 'direct' && loaded.connection.headers).toEqual({ Authorization: 'Bearer token-from-file' });
  });

  it("the context's namespace is the default namespace", () => {
    const loaded = loadKubeconfig({ kubeconfig: write(doc({}, { token: 't' }, { namespace: 'shop' })) }, {});
    expect(loaded.kind === 'direct' && loaded.connection.namespace).toBe('shop');
  });
});

describe('what is left to client-node', () => {
  const full: [string, Doc][] = [
    ['an exec credential plugin', doc({}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } })],
    ['an auth provider', doc({}, { 'auth-provider': { name: 'oidc', config: {} } })],
    ['a proxy', doc({ 'proxy-url': 'socks5://proxy:1080' }, { token: 't' })],
    ['plain http with verification on (client-node refuses it)', doc({ server: 'http://127.0.0.1:8080' }, { token: 't' })],
    ['a context whose user is not in the file', { ...doc({}, { token: 't' }), users: [] }],
    ['a cluster without a server (client-node refuses the file)', { ...doc({}, { token: 't' }), clusters: [{ name: 'c', cluster: {} }] }],
    ['an unnamed user', { ...doc({}, { token: 't' }), users: [{ user: { token: 't' } }] }],
  ];
  for (const [what, d] of full) {
    it(what, () => {
      expect(planConnection(d, dir).kind).toBe('full');
    });
  }

  it('a file that does not parse, or a token file that does not read', () => {
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'clusters: [unclosed\n');
    expect(loadKubeconfig({ kubeconfig: bad }, {}).kind).toBe('full');
    const other = doc({}, { token: 't' });
    other.users!.push({ name: 'x', user: { 'token-file': join(dir, 'absent') } });
    expect(loadKubeconfig({ kubeconfig: write(other) }, {}).kind).toBe('full');
  });

  it('several files in $KUBECONFIG, or none at all', () => {
    const exists = () => true;
    expect(kubeconfigFile(undefined, { KUBECONFIG: '/a:/b' }, exists, 'linux')).toBeUndefined();
    expect(kubeconfigFile(undefined, {}, exists, 'linux')).toBeUndefined();
    expect(kubeconfigFile(undefined, { HOME: '/home/me' }, () => false, 'linux')).toBeUndefined();
  });
});

describe('which file', () => {
  it('--kubeconfig, then a single $KUBECONFIG, then ~/.kube/config', () => {
    const exists = () => true;
    expect(kubeconfigFile('/x', { KUBECONFIG: '/a', HOME: '/h' }, exists, 'linux')).toBe('/x');
    expect(kubeconfigFile(undefined, { KUBECONFIG: ':/a:', HOME: '/h' }, exists, 'linux')).toBe('/a');
    expect(kubeconfigFile(undefined, { HOME: '/h' }, exists, 'linux')).toBe('/h/.kube/config');
  });
});

describe('refusals with the messages of the client-node path', () => {
  it('a --kubeconfig that does not exist', () => {
    expect(() => loadKubeconfig({ kubeconfig: join(dir, 'nope') }, {})).toThrow(
      new KubeconfigError(`kubeconfig ${join(dir, 'nope')} does not exist; pass an existing file to --kubeconfig`),
    );
  });

  it('an unknown --kube-context names the known ones', () => {
    expect(() => planConnection(doc({}, { token: 't' }), dir, 'prod')).toThrow(
      'context "prod" is not in the kubeconfig (contexts: ctx); pick one with --kube-context',
    );
  });

  it('no current context, or a context whose cluster is missing', () => {
    const none = { ...doc({}, { token: 't' }), 'current-context': 'gone' };
    expect(() => planConnection(none, dir)).toThrow(KubeconfigError);
    const orphan = { ...doc({}, { token: 't' }), clusters: [] };
    expect(() => planConnection(orphan, dir)).toThrow('the kubeconfig has no current cluster; pass --kubeconfig or --kube-context, or set KUBECONFIG');
  });
});
