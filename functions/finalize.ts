/** The Finalize state's Lambda: deployed / superseded, release the lease. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { finalize } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(finalize, () => depsFromEnv());
