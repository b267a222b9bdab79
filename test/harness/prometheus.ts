/**
 * A real Prometheus (built by the project, src/local/prometheus.ts) scraping the test exporter
 * every second, for the health-gate tests (the gate's checks, the state machine, the CLI). Started
 * in the test file's beforeAll, stopped in its afterAll.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { queryPrometheus } from '../../src/gate/prometheus.ts';
import { startExporter, type Exporter } from '../../src/local/exporter.ts';
import { startPrometheus, type LocalPrometheus } from '../../src/local/prometheus.ts';

/** A 5 s window holds about five 1 s scrapes: the rate follows a change within seconds. */
export const ERROR_RATE_QUERY = 'sum(rate(http_errors_total{app="webapp"}[5s]))';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface GatePrometheus {
  readonly url: string;
  readonly exporter: Exporter;
  /** Sets the exporter's error rate and waits until Prometheus's 5 s window shows it. */
  settleErrorRate(perSecond: number): Promise<void>;
  /** The error rate Prometheus answers now. */
  errorRate(): Promise<number | undefined>;
}

export function usePrometheus(): GatePrometheus {
  let dir: string | undefined;
  let prom: LocalPrometheus | undefined;
  let exporter: Exporter | undefined;
  const errorRate = async () => (await queryPrometheus(prom!.url, ERROR_RATE_QUERY, new Date()).catch(() => []))[0]?.value;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'helmstep-prometheus-'));
    exporter = await startExporter({ app: 'webapp', requestRate: 20, errorRate: 0.001 });
    // Built from its Go module on first use: minutes when the cache is cold.
    prom = await startPrometheus({ dir, scrapeTargets: [exporter.target], scrapeIntervalSeconds: 1 });
    // Ready to answer is not yet scraped twice: wait until the rate has a value.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const v = await errorRate();
      if (v !== undefined && !Number.isNaN(v)) break;
      if (Date.now() > deadline) throw new Error(`prometheus at ${prom.url} has not scraped ${exporter.target} in 30 s; see ${prom.logFile}`);
      await sleep(250);
    }
  }, 30 * 60_000);
  afterAll(async () => {
    await prom?.stop();
    await exporter?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get url() {
      return prom!.url;
    },
    get exporter() {
      return exporter!;
    },
    errorRate,
    async settleErrorRate(perSecond) {
      exporter!.setErrorRate(perSecond);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const v = await errorRate();
        if (v !== undefined && Math.abs(v - perSecond) < 0.002) return;
        if (Date.now() > deadline) throw new Error(`the error rate did not settle at ${perSecond}/s within 20 s (last ${v})`);
        await sleep(250);
      }
    },
  };
}
