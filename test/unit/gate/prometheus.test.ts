import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PrometheusQueryError } from '../../../src/gate/errors.ts';
import { parseSampleValue, queryPrometheus } from '../../../src/gate/prometheus.ts';

function fakeFetch(status: number, body: unknown) {
  const urls: string[] = [];
  const f = ((url: string) => {
    urls.push(url);
    return Promise.resolve(new Response(typeof body === 'string' ? body : JSON.stringify(body), { status }));
  }) as unknown as typeof fetch;
  return { f, urls };
}

const at = new Date('2026-01-01T00:00:10.250Z');

async function failure(p: Promise<unknown>): Promise<PrometheusQueryError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PrometheusQueryError);
    return err as PrometheusQueryError;
  }
  throw new Error('expected a PrometheusQueryError');
}

describe('queryPrometheus', () => {
  it('GETs /api/v1/query with the query and the evaluation time in seconds', async () => {
    const { f, urls } = fakeFetch(200, { status: 'success', data: { resultType: 'vector', result: [] } });
    await queryPrometheus('http://p:9090/', 'sum(rate(http_errors_total{app="x"}[1m]))', at, { fetch: f });
    const u = new URL(urls[0]!);
    expect(u.origin + u.pathname).toBe('http://p:9090/api/v1/query');
    expect(u.searchParams.get('query')).toBe('sum(rate(http_errors_total{app="x"}[1m]))');
    expect(u.searchParams.get('time')).toBe('1767225610.250');
  });

  it('a vector gives one sample per series, a scalar one sample without labels', async () => {
    const vector = fakeFetch(200, {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { app: 'a' }, value: [1, '0.05'] },
          { metric: { app: 'b' }, value: [1, 'NaN'] },
          { metric: {}, value: [1, '+Inf'] },
        ],
      },
    });
    const got = await queryPrometheus('http://p', 'q', at, { fetch: vector.f });
    expect(got.map((s) => [s.labels, s.value])).toEqual([
      [{ app: 'a' }, 0.05],
      [{ app: 'b' }, NaN],
      [{}, Infinity],
    ]);
    const scalar = fakeFetch(200, { status: 'success', data: { resultType: 'scalar', result: [1, '3'] } });
    expect(await queryPrometheus('http://p', 'scalar(q)', at, { fetch: scalar.f })).toEqual([{ labels: {}, value: 3 }]);
  });

  it('a PromQL error carries Prometheus’s errorType and text, and the status', async () => {
    const { f } = fakeFetch(400, { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unexpected end of input' });
    const err = await failure(queryPrometheus('http://p', 'sum(', at, { fetch: f }));
    expect(err.status).toBe(400);
    expect(err.detail).toBe('bad_data: invalid parameter "query": 1:5: parse error: unexpected end of input');
    expect(err.message).toMatch(/^Prometheus at http:\/\/p could not answer the query sum\(: bad_data: /);
    expect(err.retryable).toBe(true);
  });

  it('a range vector is refused with the way out', async () => {
    const { f } = fakeFetch(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    expect((await failure(queryPrometheus('http://p', 'x[1m]', at, { fetch: f }))).detail).toMatch(/gives a matrix, not a number.*rate\(x\[1m\]\)/);
  });

  it('a non-JSON answer (a proxy’s error page) names the HTTP status', async () => {
    const { f } = fakeFetch(502, '<html>Bad Gateway</html>');
    expect((await failure(queryPrometheus('http://p', 'q', at, { fetch: f }))).detail).toBe('HTTP 502: <html>Bad Gateway</html>');
  });

  it('unreachable: a connection refused names its code', async () => {
    // A port that was free a moment ago: nothing listens there.
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const { port } = srv.address() as AddressInfo;
    await new Promise((resolve) => srv.close(resolve));
    const err = await failure(queryPrometheus(`http://127.0.0.1:${port}`, 'q', at, { timeoutMs: 2000 }));
    expect(err.detail).toBe('unreachable (ECONNREFUSED)');
  });

  it('a timeout says how long it waited', async () => {
    const hang = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
      })) as unknown as typeof fetch;
    expect((await failure(queryPrometheus('http://p', 'q', at, { fetch: hang, timeoutMs: 50 }))).detail).toBe('no answer within 0.05 s');
  });
});

describe('parseSampleValue', () => {
  it.each([
    ['1.5', 1.5],
    ['-2e-3', -0.002],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['NaN', NaN],
    ['', NaN],
    [3, NaN],
  ])('%j → %s', (text, value) => {
    expect(parseSampleValue(text)).toBe(value);
  });
});
