import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { ClusterBusy } from '../../../src/store/errors.ts';
import { MemoryReleaseStore } from '../../../src/store/memory.ts';
import type { EngineDeps } from '../../../src/engine/types.ts';
import type { KubeClient } from '../../../src/kube/types.ts';
import { RETRYABLE, STOP, StepError } from '../../../src/orchestration/classify.ts';
import type { GatePoller, LogFactory, OrchestrationDeps } from '../../../src/orchestration/deps.ts';
import { DocumentSchema, PollSchema } from '../../../src/orchestration/document.ts';
import { powertoolsLog } from '../../../src/orchestration/env.ts';
import { powertoolsMetrics } from '../../../src/orchestration/metrics.ts';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { defineStep, stepHandler } from '../../../src/orchestration/handler.ts';
import { MemoryLeaseStore } from '../../../src/orchestration/lease.ts';
import { STEPS, validateLock } from '../../../src/orchestration/states/index.ts';

const NOW = new Date('2026-03-01T10:00:00Z');
const lines: { executionId: string; state: string; level: string; message: string; attrs?: Record<string, unknown> }[] = [];
const collect: LogFactory = (keys) => {
  const at = (level: string) => (message: string, attrs?: Record<string, unknown>) => void lines.push({ ...keys, level, message, ...(attrs ? { attrs } : {}) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
};

function deps(over: Partial<OrchestrationDeps> = {}): OrchestrationDeps {
  const engine: EngineDeps = { store: new MemoryReleaseStore(), kube: {} as KubeClient, helm: 'helm', now: () => NOW };
  return { engine, lease: new MemoryLeaseStore(), leaseTtlMs: 60_000, cluster: 'prod', log: collect, ...over };
}

async function thrown(p: Promise<unknown>): Promise<StepError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StepError);
    return e as StepError;
  }
  throw new Error('expected the handler to throw');
}

const request = { namespace: 'shop', name: 'web', chart: './chart' };

afterEach(() => {
  lines.length = 0;
  vi.restoreAllMocks();
});

describe('ValidateLock through its middy handler', () => {
  it('fills helm\'s defaults and the cluster, takes the lease for the execution, and logs under its id and state', async () => {
    const d = deps();
    const out = await stepHandler(validateLock, d)({ machine: 'deploy', request, execution: 'exec-1' });
    expect(out).toEqual({
      request: {
        ...request,
        cluster: 'prod',
        wait: 'watcher',
        waitForJobs: false,
        timeoutSeconds: 300,
        cleanupOnFail: false,
        forceConflicts: false,
        maxHistory: 10,
        mode: 'upgrade',
        installIfMissing: true,
        rollbackOnFailure: false,
        rollbackOnGateFailure: true,
      },
      owner: 'exec-1',
      lease: { expiresAt: '2026-03-01T10:01:00.000Z' },
    });
    expect((await d.lease.read({ cluster: 'prod', namespace: 'shop', name: 'web' }))?.owner).toBe('exec-1');
    expect(lines.filter((l) => l.level === 'info').map((l) => [l.executionId, l.state, l.message])).toEqual([['exec-1', 'ValidateLock', 'state done']]);
  });

  it('refuses a second execution with the in-progress reason, as a Stop', async () => {
    const d = deps();
    const h = stepHandler(validateLock, d);
    await h({ machine: 'deploy', request, execution: 'exec-1' });
    const e = await thrown(h({ machine: 'deploy', request, execution: 'exec-2' }));
    expect(e.name).toBe(STOP);
    expect(e.stepCause).toMatchObject({ state: 'ValidateLock', class: 'LeaseHeld', reason: 'LeaseHeld', helmText: 'another operation (install/upgrade/rollback) is in progress' });
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ executionId: 'exec-2', state: 'ValidateLock', message: 'state failed' });
  });

  it.each([
    ['an unknown field', { ...request, atomic: true }, /Unrecognized key: "atomic"/],
    ['a missing chart', { namespace: 'shop', name: 'web' }, /chart: Invalid input/],
    ['a zero timeout', { ...request, timeoutSeconds: 0 }, /timeoutSeconds: Too small/],
    ['a fractional history-max', { ...request, maxHistory: 1.5 }, /maxHistory/],
  ])('rejects %s as an InvalidRequest Stop naming the field', async (_l, req, want) => {
    const e = await thrown(stepHandler(validateLock, deps())({ machine: 'deploy', request: req, execution: 'exec-1' }));
    expect(e.name).toBe(STOP);
    expect(e.stepCause.reason).toBe('InvalidRequest');
    expect(e.stepCause.message).toMatch(want);
  });

  it('rejects helm\'s invalid release names, another cluster, and a gate nobody can check', async () => {
    const h = stepHandler(validateLock, deps());
    expect((await thrown(h({ machine: 'deploy', request: { ...request, name: 'Web_1' }, execution: 'e' }))).stepCause.reason).toBe('InvalidReleaseName');
    expect((await thrown(h({ machine: 'deploy', request: { ...request, cluster: 'staging' }, execution: 'e' }))).stepCause.reason).toBe('WrongCluster');
    expect((await thrown(h({ machine: 'deploy', request: { ...request, gate: { bakeSeconds: 60 } }, execution: 'e' }))).stepCause.reason).toBe('GateUnavailable');
    const gate: GatePoller = () => Promise.resolve({ done: true });
    await expect(stepHandler(validateLock, deps({ gate }))({ machine: 'deploy', request: { ...request, gate: { bakeSeconds: 60 } }, execution: 'e' })).resolves.toMatchObject({ owner: 'e' });
  });

  it('takes a rollback request on the rollback machine, with its own defaults', async () => {
    const out = await stepHandler(validateLock, deps())({ machine: 'rollback', request: { namespace: 'shop', name: 'web' }, execution: 'r-1' });
    expect(out.request).toMatchObject({ target: 0, force: false, ignoreLock: false, wait: 'watcher' });
    const e = await thrown(stepHandler(validateLock, deps())({ machine: 'rollback', request, execution: 'r-2' }));
    expect(e.stepCause.message).toContain('Unrecognized key: "chart"');
  });
});

describe('every state handler checks its input', () => {
  it.each(Object.keys(STEPS))('%s refuses an input without the state document as an InvalidRequest Stop', async (state) => {
    const e = await thrown(stepHandler(STEPS[state]!, deps())({ owner: 'exec-1' }));
    expect(e.name).toBe(STOP);
    expect(e.stepCause).toMatchObject({ state, reason: 'InvalidRequest' });
  });

  it('the document keeps only references: a manifest-sized field would be its own slot, never inside request', () => {
    const doc = DocumentSchema.safeParse({ request: { ...request, cluster: 'prod', manifest: 'kind: ConfigMap' }, owner: 'x' });
    expect(doc.success).toBe(false);
  });

  it('poll answers are integers for Wait\'s SecondsPath and carry a deadline', () => {
    const ok = { done: false, seconds: 2, progress: 'ready 1/2', deadline: '2026-03-01T10:05:00.000Z' };
    expect(PollSchema.parse(ok)).toEqual(ok);
    expect(PollSchema.safeParse({ ...ok, seconds: 0.5 }).success).toBe(false);
    expect(PollSchema.safeParse({ ...ok, deadline: 'soon' }).success).toBe(false);
  });
});

describe('the handler wrapper', () => {
  const probe = (run: () => Promise<unknown>) =>
    defineStep({ state: 'Probe', input: z.object({ owner: z.string() }), output: z.object({ ok: z.boolean() }), run: () => run() as Promise<{ ok: boolean }> });

  it('classifies a transient engine error as helmstep.Retryable, keeping the original in the cause', async () => {
    const e = await thrown(stepHandler(probe(() => Promise.reject(new ClusterBusy('https://k', 503, 'list Secrets'))), deps())({ owner: 'x' }));
    expect(e.name).toBe(RETRYABLE);
    expect(e.stepCause).toMatchObject({ state: 'Probe', class: 'ClusterBusy', reason: 'ClusterBusy' });
  });

  it('checks the output too: a core that answers the wrong shape is a Stop', async () => {
    const e = await thrown(stepHandler(probe(() => Promise.resolve({ ok: 'yes' })), deps())({ owner: 'x' }));
    expect(e.name).toBe(STOP);
    expect(e.stepCause.message).toMatch(/^the input of state Probe \(its output\) is invalid: ok:/);
  });

  it('builds the deps once per container, and again after a failed build', async () => {
    let builds = 0;
    const factory = () => {
      builds++;
      if (builds === 1) throw new Error('no kubeconfig yet');
      return deps();
    };
    const h = stepHandler(probe(() => Promise.resolve({ ok: true })), factory);
    await expect(h({ owner: 'x' })).rejects.toThrow();
    await h({ owner: 'x' });
    await h({ owner: 'x' });
    expect(builds).toBe(2);
  });

  it('writes Powertools JSON lines keyed by execution id, with the state name as a field', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const log = powertoolsLog(new Logger({ serviceName: 'helmstep', logLevel: 'INFO' }));
    await stepHandler(probe(() => Promise.resolve({ ok: true })), deps({ log }))({ owner: 'exec-42' });
    const json = writes.map((w) => JSON.parse(w) as Record<string, unknown>);
    expect(json).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'state done', service: 'helmstep', executionId: 'exec-42', state: 'Probe' }));
  });

  it('records one metric per invocation with the state name and outcome as dimensions', async () => {
    const seen: [string, string][] = [];
    const metrics = { record: (state: string, outcome: string) => void seen.push([state, outcome]) };
    await stepHandler(probe(() => Promise.resolve({ ok: true })), deps({ metrics }))({ owner: 'x' });
    await thrown(stepHandler(probe(() => Promise.reject(new ClusterBusy('https://k', 503, 'list Secrets'))), deps({ metrics }))({ owner: 'x' }));
    await thrown(stepHandler(probe(() => Promise.resolve({ ok: 'yes' })), deps({ metrics }))({ owner: 'x' }));
    expect(seen).toEqual([
      ['Probe', 'succeeded'],
      ['Probe', 'retryable'],
      ['Probe', 'stop'],
    ]);
  });

  it('publishes them as CloudWatch Embedded Metric Format lines, dimensions state and outcome', () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    powertoolsMetrics(new Metrics({ namespace: 'helmstep', serviceName: 'helmstep' })).record('HealthGate', 'remediate', 42);
    type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } };
    const emf = writes.map((w) => JSON.parse(w) as Emf).filter((j) => '_aws' in j);
    expect(emf.map((e) => [e.state, e.outcome, e.StepDuration ?? e.StepInvocations])).toEqual([
      ['HealthGate', 'remediate', 42],
      ['HealthGate', 'remediate', 1],
    ]);
    for (const e of emf) {
      const [directive] = e._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe('helmstep');
      expect(directive?.Dimensions[0]).toEqual(expect.arrayContaining(['state', 'outcome']));
    }
    expect(emf.map((e) => e._aws.CloudWatchMetrics[0]?.Metrics.map((m) => [m.Name, m.Unit])[0])).toEqual([
      ['StepDuration', 'Milliseconds'],
      ['StepInvocations', 'Count'],
    ]);
  });
});
