/** The ReleaseLease state's Lambda: the execution's outcome; release the lease. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { releaseLease } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(releaseLease, () => depsFromEnv());
