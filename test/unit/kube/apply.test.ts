import { describe, expect, it } from 'vitest';

import { driftPaths } from '../../../src/kube/apply.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

const live: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    uid: 'u1',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2025-01-01T00:00:00Z',
    labels: { app: 'web' },
    annotations: { 'deployment.kubernetes.io/revision': '3', 'meta.helm.sh/release-name': 'web' },
    managedFields: [{ manager: 'kubectl', operation: 'Update', subresource: 'scale' }],
  },
  spec: {
    replicas: 3,
    template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } },
  },
  status: { replicas: 3, readyReplicas: 3 },
};

describe('driftPaths', () => {
  it('reports nothing when only server-kept metadata, controller annotations and status differ', () => {
    const desired = structuredClone(live);
    desired.metadata.resourceVersion = '43';
    desired.metadata.generation = 4;
    desired.metadata.managedFields = [];
    desired.metadata.annotations = { ...desired.metadata.annotations, 'deployment.kubernetes.io/revision': '4' };
    desired.status = { replicas: 1 };
    expect(driftPaths(live, desired)).toEqual([]);
  });

  it('names the changed fields by JSON path', () => {
    const desired = structuredClone(live);
    (desired.spec as { replicas: number }).replicas = 1;
    const containers = (desired.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers;
    containers[0]!.image = 'nginx:1.26';
    desired.metadata.labels = { app: 'web', 'app.kubernetes.io/version': '2' };
    expect(driftPaths(live, desired)).toEqual([
      'metadata.labels["app.kubernetes.io/version"]',
      'spec.replicas',
      'spec.template.spec.containers[0].image',
    ]);
  });

  it('names a list whose length changed, and a key only one side has', () => {
    const a: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { message: 'edited', extra: 'x' } };
    const b: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { message: 'hello' } };
    expect(driftPaths(a, b)).toEqual(['data.extra', 'data.message']);
    const withPort = structuredClone(live);
    const ports = (withPort.spec as { template: { spec: { containers: { ports: unknown[] }[] } } }).template.spec.containers[0]!.ports;
    ports.push({ containerPort: 443 });
    expect(driftPaths(live, withPort)).toEqual(['spec.template.spec.containers[0].ports']);
  });

  it('treats an empty map and no map alike', () => {
    const a: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: {} } };
    const b: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(driftPaths(a, b)).toEqual([]);
  });
});
