/** A GitHub webhook (API Gateway): verify, match a target, start the deploy machine once per delivery. Core: src/serve/service.ts; deps from the environment (src/serve/lambda.ts). */
import { webhookHandler } from '../src/serve/lambda.ts';

export const handler = webhookHandler('github');
