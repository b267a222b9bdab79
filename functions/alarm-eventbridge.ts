/** CloudWatch Alarm State Change (EventBridge rule): roll the mapped release back once per transition and freeze it. Core: src/serve/service.ts; deps from the environment (src/serve/lambda.ts). */
import { eventBridgeHandler } from '../src/serve/lambda.ts';

export const handler = eventBridgeHandler();
