/** The Upgrade state's Lambda: server-side apply of the revision. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { upgrade } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(upgrade, () => depsFromEnv());
