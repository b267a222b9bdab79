import { describe, expect, it } from 'vitest';

import { hasClientSideFields, unionFields, upgradeManagedFields } from '../../../src/kube/managed-fields.ts';
import type { ManagedFieldsEntry } from '../../../src/kube/types.ts';

// What helm 3 leaves on a ConfigMap it created and later patched (client-side apply), with a
// kubectl-edit of one key and a status-like subresource entry of the same manager.
const helmCreate: ManagedFieldsEntry = {
  manager: 'helm',
  operation: 'Update',
  apiVersion: 'v1',
  time: '2025-01-01T00:00:00Z',
  fieldsType: 'FieldsV1',
  fieldsV1: {
    'f:data': { '.': {}, 'f:message': {} },
    'f:metadata': { 'f:labels': { '.': {}, 'f:app.kubernetes.io/managed-by': {} } },
  },
};
const helmPatch: ManagedFieldsEntry = {
  manager: 'helm',
  operation: 'Update',
  apiVersion: 'v1',
  time: '2025-01-02T00:00:00Z',
  fieldsType: 'FieldsV1',
  fieldsV1: {
    'f:data': { 'f:extra': {} },
    'f:metadata': { 'f:annotations': { '.': {}, 'f:meta.helm.sh/release-name': {} } },
  },
};
const kubectlEdit: ManagedFieldsEntry = {
  manager: 'kubectl-edit',
  operation: 'Update',
  apiVersion: 'v1',
  time: '2025-01-03T00:00:00Z',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:data': { 'f:other': {} } },
};
const helmStatus: ManagedFieldsEntry = {
  manager: 'helm',
  operation: 'Update',
  apiVersion: 'v1',
  time: '2025-01-04T00:00:00Z',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:status': { 'f:phase': {} } },
  subresource: 'status',
};

describe('upgradeManagedFields (csaupgrade with {"helm"} → "helm")', () => {
  it('returns undefined when helm never applied client-side', () => {
    const ssaOnly: ManagedFieldsEntry[] = [
      { manager: 'helm', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:message': {} } } },
      kubectlEdit,
    ];
    expect(upgradeManagedFields(ssaOnly)).toBeUndefined();
    expect(upgradeManagedFields(undefined)).toBeUndefined();
    expect(upgradeManagedFields([])).toBeUndefined();
    expect(hasClientSideFields(ssaOnly)).toBe(false);
  });

  it('ignores helm Update entries of a subresource', () => {
    expect(upgradeManagedFields([helmStatus, kubectlEdit])).toBeUndefined();
    expect(hasClientSideFields([helmStatus])).toBe(false);
  });

  it('converts the first helm Update entry into the Apply entry and merges the other one of the same apiVersion', () => {
    const out = upgradeManagedFields([helmCreate, kubectlEdit, helmPatch, helmStatus]);
    expect(out).toEqual([
      {
        manager: 'helm',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2025-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:data': { '.': {}, 'f:extra': {}, 'f:message': {} },
          'f:metadata': {
            'f:annotations': { '.': {}, 'f:meta.helm.sh/release-name': {} },
            'f:labels': { '.': {}, 'f:app.kubernetes.io/managed-by': {} },
          },
        },
      },
      kubectlEdit,
      helmStatus,
    ]);
    expect(hasClientSideFields(out)).toBe(false);
  });

  it('merges into an existing helm Apply entry, keeping its position, and drops every helm Update entry', () => {
    const apply: ManagedFieldsEntry = {
      manager: 'helm',
      operation: 'Apply',
      apiVersion: 'v1',
      time: '2025-02-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:new': {} } },
    };
    const out = upgradeManagedFields([kubectlEdit, helmCreate, apply, helmPatch]);
    expect(out).toEqual([
      kubectlEdit,
      {
        ...apply,
        // Only the first helm Update entry of the Apply entry's apiVersion is merged (csaupgrade).
        fieldsV1: {
          'f:data': { '.': {}, 'f:message': {}, 'f:new': {} },
          'f:metadata': { 'f:labels': { '.': {}, 'f:app.kubernetes.io/managed-by': {} } },
        },
      },
    ]);
  });

  it('drops helm Update entries of another apiVersion without merging them (as csaupgrade does)', () => {
    const old: ManagedFieldsEntry = { ...helmPatch, apiVersion: 'apps/v1beta1' };
    const out = upgradeManagedFields([helmCreate, old]);
    expect(out).toEqual([{ ...helmCreate, operation: 'Apply', fieldsV1: helmCreate.fieldsV1 }]);
  });

  it('leaves its input untouched', () => {
    const input = [helmCreate, helmPatch];
    const before = structuredClone(input);
    upgradeManagedFields(input);
    expect(input).toEqual(before);
  });
});

describe('unionFields', () => {
  it('keeps a node a member when either side has it, and unions the children', () => {
    expect(unionFields({ 'f:spec': {} }, { 'f:spec': { 'f:replicas': {} } })).toEqual({ 'f:spec': { '.': {}, 'f:replicas': {} } });
    expect(unionFields({ 'f:spec': { 'f:a': {} } }, { 'f:spec': { 'f:b': {} } })).toEqual({ 'f:spec': { 'f:a': {}, 'f:b': {} } });
  });

  it('orders elements as fieldpath does: fields, keys, values, then indexes numerically', () => {
    const out = unionFields({ 'i:10': {}, 'v:"x"': {}, 'f:z': {} }, { 'k:{"name":"a"}': {}, 'i:2': {}, 'f:a': {} });
    expect(Object.keys(out)).toEqual(['f:a', 'f:z', 'k:{"name":"a"}', 'v:"x"', 'i:2', 'i:10']);
  });

  it('merges list items keyed by name deeply', () => {
    const a = { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } };
    const b = { 'f:containers': { 'k:{"name":"web"}': { 'f:ports': {} }, 'k:{"name":"side"}': { '.': {}, 'f:name': {} } } };
    expect(unionFields(a, b)).toEqual({
      'f:containers': {
        'k:{"name":"side"}': { '.': {}, 'f:name': {} },
        'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:ports': {} },
      },
    });
  });
});
