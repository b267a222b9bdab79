/** Shared helpers of the trigger tests: fixtures, signing like GitHub and like a generic sender. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { RawRequest } from '../../../src/triggers/http.ts';

export const SECRET = "It's a Secret to Everybody";
export const NOW_MS = Date.parse('2026-11-24T14:00:00.000Z');
export const NOW_S = NOW_MS / 1000;
export const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

export function fixtureText(name: string): string {
  return readFileSync(new URL(`../../fixtures/events/${name}`, import.meta.url), 'utf8');
}

export function fixture(name: string): unknown {
  return JSON.parse(fixtureText(name)) as unknown;
}

export function hex(secret: string, ...parts: (string | Uint8Array)[]): string {
  const mac = createHmac('sha256', secret);
  for (const p of parts) mac.update(p);
  return mac.digest('hex');
}

/** A GitHub delivery of `body`, signed as GitHub signs it, with headers as GitHub names them. */
export function githubRequest(event: string, body: string | Uint8Array, headers: Record<string, unknown> = {}, secret = SECRET): RawRequest {
  return {
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': DELIVERY,
      'X-Hub-Signature-256': `sha256=${hex(secret, body)}`,
      'User-Agent': 'GitHub-Hookshot/044aadd',
      ...headers,
    },
    body,
  };
}

/** A generic delivery signed over `<timestamp>.<body>`. */
export function genericRequest(
  body: string | Uint8Array,
  headers: Record<string, unknown> = {},
  options: { timestamp?: number; secret?: string; delivery?: string } = {},
): RawRequest {
  const ts = String(options.timestamp ?? NOW_S);
  return {
    headers: {
      'content-type': 'application/json',
      'x-helmstep-timestamp': ts,
      'x-helmstep-delivery': options.delivery ?? 'ci-run-4711.1',
      'x-helmstep-signature': `sha256=${hex(options.secret ?? SECRET, `${ts}.`, body)}`,
      ...headers,
    },
    body,
  };
}

export const verifyOptions = { secrets: SECRET, now: () => NOW_MS } as const;
