/**
 * helmstep serve's webhooks end to end: signed GitHub and generic deliveries over HTTP start one
 * deploy execution each, which deploys on the real control plane; redeliveries start nothing;
 * every bad delivery gets its 4xx and leaves no execution and no item behind; and random
 * malformed bodies and headers never get a 5xx nor start anything.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { clients, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { CLUSTER, items, pushBody, sendGeneric, sendGithub, TOKEN, useServe, type Served } from './harness.ts';

const SHA1 = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const SHA2 = 'a10867b14bb761a232cd80139fbd4c0d33264240';

describe('helmstep serve: webhooks', () => {
  const ns = useNamespace('serve-hooks');
  const app = useServe(
    () => `
targets:
  - name: hello-web
    github: { repository: Codertocat/Hello-World, ref: master, event: push }
    cluster: ${CLUSTER}
    namespace: ${ns.name}
    release: web
    chart: ${webappChart}
    values: { message: "pushed, by github", replicaCount: 1 }
    set: ["image.tag={{shortSha}}"]
    timeout: 60s
  - name: billing
    generic: { source: ci/billing }
    cluster: ${CLUSTER}
    namespace: ${ns.name}
    release: billing
    chart: ${webappChart}
    set: ["message={{version}}"]
  - name: elsewhere
    generic: { source: ci/elsewhere }
    cluster: another-cluster
    namespace: ${ns.name}
    release: elsewhere
    chart: ${webappChart}
`,
  );
  const { core } = clients();
  const configMessage = async (release: string) => (await core.readNamespacedConfigMap({ name: `${release}-webapp-config`, namespace: ns.name })).data?.message;
  const history = async (release: string) =>
    (JSON.parse(await helmOk(4, ['history', release, '-n', ns.name, '-o', 'json'])) as { revision: number; status: string; description: string }[]).map((r) => [
      r.revision,
      r.status,
      r.description,
    ]);
  const state = async (s: Served) => ({ executions: s.serving.executions.list().length, triggers: await items(s, 'triggers'), audit: await items(s, 'audit') });

  it('a signed GitHub push starts exactly one execution, which deploys; the redelivery answers 409 with the same execution and starts nothing', async () => {
    const s = app.get();
    const delivery = randomUUID();
    const body = pushBody(SHA1);
    const first = await sendGithub(s.url, 'push', body, { delivery });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toMatchObject({ outcome: 'accepted', executionName: `github-${delivery}`, target: 'hello-web', release: { cluster: CLUSTER, namespace: ns.name, name: 'web' } });
    const executionId = first.body.executionId as string;
    expect(executionId).toMatch(new RegExp(`:execution:helmstep-deploy:github-${delivery}$`));

    const again = await sendGithub(s.url, 'push', body, { delivery });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ reason: 'Replay', executionName: `github-${delivery}`, executionId });
    expect(s.serving.executions.list().filter((e) => e.name === `github-${delivery}`)).toHaveLength(1);

    const result = await s.serving.executions.result(`github-${delivery}`);
    expect(result?.status, JSON.stringify(result)).toBe('SUCCEEDED');
    expect(await history('web')).toEqual([[1, 'deployed', 'Install complete']]);
    expect(await configMessage('web')).toBe('pushed, by github');
    const deployment = await clients().apps.readNamespacedDeployment({ name: 'web-webapp', namespace: ns.name });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(`registry.example.com/webapp:${SHA1.slice(0, 7)}`);

    // The audit log names the delivery, the commit and the GitHub actor.
    const events = await s.serving.audit.head({ cluster: CLUSTER, namespace: ns.name, name: 'web' });
    expect(events).toMatchObject({ actor: 'github:Codertocat', trigger: { kind: 'github-push', deliveryId: delivery, commit: SHA1 }, executionId: `github-${delivery}` });

    // A redelivery after the end still starts nothing.
    const late = await sendGithub(s.url, 'push', body, { delivery });
    expect(late).toMatchObject({ status: 409, body: { reason: 'Replay', executionId } });
    expect(await history('web')).toHaveLength(1);
  });

  it('a signed generic delivery starts one execution that deploys the version it names', async () => {
    const s = app.get();
    const delivery = `jenkins-${randomUUID()}`;
    const body = JSON.stringify({ source: 'ci/billing', version: 'v2.3.1', actor: 'jenkins' });
    const first = await sendGeneric(s.url, body, { delivery });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toMatchObject({ executionName: `generic-${delivery}`, target: 'billing' });
    expect((await sendGeneric(s.url, body, { delivery })).body).toMatchObject({ reason: 'Replay', executionName: `generic-${delivery}` });
    expect((await s.serving.executions.result(`generic-${delivery}`))?.status).toBe('SUCCEEDED');
    expect(await history('billing')).toEqual([[1, 'deployed', 'Install complete']]);
    expect(await configMessage('billing')).toBe('v2.3.1');
    expect(s.serving.executions.list().filter((e) => e.name === `generic-${delivery}`)).toHaveLength(1);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const bad: [string, (url: string) => ReturnType<typeof sendGithub>, number, string][] = [
    ['bad GitHub signature', (u) => sendGithub(u, 'push', pushBody(SHA2), { signature: `sha256=${'0'.repeat(64)}` }), 401, 'SignatureInvalid'],
    ['no GitHub signature', (u) => sendGithub(u, 'push', pushBody(SHA2), { headers: { 'x-hub-signature-256': '' } }), 401, 'SignatureMissing'],
    ['stale generic timestamp', (u) => sendGeneric(u, JSON.stringify({ source: 'ci/billing', version: 'v9' }), { timestamp: now() - 3600 }), 401, 'TimestampStale'],
    ['future generic timestamp', (u) => sendGeneric(u, JSON.stringify({ source: 'ci/billing', version: 'v9' }), { timestamp: now() + 3600 }), 401, 'TimestampStale'],
    ['unknown target (another repository)', (u) => sendGithub(u, 'push', pushBody(SHA2, 'refs/heads/master', 'someone/else')), 404, 'UnknownTarget'],
    ['target of another cluster', (u) => sendGeneric(u, JSON.stringify({ source: 'ci/elsewhere' })), 404, 'UnknownTarget'],
    ['invalid payload', (u) => sendGithub(u, 'push', JSON.stringify({ ref: 'refs/heads/master' })), 400, 'InvalidPayload'],
    ['generic payload missing the version the target needs', (u) => sendGeneric(u, JSON.stringify({ source: 'ci/billing' })), 400, 'InvalidPayload'],
    ['missing delivery header', (u) => sendGithub(u, 'push', pushBody(SHA2), { headers: { 'x-github-delivery': 'not-a-guid' } }), 400, 'InvalidHeaders'],
    ['oversized body', (u) => sendGithub(u, 'push', JSON.stringify({ pad: 'x'.repeat(300 * 1024) })), 413, 'BodyTooLarge'],
    ['not JSON', (u) => sendGithub(u, 'push', 'ref=refs/heads/master', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UnsupportedMediaType'],
  ];

  it.each(bad)('%s → %i %s: no execution, no item written', async (_name, send, status, reason) => {
    const s = app.get();
    const before = await state(s);
    const answer = await send(s.url);
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.body).toMatchObject({ outcome: 'refused', reason });
    expect(typeof answer.body.message).toBe('string');
    expect(await state(s)).toEqual(before);
  });

  it('property: malformed bodies and headers never get a 5xx and never start an execution or write an item', async () => {
    const s = app.get();
    const before = await state(s);
    const headerNames = ['content-type', 'x-github-event', 'x-github-delivery', 'x-hub-signature-256', 'x-helmstep-timestamp', 'x-helmstep-signature', 'x-helmstep-delivery'];
    const headerValue = fc.oneof(
      fc.string({ maxLength: 80 }).filter((v) => /^[\x20-\x7e]*$/.test(v)),
      fc.constantFrom('application/json', 'push', 'deployment', 'ping', randomUUID(), `sha256=${'a'.repeat(64)}`, String(now()), '0'),
    );
    const body = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.json({ maxDepth: 3 }),
      fc.constantFrom(pushBody(SHA2), JSON.stringify({ source: 'ci/billing', version: 'v1' }), '', '{', 'null', '[]'),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('github', 'generic'), fc.dictionary(fc.constantFrom(...headerNames), headerValue, { maxKeys: 7 }), body, async (route, headers, text) => {
        const res = await fetch(`${s.url}/webhooks/${route}`, { method: 'POST', headers, body: text });
        await res.text();
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
    expect(await state(s)).toEqual(before);
  });

  it('the audit routes need the token; /metrics and /healthz are open', async () => {
    const s = app.get();
    const path = `/audit/releases/${CLUSTER}/${ns.name}/web/events`;
    expect((await fetch(`${s.url}${path}`)).status).toBe(401);
    expect((await fetch(`${s.url}${path}`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    const ok = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(JSON.stringify(await ok.json())).toContain('github:Codertocat');
    const metrics = await fetch(`${s.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(new RegExp(`helm_release_info\\{[^}]*name="web"[^}]*namespace="${ns.name}"`));
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${s.url}/webhooks/github`)).status).toBe(405);
  });
});
