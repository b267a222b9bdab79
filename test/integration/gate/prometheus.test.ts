/**
 * The health gate's Prometheus checks on a real Prometheus (built by the project, see
 * src/local/prometheus.ts) scraping the test exporter every second (test/harness/prometheus.ts):
 * started by this file, not by the global setup.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GateFailed, PrometheusQueryError } from '../../../src/gate/errors.ts';
import { pollGate, type GatePoll, type GateState } from '../../../src/gate/evaluate.ts';
import { gateDeps, gatePoller } from '../../../src/gate/poller.ts';
import { queryPrometheus } from '../../../src/gate/prometheus.ts';
import { parseCheck, parseGateSpec, type GateSpec } from '../../../src/gate/spec.ts';
import { startPrometheus } from '../../../src/local/prometheus.ts';
import type { OrchestrationDeps } from '../../../src/orchestration/deps.ts';
import { ERROR_RATE_QUERY, sleep, usePrometheus } from '../../harness/prometheus.ts';

// A 5 s window holds about five 1 s scrapes: the rate follows a change within seconds.
const ERROR_RATE = `error-rate=${ERROR_RATE_QUERY} < 0.01`;

const prometheus = usePrometheus();

function gate(bakeSeconds: number, checks: string[], extra: { failureLimit?: number; consecutiveErrorLimit?: number } = {}): GateSpec {
  return parseGateSpec({ bakeSeconds, intervalSeconds: 1, prometheus: { url: prometheus.url, checks: checks.map((c) => parseCheck(c)), ...extra } });
}

/** Polls as the state machine does (a Wait of `seconds`, then the next poll), on the real clock. */
async function runGate(spec: GateSpec, during?: (poll: GatePoll, i: number) => void): Promise<{ last: GatePoll; polls: number; ms: number }> {
  const deps = gateDeps({});
  const started = Date.now();
  let state: GateState | undefined;
  for (let i = 0; ; i++) {
    const poll = await pollGate(deps, spec, state, new Date());
    during?.(poll, i);
    if (poll.status !== 'pending') return { last: poll, polls: i + 1, ms: Date.now() - started };
    state = poll.state;
    await sleep(poll.seconds * 1000);
  }
}

describe('Prometheus checks through a bake time, on a real Prometheus', () => {
  it('the local Prometheus scrapes the exporter every second', async () => {
    const before = prometheus.exporter.scrapes;
    await sleep(2500);
    expect(prometheus.exporter.scrapes - before).toBeGreaterThanOrEqual(2);
    const up = await queryPrometheus(prometheus.url, 'up{job="helmstep"}', new Date());
    expect(up).toEqual([{ labels: { __name__: 'up', instance: prometheus.exporter.target, job: 'helmstep' }, value: 1 }]);
  });

  it('an error rate below its threshold passes after the bake time', async () => {
    await prometheus.settleErrorRate(0.001);
    const { last, polls, ms } = await runGate(gate(4, [ERROR_RATE, 'sum(rate(http_requests_total[5s])) > 5']));
    expect(last.status).toBe('passed');
    expect(ms).toBeGreaterThanOrEqual(4000);
    expect(polls).toBeGreaterThanOrEqual(5);
    expect(last.state).toMatchObject({ failures: [0, 0], errors: [0, 0] });
    expect(last.status === 'passed' && last.progress).toMatch(/^bake 4\/4 s, \d+ evaluations: error-rate=0\.00\d+ < 0\.01; sum\(rate\(http_requests_total\[5s\]\)\)=\d+(\.\d+)? > 5$/);
  });

  it('an error rate raised during the bake fails the gate, naming the check and its value', async () => {
    await prometheus.settleErrorRate(0.001);
    const spec = gate(30, [ERROR_RATE]);
    const statuses: string[] = [];
    const { last, ms } = await runGate(spec, (poll, i) => {
      statuses.push(poll.status);
      if (i === 1) prometheus.exporter.setErrorRate(0.05);
    });
    expect(statuses.slice(0, 2)).toEqual(['pending', 'pending']);
    expect(last.status).toBe('failed');
    if (last.status !== 'failed') return;
    // Well before the 30 s bake: the 5 s window crosses 0.01 within a few scrapes.
    expect(ms).toBeLessThan(15_000);
    expect(last.check).toBe('error-rate');
    expect(last.value).toBeGreaterThan(0.01);
    expect(last.value).toBeLessThanOrEqual(0.06);
    expect(last.reason).toBe(`prometheus check "error-rate" (sum(rate(http_errors_total{app="webapp"}[5s]))) = ${last.value}, threshold < 0.01`);
  });

  it('through the HealthGate’s GatePoller: pending with its state, then GateFailed once the rate is up', async () => {
    await prometheus.settleErrorRate(0.001);
    const poller = gatePoller({});
    const spec = gate(30, [ERROR_RATE], { failureLimit: 1 });
    const orch = {} as OrchestrationDeps;
    const first = await poller(orch, spec, undefined, new Date());
    expect(first).toMatchObject({ done: false, seconds: 1, state: { samples: 1, passes: [1], failures: [0] } });
    prometheus.exporter.setErrorRate(0.2);
    let state = first.state;
    let failed: unknown;
    const failures: number[] = [];
    for (let i = 0; i < 20 && !failed; i++) {
      await sleep(1000);
      try {
        state = (await poller(orch, spec, state, new Date())).state;
        failures.push((state as GateState).failures[0]!);
      } catch (err) {
        failed = err;
      }
    }
    expect(failed).toBeInstanceOf(GateFailed);
    // The first failed measurement was tolerated (a pending poll carried it), the second was not.
    expect(failures.at(-1)).toBe(1);
    // failureLimit 1: the second failed measurement fails the gate.
    expect((failed as GateFailed).text).toMatch(
      /^prometheus check "error-rate" \(sum\(rate\(http_errors_total\{app="webapp"\}\[5s\]\)\)\) = [\d.]+, threshold < 0\.01 \(2 failed measurements, failureLimit 1\)$/,
    );
  });

  it('a query Prometheus refuses is inconclusive, and fails the gate past consecutiveErrorLimit with Prometheus’s own error', async () => {
    const { last, polls } = await runGate(gate(30, ['broken=sum(rate(http_errors_total[5s]) < 1'], { consecutiveErrorLimit: 1 }));
    expect(polls).toBe(2);
    expect(last).toMatchObject({ status: 'failed', check: 'broken', value: null });
    expect(last.status === 'failed' && last.reason).toMatch(/^prometheus check "broken" \(sum\(rate\(http_errors_total\[5s\]\)\) was inconclusive 2 times in a row \(consecutiveErrorLimit 1\): Prometheus at .* could not answer the query .*: bad_data: /);
  });

  it('a series that does not exist is an empty result: inconclusive, never a pass', async () => {
    const { last } = await runGate(gate(1, ['sum(rate(http_errors_total{app="nope"}[5s])) < 0.01'], { consecutiveErrorLimit: 2 }));
    expect(last).toMatchObject({ status: 'failed', value: null });
    expect(last.status === 'failed' && last.reason).toMatch(/was inconclusive 3 times in a row \(consecutiveErrorLimit 2\): the query returned no series$/);
  });

  it('a Prometheus that cannot start says so with its log, and leaves no process', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'helmstep-prometheus-bad-'));
    try {
      // An address without a port is refused when the configuration loads.
      const err = await startPrometheus({ dir: bad, scrapeTargets: ['http://x/'], readyTimeoutMs: 20_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^prometheus exited \(code \d+\) before it was ready\n--- last lines of .*prometheus\.log:\n[\s\S]*http:\/\/x\/.* is not a valid hostname/);
      expect(spawnSync('pgrep', ['-f', bad]).status).toBe(1);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('a URL that is not Prometheus gives a typed error with the HTTP status', async () => {
    // The exporter's port answers HTTP but is no Prometheus: a 404 without the API's JSON.
    const err = await queryPrometheus(`http://${prometheus.exporter.target}`, 'up', new Date(), { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrometheusQueryError);
    expect((err as PrometheusQueryError).detail).toBe('HTTP 404: not found: try /metrics\n');
  });
});
