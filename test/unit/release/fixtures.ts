/** Hand-written records in the exact JSON shapes helm 3 and helm 4 write. */
import { gzipSync } from 'node:zlib';

import type { Release, Status } from '../../../src/release/record.ts';

/** As helm v3 writes it: zero times as "", `"deleted":""` always, no apply_method. */
export const HELM3_JSON = JSON.stringify({
  name: 'web',
  info: {
    first_deployed: '2024-03-05T10:15:13.123456789+01:00',
    last_deployed: '2024-03-05T10:15:13.123456789+01:00',
    deleted: '',
    description: 'Install complete',
    status: 'deployed',
    notes: '1. Get the application URL\n',
  },
  chart: {
    metadata: {
      name: 'web',
      version: '1.2.3',
      description: 'A Helm chart',
      apiVersion: 'v2',
      appVersion: '4.5.6',
      type: 'application',
    },
    lock: null,
    templates: [{ name: 'templates/svc.yaml', data: 'YXBpVmVyc2lvbjogdjEK' }],
    values: { replicas: 1, image: { repository: 'nginx', tag: 'latest' } },
    schema: null,
    files: [{ name: '.helmignore', data: 'LmdpdAo=' }],
  },
  config: { replicas: 3 },
  manifest: '---\n# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n',
  hooks: [
    {
      name: 'web-test-connection',
      kind: 'Pod',
      path: 'web/templates/tests/test-connection.yaml',
      manifest: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-test-connection',
      events: ['test'],
      last_run: { started_at: '', completed_at: '', phase: '' },
      weight: 0,
      delete_policies: ['before-hook-creation'],
    },
  ],
  version: 1,
  namespace: 'default',
});

/** As helm v4 writes it: zero times omitted, chart.schemamodtime/modtime as Go zero, apply_method. */
export const HELM4_JSON = JSON.stringify({
  name: 'api',
  info: {
    first_deployed: '2025-06-01T08:00:00.5Z',
    last_deployed: '2025-06-02T09:30:00.000000001-07:00',
    description: 'Upgrade complete',
    status: 'deployed',
  },
  chart: {
    metadata: { name: 'api', version: '0.4.0', apiVersion: 'v2', appVersion: '2.0' },
    lock: null,
    templates: [{ name: 'templates/deploy.yaml', data: 'a2luZDogRGVwbG95bWVudAo=', modtime: '2025-05-30T12:00:00Z' }],
    values: {},
    schema: null,
    schemamodtime: '0001-01-01T00:00:00Z',
    files: null,
    modtime: '0001-01-01T00:00:00Z',
  },
  config: {},
  manifest: '---\n# Source: api/templates/deploy.yaml\nkind: Deployment\n',
  hooks: [
    {
      name: 'api-migrate',
      kind: 'Job',
      path: 'api/templates/migrate.yaml',
      manifest: 'kind: Job',
      events: ['pre-upgrade'],
      last_run: { started_at: '2025-06-02T09:30:01.25-07:00', completed_at: '2025-06-02T09:30:09-07:00', phase: 'Succeeded' },
      weight: -5,
      delete_policies: ['hook-succeeded'],
      output_log_policies: ['hook-failed'],
    },
  ],
  version: 2,
  namespace: 'prod',
  apply_method: 'ssa',
});

/** What the driver stores: gzip → base64 text. */
export function helmEncode(json: string): string {
  return gzipSync(Buffer.from(json, 'utf8')).toString('base64');
}

/** A minimal record for lifecycle and view tables. */
export function rec(version: number, status: Status, extra: Partial<Release> = {}): Release {
  return {
    name: 'web',
    namespace: 'default',
    version,
    info: {
      first_deployed: '2024-01-01T00:00:00Z',
      last_deployed: `2024-01-0${Math.min(version, 9)}T12:00:00Z`,
      description: `rev ${version}`,
      status,
    },
    chart: { metadata: { name: 'web', version: `1.0.${version}`, appVersion: '1.0' } },
    config: { rev: version },
    manifest: `kind: ConfigMap\nrev: ${version}\n`,
    hooks: [],
    ...extra,
  };
}

/** Deterministic, incompressible-ish text (xorshift), for size tests. */
export function noise(chars: number, seed = 42): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let x = seed >>> 0 || 1;
  let out = '';
  for (let i = 0; i < chars; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += alphabet[(x >>> 0) % 64];
  }
  return out;
}
