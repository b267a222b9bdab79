import { describe, expect, it } from 'vitest';

import {
  ApplyConflict,
  classifyStatus,
  classifyTransport,
  gvkString,
  InvalidObject,
  KindNotServed,
  KubeApiUnavailable,
  KubeForbidden,
  KubeRequestFailed,
  ObjectChanged,
  parseStatus,
  type RequestContext,
} from '../../../src/kube/errors.ts';
import type { ObjectRef } from '../../../src/kube/types.ts';

const server = 'https://127.0.0.1:6443';
const cm: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'web' };
const role: ObjectRef = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'reader' };
const apply: RequestContext = { server, verb: 'apply', ref: cm };

describe('gvkString (Go schema.GroupVersionKind.String)', () => {
  it('prints an empty group for core kinds', () => {
    expect(gvkString('v1', 'ConfigMap')).toBe('/v1, Kind=ConfigMap');
    expect(gvkString('apps/v1', 'Deployment')).toBe('apps/v1, Kind=Deployment');
  });
});

describe('classifyStatus', () => {
  it('a 409 of an apply is an ApplyConflict with helm text and the conflicting managers', () => {
    const err = classifyStatus(
      409,
      {
        message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.message',
        reason: 'Conflict',
        details: { name: 'web', kind: 'configmaps', causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using v1', field: '.data.message' }] },
      },
      apply,
    );
    expect(err).toBeInstanceOf(ApplyConflict);
    expect(err.retryable).toBe(false);
    expect(err.helmText).toBe(
      'conflict occurred while applying object shop/web /v1, Kind=ConfigMap: Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.message',
    );
    expect((err as ApplyConflict).conflicts).toEqual([{ manager: 'kubectl-edit', field: '.data.message' }]);
    expect(err.message).toContain('--force-conflicts');
    expect(err.message).toContain('"kubectl-edit"');
  });

  it('a cluster-scoped conflict has an empty namespace before the slash, as helm prints it', () => {
    const err = classifyStatus(409, { message: 'Apply failed' }, { server, verb: 'apply', ref: role });
    expect(err.helmText).toBe('conflict occurred while applying object /reader rbac.authorization.k8s.io/v1, Kind=ClusterRole: Apply failed');
  });

  it('a 409 of a guarded patch is a retryable ObjectChanged', () => {
    const err = classifyStatus(409, { message: 'the object has been modified' }, { server, verb: 'patch', ref: cm });
    expect(err).toBeInstanceOf(ObjectChanged);
    expect(err.retryable).toBe(true);
  });

  it.each([400, 422])('a %i of an apply is InvalidObject naming the object and the server message', (status) => {
    const err = classifyStatus(status, { message: '.data.x: field not declared in schema' }, apply);
    expect(err).toBeInstanceOf(InvalidObject);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('ConfigMap "web" in namespace "shop"');
    expect(err.message).toContain('.data.x: field not declared in schema');
    expect(err.helmText).toBe('.data.x: field not declared in schema');
  });

  it.each([401, 403])('a %i is KubeForbidden naming the verb and the object', (status) => {
    const err = classifyStatus(status, { message: 'configmaps "web" is forbidden' }, apply);
    expect(err).toBeInstanceOf(KubeForbidden);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('refused to apply ConfigMap "web" in namespace "shop"');
  });

  it.each([429, 500, 503, 504])('a %i is a retryable KubeApiUnavailable naming the server and the code', (status) => {
    const err = classifyStatus(status, { message: 'busy' }, apply);
    expect(err).toBeInstanceOf(KubeApiUnavailable);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(server);
    expect(err.message).toContain(`HTTP ${status}`);
  });

  it('a 404 naming no object means the resource type is gone: KindNotServed', () => {
    const err = classifyStatus(404, { message: 'the server could not find the requested resource', details: {} }, apply);
    expect(err).toBeInstanceOf(KindNotServed);
    expect(err.helmText).toBe('no matches for kind "ConfigMap" in version "v1"');
  });

  it('a 404 naming an object (a missing namespace) is KubeRequestFailed with the server message', () => {
    const err = classifyStatus(404, { message: 'namespaces "gone" not found', details: { name: 'gone', kind: 'namespaces' } }, apply);
    expect(err).toBeInstanceOf(KubeRequestFailed);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('namespaces "gone" not found');
  });
});

describe('classifyTransport', () => {
  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT'])('%s is a retryable KubeApiUnavailable without an HTTP code', (code) => {
    const err = classifyTransport(Object.assign(new Error('socket hang up'), { code }), apply);
    expect(err).toBeInstanceOf(KubeApiUnavailable);
    expect((err as KubeApiUnavailable).status).toBeUndefined();
    expect((err as KubeApiUnavailable).message).toContain('did not answer');
  });

  it('returns other failures (a bad certificate) as they are', () => {
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(classifyTransport(tls, apply)).toBe(tls);
  });
});

describe('parseStatus', () => {
  it('reads a Status body, and keeps a non-JSON body as the message', () => {
    expect(parseStatus('{"kind":"Status","message":"m","reason":"NotFound"}')).toMatchObject({ message: 'm', reason: 'NotFound' });
    expect(parseStatus('<html>bad gateway</html>\n')).toEqual({ message: '<html>bad gateway</html>' });
  });
});
