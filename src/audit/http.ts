/**
 * The auditor HTTP API as a function of a small request: `helmstep serve` mounts it under
 * `/audit/` behind a local bearer token; in AWS, API Gateway (IAM auth) calls
 * functions/audit-query.ts, which adapts its event to this request. GET only, JSON bodies.
 *
 *   GET /releases/{cluster}/{namespace}/{name}/revisions         ?limit&cursor&order
 *   GET /releases/{cluster}/{namespace}/{name}/revisions/{n}     one revision with its record
 *   GET /releases/{cluster}/{namespace}/{name}/events            ?outcome&limit&cursor&order
 *   GET /releases/{cluster}/{namespace}/{name}/verify
 *   GET /events?from=&to=                                        time range across releases (&outcome)
 *   GET /events?actor=                                           one actor (&from&to&outcome)
 *
 * Pages: `{ items, cursor? , corrupt? }`; pass `cursor` back for the next page. Bad input is a
 * 400 naming the parameter; an unknown route 404; another method 405.
 */
import * as z from 'zod';

import { HelmstepError } from '../release/errors.ts';
import { AuditRefSchema, OUTCOMES, type AuditRef } from './events.ts';
import type { AuditQueries, Page } from './queries.ts';
import type { AuditStore } from './store.ts';
import { parseTimeArg } from './time-arg.ts';

export { parseTimeArg };

export interface AuditHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
}

export interface AuditHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } as const;

function json(status: number, value: unknown, headers: Record<string, string> = {}): AuditHttpResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: `${JSON.stringify(value)}\n` };
}

function problem(status: number, reason: string, message: string, headers: Record<string, string> = {}): AuditHttpResponse {
  return json(status, { error: { reason, message } }, headers);
}

const limit = z
  .string()
  .regex(/^\d+$/, 'expected an integer from 1 to 1000')
  .transform(Number)
  .pipe(z.number().int().min(1, 'expected an integer from 1 to 1000').max(1000, 'expected an integer from 1 to 1000'));
const outcomeList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
  .pipe(z.array(z.enum(OUTCOMES, { message: `expected outcomes among ${OUTCOMES.join(', ')}, separated by commas` })).min(1, 'expected at least one outcome'));
const time = z.string().transform((s, ctx) => {
  try {
    return parseTimeArg(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const paging = {
  limit: limit.optional(),
  cursor: z.string().min(1).max(4096).optional(),
  order: z.enum(['asc', 'desc'], { message: 'expected asc or desc' }).optional(),
};
const RevisionsQuery = z.strictObject(paging);
const ReleaseEventsQuery = z.strictObject({ ...paging, outcome: outcomeList.optional() });
const EventsQuery = z
  .strictObject({ ...paging, outcome: outcomeList.optional(), actor: z.string().min(1).max(1024).optional(), from: time.optional(), to: time.optional() })
  .refine((q) => q.actor !== undefined || q.from !== undefined, { message: 'give a time range (from, and optionally to) or an actor', path: ['from'] });
const NoQuery = z.strictObject({});

class BadRequest extends HelmstepError {
  override readonly name = 'BadRequest';
  readonly reason = 'BadRequest';
}

function parseQuery<S extends z.ZodType>(schema: S, query: AuditHttpRequest['query']): z.output<S> {
  const defined = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
  const parsed = schema.safeParse(defined);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `unknown query parameter${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`;
    return `${i.path.length > 0 ? i.path.join('.') : 'query'}: ${i.message}`;
  });
  throw new BadRequest(`bad query: ${issues.join('; ')}`);
}

function releaseRef(cluster: string, namespace: string, name: string): AuditRef {
  const parsed = AuditRefSchema.safeParse({ cluster, namespace, name });
  if (!parsed.success) {
    throw new BadRequest(`bad release path: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

function pageBody<T>(page: Page<T>): unknown {
  return {
    items: page.items,
    ...(page.cursor ? { cursor: page.cursor } : {}),
    ...(page.corrupt ? { corrupt: page.corrupt.map((c) => c.message) } : {}),
  };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BadRequest(`bad path segment ${JSON.stringify(s)}: not valid percent-encoding`);
  }
}

/** The path's segments below `/audit` (the prefix is optional, so the API works mounted or not). */
function segments(path: string): string[] {
  const clean = path.split('?')[0]!.replace(/\/+$/, '');
  const parts = clean.split('/').filter((p) => p !== '');
  if (parts[0] === 'audit') parts.shift();
  return parts.map(decodeSegment);
}

type Handler = (req: AuditHttpRequest, params: readonly string[]) => Promise<AuditHttpResponse>;

interface Route {
  readonly pattern: readonly (string | null)[];
  readonly handle: Handler;
}

export function auditApi(deps: { queries: AuditQueries; store: AuditStore }): (req: AuditHttpRequest) => Promise<AuditHttpResponse> {
  const { queries, store } = deps;
  const routes: Route[] = [
    {
      pattern: ['releases', null, null, null, 'revisions'],
      handle: async (req, [c, ns, n]) => {
        const q = parseQuery(RevisionsQuery, req.query);
        return json(200, pageBody(await queries.releaseRevisions(releaseRef(c!, ns!, n!), q)));
      },
    },
    {
      pattern: ['releases', null, null, null, 'revisions', null],
      handle: async (req, [c, ns, n, rev]) => {
        parseQuery(NoQuery, req.query);
        const ref = releaseRef(c!, ns!, n!);
        if (!/^[1-9]\d{0,9}$/.test(rev!)) throw new BadRequest(`bad revision ${JSON.stringify(rev)}: expected a positive integer`);
        const stored = await store.getRevision(ref, Number(rev));
        if (!stored) return problem(404, 'RevisionNotRecorded', `revision ${rev} of release "${ref.name}" in namespace "${ref.namespace}" of cluster "${ref.cluster}" is not in the audit log; list the recorded revisions at .../revisions`);
        const { text: _text, ...rest } = stored;
        return json(200, rest);
      },
    },
    {
      pattern: ['releases', null, null, null, 'events'],
      handle: async (req, [c, ns, n]) => {
        const q = parseQuery(ReleaseEventsQuery, req.query);
        return json(200, pageBody(await queries.releaseEvents(releaseRef(c!, ns!, n!), q)));
      },
    },
    {
      pattern: ['releases', null, null, null, 'verify'],
      handle: async (req, [c, ns, n]) => {
        parseQuery(NoQuery, req.query);
        const ref = releaseRef(c!, ns!, n!);
        return json(200, { release: ref, ...(await queries.verify(ref)) });
      },
    },
    {
      pattern: ['events'],
      handle: async (req) => {
        const q = parseQuery(EventsQuery, req.query);
        const { actor, from, to, ...rest } = q;
        const opts = rest;
        if (actor !== undefined) {
          return json(200, pageBody(await queries.eventsByActor(actor, { ...opts, ...(from ? { from } : {}), ...(to ? { to } : {}) })));
        }
        return json(200, pageBody(await queries.eventsByTime({ ...opts, from: from!, to: to ?? new Date() })));
      },
    },
  ];

  return async (req) => {
    let parts: string[];
    try {
      parts = segments(req.path);
    } catch (e) {
      return problem(400, 'BadRequest', (e as Error).message);
    }
    const found = routes
      .map((r) => ({ r, params: match(r.pattern, parts) }))
      .find((x) => x.params !== undefined);
    if (!found) {
      return problem(404, 'NotFound', `no audit route ${req.method} ${req.path}; routes: /releases/{cluster}/{namespace}/{name}/revisions[/{n}], .../events, .../verify, /events?from=&to=, /events?actor=`);
    }
    if (req.method.toUpperCase() !== 'GET') return problem(405, 'MethodNotAllowed', `${req.method} is not allowed on ${req.path}; the audit API is read-only (GET)`, { allow: 'GET' });
    try {
      return await found.r.handle(req, found.params!);
    } catch (e) {
      return failure(e);
    }
  };
}

function match(pattern: readonly (string | null)[], parts: readonly string[]): string[] | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === null) params.push(parts[i]!);
    else if (p !== parts[i]) return undefined;
  }
  return params;
}

const CLIENT_ERRORS = new Set(['BadRequest', 'InvalidAuditQuery', 'InvalidCursor', 'InvalidAuditEvent']);

/** Caller mistakes are 400 with the message; the service's own failures 500 with the reason and message, never a stack. */
function failure(e: unknown): AuditHttpResponse {
  if (e instanceof HelmstepError) {
    if (CLIENT_ERRORS.has(e.reason)) return problem(400, e.reason, e.message);
    return problem(e.retryable ? 503 : 500, e.reason, e.message);
  }
  return problem(500, 'InternalError', `the audit API failed: ${e instanceof Error ? e.message : String(e)}`);
}
