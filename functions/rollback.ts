/** The Rollback state's Lambda: plan, refuse or begin a rollback. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { rollback } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(rollback, () => depsFromEnv());
