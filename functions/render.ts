/** The Render state's Lambda: render the chart, write the pending record. Core: src/orchestration/states; deps built once per container. */
import { depsFromEnv } from '../src/orchestration/env.ts';
import { stepHandler } from '../src/orchestration/handler.ts';
import { render } from '../src/orchestration/states/index.ts';

export const handler = stepHandler(render, () => depsFromEnv());
