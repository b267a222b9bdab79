/** The ValidateLock state's Lambda: check the request, take the release lease. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { validateLock } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(validateLock, () => depsFromEnv());
