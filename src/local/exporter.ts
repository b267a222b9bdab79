/**
 * A tiny in-process exporter for the health gate's tests and the demo: `/metrics` in Prometheus's
 * text format with two counters, `http_requests_total{app}` and `http_errors_total{app}`, that
 * grow at the rates (per second) the test sets. The values are computed from the clock at each
 * scrape, so `rate(http_errors_total[5s])` in Prometheus follows setErrorRate within seconds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ExporterOptions {
  /** The `app` label of both counters. @default 'webapp' */
  readonly app?: string;
  /** Requests per second. @default 10 */
  readonly requestRate?: number;
  /** Errors per second. @default 0 */
  readonly errorRate?: number;
}

export interface Exporter {
  /** `host:port`, as a scrape target. */
  readonly target: string;
  /** `http://host:port/metrics`. */
  readonly url: string;
  /** How many times /metrics was read. */
  readonly scrapes: number;
  setRequestRate(perSecond: number): void;
  setErrorRate(perSecond: number): void;
  close(): Promise<void>;
}

/** A counter growing at a settable rate: the value is integrated from the clock. */
class RateCounter {
  private base = 0;
  private since: number;
  constructor(
    private perSecond: number,
    private readonly now: () => number,
  ) {
    this.since = now();
  }
  value(): number {
    return this.base + (this.perSecond * (this.now() - this.since)) / 1000;
  }
  setRate(perSecond: number): void {
    if (!(perSecond >= 0)) throw new Error(`a counter's rate must be a number ≥ 0, not ${perSecond}`);
    this.base = this.value();
    this.since = this.now();
    this.perSecond = perSecond;
  }
}

function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** The exposition text for the two counters. */
export function metricsText(app: string, requests: number, errors: number): string {
  const l = `{app="${labelValue(app)}"}`;
  return [
    '# HELP http_requests_total Requests served.',
    '# TYPE http_requests_total counter',
    `http_requests_total${l} ${requests}`,
    '# HELP http_errors_total Requests that failed.',
    '# TYPE http_errors_total counter',
    `http_errors_total${l} ${errors}`,
    '',
  ].join('\n');
}

/** Starts the exporter on 127.0.0.1 with a free port. */
export async function startExporter(opts: ExporterOptions = {}, now: () => number = Date.now): Promise<Exporter> {
  const app = opts.app ?? 'webapp';
  const requests = new RateCounter(0, now);
  const errors = new RateCounter(0, now);
  requests.setRate(opts.requestRate ?? 10);
  errors.setRate(opts.errorRate ?? 0);
  let scrapes = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metricsText(app, requests.value(), errors.value()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const target = `127.0.0.1:${port}`;
  return {
    target,
    url: `http://${target}/metrics`,
    get scrapes() {
      return scrapes;
    },
    setRequestRate: (r) => requests.setRate(r),
    setErrorRate: (r) => errors.setRate(r),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
