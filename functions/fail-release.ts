/** The FailRelease state's Lambda: fail the pending record, decide the rollback. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { failRelease } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(failRelease, () => depsFromEnv());
