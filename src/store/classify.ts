/**
 * Sorting failures of a call to the Kubernetes API into typed errors that say whether a retry can
 * help. Pure: no I/O, so every branch is unit-tested with made-up errors.
 *
 * - HTTP 401/403 → ClusterForbidden (stop: RBAC must change);
 * - HTTP 429 and 5xx → ClusterBusy (retry);
 * - other HTTP 4xx → ClusterRejected (stop), except the statuses the caller translates itself;
 * - network failures (refused, reset, timed out, DNS) → ClusterUnavailable, retryable;
 * - TLS/certificate failures → ClusterUnavailable, not retryable (the kubeconfig must change);
 * - anything else (programming errors, `ERR_*` codes) → returned as it is.
 */
import { ClusterBusy, ClusterForbidden, ClusterRejected, ClusterUnavailable } from './errors.ts';

/** Error codes that mean the network, not the request, failed. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

const TLS_CODE = /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** What an HTTP error from the API looks like (client-node's ApiException). */
export interface HttpFailure {
  readonly code: number;
  readonly body?: unknown;
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

function isNetworkCode(code: string): boolean {
  return NETWORK_ERROR_CODES.has(code) || code.startsWith('UND_ERR_');
}

/** node-fetch's timeout, or an aborted request. */
function isTimeout(err: unknown): boolean {
  const e = err as { name?: unknown; type?: unknown } | null;
  return e?.name === 'AbortError' || e?.type === 'request-timeout' || e?.type === 'body-timeout';
}

/** The API server's own message from a Status body, when there is one. */
export function apiMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body) as unknown;
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = (b as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

/** Classifies an HTTP status from the API server; undefined for statuses below 400. */
export function classifyHttp(failure: HttpFailure, server: string, what: string, cause: unknown): Error | undefined {
  const { code } = failure;
  const said = apiMessage(failure.body);
  const detail = said ? `: ${said}` : '';
  if (code === 401 || code === 403) return new ClusterForbidden(`the API server refused to ${what} (HTTP ${code}${detail})`, { cause });
  if (code === 429 || code >= 500) return new ClusterBusy(server, code, `${what}${detail}`, { cause });
  if (code >= 400) return new ClusterRejected(code, `the API server rejected the request to ${what} (HTTP ${code}${detail})`, { cause });
  return undefined;
}

/** Classifies a failure that never got an HTTP answer; returns `err` itself when it is not a transport failure. */
export function classifyTransport(err: unknown, server: string, what: string): unknown {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if ((code !== undefined && isNetworkCode(code)) || isTimeout(err)) {
    return new ClusterUnavailable(server, `${what}: ${code ? `${code} ` : ''}${message}`, { cause: err });
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    return new ClusterUnavailable(server, `${what}: TLS ${code} ${message}`, { cause: err, retryable: false });
  }
  return err;
}
