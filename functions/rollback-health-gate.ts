/** The RollbackHealthGate state's Lambda: one poll of the remediation rollback's readiness. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { rollbackHealthGate } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(rollbackHealthGate, () => depsFromEnv());
