#!/usr/bin/env node
/**
 * The `helmstep` executable: the real process, cluster, streams and signals around run().
 * Start-up time matters (a read command should cost what `helm history` does): the store comes
 * from openStore(), which reads over plain HTTPS and loads @kubernetes/client-node only when the
 * kubeconfig needs it (exec plugins, auth providers, proxies) or a command writes. The service
 * commands (`audit`, `serve`, `ack`) load neither the release commands nor the store: an
 * auditor's query loads only what reads the audit log.
 */
import type { OpenedStore } from '../store/open.ts';
import type { RunDeps } from './run.ts';
import { SERVICE_COMMANDS } from './service/index.ts';

// The AWS SDK warns on every run under Node 20 that its 2027 releases need Node 22: a notice for
// whoever maintains this install (see the README), not for each command's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A reader that stops early (`helmstep audit history … | head`) closes the pipe: what is left to
// print is dropped, as helm's output is, while the command itself finishes (an action still
// records its outcome) and exits with its own code. Anything else wrong with stdout is a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

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

let opened: OpenedStore | undefined;
const argv = process.argv.slice(2);
const deps: RunDeps = {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  signal: interrupt.signal,
  open: async (opts) => {
    const { openStore } = await import('../store/open.ts');
    opened = await openStore(opts, process.env);
    return opened;
  },
};
process.exitCode = SERVICE_COMMANDS.has(argv[0] ?? '')
  ? await (await import('./service/index.ts')).runService(argv, deps)
  : await (await import('./run.ts')).run(argv, deps);
opened?.close();
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
