/** Alertmanager webhooks, version 4 (API Gateway, bearer token): as the EventBridge alarm function. Core: src/serve/service.ts; deps from the environment (src/serve/lambda.ts). */
import { alertmanagerHandler } from '../src/serve/lambda.ts';

export const handler = alertmanagerHandler();
