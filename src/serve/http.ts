/**
 * helmstep serve's HTTP front: node:http, JSON answers, no framework.
 *
 *   POST /webhooks/github        GitHub deliveries (signed with the webhook secret)
 *   POST /webhooks/generic       generic CI deliveries (HMAC over timestamp + body)
 *   POST /alarms/eventbridge     CloudWatch Alarm State Change events      } Authorization:
 *   POST /alarms/alertmanager    Alertmanager webhooks (version 4)         } Bearer <token>
 *   GET  /audit/...              the auditor API                           }
 *   GET  /metrics                Prometheus exposition (open, as scrape targets usually are)
 *   GET  /healthz                200 while serving, 503 while shutting down
 *
 * Bodies are read up to the size limit and no further (413 beyond it, without reading the rest).
 * Headers are passed on as Node received them, repeated ones as arrays, so a header sent twice
 * with different values is ambiguous rather than silently joined.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { refuse } from '../triggers/answer.ts';
import type { AuditHttpRequest, AuditHttpResponse } from '../audit/http.ts';
import { header, type RawRequest } from '../triggers/http.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../triggers/verify.ts';
import { failureResponse, silentServiceLog, type ServiceLog, type ServiceResponse, type TriggerService } from './service.ts';


export interface HttpRoutes {
  readonly service: TriggerService;
  /** The bearer token of the alarm and audit routes. */
  readonly token: string;
  /** The auditor API (paths under /audit); absent: 404. */
  readonly audit?: (req: AuditHttpRequest) => Promise<AuditHttpResponse>;
  readonly metrics?: { readonly contentType: string; text(): Promise<string> };
  readonly maxBodyBytes?: number;
  readonly log?: ServiceLog;
  /** False once shutdown began: /healthz answers 503 and new deliveries are refused. */
  readonly serving?: () => boolean;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Reads the body up to `limit` bytes; `undefined` when it is longer (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!done) reject(e);
    });
  });
}

/** Constant-time comparison of a bearer token (digests, so lengths never differ). */
export function tokenMatches(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && token.length > 0;
}

function authorized(req: IncomingMessage, token: string): boolean {
  const value = header(req.headersDistinct, 'authorization');
  if (value.kind !== 'value') return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value.value);
  return m !== null && tokenMatches(m[1]!, token);
}

const POST_ROUTES: Readonly<Record<string, (s: TriggerService, r: RawRequest) => Promise<ServiceResponse>>> = {
  '/webhooks/github': (s, r) => s.webhook('github', r),
  '/webhooks/generic': (s, r) => s.webhook('generic', r),
  '/alarms/eventbridge': (s, r) => s.alarm('eventbridge', r),
  '/alarms/alertmanager': (s, r) => s.alarm('alertmanager', r),
};

const PROTECTED = new Set(['/alarms/eventbridge', '/alarms/alertmanager']);

export function createHttpServer(routes: HttpRoutes): Server {
  const log = routes.log ?? silentServiceLog;
  const limit = routes.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const serving = routes.serving ?? (() => true);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    const post = POST_ROUTES[path];
    if (post) {
      if (method !== 'POST') return send(res, 405, { outcome: 'refused', reason: 'MethodNotAllowed', message: `${path} takes POST` }, { allow: 'POST' });
      if (PROTECTED.has(path) && !authorized(req, routes.token)) {
        return send(res, 401, { outcome: 'refused', reason: 'Unauthorized', message: `${path} needs "Authorization: Bearer <token>" with helmstep serve's token` }, { 'www-authenticate': 'Bearer' });
      }
      if (!serving()) return send(res, 503, { outcome: 'error', reason: 'ServiceStopping', message: 'helmstep serve is shutting down; send it again once it is back' }, { 'retry-after': '5' });
      const body = await readBody(req, limit);
      if (body === undefined) {
        const r = refuse('BodyTooLarge', `the body is over the limit of ${limit} bytes; nothing was read. Send a smaller payload`);
        res.setHeader('connection', 'close');
        return send(res, r.status, { outcome: r.outcome, reason: r.reason, message: r.message });
      }
      const answer = await post(routes.service, { headers: req.headersDistinct, body });
      return send(res, answer.status, answer.body);
    }

    if (path === '/healthz') {
      if (method !== 'GET' && method !== 'HEAD') return send(res, 405, { outcome: 'refused', reason: 'MethodNotAllowed', message: '/healthz takes GET' }, { allow: 'GET' });
      return serving() ? send(res, 200, { status: 'ok' }) : send(res, 503, { status: 'stopping' });
    }

    if (path === '/metrics') {
      if (!routes.metrics) return send(res, 404, { outcome: 'refused', reason: 'NotFound', message: 'metrics are not available in this build' });
      if (method !== 'GET') return send(res, 405, { outcome: 'refused', reason: 'MethodNotAllowed', message: '/metrics takes GET' }, { allow: 'GET' });
      const text = await routes.metrics.text();
      res.writeHead(200, { 'content-type': routes.metrics.contentType, 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
      return;
    }

    if (path === '/audit' || path.startsWith('/audit/')) {
      if (!authorized(req, routes.token)) {
        return send(res, 401, { outcome: 'refused', reason: 'Unauthorized', message: 'the audit routes need "Authorization: Bearer <token>" with helmstep serve\'s token' }, { 'www-authenticate': 'Bearer' });
      }
      if (!routes.audit) return send(res, 404, { outcome: 'refused', reason: 'NotFound', message: 'the audit API is not available in this build' });
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const out = await routes.audit({ method, path: path.slice('/audit'.length) || '/', query });
      res.writeHead(out.status, { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) });
      res.end(out.body);
      return;
    }

    return send(res, 404, {
      outcome: 'refused',
      reason: 'NotFound',
      message: `no route ${method} ${path}; routes: POST /webhooks/github, /webhooks/generic, /alarms/eventbridge, /alarms/alertmanager; GET /audit/..., /metrics, /healthz`,
    });
  };

  return createServer((req, res) => {
    const started = performance.now();
    handle(req, res)
      .catch((e: unknown) => {
        log.error('request failed', { method: req.method, path: req.url, error: e instanceof Error ? e.message : String(e) });
        if (!res.headersSent) {
          const f = failureResponse(e);
          send(res, f.status, f.body);
        } else res.destroy();
      })
      .finally(() => {
        if (req.url !== '/healthz' && req.url !== '/metrics') {
          log.info('request', { method: req.method, path: req.url, status: res.statusCode, ms: Math.round((performance.now() - started) * 10) / 10 });
        }
      });
  });
}
