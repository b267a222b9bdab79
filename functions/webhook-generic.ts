/** A generic CI webhook (API Gateway): HMAC over timestamp + body, then as the GitHub one. Core: src/serve/service.ts; deps from the environment (src/serve/lambda.ts). */
import { webhookHandler } from '../src/serve/lambda.ts';

export const handler = webhookHandler('generic');
