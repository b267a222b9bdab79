import { describe, expect, it } from 'vitest';

import { InvalidCursor } from '../../../src/audit/errors.ts';
import { auditApi, parseTimeArg, type AuditHttpRequest } from '../../../src/audit/http.ts';
import type { AuditQueries } from '../../../src/audit/queries.ts';
import type { AuditStore } from '../../../src/audit/store.ts';
import { toAuditRequest } from '../../../functions/audit-query.ts';
import { chain } from './fixtures.ts';

/** Queries that record what the API asked and answer one page; the real queries run in test/integration/audit/cli.test.ts. */
function recorder() {
  const calls: [string, ...unknown[]][] = [];
  const page = { items: chain(2), cursor: 'next-page' };
  const queries = {
    releaseRevisions: (...a: unknown[]) => (calls.push(['releaseRevisions', ...a]), Promise.resolve({ items: [] })),
    releaseEvents: (...a: unknown[]) => (calls.push(['releaseEvents', ...a]), Promise.resolve(page)),
    eventsByTime: (...a: unknown[]) => (calls.push(['eventsByTime', ...a]), Promise.resolve(page)),
    eventsByActor: (...a: unknown[]) => (calls.push(['eventsByActor', ...a]), Promise.resolve(page)),
    verify: (...a: unknown[]) => (calls.push(['verify', ...a]), Promise.resolve({ ok: false, seq: 3, index: 2, reason: 'altered', message: 'event 3 does not hash' })),
  };
  const store = { getRevision: (...a: unknown[]) => (calls.push(['getRevision', ...a]), Promise.resolve(undefined)) };
  const api = auditApi({ queries: queries as unknown as AuditQueries, store: store as unknown as AuditStore });
  return { calls, api };
}

const get = (path: string, query: AuditHttpRequest['query'] = {}): AuditHttpRequest => ({ method: 'GET', path, query });
const body = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;
const REF = { cluster: 'prod-eu', namespace: 'shop', name: 'web' };

describe('auditApi routes', () => {
  it('release revisions, events (with outcomes) and verify, mounted under /audit or not', async () => {
    const { calls, api } = recorder();
    expect((await api(get('/audit/releases/prod-eu/shop/web/revisions', { limit: '50', order: 'desc' }))).status).toBe(200);
    const events = await api(get('/releases/prod-eu/shop/web/events/', { outcome: 'failed,rolled-back', cursor: 'abc' }));
    expect(events.status).toBe(200);
    expect(events.headers['content-type']).toMatch(/^application\/json/);
    expect(body(events)).toMatchObject({ cursor: 'next-page' });
    expect((body(events).items as unknown[]).length).toBe(2);
    const verify = await api(get('/audit/releases/prod-eu/shop/web/verify'));
    expect(body(verify)).toEqual({ release: REF, ok: false, seq: 3, index: 2, reason: 'altered', message: 'event 3 does not hash' });
    expect(calls).toEqual([
      ['releaseRevisions', REF, { limit: 50, order: 'desc' }],
      ['releaseEvents', REF, { outcome: ['failed', 'rolled-back'], cursor: 'abc' }],
      ['verify', REF],
    ]);
  });

  it('events by time range and by actor', async () => {
    const { calls, api } = recorder();
    await api(get('/audit/events', { from: '2026-11-24T14:00:00Z', to: '2026-11-25T00:00:00+02:00', outcome: 'failed' }));
    await api(get('/audit/events', { actor: 'github:alice', from: '2026-11-24T14:00:00.5Z' }));
    expect(calls).toEqual([
      ['eventsByTime', { outcome: ['failed'], from: new Date('2026-11-24T14:00:00Z'), to: new Date('2026-11-24T22:00:00Z') }],
      ['eventsByActor', 'github:alice', { from: new Date('2026-11-24T14:00:00.500Z') }],
    ]);
  });

  it('a recorded revision is read through the store; one not recorded is a 404 naming it', async () => {
    const { calls, api } = recorder();
    const r = await api(get('/audit/releases/prod-eu/shop/web/revisions/7'));
    expect(r.status).toBe(404);
    expect(body(r)).toEqual({ error: { reason: 'RevisionNotRecorded', message: expect.stringContaining('revision 7 of release "web" in namespace "shop" of cluster "prod-eu"') as string } });
    expect(calls).toEqual([['getRevision', REF, 7]]);
  });

  it.each([
    ['/audit/releases/prod-eu/shop/web/revisions', { limit: '0' }, 'limit: expected an integer from 1 to 1000'],
    ['/audit/releases/prod-eu/shop/web/revisions', { limit: '10x' }, 'limit: expected an integer from 1 to 1000'],
    ['/audit/releases/prod-eu/shop/web/revisions', { outcome: 'failed' }, 'unknown query parameter outcome'],
    ['/audit/releases/prod-eu/shop/web/events', { outcome: 'exploded' }, 'outcome'],
    ['/audit/releases/prod-eu/shop/web/events', { order: 'sideways' }, 'order: expected asc or desc'],
    ['/audit/releases/prod-eu/sh#op/web/events', {}, 'bad release path: namespace'],
    ['/audit/releases/prod-eu/shop/web/revisions/0', {}, 'bad revision "0"'],
    ['/audit/events', {}, 'give a time range (from, and optionally to) or an actor'],
    ['/audit/events', { from: 'yesterday' }, 'from: "yesterday" is neither an RFC 3339 time'],
    ['/audit/events', { from: '2026-13-40T00:00:00Z' }, 'not a real date'],
    ['/audit/releases/prod-eu/shop/%E0%A4%A/events', {}, 'not valid percent-encoding'],
  ])('400 for %s %j, naming the parameter (%s), and no query sent', async (path, query, message) => {
    const { calls, api } = recorder();
    const r = await api(get(path, query));
    expect(r.status).toBe(400);
    expect((body(r).error as { message: string }).message).toContain(message);
    expect(calls).toEqual([]);
  });

  it('the queries\' own refusals (a foreign cursor) are a 400 with their reason; other failures a 500 without a stack', async () => {
    const { api } = recorder();
    const failing = auditApi({
      queries: { releaseEvents: () => Promise.reject(new InvalidCursor('releaseEvents', 'it belongs to a query with other arguments')) } as unknown as AuditQueries,
      store: {} as AuditStore,
    });
    const r = await failing(get('/audit/releases/prod-eu/shop/web/events', { cursor: 'x' }));
    expect(r.status).toBe(400);
    expect(body(r)).toMatchObject({ error: { reason: 'InvalidCursor' } });
    const broken = auditApi({ queries: { verify: () => Promise.reject(new TypeError('boom')) } as unknown as AuditQueries, store: {} as AuditStore });
    const b = await broken(get('/audit/releases/prod-eu/shop/web/verify'));
    expect(b.status).toBe(500);
    expect(b.body).not.toContain('    at ');
    expect((await api(get('/audit/nope'))).status).toBe(404);
    expect((await api(get('/audit/releases/prod-eu/shop/web'))).status).toBe(404);
    const post = await api({ method: 'POST', path: '/audit/releases/prod-eu/shop/web/events', query: {} });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });
});

describe('parseTimeArg', () => {
  const now = new Date('2026-11-24T14:00:00.000Z');
  it('reads RFC 3339 times and durations ago', () => {
    expect(parseTimeArg('2026-11-24T15:00:00+01:00', now).toISOString()).toBe('2026-11-24T14:00:00.000Z');
    expect(parseTimeArg('24h', now).toISOString()).toBe('2026-11-23T14:00:00.000Z');
    expect(parseTimeArg('1h30m', now).toISOString()).toBe('2026-11-24T12:30:00.000Z');
    expect(() => parseTimeArg('-5m', now)).toThrow(/negative/);
    expect(() => parseTimeArg('2026-11-24', now)).toThrow(/neither an RFC 3339 time/);
  });
});

describe('functions/audit-query adapter', () => {
  it('reads API Gateway v2 and v1 proxy events', () => {
    expect(toAuditRequest({ rawPath: '/audit/events', requestContext: { http: { method: 'GET' } }, queryStringParameters: { actor: 'cli:bob' } })).toEqual({
      method: 'GET',
      path: '/audit/events',
      query: { actor: 'cli:bob' },
    });
    expect(toAuditRequest({ httpMethod: 'POST', path: '/audit/releases/a/b/c/verify', queryStringParameters: null })).toEqual({ method: 'POST', path: '/audit/releases/a/b/c/verify', query: {} });
  });
});
