import { describe, expect, it } from 'vitest';

import { httpResponse } from '../../../src/triggers/answer.ts';
import { NOT_FROZEN, type FreezeState } from '../../../src/triggers/freeze.ts';
import type { RawRequest } from '../../../src/triggers/http.ts';
import { receiveDelivery, type DeployStart, type ReceiveDeps } from '../../../src/triggers/receive.ts';
import { parseTargetsConfig, type ReleaseKey } from '../../../src/triggers/targets.ts';
import { DELIVERY, fixtureText, genericRequest, githubRequest, verifyOptions } from './support.ts';

const config = parseTargetsConfig(`
targets:
  - name: hello-production
    github: { repository: Codertocat/Hello-World, environment: production }
    cluster: prod-eu
    namespace: hello
    release: web
    chart: oci://registry.example.com/charts/web
    set: ["image.tag={{sha}}"]
  - github: { repository: octo-org/octo-repo, ref: master, event: workflow_run }
    cluster: staging
    namespace: octo
    release: octo
    chart: oci://registry.example.com/charts/octo
  - generic: { source: jenkins/billing }
    cluster: prod-eu
    namespace: billing
    release: billing
    chart: billing
    chartVersion: "{{version}}"
`);

/** The injected I/O, recording what was asked of it. */
function world(frozen: FreezeState = NOT_FROZEN) {
  const recorded = new Set<string>();
  const started: DeployStart[] = [];
  const freezeAsked: ReleaseKey[] = [];
  const deps: ReceiveDeps = {
    verify: verifyOptions,
    config,
    freezeOf: (release) => {
      freezeAsked.push(release);
      return frozen;
    },
    seen: (id) => {
      const was = recorded.has(id);
      recorded.add(id);
      return Promise.resolve(was);
    },
    start: (request) => {
      started.push(request);
      return Promise.resolve({ executionId: `arn:aws:states:eu-west-1:123456789012:execution:deploy:${request.executionName}` });
    },
  };
  return { deps, recorded, started, freezeAsked };
}

const deployment = fixtureText('github-deployment.json');

describe('receiveDelivery', () => {
  it('a GitHub deployment starts one execution named after the delivery; a redelivery starts nothing and names it', async () => {
    const w = world();
    const first = await receiveDelivery('github', githubRequest('deployment', deployment), w.deps);
    expect(first).toEqual({
      ok: true,
      outcome: 'accepted',
      status: 202,
      deliveryId: DELIVERY,
      executionName: `github-${DELIVERY}`,
      executionId: `arn:aws:states:eu-west-1:123456789012:execution:deploy:github-${DELIVERY}`,
      target: 'hello-production',
      release: { cluster: 'prod-eu', namespace: 'hello', name: 'web' },
      message: `delivery ${DELIVERY} started execution github-${DELIVERY} to deploy oci://registry.example.com/charts/web as target "hello-production"`,
    });
    expect(w.started).toHaveLength(1);
    expect(w.started[0]!.deploy.set).toEqual(['image.tag=f95f852bd8fca8fcc58a9a2d6c842781e32a215e']);
    expect(w.started[0]!.delivery).toMatchObject({ environment: 'production', actor: 'Codertocat' });

    const again = await receiveDelivery('github', githubRequest('deployment', deployment), w.deps);
    expect(again).toMatchObject({ status: 409, reason: 'Replay', executionName: `github-${DELIVERY}` });
    expect(w.started).toHaveLength(1);
  });

  it('a generic delivery starts one execution with its version filled in', async () => {
    const w = world();
    const body = JSON.stringify({ source: 'jenkins/billing', version: '2.3.1', actor: 'jenkins' });
    const answer = await receiveDelivery('generic', genericRequest(body, {}, { delivery: 'billing-881' }), w.deps);
    expect(answer).toMatchObject({ status: 202, executionName: 'generic-billing-881', target: 'billing/billing' });
    expect(w.started[0]!.deploy).toMatchObject({ chart: 'billing', chartVersion: '2.3.1' });
  });

  const bad: [string, 'github' | 'generic', RawRequest, number, string][] = [
    ['bad signature', 'github', githubRequest('deployment', deployment, {}, 'wrong'), 401, 'SignatureInvalid'],
    ['no signature', 'github', githubRequest('deployment', deployment, { 'X-Hub-Signature-256': undefined }), 401, 'SignatureMissing'],
    ['stale timestamp', 'generic', genericRequest('{"source":"jenkins/billing","version":"1"}', {}, { timestamp: 1 }), 401, 'TimestampStale'],
    ['unknown target', 'github', githubRequest('push', fixtureText('github-push.json')), 404, 'UnknownTarget'],
    ['invalid payload', 'github', githubRequest('deployment', '{"action":"created"}'), 400, 'InvalidPayload'],
    ['missing placeholder value', 'generic', genericRequest('{"source":"jenkins/billing"}'), 400, 'InvalidPayload'],
    ['oversized body', 'github', githubRequest('deployment', `{"x":"${'y'.repeat(300_000)}"}`), 413, 'BodyTooLarge'],
    ['not JSON', 'github', githubRequest('deployment', 'action=created'), 415, 'UnsupportedMediaType'],
  ];

  it.each(bad)('%s → %i, nothing recorded, nothing started', async (_name, source, request, status, reason) => {
    const w = world();
    const answer = await receiveDelivery(source, request, w.deps);
    expect(answer).toMatchObject({ ok: false, status, reason });
    expect(w.recorded.size).toBe(0);
    expect(w.started).toHaveLength(0);
  });

  it('a frozen release → 409 with the freeze reason; the delivery is not recorded, so it can be sent again after ack', async () => {
    const frozen: FreezeState = {
      frozen: true,
      release: { cluster: 'prod-eu', namespace: 'hello', name: 'web' },
      alarmId: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
      alarmName: 'ServerCpuTooHigh',
      transitionTime: '2019-10-02T17:04:40.989Z',
      executionName: 'alarm_ServerCpuTooHigh_x',
      reason: 'alarm "ServerCpuTooHigh" went OK -> ALARM',
    };
    const w = world(frozen);
    const answer = await receiveDelivery('github', githubRequest('deployment', deployment), w.deps);
    expect(answer).toMatchObject({ status: 409, reason: 'ReleaseFrozen', message: expect.stringContaining('alarm "ServerCpuTooHigh" went OK -> ALARM') as unknown });
    expect(w.freezeAsked).toEqual([{ cluster: 'prod-eu', namespace: 'hello', name: 'web' }]);
    expect(w.recorded.size).toBe(0);
    expect(w.started).toHaveLength(0);
  });

  it('ignored deliveries (ping, failed runs) answer 200 and change nothing', async () => {
    const w = world();
    const ping = await receiveDelivery('github', githubRequest('ping', '{"zen":"Keep it logically awesome.","hook_id":1}'), w.deps);
    expect(ping).toMatchObject({ ok: true, outcome: 'ignored', status: 200 });
    const failed = fixtureText('github-workflow_run-completed.json').replace('"conclusion": "success"', '"conclusion": "failure"');
    expect(await receiveDelivery('github', githubRequest('workflow_run', failed), w.deps)).toMatchObject({ outcome: 'ignored' });
    expect(w.recorded.size).toBe(0);
    expect(w.started).toHaveLength(0);
  });

  it('httpResponse turns any answer into a JSON response with its status', async () => {
    const w = world();
    const answer = await receiveDelivery('github', githubRequest('deployment', deployment, {}, 'wrong'), w.deps);
    const response = httpResponse(answer);
    expect(response.statusCode).toBe(401);
    expect(response.headers).toEqual({ 'content-type': 'application/json; charset=utf-8' });
    expect(JSON.parse(response.body)).toMatchObject({ outcome: 'refused', status: 401, reason: 'SignatureInvalid' });
  });
});
