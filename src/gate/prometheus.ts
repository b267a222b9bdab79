/**
 * Prometheus's HTTP API, the one call the gate makes: an instant query,
 * `GET <url>/api/v1/query?query=…&time=…`. Every way it can go wrong is a PrometheusQueryError
 * (the gate counts it as an inconclusive measurement).
 */
import { PrometheusQueryError } from './errors.ts';
import type { Sample } from './evaluate.ts';

export interface PrometheusClientOptions {
  /** Per-request timeout. @default 10_000 */
  readonly timeoutMs?: number;
  /** Extra headers (a bearer token for a managed Prometheus, a tenant id). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Injected in tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

/** Prometheus writes sample values as strings, with Go's spellings of the special floats. */
export function parseSampleValue(text: unknown): number {
  if (typeof text !== 'string') return NaN;
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  const n = Number(text);
  return text.trim() === '' ? NaN : n;
}

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** The samples of an API answer's `data`, or a description of why there are none. */
export function samplesOf(data: ApiBody['data']): Sample[] | string {
  if (!data || typeof data !== 'object') return 'the answer has no data';
  const { resultType, result } = data;
  if (resultType === 'scalar') {
    if (!Array.isArray(result)) return 'a scalar without a value';
    return [{ labels: {}, value: parseSampleValue(result[1]) }];
  }
  if (resultType === 'vector') {
    if (!Array.isArray(result)) return 'a vector without a result list';
    return result.map((r: { metric?: Record<string, string>; value?: unknown[] }) => ({
      labels: r.metric ?? {},
      value: parseSampleValue(Array.isArray(r.value) ? r.value[1] : undefined),
    }));
  }
  return `the query gives a ${resultType ?? 'result of no type'}, not a number: write an instant vector or a scalar (rate(x[1m]) rather than x[1m])`;
}

function base(url: string): string {
  return url.replace(/\/+$/, '');
}

/** One instant query at `at`. Resolves to the result's series; throws PrometheusQueryError. */
export async function queryPrometheus(url: string, query: string, at: Date, opts: PrometheusClientOptions = {}): Promise<Sample[]> {
  const doFetch = opts.fetch ?? fetch;
  const params = new URLSearchParams({ query, time: (at.getTime() / 1000).toFixed(3) });
  const target = `${base(url)}/api/v1/query?${params.toString()}`;
  let res: Response;
  try {
    res = await doFetch(target, { headers: { accept: 'application/json', ...opts.headers }, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  } catch (err) {
    // undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a bad port) is its cause.
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${(opts.timeoutMs ?? 10_000) / 1000} s` : `unreachable (${e.cause?.code ?? e.cause?.message ?? e.message})`;
    throw new PrometheusQueryError(url, query, why, undefined, { cause: err });
  }
  const text = await res.text();
  let body: ApiBody | undefined;
  try {
    body = JSON.parse(text) as ApiBody;
  } catch {
    body = undefined;
  }
  if (!res.ok || body?.status !== 'success') {
    // 400 bad_data is a PromQL error, 422 an execution error, 503 a timeout or overload.
    const detail = body?.error ? `${body.errorType ?? 'error'}: ${body.error}` : `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    throw new PrometheusQueryError(url, query, detail, res.status);
  }
  const samples = samplesOf(body.data);
  if (typeof samples === 'string') throw new PrometheusQueryError(url, query, samples, res.status);
  return samples;
}
