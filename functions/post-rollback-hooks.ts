/** The PostRollbackHooks state's Lambda: one poll of the post-rollback hooks. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { postRollbackHooks } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(postRollbackHooks, () => depsFromEnv());
