/**
 * The CLI as a function: argv in, text out, an exit code back (0 ok, 1 error, 2 usage error).
 * Everything it touches is injected, so tests run it without a process and against any store.
 */
import { ApiException } from '@kubernetes/client-node';

import { HelmstepError, RevisionNotFound, type ReleaseRef } from '../release/errors.ts';
import type { ReleaseStore } from '../store/release-store.ts';
import { isActionCommand, parseArgv, type Command, type ReadCommand, type Target } from './args.ts';
import { diff } from './commands/diff.ts';
import { getHooks } from './commands/get-hooks.ts';
import { getManifest } from './commands/get-manifest.ts';
import { getValues } from './commands/get-values.ts';
import { history } from './commands/history.ts';
import { status } from './commands/status.ts';
import type { CommandContext, Writer } from './commands/context.ts';
import { UsageError } from './errors.ts';
import { commandHelp, MAIN_HELP, USAGE } from './usage.ts';

/** `audit`, `serve`, `ack`: the service's commands (src/cli/service), parsed by their own modules. */
const SERVICE_WORDS: ReadonlySet<string> = new Set(['audit', 'serve', 'ack']);

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** A store on the cluster the flags name, and the namespace to use when -n is not given. */
export interface OpenedCluster {
  readonly store: ReleaseStore;
  readonly defaultNamespace: string;
}

export interface RunDeps {
  readonly out: Writer;
  readonly err: Writer;
  /** Environment (HELM_NAMESPACE, HELMSTEP_DEBUG; actions may read more). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Opens the cluster; throws KubeconfigError. Called only once the command line is valid. */
  readonly open: (opts: { readonly kubeconfig?: string; readonly context?: string }) => OpenedCluster | Promise<OpenedCluster>;
  /** Cancels a running action (the executable fires it on SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
}

async function dispatch(cmd: ReadCommand, ref: ReleaseRef, ctx: CommandContext): Promise<void> {
  switch (cmd.kind) {
    case 'history':
      return history({ ref, max: cmd.max, output: cmd.output }, ctx);
    case 'status':
      return status({ ref, revision: cmd.revision, output: cmd.output, showDescription: cmd.showDescription }, ctx);
    case 'get values':
      return getValues({ ref, revision: cmd.revision, all: cmd.all, output: cmd.output }, ctx);
    case 'get manifest':
      return getManifest({ ref, revision: cmd.revision }, ctx);
    case 'get hooks':
      return getHooks({ ref, revision: cmd.revision }, ctx);
    case 'diff':
      return diff({ ref, from: cmd.from, to: cmd.to }, ctx);
  }
}

/** The line after `Error: `: helm's wording first where helm has one, then what to do. */
export function errorMessage(err: unknown, command?: string): string {
  // helm rollback says `release has no N version` (the error's own text); get/status say not found.
  if (err instanceof RevisionNotFound && command !== 'rollback') {
    // helm get/status say `release: not found` for a missing revision too.
    return `release: not found: release "${err.ref.name}" in namespace "${err.ref.namespace}" has no revision ${err.revision}; list its revisions with helmstep history ${err.ref.name} -n ${err.ref.namespace}`;
  }
  if (err instanceof HelmstepError) return err.message;
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    let detail = typeof body === 'string' ? body : JSON.stringify(body);
    try {
      const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown };
      if (typeof parsed?.message === 'string') detail = parsed.message;
    } catch {
      // not JSON: keep the text
    }
    return `the Kubernetes API answered HTTP ${err.code}: ${detail}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The usage-error text: the message, then the command's usage line (or where to find it). */
export function usageErrorText(err: UsageError): string {
  const hint = err.command
    ? `\nUsage:  ${USAGE[err.command]}\n\nRun "helmstep ${err.command} --help" for the flags.\n`
    : `\nRun "helmstep --help" for usage.\n`;
  return `Error: ${err.message}\n${hint}`;
}

/** Runs one command line. Never throws; every failure is a message on `err` and an exit code. */
export async function run(argv: readonly string[], deps: RunDeps): Promise<number> {
  if (SERVICE_WORDS.has(argv[0] ?? '')) {
    const { runService } = await import('./service/index.ts');
    return runService(argv, deps);
  }
  let cmd: Command;
  try {
    const parsed = parseArgv(argv);
    cmd = parsed.command;
    for (const warning of parsed.warnings) deps.err.write(`${warning}\n`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    deps.err.write(usageErrorText(err));
    return EXIT_USAGE;
  }
  if (cmd.kind === 'help') {
    deps.out.write(cmd.command ? commandHelp(cmd.command) : MAIN_HELP);
    return EXIT_OK;
  }
  try {
    const target: Target = cmd;
    const cluster = await deps.open({
      ...(target.kubeconfig !== undefined && { kubeconfig: target.kubeconfig }),
      ...(target.kubeContext !== undefined && { context: target.kubeContext }),
    });
    const namespace = target.namespace ?? (deps.env.HELM_NAMESPACE || undefined) ?? cluster.defaultNamespace;
    const ref: ReleaseRef = { namespace, name: target.release };
    const ctx: CommandContext = { store: cluster.store, out: deps.out, err: deps.err };
    if (isActionCommand(cmd)) {
      // Loaded only here: the engine and @kubernetes/client-node cost a read command ~0.1-0.4 s to import.
      const { runAction } = await import('./commands/actions.ts');
      return await runAction(cmd, ref, {
        ...ctx,
        ...(target.kubeconfig !== undefined && { kubeconfig: target.kubeconfig }),
        ...(target.kubeContext !== undefined && { kubeContext: target.kubeContext }),
        env: deps.env,
        ...(deps.signal !== undefined && { signal: deps.signal }),
      });
    }
    await dispatch(cmd, ref, ctx);
    return EXIT_OK;
  } catch (err) {
    // A flag combination only the command can judge (--gate-file with gate flags, --engine=direct with a gate): still a usage error.
    if (err instanceof UsageError) {
      deps.err.write(usageErrorText(err));
      return EXIT_USAGE;
    }
    deps.err.write(`Error: ${errorMessage(err, cmd.kind)}\n`);
    if (deps.env.HELMSTEP_DEBUG && err instanceof Error && err.stack) deps.err.write(`${err.stack}\n`);
    return EXIT_ERROR;
  }
}
