/** The PreRollbackHooks state's Lambda: one poll of the pre-rollback hooks. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { preRollbackHooks } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(preRollbackHooks, () => depsFromEnv());
