#!/usr/bin/env node
/** The `helmstep` executable: the real process, cluster, streams and signals around run(). */
import { connect, defaultNamespace } from '../store/kube.ts';
import { run } from './run.ts';

// The first SIGINT/SIGTERM asks the running action to stop cleanly (it still records the outcome);
// a second one exits at once, with the shell's code for that signal.
const interrupt = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
  process.stderr.write(`\nhelmstep: ${signal} received, stopping (send it again, e.g. Ctrl-C, to exit at once)\n`);
  interrupt.abort(new Error(`interrupted by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

process.exitCode = await run(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  signal: interrupt.signal,
  open: (opts) => {
    const cluster = connect(opts);
    return { store: cluster.store, defaultNamespace: defaultNamespace(cluster.kubeConfig) };
  },
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
