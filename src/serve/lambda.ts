/**
 * The trigger Lambdas (functions/webhook-*.ts, alarm-eventbridge.ts, alertmanager.ts): the same
 * TriggerService as helmstep serve, with AWS Step Functions as the starter and DynamoDB tables
 * named by the environment. Built once per container:
 *
 *   HELMSTEP_TRIGGERS_TABLE              the triggers table (deliveries, freezes, transitions; required)
 *   HELMSTEP_DEPLOY_STATE_MACHINE_ARN    the deploy machine (required)
 *   HELMSTEP_ROLLBACK_STATE_MACHINE_ARN  the rollback machine (required)
 *   HELMSTEP_CLUSTER_NAME                the cluster the machines deploy to (required)
 *   HELMSTEP_TARGETS                     the targets configuration, YAML or JSON text; or
 *   HELMSTEP_TARGETS_FILE                a path to it in the function's bundle
 *   HELMSTEP_GITHUB_SECRET               GitHub webhook secret(s), one per line while rotating
 *   HELMSTEP_GENERIC_SECRET              generic endpoint secret(s), one per line
 *   HELMSTEP_ALARM_TOKEN                 bearer token the Alertmanager function requires
 *   HELMSTEP_AUDIT_TABLE                 the audit table, to record alarm transitions (optional)
 *
 * Webhooks and Alertmanager come through API Gateway (REST or HTTP API, or a function URL):
 * the proxy event's headers and raw body (base64 when API Gateway says so) are what is verified.
 * EventBridge invokes the alarm function with the event itself; a failure of ours is thrown so
 * that EventBridge retries (the transition is recorded once, so a retry does nothing twice).
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import * as z from 'zod';

import { AuditStore } from '../audit/store.ts';
import { HelmstepError } from '../release/errors.ts';
import { DynamoTriggerStore } from '../triggers/dynamo.ts';
import { parseTargetsConfig } from '../triggers/targets.ts';
import { SfnExecutions, type ExecutionStarter } from './executions.ts';
import { tokenMatches } from './http.ts';
import { servedConfig } from './requests.ts';
import { TriggerService, type ServiceLog, type ServiceResponse } from './service.ts';
import { header } from '../triggers/http.ts';

/** A required variable is missing: the stack sets them on every trigger function. */
export class TriggerEnvMissing extends HelmstepError {
  override readonly name = 'TriggerEnvMissing';
  readonly reason = 'TriggerEnvMissing';
  constructor(name: string) {
    super(`environment variable ${name} is not set: the stack sets it on every helmstep trigger function`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const v = env[name];
  if (!v) throw new TriggerEnvMissing(name);
  return v;
}

const lines = (v: string | undefined) => (v ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');

export interface LambdaServiceOptions {
  readonly env?: Env;
  readonly dynamo?: DynamoDBClient;
  readonly starter?: ExecutionStarter;
  readonly log?: ServiceLog;
}

/** The service from the environment (tests pass their clients). */
export function serviceFromEnv(o: LambdaServiceOptions = {}): TriggerService {
  const env = o.env ?? process.env;
  const dynamo = o.dynamo ?? new DynamoDBClient({});
  const cluster = required(env, 'HELMSTEP_CLUSTER_NAME');
  const origin = env.HELMSTEP_TARGETS ? 'HELMSTEP_TARGETS' : env.HELMSTEP_TARGETS_FILE;
  const text = env.HELMSTEP_TARGETS ?? (env.HELMSTEP_TARGETS_FILE ? readFileSync(env.HELMSTEP_TARGETS_FILE, 'utf8') : 'targets: []');
  const { config } = servedConfig(parseTargetsConfig(text, origin ?? '(none)'), cluster, origin);
  const starter =
    o.starter ??
    new SfnExecutions({
      client: new SFNClient({}),
      stateMachines: { deploy: required(env, 'HELMSTEP_DEPLOY_STATE_MACHINE_ARN'), rollback: required(env, 'HELMSTEP_ROLLBACK_STATE_MACHINE_ARN') },
    });
  const logger = new Logger({ serviceName: 'helmstep-triggers' });
  return new TriggerService({
    config,
    cluster,
    store: new DynamoTriggerStore(dynamo, required(env, 'HELMSTEP_TRIGGERS_TABLE')),
    starter,
    ...(env.HELMSTEP_AUDIT_TABLE ? { audit: new AuditStore({ client: dynamo, tableName: env.HELMSTEP_AUDIT_TABLE }) } : {}),
    github: { secrets: lines(env.HELMSTEP_GITHUB_SECRET) },
    generic: { secrets: lines(env.HELMSTEP_GENERIC_SECRET) },
    log: o.log ?? {
      info: (m, a) => logger.info(m, ...(a ? [a] : [])),
      warn: (m, a) => logger.warn(m, ...(a ? [a] : [])),
      error: (m, a) => logger.error(m, ...(a ? [a] : [])),
    },
  });
}

/** API Gateway's proxy event (REST v1, HTTP API v2, function URLs): the parts that are verified. */
export const ProxyEventSchema = z.object({
  headers: z.record(z.string(), z.string().optional()).nullish(),
  multiValueHeaders: z.record(z.string(), z.array(z.string()).optional()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
});
export type ProxyEvent = z.infer<typeof ProxyEventSchema>;

export interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function json(status: number, body: Readonly<Record<string, unknown>>): ProxyResult {
  return { statusCode: status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
}

function toResult(r: ServiceResponse): ProxyResult {
  return json(r.status, r.body);
}

function rawOf(e: ProxyEvent): { headers: Record<string, unknown>; body: Uint8Array | string } {
  // multiValueHeaders keep a repeated header as its values (REST APIs), so it stays ambiguous.
  const headers: Record<string, unknown> = { ...(e.headers ?? {}), ...(e.multiValueHeaders ?? {}) };
  const body = e.body ?? '';
  return { headers, body: e.isBase64Encoded ? Buffer.from(body, 'base64') : body };
}

type Lazy = () => TriggerService;

/** What a trigger function exports (middy's handler, typed for callers and tests). */
export type TriggerHandler<R> = (event: unknown, context?: unknown) => Promise<R>;

function lazy(make: () => TriggerService): Lazy {
  let service: TriggerService | undefined;
  return () => (service ??= make());
}

const badEvent = (issues: string): ProxyResult => json(400, { outcome: 'refused', reason: 'InvalidPayload', message: `not an API Gateway proxy event: ${issues}` });

/** A webhook function: API Gateway proxy event in, the answer out (4xx for the caller's mistakes). */
export function webhookHandler(source: 'github' | 'generic', make: () => TriggerService = () => serviceFromEnv()): TriggerHandler<ProxyResult> {
  const service = lazy(make);
  return middy(async (event: unknown): Promise<ProxyResult> => {
    const parsed = ProxyEventSchema.safeParse(event);
    if (!parsed.success) return badEvent(parsed.error.issues.map((i) => i.message).join('; '));
    return toResult(await service().webhook(source, rawOf(parsed.data)));
  });
}

/** The Alertmanager function: Bearer $HELMSTEP_ALARM_TOKEN, then the webhook. */
export function alertmanagerHandler(make: () => TriggerService = () => serviceFromEnv(), env: Env = process.env): TriggerHandler<ProxyResult> {
  const service = lazy(make);
  return middy(async (event: unknown): Promise<ProxyResult> => {
    const parsed = ProxyEventSchema.safeParse(event);
    if (!parsed.success) return badEvent(parsed.error.issues.map((i) => i.message).join('; '));
    const raw = rawOf(parsed.data);
    const auth = header(raw.headers, 'authorization');
    const token = env.HELMSTEP_ALARM_TOKEN ?? '';
    const given = auth.kind === 'value' ? /^Bearer\s+(\S+)\s*$/i.exec(auth.value)?.[1] : undefined;
    if (!token || given === undefined || !tokenMatches(given, token)) {
      return json(401, { outcome: 'refused', reason: 'Unauthorized', message: 'send "Authorization: Bearer <token>" with the alarm token (HELMSTEP_ALARM_TOKEN)' });
    }
    return toResult(await service().alarm('alertmanager', raw));
  });
}

/** EventBridge's alarm function: the event itself; our failures throw (EventBridge retries). */
export function eventBridgeHandler(make: () => TriggerService = () => serviceFromEnv()): TriggerHandler<Readonly<Record<string, unknown>>> {
  const service = lazy(make);
  return middy(async (event: unknown): Promise<Readonly<Record<string, unknown>>> => {
    const out = await service().alarmEvent(event);
    if (out.status >= 500) throw new Error(typeof out.body.message === 'string' ? out.body.message : 'the alarm event could not be handled');
    return { status: out.status, ...out.body };
  });
}
