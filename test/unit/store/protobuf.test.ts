import { describe, expect, it } from 'vitest';

import { encodeRelease } from '../../../src/release/codec.ts';
import { newInstallRecord } from '../../../src/release/lifecycle.ts';
import { DirectSecretsReleaseStore, type Answer } from '../../../src/store/direct.ts';
import { ClusterForbidden } from '../../../src/store/errors.ts';
import { decodeSecret, decodeSecretList, PROTOBUF, ProtobufError, statusJson } from '../../../src/store/protobuf.ts';
import { RevisionNotFound } from '../../../src/release/errors.ts';
import { sampleRendered } from '../../contract/release-store.ts';

// A small protobuf writer, enough to build the messages the API server sends.
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
const bytes = (no: number, value: Buffer | string) => {
  const b = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint(no * 8 + 2), varint(b.length), b]);
};
const number = (no: number, n: number) => Buffer.concat([varint(no * 8), varint(n)]);
const fixed32 = (no: number) => Buffer.concat([varint(no * 8 + 5), Buffer.alloc(4)]);
const entry = (no: number, key: string, value: Buffer | string) => bytes(no, Buffer.concat([bytes(1, key), bytes(2, value)]));
const envelope = (kind: string, raw: Buffer, encoding = '') =>
  Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytes(1, Buffer.concat([bytes(1, 'v1'), bytes(2, kind)])), bytes(2, raw), ...(encoding ? [bytes(3, encoding)] : []), bytes(4, PROTOBUF)]);

function objectMeta(name: string, labels: Record<string, string>): Buffer {
  return Buffer.concat([
    bytes(1, name),
    bytes(3, 'shop'),
    bytes(5, 'd6a2c3e0-uid'),
    bytes(6, '4242'),
    number(7, 3), // generation: a varint to skip
    bytes(8, Buffer.concat([number(1, 1_750_000_000)])), // creationTimestamp: a message to skip
    ...Object.entries(labels).map(([k, v]) => entry(11, k, v)),
  ]);
}

const { release } = newInstallRecord({ ...sampleRendered(), name: 'web', namespace: 'shop' });
const storage = encodeRelease(release);

function secret(name: string, data: Record<string, string>): Buffer {
  return Buffer.concat([
    bytes(1, objectMeta(name, { name: 'web', owner: 'helm', status: 'pending-install', version: '1', team: 'a' })),
    ...Object.entries(data).map(([k, v]) => entry(2, k, Buffer.from(v, 'latin1'))),
    bytes(3, 'helm.sh/release.v1'),
    fixed32(9), // an unknown fixed-width field
  ]);
}

describe('Kubernetes protobuf', () => {
  it('a SecretList: each Secret with its metadata, labels and the release data bytes', () => {
    const list = envelope('SecretList', Buffer.concat([bytes(1, bytes(2, '4243')), bytes(2, secret('sh.helm.release.v1.web.v1', { release: storage, other: 'x' })), bytes(2, secret('nodata', {}))]));
    expect(decodeSecretList(list)).toEqual([
      {
        metadata: { name: 'sh.helm.release.v1.web.v1', namespace: 'shop', resourceVersion: '4242', labels: { name: 'web', owner: 'helm', status: 'pending-install', version: '1', team: 'a' } },
        release: storage,
      },
      { metadata: { name: 'nodata', namespace: 'shop', resourceVersion: '4242', labels: expect.any(Object) as unknown } },
    ]);
    expect(decodeSecretList(envelope('SecretList', Buffer.alloc(0)))).toEqual([]);
  });

  it('a Secret', () => {
    expect(decodeSecret(envelope('Secret', secret('s', { release: storage }))).release).toBe(storage);
  });

  it('a Status, as the JSON Status the server would have sent', () => {
    const status = envelope('Status', Buffer.concat([bytes(1, Buffer.alloc(0)), bytes(2, 'Failure'), bytes(3, 'secrets "x" not found'), bytes(4, 'NotFound'), number(6, 404)]));
    expect(JSON.parse(statusJson(status))).toEqual({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'secrets "x" not found', reason: 'NotFound', code: 404 });
  });

  it.each([
    ['no prefix', Buffer.from('{"kind":"SecretList"}')],
    ['another kind', envelope('ConfigMapList', Buffer.alloc(0))],
    ['a compressed payload', envelope('SecretList', Buffer.alloc(0), 'gzip')],
    ['a truncated message', envelope('SecretList', bytes(2, secret('s', { release: storage }))).subarray(0, 60)],
    ['a group (wire type 3)', envelope('SecretList', Buffer.from([0x13]))],
  ])('refuses %s (ProtobufError)', (_what, buf) => {
    expect(() => decodeSecretList(buf)).toThrow(ProtobufError);
  });
});

describe('DirectSecretsReleaseStore on protobuf answers', () => {
  const pb = (status: number, body: Buffer): Answer => ({ status, contentType: PROTOBUF, body });
  const store = (answer: (path: string) => Answer) =>
    new DirectSecretsReleaseStore({ get: (p) => Promise.resolve(answer(p)), close: () => undefined }, 'https://k', () => Promise.reject(new Error('no writes')));
  const notFound = pb(404, envelope('Status', Buffer.concat([bytes(3, 'secrets "x" not found'), bytes(4, 'NotFound'), number(6, 404)])));

  it('reads history and revisions, and a 404 Status still means "no such revision"', async () => {
    const s = store((p) =>
      p.includes('labelSelector') ? pb(200, envelope('SecretList', bytes(2, secret('sh.helm.release.v1.web.v1', { release: storage })))) : p.endsWith('.v1') ? pb(200, envelope('Secret', secret('sh.helm.release.v1.web.v1', { release: storage }))) : notFound,
    );
    const ref = { namespace: 'shop', name: 'web' };
    const [h] = await s.history(ref);
    expect(h).toEqual({ release, labels: { team: 'a' }, objectName: 'sh.helm.release.v1.web.v1', resourceVersion: '4242' });
    expect(await s.get(ref, 1)).toEqual(h);
    await expect(s.get(ref, 2)).rejects.toBeInstanceOf(RevisionNotFound);
  });

  it("takes the message of a protobuf Status into the typed error", async () => {
    const forbidden = pb(403, envelope('Status', Buffer.concat([bytes(3, 'secrets is forbidden: User "jane" cannot list resource "secrets"'), number(6, 403)])));
    const err = await store(() => forbidden).history({ namespace: 'shop', name: 'web' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterForbidden);
    expect((err as Error).message).toContain('(HTTP 403: secrets is forbidden: User "jane" cannot list resource "secrets")');
  });

  it('a 2xx answer that does not decode names the request', async () => {
    const err = await store(() => pb(200, Buffer.from('garbage'))).history({ namespace: 'shop', name: 'web' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^the API server's answer to list Secrets of release "web" in namespace "shop" did not decode \(application\/vnd\.kubernetes\.protobuf\): no Kubernetes protobuf prefix/);
  });
});
