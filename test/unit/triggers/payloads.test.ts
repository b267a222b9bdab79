import { describe, expect, it } from 'vitest';

import { toDelivery } from '../../../src/triggers/payloads.ts';
import type { Authenticated } from '../../../src/triggers/verify.ts';
import { DELIVERY, fixture } from './support.ts';

function auth(event: string, payload: unknown, source: 'github' | 'generic' = 'github'): Authenticated {
  return { ok: true, outcome: 'authenticated', source, event, deliveryId: DELIVERY, payload };
}

describe('GitHub payloads (real examples)', () => {
  it('push: repository, full ref, the new head sha and the sender', () => {
    expect(toDelivery(auth('push', fixture('github-push.json')))).toEqual({
      source: 'github',
      event: 'push',
      deliveryId: DELIVERY,
      repository: 'Codertocat/Hello-World',
      ref: 'refs/heads/master',
      sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      actor: 'Codertocat',
    });
  });

  it('deployment: the ref as requested, sha, environment and the creator', () => {
    expect(toDelivery(auth('deployment', fixture('github-deployment.json')))).toEqual({
      source: 'github',
      event: 'deployment',
      deliveryId: DELIVERY,
      repository: 'Codertocat/Hello-World',
      ref: 'master',
      sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
      environment: 'production',
      actor: 'Codertocat',
    });
  });

  it('workflow_run completed with success: the head branch as a ref, the head sha, the actor', () => {
    expect(toDelivery(auth('workflow_run', fixture('github-workflow_run-completed.json')))).toEqual({
      source: 'github',
      event: 'workflow_run',
      deliveryId: DELIVERY,
      repository: 'octo-org/octo-repo',
      ref: 'refs/heads/master',
      sha: '3484a3fb816e0859fd6e1cea078d76385ff50625',
      actor: 'Codertocat',
    });
    const run = fixture('github-workflow_run-completed.json') as { workflow_run: Record<string, unknown> };
    run.workflow_run['triggering_actor'] = { login: 'octocat' };
    expect(toDelivery(auth('workflow_run', run))).toMatchObject({ actor: 'octocat' });
  });

  it('starts nothing for a deleted ref, a failed or unfinished run, a ping or another event', () => {
    expect(toDelivery(auth('push', fixture('github-push-tag-deleted.json')))).toEqual({
      ok: true,
      outcome: 'ignored',
      status: 200,
      deliveryId: DELIVERY,
      message: 'push deleted refs/tags/simple-tag in Codertocat/Hello-World; nothing to deploy',
    });
    const failed = fixture('github-workflow_run-completed.json') as { workflow_run: Record<string, unknown> };
    failed.workflow_run['conclusion'] = 'failure';
    expect(toDelivery(auth('workflow_run', failed))).toMatchObject({
      outcome: 'ignored',
      message: 'workflow run in octo-org/octo-repo is completed (failure); only completed successful runs deploy',
    });
    const requested = { ...(fixture('github-workflow_run-completed.json') as object), action: 'requested' };
    expect(toDelivery(auth('workflow_run', requested))).toMatchObject({ outcome: 'ignored', status: 200 });
    expect(toDelivery(auth('ping', { zen: 'Design for failure.', hook_id: 1 }))).toMatchObject({ outcome: 'ignored', status: 200 });
    expect(toDelivery(auth('issues', { action: 'opened' }))).toMatchObject({
      outcome: 'ignored',
      message: 'GitHub event "issues" does not deploy; subscribe the webhook to push, deployment or workflow_run',
    });
  });

  it('refuses a payload of the wrong shape with 400 and the zod issues summarised', () => {
    const push = fixture('github-push.json') as Record<string, unknown>;
    expect(toDelivery(auth('push', { ...push, after: 'HEAD', repository: { full_name: 42 } }))).toEqual({
      ok: false,
      outcome: 'refused',
      status: 400,
      reason: 'InvalidPayload',
      message: 'invalid push payload: after: expected a 40 or 64 hex digit commit id; repository.full_name: Invalid input: expected string, received number',
    });
    expect(toDelivery(auth('deployment', []))).toMatchObject({ status: 400, message: expect.stringMatching(/^invalid deployment payload: \(body\): /) as unknown });
    expect(toDelivery(auth('push', null))).toMatchObject({ status: 400 });
  });

  it('summarises at most five issues', () => {
    const result = toDelivery(auth('generic', { source: '', ref: 1, sha: 2, environment: 3, actor: 4, version: 5, extra: 6 }, 'generic'));
    expect(result).toMatchObject({ status: 400, message: expect.stringMatching(/; and 2 more$/) as unknown });
  });
});

describe('generic payloads', () => {
  it('carries source, ref, sha, environment, actor and version', () => {
    const payload = { source: 'ci/shop', ref: 'main', sha: 'b'.repeat(40), environment: 'prod', actor: 'jenkins', version: '1.4.2' };
    expect(toDelivery(auth('generic', payload, 'generic'))).toEqual({
      source: 'generic',
      event: 'generic',
      deliveryId: DELIVERY,
      genericSource: 'ci/shop',
      ref: 'main',
      sha: 'b'.repeat(40),
      environment: 'prod',
      actor: 'jenkins',
      version: '1.4.2',
    });
  });

  it('refuses unknown fields and values that could not go into a helm value', () => {
    expect(toDelivery(auth('generic', { source: 'ci', colour: 'red' }, 'generic'))).toMatchObject({
      status: 400,
      message: 'invalid generic payload: (body): Unrecognized key: "colour"',
    });
    expect(toDelivery(auth('generic', { source: 'ci', version: 'a,b=c' }, 'generic'))).toMatchObject({
      status: 400,
      message: 'invalid generic payload: version: expected letters, digits and . _ / @ + - (at most 255)',
    });
  });
});
