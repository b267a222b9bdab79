/** The BackupHook state's Lambda: one poll of the pre-install/pre-upgrade hooks. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { backupHook } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(backupHook, () => depsFromEnv());
