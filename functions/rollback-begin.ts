/** The RollbackBegin state's Lambda: plan and begin the remediation rollback. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { rollbackBegin } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(rollbackBegin, () => depsFromEnv());
