/** The HealthGate state's Lambda: one poll of readiness, then the gate checks. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { healthGate } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(healthGate, () => depsFromEnv());
