import { describe, expect, it } from 'vitest';

import { apiMessage, classifyHttp, classifyTransport } from '../../../src/store/classify.ts';
import { ClusterBusy, ClusterForbidden, ClusterRejected, ClusterUnavailable } from '../../../src/store/errors.ts';

const server = 'https://k8s.example:6443';
const what = 'list Secrets of release "web" in namespace "shop"';

/** A transport failure shaped like node-fetch's FetchError (code on the error) or undici's (code on the cause). */
function netError(code: string, onCause = false): Error {
  const e = new Error(`request failed, reason: ${code}`) as Error & { code?: string; type?: string };
  if (onCause) (e as Error & { cause?: unknown }).cause = { code };
  else {
    e.code = code;
    e.type = 'system';
  }
  return e;
}

describe('HTTP answers', () => {
  it.each([
    [429, ClusterBusy, true],
    [500, ClusterBusy, true],
    [503, ClusterBusy, true],
    [504, ClusterBusy, true],
    [401, ClusterForbidden, false],
    [403, ClusterForbidden, false],
    [400, ClusterRejected, false],
    [404, ClusterRejected, false],
    [422, ClusterRejected, false],
  ] as const)('HTTP %i → %o, retryable %s', (code, type, retryable) => {
    const err = classifyHttp({ code, body: { kind: 'Status', message: 'the server said so' } }, server, what, undefined);
    expect(err).toBeInstanceOf(type);
    expect((err as ClusterBusy).retryable).toBe(retryable);
    expect(err?.message).toContain('the server said so');
    expect(err?.message).toContain(String(code));
  });

  it('names the server and the code when busy', () => {
    const err = classifyHttp({ code: 429, body: '' }, server, what, undefined) as ClusterBusy;
    expect(err.message).toMatch(/k8s\.example:6443 answered HTTP 429 \(too many requests\) to list Secrets of release "web"/);
    expect(err.status).toBe(429);
  });

  it('reads the Status message from a JSON string body, or the text itself', () => {
    expect(apiMessage('{"kind":"Status","message":"secrets is forbidden"}')).toBe('secrets is forbidden');
    expect(apiMessage('upstream connect error')).toBe('upstream connect error');
    expect(apiMessage(undefined)).toBeUndefined();
  });

  it('leaves success codes alone', () => {
    expect(classifyHttp({ code: 200 }, server, what, undefined)).toBeUndefined();
  });
});

describe('transport failures', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET'])(
    '%s is an unreachable cluster, retryable',
    (code) => {
      for (const onCause of [false, true]) {
        const err = classifyTransport(netError(code, onCause), server, what);
        expect(err).toBeInstanceOf(ClusterUnavailable);
        expect((err as ClusterUnavailable).retryable).toBe(true);
        expect((err as Error).message).toContain(server);
        expect((err as Error).message).toContain(code);
      }
    },
  );

  it('a timeout (node-fetch request-timeout, AbortError) is retryable', () => {
    const timeout = Object.assign(new Error('network timeout'), { type: 'request-timeout' });
    const aborted = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    for (const e of [timeout, aborted]) expect((classifyTransport(e, server, what) as ClusterUnavailable).retryable).toBe(true);
  });

  it.each(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT'])(
    '%s is unreachable but not retryable: the kubeconfig must change',
    (code) => {
      const err = classifyTransport(netError(code), server, what);
      expect(err).toBeInstanceOf(ClusterUnavailable);
      expect((err as ClusterUnavailable).retryable).toBe(false);
    },
  );

  it('programming errors (ERR_* codes, plain errors) are returned as they are', () => {
    const bug = Object.assign(new TypeError('The "path" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
    expect(classifyTransport(bug, server, what)).toBe(bug);
    const plain = new Error('boom');
    expect(classifyTransport(plain, server, what)).toBe(plain);
    const odd = Object.assign(new Error('x'), { code: 'EWHATEVER' });
    expect(classifyTransport(odd, server, what)).toBe(odd);
  });
});
