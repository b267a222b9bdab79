/**
 * Malformed input never breaks the edge: over random bytes, truncated JSON, wrong types and huge
 * or odd headers, the verifiers and the whole delivery path never throw, never answer 5xx, and
 * never accept (nothing is recorded, nothing started).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { NOT_FROZEN } from '../../../src/triggers/freeze.ts';
import type { RawRequest } from '../../../src/triggers/http.ts';
import { receiveDelivery, type ReceiveDeps } from '../../../src/triggers/receive.ts';
import { parseTargetsConfig } from '../../../src/triggers/targets.ts';
import { authenticateGeneric, authenticateGithub } from '../../../src/triggers/verify.ts';
import { alarmTransitions } from '../../../src/triggers/alarms.ts';
import { fixture, fixtureText, genericRequest, githubRequest, verifyOptions } from './support.ts';

const RUNS = { numRuns: 300 };

const config = parseTargetsConfig(`
targets:
  - { github: { repository: Codertocat/Hello-World }, cluster: c, namespace: n, release: r, chart: x }
  - { github: { repository: octo-org/octo-repo }, cluster: c, namespace: n, release: r, chart: x }
  - { generic: { source: ci }, cluster: c, namespace: n, release: r, chart: x }
`);

function deps(): { deps: ReceiveDeps; calls: { seen: number; start: number } } {
  const calls = { seen: 0, start: 0 };
  return {
    calls,
    deps: {
      verify: verifyOptions,
      config,
      freezeOf: () => NOT_FROZEN,
      seen: () => {
        calls.seen++;
        return false;
      },
      start: () => {
        calls.start++;
        return Promise.resolve({ executionId: 'x' });
      },
    },
  };
}

/** Runs the whole path and asserts the three promises. */
async function neverAccepted(source: 'github' | 'generic', request: RawRequest): Promise<void> {
  const d = deps();
  const answer = await receiveDelivery(source, request, d.deps);
  expect(answer.status).toBeLessThan(500);
  expect(answer.outcome).not.toBe('accepted');
  expect(d.calls.start).toBe(0);
  expect(d.calls.seen).toBe(0);
}

const headerValue = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ minLength: 10_000, maxLength: 70_000 }),
  fc.array(fc.string({ maxLength: 80 }), { maxLength: 4 }),
  fc.integer(),
  fc.constant(null),
  fc.constant(undefined),
  fc.object({ maxDepth: 1 }),
);
const headerName = fc.oneof(
  fc.constantFrom(
    'X-Hub-Signature-256',
    'x-hub-signature-256',
    'X-GitHub-Event',
    'X-GitHub-Delivery',
    'Content-Type',
    'X-Helmstep-Timestamp',
    'X-HELMSTEP-SIGNATURE',
    'x-helmstep-delivery',
  ),
  fc.string({ maxLength: 40 }),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 12 });
const body = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.string({ maxLength: 2048 }),
  fc.json().map((j) => j),
  fc.constant(null),
  fc.constant(undefined),
);

describe('malformed input never breaks the verifiers', () => {
  it('random bodies and headers, unsigned: a 4xx refusal, never a throw', () => {
    fc.assert(
      fc.property(body, headers, (b, h) => {
        for (const verify of [authenticateGithub, authenticateGeneric]) {
          const result = verify({ headers: h, body: b }, verifyOptions);
          expect(result.ok).toBe(false);
          expect(result.ok === false && result.status >= 400 && result.status < 500).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('huge and odd values in the webhook headers: a changed signature refused, nothing thrown', () => {
    const push = fixtureText('github-push.json');
    fc.assert(
      fc.property(
        fc.constantFrom('X-Hub-Signature-256', 'X-GitHub-Event', 'X-GitHub-Delivery', 'Content-Type'),
        headerValue,
        (name, value) => {
          const signed = githubRequest('push', push);
          const result = authenticateGithub({ headers: { ...signed.headers, [name]: value }, body: push }, verifyOptions);
          // GitHub signs the body only: a changed signature is always refused; the event name and
          // delivery id are unsigned metadata, so any well-formed value authenticates (what the
          // event then means is decided later, and an unknown one is ignored).
          if (result.ok) expect(value === undefined || name !== 'X-Hub-Signature-256').toBe(true);
          else expect(result.status).toBeLessThan(500);
        },
      ),
      RUNS,
    );
  });
});

describe('malformed input never starts anything', () => {
  it('random bytes, correctly signed: 4xx or ignored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 1024 }), fc.string({ maxLength: 1024 })), fc.constantFrom('push', 'deployment', 'workflow_run'), async (b, event) => {
        await neverAccepted('github', githubRequest(event, b));
        await neverAccepted('generic', genericRequest(b));
      }),
      RUNS,
    );
  });

  it('truncated JSON of the real payloads, correctly signed: 415', async () => {
    const cases = [
      ['push', fixtureText('github-push.json').trim()],
      ['deployment', fixtureText('github-deployment.json').trim()],
      ['workflow_run', fixtureText('github-workflow_run-completed.json').trim()],
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...cases), fc.double({ min: 0, max: 1, noNaN: true }), async ([event, text], cut) => {
        const prefix = text.slice(0, Math.floor(cut * (text.length - 1)));
        const d = deps();
        const answer = await receiveDelivery('github', githubRequest(event, prefix), d.deps);
        expect(answer).toMatchObject({ status: 415, reason: 'UnsupportedMediaType' });
        expect(d.calls.start).toBe(0);
      }),
      RUNS,
    );
  });

  it('wrong types in the fields that are used, correctly signed: 400 or ignored', async () => {
    const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
    const notObject = fc.oneof(fc.integer(), fc.boolean(), fc.string(), fc.array(fc.integer(), { maxLength: 2 }));
    const cases: [string, string, string[], fc.Arbitrary<unknown>][] = [
      ['push', 'github-push.json', ['ref'], notString],
      ['push', 'github-push.json', ['after'], notString],
      ['push', 'github-push.json', ['repository'], notObject],
      ['push', 'github-push.json', ['repository', 'full_name'], notString],
      ['push', 'github-push.json', ['sender', 'login'], notString],
      ['deployment', 'github-deployment.json', ['deployment'], notObject],
      ['deployment', 'github-deployment.json', ['deployment', 'environment'], notString],
      ['deployment', 'github-deployment.json', ['deployment', 'sha'], notString],
      ['workflow_run', 'github-workflow_run-completed.json', ['workflow_run', 'head_sha'], notString],
      ['workflow_run', 'github-workflow_run-completed.json', ['repository', 'full_name'], notString],
    ];
    for (const [event, file, path, wrong] of cases) {
      await fc.assert(
        fc.asyncProperty(wrong, async (value) => {
          const payload = fixture(file) as Record<string, unknown>;
          let at = payload;
          for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
          at[path.at(-1)!] = value;
          const d = deps();
          const answer = await receiveDelivery('github', githubRequest(event, JSON.stringify(payload)), d.deps);
          expect([400, 200]).toContain(answer.status);
          expect(answer.outcome).not.toBe('accepted');
          expect(d.calls.start).toBe(0);
        }),
        { numRuns: 40 },
      );
    }
  });

  it('any JSON value as a generic body, signed: never accepted unless it is a valid payload for a target', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const d = deps();
        const answer = await receiveDelivery('generic', genericRequest(JSON.stringify(value) ?? 'null'), d.deps);
        expect(answer.status).toBeLessThan(500);
        const valid = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).join() === 'source' && (value as { source: unknown }).source === 'ci';
        expect(answer.outcome === 'accepted').toBe(valid);
      }),
      RUNS,
    );
  });

  it('alarm events of any shape: a value, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.constant(fixture('alertmanager-firing.json')), fc.constant(fixture('cloudwatch-alarm-state-change-alarm.json'))), (value) => {
        const result = alarmTransitions(value);
        if (!result.ok) expect(result.status).toBe(400);
      }),
      RUNS,
    );
  });
});
