/** The RollbackUpgrade state's Lambda: apply the remediation rollback's revision. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { rollbackUpgrade } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(rollbackUpgrade, () => depsFromEnv());
