/**
 * The auditor HTTP API's Lambda, behind API Gateway with IAM authorisation (the route's
 * `AWS_IAM` authorizer: only principals allowed `execute-api:Invoke` reach it). It adapts the
 * REST (v1) or HTTP API (v2) proxy event to src/audit/http.ts and back. Environment:
 *
 *   HELMSTEP_AUDIT_TABLE    the audit table (required)
 *   HELMSTEP_AUDIT_BUCKET   the S3 bucket of record bodies over the item limit (optional).
 *                           TODO(S3): an ObjectStore over it; until then reading such a revision
 *                           answers 500 AuditObjectStoreMissing, naming it; listings are unaffected.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';

import { auditApi, type AuditHttpRequest, type AuditHttpResponse } from '../src/audit/http.ts';
import { AuditQueries } from '../src/audit/queries.ts';
import { AuditStore } from '../src/audit/store.ts';

/** The fields of API Gateway proxy events (v1 REST and v2 HTTP API) the adapter reads. */
export interface ApiGatewayEvent {
  readonly httpMethod?: string;
  readonly path?: string;
  readonly rawPath?: string;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
}

export interface ApiGatewayResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The API's request from a proxy event (v2 first, then v1). */
export function toAuditRequest(event: ApiGatewayEvent): AuditHttpRequest {
  return {
    method: event.requestContext?.http?.method ?? event.httpMethod ?? 'GET',
    path: event.rawPath ?? event.path ?? '/',
    query: { ...(event.queryStringParameters ?? {}) },
  };
}

export function toResult(r: AuditHttpResponse): ApiGatewayResult {
  return { statusCode: r.status, headers: r.headers, body: r.body };
}

export function auditQueryHandler(api: () => (req: AuditHttpRequest) => Promise<AuditHttpResponse>) {
  let built: ((req: AuditHttpRequest) => Promise<AuditHttpResponse>) | undefined;
  return middy<ApiGatewayEvent, ApiGatewayResult>().handler(async (event) => toResult(await (built ??= api())(toAuditRequest(event))));
}

export const handler = auditQueryHandler(() => {
  const table = process.env.HELMSTEP_AUDIT_TABLE;
  if (!table) throw new Error('environment variable HELMSTEP_AUDIT_TABLE is not set: the stack sets it on the audit query function');
  const client = new DynamoDBClient({});
  return auditApi({ queries: new AuditQueries({ client, tableName: table }), store: new AuditStore({ client, tableName: table }) });
});
