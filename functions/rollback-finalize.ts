/** The RollbackFinalize state's Lambda: the remediation rollback becomes deployed. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { rollbackFinalize } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(rollbackFinalize, () => depsFromEnv());
