/**
 * What the serve tests share: `helmstep serve`'s app on a free port, in this process, over the
 * real control plane (helm 4 renders), an in-memory dynalite holding the lease, audit and
 * triggers tables, fast Wait states; and senders that sign like GitHub and like a generic CI.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, inject } from 'vitest';

import { startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';
import { openLocalServices, TABLES } from '../../../src/local/state.ts';
import { startServe, type Serving } from '../../../src/serve/app.ts';
import { parseTargetsConfig } from '../../../src/triggers/targets.ts';

export const SECRET = 'serve-test-secret';
export const TOKEN = 'serve-test-token-0123456789abcdef';
export const CLUSTER = 'kwok-serve';

export function fixtureText(name: string): string {
  return readFileSync(new URL(`../../fixtures/events/${name}`, import.meta.url), 'utf8');
}

const hex = (...parts: (string | Uint8Array)[]) => {
  const mac = createHmac('sha256', SECRET);
  for (const p of parts) mac.update(p);
  return mac.digest('hex');
};

export interface Sent {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface Served {
  readonly serving: Serving;
  readonly db: LocalDynamo;
  readonly env: Record<string, string>;
  readonly url: string;
}

/** serve's app for this test file, with the targets `yaml(namespace)` gives. */
export function useServe(targets: () => string): { get: () => Served } {
  let served: Served | undefined;
  beforeAll(async () => {
    const db = await startDynalite();
    const env = { HELMSTEP_DYNAMODB_ENDPOINT: db.endpoint, HELMSTEP_STATE_DIR: mkdtempSync(join(tmpdir(), 'helmstep-serve-state-')), HELMSTEP_CLUSTER_NAME: CLUSTER };
    const services = await openLocalServices(env);
    const serving = await startServe({
      env,
      listen: '127.0.0.1:0',
      config: parseTargetsConfig(targets(), 'the test targets'),
      githubSecrets: [SECRET],
      genericSecrets: [SECRET],
      token: TOKEN,
      helm: inject('helm4'),
      kubeconfig: inject('kubeconfig'),
      services,
      waitMs: 50,
      pollSeconds: 1,
      logger: new Logger({ serviceName: 'helmstep-serve-test', logLevel: 'SILENT' }),
    });
    served = { serving, db, env, url: serving.url };
  });
  afterAll(async () => {
    await served?.serving.close();
    await served?.serving.orchestration.services.close();
    await served?.db.close();
  });
  return { get: () => served! };
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string>): Promise<Sent> {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

export function sendGithub(base: string, event: string, body: string, o: { delivery?: string; headers?: Record<string, string>; signature?: string } = {}): Promise<Sent> {
  return post(`${base}/webhooks/github`, body, {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': o.delivery ?? randomUUID(),
    'x-hub-signature-256': o.signature ?? `sha256=${hex(body)}`,
    ...o.headers,
  });
}

export function sendGeneric(base: string, body: string, o: { delivery?: string; timestamp?: number; headers?: Record<string, string> } = {}): Promise<Sent> {
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  return post(`${base}/webhooks/generic`, body, {
    'content-type': 'application/json',
    'x-helmstep-timestamp': ts,
    'x-helmstep-delivery': o.delivery ?? `ci-${randomUUID()}`,
    'x-helmstep-signature': `sha256=${hex(`${ts}.`, body)}`,
    ...o.headers,
  });
}

export function sendAlarm(base: string, route: 'eventbridge' | 'alertmanager', body: string, token: string | null = TOKEN): Promise<Sent> {
  return post(`${base}/alarms/${route}`, body, { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) });
}

/** Every item of a table (dynalite, tests only): to prove a refusal wrote nothing. */
export async function items(s: Served, table: keyof typeof TABLES): Promise<number> {
  const out = await s.serving.orchestration.services.dynamo.send(new ScanCommand({ TableName: TABLES[table], Select: 'COUNT' }));
  return out.Count ?? 0;
}

/** A push of `sha` to `ref` of Codertocat/Hello-World, from the fixture. */
export function pushBody(sha: string, ref = 'refs/heads/master', repository = 'Codertocat/Hello-World'): string {
  const p = JSON.parse(fixtureText('github-push.json')) as Record<string, unknown> & { repository: Record<string, unknown> };
  return JSON.stringify({ ...p, ref, after: sha, repository: { ...p.repository, full_name: repository } });
}
