import { afterEach, describe, expect, it } from 'vitest';
import { metricsText, startExporter, type Exporter } from '../../../src/local/exporter.ts';

let exporter: Exporter | undefined;
afterEach(async () => {
  await exporter?.close();
  exporter = undefined;
});

function values(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{[^}]*\} (\S+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

describe('the test exporter', () => {
  it('writes both counters in the text format, with the app label escaped', () => {
    expect(metricsText('a"b', 1.5, 0)).toBe(
      [
        '# HELP http_requests_total Requests served.',
        '# TYPE http_requests_total counter',
        'http_requests_total{app="a\\"b"} 1.5',
        '# HELP http_errors_total Requests that failed.',
        '# TYPE http_errors_total counter',
        'http_errors_total{app="a\\"b"} 0',
        '',
      ].join('\n'),
    );
  });

  it('counters grow at the rates set, from the clock, and a new rate applies from the moment it is set', async () => {
    let t = 1_000_000;
    exporter = await startExporter({ app: 'shop', requestRate: 10, errorRate: 0.5 }, () => t);
    const scrape = async () => values(await (await fetch(exporter!.url)).text());
    expect(await scrape()).toEqual({ http_requests_total: 0, http_errors_total: 0 });
    t += 4000;
    expect(await scrape()).toEqual({ http_requests_total: 40, http_errors_total: 2 });
    exporter.setErrorRate(2);
    t += 1000;
    expect(await scrape()).toEqual({ http_requests_total: 50, http_errors_total: 4 });
    expect(exporter.scrapes).toBe(3);
    expect((await fetch(exporter.url.replace('/metrics', '/'))).status).toBe(404);
    expect(() => exporter!.setErrorRate(-1)).toThrow(/rate must be a number ≥ 0/);
  });
});
