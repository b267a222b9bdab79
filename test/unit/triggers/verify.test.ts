import { describe, expect, it } from 'vitest';

import { header } from '../../../src/triggers/http.ts';
import {
  authenticateGeneric,
  authenticateGithub,
  DEFAULT_MAX_BODY_BYTES,
  verifyGeneric,
  verifyGithub,
} from '../../../src/triggers/verify.ts';
import { DELIVERY, NOW_S, SECRET, fixtureText, genericRequest, githubRequest, hex, verifyOptions } from './support.ts';

const push = fixtureText('github-push.json');
const generic = JSON.stringify({ source: 'ci/shop', sha: 'a'.repeat(40) });

describe('GitHub verification', () => {
  it('authenticates a delivery signed like GitHub, whatever the case of the header names', () => {
    const ok = authenticateGithub(githubRequest('push', push), verifyOptions);
    expect(ok).toMatchObject({ ok: true, outcome: 'authenticated', source: 'github', event: 'push', deliveryId: DELIVERY });
    const lower = githubRequest('push', push);
    const shouted = Object.fromEntries(Object.entries(lower.headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(authenticateGithub({ headers: shouted, body: lower.body }, verifyOptions)).toMatchObject({ ok: true });
    expect(authenticateGithub({ headers: shouted, body: Buffer.from(push) }, verifyOptions)).toMatchObject({ ok: true });
  });

  it('accepts any of several secrets (rotation), and only those', () => {
    const req = githubRequest('push', push, {}, 'new-secret');
    expect(authenticateGithub(req, { ...verifyOptions, secrets: [SECRET, 'new-secret'] })).toMatchObject({ ok: true });
    expect(authenticateGithub(req, verifyOptions)).toMatchObject({ ok: false, status: 401, reason: 'SignatureInvalid' });
    expect(authenticateGithub(req, { ...verifyOptions, secrets: ['', 'x'] })).toMatchObject({ status: 401 });
  });

  const sig = `sha256=${hex(SECRET, push)}`;
  const cases: { name: string; headers?: Record<string, unknown>; body?: string; status: number; reason: string; message: string }[] = [
    {
      name: 'no signature',
      headers: { 'X-Hub-Signature-256': undefined },
      status: 401,
      reason: 'SignatureMissing',
      message: "missing X-Hub-Signature-256 header: the request is not signed; check that the GitHub webhook's secret equals the one configured here",
    },
    {
      name: 'the old SHA-1 signature only',
      headers: { 'X-Hub-Signature-256': undefined, 'X-Hub-Signature': `sha1=${'0'.repeat(40)}` },
      status: 401,
      reason: 'SignatureMissing',
      message: "missing X-Hub-Signature-256 header: the request is not signed; check that the GitHub webhook's secret equals the one configured here",
    },
    {
      name: 'a signature without its sha256= prefix',
      headers: { 'X-Hub-Signature-256': hex(SECRET, push) },
      status: 401,
      reason: 'SignatureMissing',
      message: `X-Hub-Signature-256 is not "sha256=" followed by 64 hex digits (got "${hex(SECRET, push)}"); sign with HMAC-SHA256`,
    },
    {
      name: 'a truncated signature',
      headers: { 'X-Hub-Signature-256': sig.slice(0, -2) },
      status: 401,
      reason: 'SignatureMissing',
      message: `X-Hub-Signature-256 is not "sha256=" followed by 64 hex digits (got "${sig.slice(0, -2)}"); sign with HMAC-SHA256`,
    },
    {
      name: 'two different signatures',
      headers: { 'X-Hub-Signature-256': [sig, `sha256=${'0'.repeat(64)}`] },
      status: 401,
      reason: 'SignatureMissing',
      message: 'X-Hub-Signature-256 was sent more than once with different values; send exactly one signature',
    },
    {
      name: 'a signature made with another secret',
      headers: { 'X-Hub-Signature-256': `sha256=${hex('wrong', push)}` },
      status: 401,
      reason: 'SignatureInvalid',
      message:
        "X-Hub-Signature-256 does not match the body signed with the configured secret; check that the GitHub webhook's secret equals the one configured here, and that nothing re-encodes the body on the way",
    },
    {
      name: 'a body changed after signing',
      body: push.replace('Codertocat', 'Mallory'),
      status: 401,
      reason: 'SignatureInvalid',
      message:
        "X-Hub-Signature-256 does not match the body signed with the configured secret; check that the GitHub webhook's secret equals the one configured here, and that nothing re-encodes the body on the way",
    },
    {
      name: 'no event header',
      headers: { 'X-GitHub-Event': undefined },
      status: 400,
      reason: 'InvalidHeaders',
      message: 'missing X-GitHub-Event header; GitHub sends it with every delivery',
    },
    {
      name: 'an event header that is no event name',
      headers: { 'X-GitHub-Event': 'push; rm -rf' },
      status: 400,
      reason: 'InvalidHeaders',
      message: 'X-GitHub-Event is not an event name (got "push; rm -rf")',
    },
    {
      name: 'no delivery header',
      headers: { 'X-GitHub-Delivery': undefined },
      status: 400,
      reason: 'InvalidHeaders',
      message: 'missing X-GitHub-Delivery header; GitHub sends a GUID with every delivery',
    },
    {
      name: 'a delivery that is no GUID',
      headers: { 'X-GitHub-Delivery': 'delivery-1' },
      status: 400,
      reason: 'InvalidHeaders',
      message: 'X-GitHub-Delivery is not a GUID (got "delivery-1")',
    },
    {
      name: 'a form-encoded webhook',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      status: 415,
      reason: 'UnsupportedMediaType',
      message:
        'Content-Type is "application/x-www-form-urlencoded", not JSON; send the payload as application/json (for GitHub, set the webhook\'s content type to application/json)',
    },
  ];

  it.each(cases)('refuses $name with $status', ({ headers, body, status, reason, message }) => {
    const signed = githubRequest('push', push);
    const req = { headers: { ...signed.headers, ...headers }, body: body ?? push };
    expect(authenticateGithub(req, verifyOptions)).toEqual({ ok: false, outcome: 'refused', status, reason, message });
  });

  it('refuses a body over the limit with 413 before hashing, even when unsigned', () => {
    const big = `{"pad":"${'x'.repeat(DEFAULT_MAX_BODY_BYTES)}"}`;
    expect(authenticateGithub({ headers: {}, body: big }, verifyOptions)).toEqual({
      ok: false,
      outcome: 'refused',
      status: 413,
      reason: 'BodyTooLarge',
      message: `the body is ${big.length} bytes, over the limit of 262144 bytes; nothing was read. Send a smaller payload (for GitHub, trim the events the webhook subscribes to)`,
    });
    // Exactly at the limit is allowed (then judged on its signature).
    const edge = 'x'.repeat(DEFAULT_MAX_BODY_BYTES);
    expect(authenticateGithub({ headers: {}, body: edge }, verifyOptions)).toMatchObject({ status: 401 });
    // Multi-byte characters count as bytes.
    expect(authenticateGithub({ headers: {}, body: 'é'.repeat(200) }, { ...verifyOptions, maxBodyBytes: 300 })).toMatchObject({ status: 413 });
  });

  it('refuses signed bodies that are not JSON with 415', () => {
    const notJson = authenticateGithub(githubRequest('push', 'payload=%7B%7D'), verifyOptions);
    expect(notJson).toMatchObject({ status: 415, reason: 'UnsupportedMediaType' });
    expect((notJson as { message: string }).message).toMatch(/^the body is not valid JSON \(.+\); send a JSON object$/);
    expect(authenticateGithub(githubRequest('push', ''), verifyOptions)).toMatchObject({
      status: 415,
      message: 'the body is empty, not JSON; send a JSON object',
    });
    expect(authenticateGithub(githubRequest('push', new Uint8Array([0x7b, 0xff, 0x7d])), verifyOptions)).toMatchObject({
      status: 415,
      message: 'the body is not UTF-8 text, so not JSON; send a JSON object',
    });
  });

  it('takes +json media types and a missing Content-Type as JSON', () => {
    expect(authenticateGithub(githubRequest('push', push, { 'Content-Type': 'application/vnd.github+json; charset=utf-8' }), verifyOptions)).toMatchObject({ ok: true });
    expect(authenticateGithub(githubRequest('push', push, { 'Content-Type': undefined }), verifyOptions)).toMatchObject({ ok: true });
  });

  it('answers 409 for a delivery already seen, naming the execution the first one started', async () => {
    const seen: string[] = [];
    const once = (id: string) => {
      const was = seen.includes(id);
      seen.push(id);
      return was;
    };
    expect(await verifyGithub(githubRequest('push', push), { ...verifyOptions, seen: once })).toMatchObject({ ok: true });
    expect(await verifyGithub(githubRequest('push', push), { ...verifyOptions, seen: once })).toEqual({
      ok: false,
      outcome: 'refused',
      status: 409,
      reason: 'Replay',
      executionName: `github-${DELIVERY}`,
      message: `delivery ${DELIVERY} was already received and started execution github-${DELIVERY}; nothing new was started. To deploy again, send a new delivery`,
    });
  });

  it('never asks seen about a request that fails verification', async () => {
    let asked = 0;
    const seen = () => {
      asked++;
      return false;
    };
    await verifyGithub(githubRequest('push', push, { 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` }), { ...verifyOptions, seen });
    await verifyGithub(githubRequest('push', '{'), { ...verifyOptions, seen });
    expect(asked).toBe(0);
  });
});

describe('generic verification', () => {
  it('authenticates `<timestamp>.<body>` signed with the secret, within the window either way', () => {
    expect(authenticateGeneric(genericRequest(generic), verifyOptions)).toMatchObject({
      ok: true,
      source: 'generic',
      event: 'generic',
      deliveryId: 'ci-run-4711.1',
      timestamp: NOW_S,
    });
    expect(authenticateGeneric(genericRequest(generic, {}, { timestamp: NOW_S - 300 }), verifyOptions)).toMatchObject({ ok: true });
    expect(authenticateGeneric(genericRequest(generic, {}, { timestamp: NOW_S + 300 }), verifyOptions)).toMatchObject({ ok: true });
  });

  it('refuses a timestamp outside the window, saying which way and by how much', () => {
    expect(authenticateGeneric(genericRequest(generic, {}, { timestamp: NOW_S - 301 }), verifyOptions)).toEqual({
      ok: false,
      outcome: 'refused',
      status: 401,
      reason: 'TimestampStale',
      message:
        `stale timestamp: X-Helmstep-Timestamp ${NOW_S - 301} (2026-11-24T13:54:59.000Z) is 301 s in the past, beyond the 300 s replay window; ` +
        "sign each delivery when it is sent, and check the sender's clock",
    });
    expect(authenticateGeneric(genericRequest(generic, {}, { timestamp: NOW_S + 3600 }), verifyOptions)).toEqual({
      ok: false,
      outcome: 'refused',
      status: 401,
      reason: 'TimestampStale',
      message: `stale timestamp: X-Helmstep-Timestamp ${NOW_S + 3600} (2026-11-24T15:00:00.000Z) is 3600 s in the future, beyond the 300 s replay window; check the sender's clock`,
    });
    expect(authenticateGeneric(genericRequest(generic, {}, { timestamp: NOW_S - 20 }), { ...verifyOptions, replayWindowSeconds: 10 })).toMatchObject({
      reason: 'TimestampStale',
      message: expect.stringContaining('20 s in the past, beyond the 10 s replay window') as unknown,
    });
  });

  it('checks the signature before the window: an unsigned stale request learns nothing about the clock', () => {
    const req = genericRequest(generic, {}, { timestamp: NOW_S - 10_000, secret: 'wrong' });
    expect(authenticateGeneric(req, verifyOptions)).toMatchObject({ status: 401, reason: 'SignatureInvalid' });
  });

  it('binds the timestamp into the signature: moving it breaks the signature', () => {
    const req = genericRequest(generic, {}, { timestamp: NOW_S - 1000 });
    const moved = { ...req, headers: { ...req.headers, 'x-helmstep-timestamp': String(NOW_S) } };
    expect(authenticateGeneric(moved, verifyOptions)).toMatchObject({ status: 401, reason: 'SignatureInvalid' });
  });

  const cases: { name: string; headers: Record<string, unknown>; status: number; reason: string; message: string }[] = [
    {
      name: 'no timestamp',
      headers: { 'x-helmstep-timestamp': undefined },
      status: 401,
      reason: 'TimestampInvalid',
      message: 'missing X-Helmstep-Timestamp header; send the current unix time in seconds and sign "<timestamp>.<body>"',
    },
    {
      name: 'a timestamp in milliseconds with a fraction',
      headers: { 'x-helmstep-timestamp': '1795528800000.5' },
      status: 401,
      reason: 'TimestampInvalid',
      message: `X-Helmstep-Timestamp is not unix seconds (got "1795528800000.5"); send an integer such as ${NOW_S}`,
    },
    {
      name: 'an ISO timestamp',
      headers: { 'x-helmstep-timestamp': '2026-11-24T14:00:00Z' },
      status: 401,
      reason: 'TimestampInvalid',
      message: `X-Helmstep-Timestamp is not unix seconds (got "2026-11-24T14:00:00Z"); send an integer such as ${NOW_S}`,
    },
    {
      name: 'no signature',
      headers: { 'x-helmstep-signature': undefined },
      status: 401,
      reason: 'SignatureMissing',
      message: 'missing X-Helmstep-Signature header: the request is not signed; sign "<X-Helmstep-Timestamp>.<body>" with HMAC-SHA256 and the shared secret',
    },
    {
      name: 'a signature of the body alone',
      headers: { 'x-helmstep-signature': `sha256=${hex(SECRET, generic)}` },
      status: 401,
      reason: 'SignatureInvalid',
      message:
        'X-Helmstep-Signature does not match the body signed with the configured secret; sign "<X-Helmstep-Timestamp>.<body>" with HMAC-SHA256 and the shared secret, and that nothing re-encodes the body on the way',
    },
    {
      name: 'no delivery id',
      headers: { 'x-helmstep-delivery': undefined },
      status: 400,
      reason: 'InvalidHeaders',
      message: 'missing X-Helmstep-Delivery header; send a unique id per delivery (the same id when retrying it)',
    },
    {
      name: 'a delivery id with spaces',
      headers: { 'x-helmstep-delivery': 'run 42' },
      status: 400,
      reason: 'InvalidHeaders',
      message:
        'X-Helmstep-Delivery must be 1 to 128 characters of letters, digits, ".", "_", ":" and "-", starting with a letter or digit (got "run 42")',
    },
    {
      name: 'a text body',
      headers: { 'content-type': 'text/plain' },
      status: 415,
      reason: 'UnsupportedMediaType',
      message:
        'Content-Type is "text/plain", not JSON; send the payload as application/json (for GitHub, set the webhook\'s content type to application/json)',
    },
  ];

  it.each(cases)('refuses $name with $status', ({ headers, status, reason, message }) => {
    const signed = genericRequest(generic);
    expect(authenticateGeneric({ headers: { ...signed.headers, ...headers }, body: generic }, verifyOptions)).toEqual({
      ok: false,
      outcome: 'refused',
      status,
      reason,
      message,
    });
  });

  it('answers 409 for a generic delivery already seen', async () => {
    const result = await verifyGeneric(genericRequest(generic), { ...verifyOptions, seen: () => Promise.resolve(true) });
    // The id has a '.', which execution names cannot carry: the name is the hashed form.
    expect(result).toMatchObject({ status: 409, reason: 'Replay', executionName: expect.stringMatching(/^generic_ci-run-4711-1_[0-9a-f]{40}$/) as unknown });
  });
});

describe('header', () => {
  it('finds names case-insensitively, folds identical repeats and flags conflicting or non-string values', () => {
    expect(header({ 'X-A': 'v' }, 'x-a')).toEqual({ kind: 'value', value: 'v' });
    expect(header({ 'x-a': ['v', 'v'] }, 'X-A')).toEqual({ kind: 'value', value: 'v' });
    expect(header({ 'x-a': 'v', 'X-A': 'w' }, 'x-a')).toEqual({ kind: 'ambiguous' });
    expect(header({ 'x-a': 42 }, 'x-a')).toEqual({ kind: 'ambiguous' });
    expect(header({ 'x-a': [] }, 'x-a')).toEqual({ kind: 'absent' });
    expect(header(null, 'x-a')).toEqual({ kind: 'absent' });
  });
});
