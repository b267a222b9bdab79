/** The RollbackFailRelease state's Lambda: the remediation rollback failed: fail its record. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { rollbackFailRelease } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(rollbackFailRelease, () => depsFromEnv());
