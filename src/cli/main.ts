#!/usr/bin/env node
/** The `helmstep` executable: the real process, cluster and streams around run(). */
import { connect, defaultNamespace } from '../store/kube.ts';
import { run } from './run.ts';

process.exitCode = await run(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  open: (opts) => {
    const cluster = connect(opts);
    return { store: cluster.store, defaultNamespace: defaultNamespace(cluster.kubeConfig) };
  },
});
