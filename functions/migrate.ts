/** The Migrate state's Lambda: one poll of the post-install/post-upgrade hooks. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { migrate } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(migrate, () => depsFromEnv());
