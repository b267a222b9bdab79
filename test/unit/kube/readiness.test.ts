import { describe, expect, it } from 'vitest';

import {
  SCHEDULE_WINDOW_MS,
  aggregate,
  computeStatus,
  hookStatus,
  jobReady,
  notReadyText,
  skippedByWait,
} from '../../../src/kube/readiness.ts';
import type { ObjectStatus, StatusResult } from '../../../src/kube/readiness.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

const NOW = new Date('2026-11-24T18:10:30Z');

type Case = [string, KubeObject, StatusResult];

function table(cases: Case[]) {
  it.each(cases)('%s', (_name, obj, expected) => {
    expect(computeStatus(obj, NOW)).toEqual(expected);
  });
}

describe('generic checks come first', () => {
  table([
    [
      'deletionTimestamp → Terminating, whatever else',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', generation: 2, deletionTimestamp: '2026-11-24T18:00:00Z' },
        status: { observedGeneration: 1 },
      },
      { status: 'Terminating', message: 'Resource scheduled for deletion' },
    ],
    [
      'generation not observed → InProgress',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', generation: 3 },
        spec: { replicas: 1 },
        status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
      },
      { status: 'InProgress', message: 'Deployment generation is 3, but latest observed generation is 2' },
    ],
    [
      'no observedGeneration: the check is skipped (ConfigMap stays Current)',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', generation: 5 } },
      { status: 'Current', message: 'Resource is always ready' },
    ],
    [
      'Reconciling=True → InProgress with its message',
      {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w' },
        status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Reconciling', status: 'True', reason: 'Progressing', message: 'still working' }] },
      },
      { status: 'InProgress', message: 'still working' },
    ],
    [
      'Stalled=True → Failed with its message, even on a built-in kind',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c' },
        status: { conditions: [{ type: 'Stalled', status: 'True', reason: 'Broken', message: 'gave up' }] },
      },
      { status: 'Failed', message: 'gave up' },
    ],
    [
      'Reconciling=False and Stalled=False are ignored',
      {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w' },
        status: { conditions: [{ type: 'Reconciling', status: 'False' }, { type: 'Stalled', status: 'False' }] },
      },
      { status: 'Current', message: 'Resource is current' },
    ],
    [
      'malformed conditions → Unknown',
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, status: { conditions: 'nope' } },
      { status: 'Unknown', message: 'status.conditions is not a list' },
    ],
    [
      'a non-integer generation → Unknown',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', generation: 'two' as unknown as number } },
      { status: 'Unknown', message: '.metadata.generation accessor error: "two" is of the type string, expected int64' },
    ],
  ]);
});

function deploy(spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', generation: 1 }, spec, status: { observedGeneration: 1, ...status } };
}
const available = [
  { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
  { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
];
const full = { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };

describe('Deployment', () => {
  table([
    ['available', deploy({ replicas: 2 }, { ...full, conditions: available }), { status: 'Current', message: 'Deployment is available. Replicas: 2' }],
    [
      'progress deadline exceeded → Failed (even with counts fine)',
      deploy({ replicas: 2 }, { ...full, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }),
      { status: 'Failed', message: 'Progress deadline exceeded' },
    ],
    ['too few replicas', deploy({ replicas: 3 }, { ...full, conditions: available }), { status: 'InProgress', message: 'Replicas: 2/3' }],
    ['spec.replicas defaults to 1', deploy({}, { conditions: available }), { status: 'InProgress', message: 'Replicas: 0/1' }],
    ['too few updated', deploy({ replicas: 2 }, { ...full, updatedReplicas: 1, conditions: available }), { status: 'InProgress', message: 'Updated: 1/2' }],
    ['extra pods', deploy({ replicas: 2 }, { ...full, replicas: 3, conditions: available }), { status: 'InProgress', message: 'Pending termination: 1' }],
    [
      'updated not yet available',
      deploy({ replicas: 2 }, { ...full, availableReplicas: 1, conditions: available }),
      { status: 'InProgress', message: 'Available: 1/2' },
    ],
    ['not ready', deploy({ replicas: 2 }, { ...full, readyReplicas: 1, conditions: available }), { status: 'InProgress', message: 'Ready: 1/2' }],
    [
      'Progressing not yet NewReplicaSetAvailable',
      deploy(
        { replicas: 2, progressDeadlineSeconds: 600 },
        { ...full, conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }] },
      ),
      { status: 'InProgress', message: 'ReplicaSet not Available' },
    ],
    [
      'progressDeadlineSeconds MaxInt32 means no deadline: Progressing not needed',
      deploy({ replicas: 2, progressDeadlineSeconds: 2147483647 }, { ...full, conditions: [{ type: 'Available', status: 'True' }] }),
      { status: 'Current', message: 'Deployment is available. Replicas: 2' },
    ],
    [
      'no progressDeadlineSeconds field: treated as no deadline',
      deploy({ replicas: 2 }, { ...full, conditions: [{ type: 'Available', status: 'True' }] }),
      { status: 'Current', message: 'Deployment is available. Replicas: 2' },
    ],
    [
      'Available=False',
      deploy({ replicas: 2 }, { ...full, conditions: [{ type: 'Available', status: 'False' }, available[1]] }),
      { status: 'InProgress', message: 'Deployment not Available' },
    ],
    [
      'crash-looping pods: Available never comes',
      deploy(
        { replicas: 2, progressDeadlineSeconds: 600 },
        { replicas: 2, updatedReplicas: 2, unavailableReplicas: 2, conditions: [{ type: 'Available', status: 'False' }, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }] },
      ),
      { status: 'InProgress', message: 'Available: 0/2' },
    ],
    [
      'extensions group uses the same rule',
      { ...deploy({ replicas: 1 }, { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: available }), apiVersion: 'extensions/v1beta1' },
      { status: 'Current', message: 'Deployment is available. Replicas: 1' },
    ],
    [
      'a Deployment of another group is a generic object',
      { apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 3 } },
      { status: 'Current', message: 'Resource is current' },
    ],
  ]);
});

function sts(spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec, status };
}
const stsFull = { replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: 'db-1', updateRevision: 'db-1' };

describe('StatefulSet', () => {
  table([
    ['all replicas', sts({ replicas: 3 }, stsFull), { status: 'Current', message: 'All replicas scheduled as expected. Replicas: 3' }],
    ['OnDelete is always Current', sts({ replicas: 3, updateStrategy: { type: 'OnDelete' } }, {}), { status: 'Current', message: 'StatefulSet is using the ondelete update strategy' }],
    ['too few replicas', sts({ replicas: 3 }, { ...stsFull, replicas: 2 }), { status: 'InProgress', message: 'Replicas: 2/3' }],
    ['too few ready', sts({ replicas: 3 }, { ...stsFull, readyReplicas: 1 }), { status: 'InProgress', message: 'Ready: 1/3' }],
    ['extra pods', sts({ replicas: 3 }, { ...stsFull, replicas: 4, readyReplicas: 4 }), { status: 'InProgress', message: 'Pending termination: 1' }],
    [
      'partition not rolled out',
      sts({ replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, { ...stsFull, updatedReplicas: 1 }),
      { status: 'InProgress', message: 'updated: 1/2' },
    ],
    [
      'partition rolled out, revisions may differ',
      sts({ replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, { ...stsFull, updatedReplicas: 2, updateRevision: 'db-2' }),
      { status: 'Current', message: 'Partition rollout complete. updated: 2' },
    ],
    ['too few current', sts({ replicas: 3 }, { ...stsFull, currentReplicas: 2 }), { status: 'InProgress', message: 'current: 2/3' }],
    ['revision mismatch', sts({ replicas: 3 }, { ...stsFull, updateRevision: 'db-2' }), { status: 'InProgress', message: 'Waiting for updated revision to match current' }],
  ]);
});

function ds(metadata: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', ...metadata }, status };
}
const dsFull = { observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberReady: 2 };

describe('DaemonSet', () => {
  table([
    ['all scheduled', ds({ generation: 1 }, dsFull), { status: 'Current', message: 'All replicas scheduled as expected. Replicas: 2' }],
    ['no generation', ds({}, dsFull), { status: 'InProgress', message: 'DaemonSet metadata.generation not found' }],
    [
      'no observedGeneration',
      ds({ generation: 1 }, { ...dsFull, observedGeneration: undefined }),
      { status: 'InProgress', message: 'DaemonSet status.observedGeneration not found' },
    ],
    ['no desired number', ds({ generation: 1 }, { observedGeneration: 1 }), { status: 'InProgress', message: 'Missing .status.desiredNumberScheduled' }],
    ['too few current', ds({ generation: 1 }, { ...dsFull, currentNumberScheduled: 1 }), { status: 'InProgress', message: 'Current: 1/2' }],
    ['too few updated', ds({ generation: 1 }, { ...dsFull, updatedNumberScheduled: 0 }), { status: 'InProgress', message: 'Updated: 0/2' }],
    ['too few available', ds({ generation: 1 }, { ...dsFull, numberAvailable: 1 }), { status: 'InProgress', message: 'Available: 1/2' }],
    ['too few ready', ds({ generation: 1 }, { ...dsFull, numberReady: 1 }), { status: 'InProgress', message: 'Ready: 1/2' }],
    ['zero desired is fine', ds({ generation: 1 }, { observedGeneration: 1, desiredNumberScheduled: 0 }), { status: 'Current', message: 'All replicas scheduled as expected. Replicas: 0' }],
  ]);
});

function rs(spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc' }, spec, status };
}
const rsFull = { replicas: 2, readyReplicas: 2, availableReplicas: 2, fullyLabeledReplicas: 2 };

describe('ReplicaSet', () => {
  table([
    ['available', rs({ replicas: 2 }, rsFull), { status: 'Current', message: 'ReplicaSet is available. Replicas: 2' }],
    [
      'ReplicaFailure → InProgress (not Failed)',
      rs({ replicas: 2 }, { ...rsFull, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' }] }),
      { status: 'InProgress', message: 'Replica Failure condition. Check Pods' },
    ],
    ['too few labelled', rs({ replicas: 2 }, { ...rsFull, fullyLabeledReplicas: 1 }), { status: 'InProgress', message: 'Labelled: 1/2' }],
    ['too few available', rs({ replicas: 2 }, { ...rsFull, availableReplicas: 0 }), { status: 'InProgress', message: 'Available: 0/2' }],
    ['too few ready', rs({ replicas: 2 }, { ...rsFull, readyReplicas: 1 }), { status: 'InProgress', message: 'Ready: 1/2' }],
    ['extra pods', rs({ replicas: 2 }, { ...rsFull, replicas: 3 }), { status: 'InProgress', message: 'Pending termination: 1' }],
  ]);
});

function job(spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'backup' }, spec, status };
}
const complete = [{ type: 'Complete', status: 'True' }];
const jobFailed = [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }];

describe('Job (plain wait)', () => {
  table([
    ['complete', job({}, { succeeded: 1, conditions: complete }), { status: 'Current', message: 'Job Completed. succeeded: 1/1' }],
    ['completions default to parallelism', job({ parallelism: 3 }, { succeeded: 3, conditions: complete }), { status: 'Current', message: 'Job Completed. succeeded: 3/3' }],
    ['failed', job({ completions: 2 }, { failed: 1, conditions: jobFailed }), { status: 'Failed', message: 'Job Failed. failed: 1/2' }],
    ['not started', job({}, {}), { status: 'InProgress', message: 'Job not started' }],
    [
      'running counts as Current',
      job({}, { startTime: '2026-11-24T18:10:00Z', active: 1 }),
      { status: 'Current', message: 'Job in progress. success:0, active: 1, failed: 0' },
    ],
    [
      'Complete=False is not complete',
      job({}, { startTime: '2026-11-24T18:10:00Z', active: 1, conditions: [{ type: 'Complete', status: 'False' }] }),
      { status: 'Current', message: 'Job in progress. success:0, active: 1, failed: 0' },
    ],
  ]);
});

function pod(status: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-abc-123', ...metadata }, status };
}
const unschedulable = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available' }];

describe('Pod', () => {
  table([
    ['succeeded', pod({ phase: 'Succeeded' }), { status: 'Current', message: 'Pod has completed successfully' }],
    ['failed is Current for kstatus', pod({ phase: 'Failed' }), { status: 'Current', message: 'Pod has completed, but not successfully' }],
    ['running and ready', pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }), { status: 'Current', message: 'Pod is Ready' }],
    [
      'running, crash-looping',
      pod({
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          { name: 'web', state: { waiting: { reason: 'CrashLoopBackOff' } } },
          { name: 'sidecar', state: { running: {} } },
          { name: 'log', state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      }),
      { status: 'Failed', message: 'Containers in CrashLoop state: web,log' },
    ],
    [
      'running, waiting for another reason',
      pod({ phase: 'Running', containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } } }] }),
      { status: 'InProgress', message: 'Pod is running but is not Ready' },
    ],
    [
      'unschedulable for 10 s',
      pod({ phase: 'Pending', conditions: unschedulable }, { creationTimestamp: '2026-11-24T18:10:20Z' }),
      { status: 'InProgress', message: 'Pod has not been scheduled' },
    ],
    [
      'unschedulable for exactly 15 s → Failed',
      pod({ phase: 'Pending', conditions: unschedulable }, { creationTimestamp: '2026-11-24T18:10:15Z' }),
      { status: 'Failed', message: 'Pod could not be scheduled' },
    ],
    [
      'unschedulable for 14.999 s',
      pod({ phase: 'Pending', conditions: unschedulable }, { creationTimestamp: '2026-11-24T18:10:15.001Z' }),
      { status: 'InProgress', message: 'Pod has not been scheduled' },
    ],
    [
      'unschedulable with no creationTimestamp → Failed',
      pod({ phase: 'Pending', conditions: unschedulable }),
      { status: 'Failed', message: 'Pod could not be scheduled' },
    ],
    [
      'pending for another reason',
      pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] }, { creationTimestamp: '2026-11-24T18:00:00Z' }),
      { status: 'InProgress', message: 'Pod is in the Pending phase' },
    ],
    ['no phase yet', pod({}), { status: 'InProgress', message: 'Pod phase not available' }],
    ['unknown phase → Unknown', pod({ phase: 'Weird' }), { status: 'Unknown', message: 'unknown phase Weird' }],
  ]);

  it('measures the 15 s window from `now`', () => {
    const p = pod({ phase: 'Pending', conditions: unschedulable }, { creationTimestamp: '2026-11-24T18:10:00Z' });
    expect(SCHEDULE_WINDOW_MS).toBe(15_000);
    expect(computeStatus(p, new Date('2026-11-24T18:10:14Z')).status).toBe('InProgress');
    expect(computeStatus(p, new Date('2026-11-24T18:10:16Z')).status).toBe('Failed');
  });
});

describe('PVC, Service, CRD, PDB and always-ready kinds', () => {
  table([
    ['PVC bound', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, status: { phase: 'Bound' } }, { status: 'Current', message: 'PVC is Bound' }],
    [
      'PVC pending',
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, status: { phase: 'Pending' } },
      { status: 'InProgress', message: 'PVC is not Bound. phase: Pending' },
    ],
    ['PVC without status', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' } }, { status: 'InProgress', message: 'PVC is not Bound. phase: unknown' }],
    ['ClusterIP Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: '10.0.0.1' } }, { status: 'Current', message: 'Service is ready' }],
    ['Service without type or IP', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} }, { status: 'Current', message: 'Service is ready' }],
    [
      'LoadBalancer without clusterIP',
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer' } },
      { status: 'InProgress', message: 'ClusterIP not set. Service type: LoadBalancer' },
    ],
    [
      'LoadBalancer with clusterIP (no ingress needed)',
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer', clusterIP: '10.0.0.2' } },
      { status: 'Current', message: 'Service is ready' },
    ],
    [
      'CRD established',
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        status: { conditions: [{ type: 'NamesAccepted', status: 'True' }, { type: 'Established', status: 'True' }] },
      },
      { status: 'Current', message: 'CRD is established' },
    ],
    [
      'CRD installing',
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        status: { conditions: [{ type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' }] },
      },
      { status: 'InProgress', message: 'Install in progress' },
    ],
    [
      'CRD names not accepted',
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        status: { conditions: [{ type: 'NamesAccepted', status: 'False', reason: 'NameConflict', message: 'plural "widgets" is already in use' }] },
      },
      { status: 'Failed', message: 'plural "widgets" is already in use' },
    ],
    [
      'CRD not established for another reason',
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        status: { conditions: [{ type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }] },
      },
      { status: 'Failed', message: 'not all names are accepted' },
    ],
    [
      'CRD without conditions',
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' } },
      { status: 'InProgress', message: 'Install in progress' },
    ],
    [
      'PDB',
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p', generation: 1 }, status: { observedGeneration: 1 } },
      { status: 'Current', message: 'AllowedDisruptions has been computed.' },
    ],
    [
      'PDB not yet observed',
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p', generation: 2 }, status: { observedGeneration: 1 } },
      { status: 'InProgress', message: 'PodDisruptionBudget generation is 2, but latest observed generation is 1' },
    ],
    ['Secret', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }, { status: 'Current', message: 'Resource is always ready' }],
    ['CronJob', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' } }, { status: 'Current', message: 'Resource is always ready' }],
    [
      'Ingress has no rule: Current',
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i' }, status: { loadBalancer: {} } },
      { status: 'Current', message: 'Resource is current' },
    ],
  ]);
});

describe('the generic Ready condition', () => {
  const widget = (conditions: unknown[]): KubeObject => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, status: { conditions } });
  table([
    ['Ready=True', widget([{ type: 'Ready', status: 'True' }]), { status: 'Current', message: 'Resource is Ready' }],
    ['Ready=False', widget([{ type: 'Ready', status: 'False', reason: 'Waiting', message: 'waiting for backend' }]), { status: 'InProgress', message: 'waiting for backend' }],
    ['Ready=Unknown', widget([{ type: 'Ready', status: 'Unknown', message: 'checking' }]), { status: 'InProgress', message: 'checking' }],
    ['Ready with an odd status is skipped', widget([{ type: 'Ready', status: 'Maybe' }]), { status: 'Current', message: 'Resource is current' }],
    ['no conditions', widget([]), { status: 'Current', message: 'Resource is current' }],
    [
      'a built-in kind ignores Ready (ConfigMap)',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
      { status: 'Current', message: 'Resource is always ready' },
    ],
  ]);
});

describe('jobReady (--wait-for-jobs)', () => {
  it.each<[string, KubeObject, StatusResult]>([
    ['complete', job({ completions: 2 }, { succeeded: 2, conditions: complete }), { status: 'Current', message: 'Job Completed. succeeded: 2/2' }],
    ['failed', job({}, { failed: 1, conditions: jobFailed }), { status: 'Failed', message: 'Job Failed. failed: 1/1' }],
    ['running is not ready', job({}, { startTime: '2026-11-24T18:10:00Z', active: 1 }), { status: 'InProgress', message: 'Job in progress' }],
    ['not started', job({}, {}), { status: 'InProgress', message: 'Job in progress' }],
    [
      'skips the generic checks (helm reader)',
      { ...job({}, { succeeded: 1, conditions: complete }), metadata: { name: 'backup', deletionTimestamp: '2026-11-24T18:00:00Z' } },
      { status: 'Current', message: 'Job Completed. succeeded: 1/1' },
    ],
  ])('%s', (_n, obj, expected) => {
    expect(jobReady(obj)).toEqual(expected);
  });
});

describe('skippedByWait', () => {
  it('skips only paused apps/v1 Deployments', () => {
    expect(skippedByWait(deploy({ paused: true }, {}))).toBe(true);
    expect(skippedByWait(deploy({ paused: false }, {}))).toBe(false);
    expect(skippedByWait({ ...deploy({ paused: true }, {}), apiVersion: 'extensions/v1beta1' })).toBe(false);
    expect(skippedByWait({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { paused: true } })).toBe(false);
  });
});

describe('hookStatus', () => {
  it.each<[string, KubeObject, string, string, StatusResult]>([
    ['complete Job', job({}, { succeeded: 1, conditions: complete }), 'Succeeded', 'Job Completed. succeeded: 1/1', { status: 'Current', message: 'Job Completed. succeeded: 1/1' }],
    [
      'failed Job',
      job({}, { failed: 1, conditions: jobFailed }),
      'Failed',
      'job backup failed: BackoffLimitExceeded',
      { status: 'Failed', message: 'Job Failed. failed: 1/1' },
    ],
    [
      'failed Job with deadline',
      job({ completions: 3 }, { failed: 2, conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] }),
      'Failed',
      'job backup failed: DeadlineExceeded',
      { status: 'Failed', message: 'Job Failed. failed: 2/3' },
    ],
    ['running Job', job({}, { startTime: '2026-11-24T18:10:00Z', active: 1 }), 'Running', 'Job in progress', { status: 'InProgress', message: 'Job in progress' }],
    ['succeeded Pod', pod({ phase: 'Succeeded' }), 'Succeeded', 'pod web-abc-123 succeeded', { status: 'Current', message: 'pod web-abc-123 succeeded' }],
    ['failed Pod', pod({ phase: 'Failed' }), 'Failed', 'pod web-abc-123 failed', { status: 'Failed', message: 'pod web-abc-123 failed' }],
    [
      'running Pod (even Ready)',
      pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }),
      'Running',
      'Pod in progress',
      { status: 'InProgress', message: 'Pod in progress' },
    ],
    ['ConfigMap exists', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, 'Succeeded', 'Resource is current', { status: 'Current', message: 'Resource is current' }],
    [
      'a Deployment hook is done once it exists',
      deploy({ replicas: 2 }, { replicas: 0 }),
      'Succeeded',
      'Resource is current',
      { status: 'Current', message: 'Resource is current' },
    ],
  ])('%s', (_n, obj, status, message, kstatus) => {
    const { helmText: _ignored, ...rest } = hookStatus(obj);
    expect(rest).toEqual({ status, message, kstatus });
  });

  it("gives helm 4's failure line (captured from helm 4.1.4 `pre-upgrade hooks failed: …`)", () => {
    const live: KubeObject = {
      ...job({ backoffLimit: 0 }, { failed: 1, conditions: jobFailed }),
      metadata: { name: 'w-webapp-backup', namespace: 'kube-b-verify2' },
    };
    expect(hookStatus(live).helmText).toBe(
      'resource Job/kube-b-verify2/w-webapp-backup not ready. status: Failed, message: Job Failed. failed: 1/1',
    );
    expect(hookStatus({ ...pod({ phase: 'Failed' }), metadata: { name: 'p', namespace: 'ns' } }).helmText).toBe(
      'resource Pod/ns/p not ready. status: Failed, message: pod p failed',
    );
    expect(hookStatus(job({}, { succeeded: 1, conditions: complete })).helmText).toBeUndefined();
    expect(hookStatus(job({}, {})).helmText).toBeUndefined();
  });
});

describe('aggregate and notReadyText', () => {
  const s = (kind: string, name: string, status: StatusResult['status'], message: string, namespace?: string): ObjectStatus => ({
    ref: { apiVersion: 'v1', kind, name, ...(namespace === undefined ? {} : { namespace }) },
    status,
    message,
  });
  const list = [
    s('ConfigMap', 'c', 'Current', 'Resource is always ready', 'shop'),
    s('Deployment', 'web', 'InProgress', 'Ready: 1/2', 'shop'),
    s('Pod', 'p', 'Failed', 'Containers in CrashLoop state: web', 'shop'),
    s('ClusterRole', 'r', 'Current', 'Resource is current'),
    s('Widget', 'w', 'Unknown', '', 'shop'),
  ];

  it('counts ready ones and lists the rest in input order', () => {
    const sum = aggregate(list);
    expect(sum.ready).toBe(2);
    expect(sum.total).toBe(5);
    expect(sum.failed.map((x) => x.ref.name)).toEqual(['p']);
    expect(sum.notReady.map((x) => x.ref.name)).toEqual(['web', 'p', 'w']);
    expect(sum.settled).toBe(false);
  });

  it('is settled when only Current and Failed remain, and trivially for nothing', () => {
    expect(aggregate([list[0]!, list[2]!]).settled).toBe(true);
    expect(aggregate([list[0]!]).settled).toBe(true);
    expect(aggregate([])).toEqual({ ready: 0, total: 0, failed: [], notReady: [], settled: true });
  });

  it('matches the wait error helm 4.1.4 printed for a crash-looping rollout', () => {
    expect(notReadyText([{ ref: { kind: 'Deployment', namespace: 'kube-b-verify2', name: 'w-webapp' }, status: 'InProgress', message: 'Updated: 1/2' }])).toBe(
      'resource Deployment/kube-b-verify2/w-webapp not ready. status: InProgress, message: Updated: 1/2',
    );
  });

  it("writes helm's wait error, one line per object, empty namespace for cluster-scoped", () => {
    const sum = aggregate([...list, s('ClusterRole', 'x', 'InProgress', 'waiting')]);
    expect(notReadyText(sum.notReady)).toBe(
      [
        'resource Deployment/shop/web not ready. status: InProgress, message: Ready: 1/2',
        'resource Pod/shop/p not ready. status: Failed, message: Containers in CrashLoop state: web',
        'resource Widget/shop/w not ready. status: Unknown, message: ',
        'resource ClusterRole//x not ready. status: InProgress, message: waiting',
      ].join('\n'),
    );
    expect(notReadyText([])).toBe('');
  });
});
