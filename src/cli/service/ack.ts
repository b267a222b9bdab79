/** `helmstep ack`: being built (see the issue); replaced by its real module. */
import type { ServiceCommand } from './index.ts';

export const ack: ServiceCommand = (_argv, deps) => {
  deps.err.write('Error: helmstep ack is not available in this build\n');
  return Promise.resolve(1);
};
