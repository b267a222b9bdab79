/**
 * install, upgrade and rollback through the state machines: the deploy or rollback ASL (the files
 * CDK deploys) run by the local Step Functions engine, each Task bound to its Lambda handler, with
 * the lease and the audit log in the local state. Each state is printed on stderr as it is entered
 * and left, poll loops as progress; stdout gets helm's summary (or `-o json|yaml`). Ctrl-C fails
 * the operation the way helm's context cancellation does (or rolls it back with --atomic), never
 * leaving it pending.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { gateFromFlags, parseGateFile, type GateSpec } from '../../gate/spec.ts';
import { openLocalOrchestration } from '../../local/orchestration.ts';
import { loadMachine, type MachineName } from '../../orchestration/machines.ts';
import { startLocal, type ExecutionResult, type LocalEvent } from '../../orchestration/local.ts';
import type { DeployRequestInput, RollbackRequestInput, Trigger } from '../../orchestration/request.ts';
import { HelmstepError, type ReleaseRef } from '../../release/errors.ts';
import type { ProgressEvent } from '../../engine/types.ts';
import { chartSourceFields, type InstallCommand, type RollbackCommand, type UpgradeCommand } from '../args.ts';
import { UsageError } from '../errors.ts';
import type { Writer } from './context.ts';

/** The execution ended without success: its Fail state's cause, in helm's words where helm has them. */
export class ExecutionFailed extends HelmstepError {
  override readonly name = 'ExecutionFailed';
  readonly reason: string;
  constructor(
    readonly execution: string,
    readonly result: Exclude<ExecutionResult, { status: 'SUCCEEDED' }>,
    message: string,
  ) {
    super(message);
    this.reason = result.status === 'FAILED' ? result.error : result.status;
  }
}

export interface OrchestratedContext {
  readonly out: Writer;
  readonly err: Writer;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
  readonly helm: string;
  readonly signal?: AbortSignal;
  /** How a progress event of the engine reads on stderr. */
  readonly describe: (e: ProgressEvent) => string;
}

export interface Finished {
  readonly execution: string;
  readonly machine: MachineName;
  /** The newest revision the execution left deployed. */
  readonly revision: number;
  readonly ms: number;
}

function user(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** A CLI run's execution name: unique, readable, valid as a Step Functions name and a label value. */
export function cliExecutionName(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
  return `cli-${stamp}-${randomBytes(4).toString('hex')}`;
}

export function cliTrigger(): Trigger {
  return { actor: `cli:${user()}@${hostname()}`.slice(0, 1024), kind: 'cli' };
}

/** The gate from --gate-file or the gate flags (not both); undefined when there is none. */
export function gateOf(cmd: InstallCommand | UpgradeCommand, env: Readonly<Record<string, string | undefined>>): GateSpec | undefined {
  const g = cmd.gate;
  const flagsGiven = g.prometheus.length > 0 || g.alarms.length > 0 || g.tests || g.bakeSeconds !== undefined;
  if (g.file) {
    if (flagsGiven) throw new UsageError('give --gate-file or the gate flags (--gate-prometheus, --gate-alarm, --gate-tests, --bake), not both', cmd.kind);
    let text: string;
    try {
      text = readFileSync(g.file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the gate file ${g.file}: ${(err as Error).message}`, cmd.kind);
    }
    return parseGateFile(text, `the gate file ${g.file}`);
  }
  const url = g.prometheusUrl ?? env.HELMSTEP_PROMETHEUS_URL;
  return gateFromFlags({
    prometheus: g.prometheus,
    ...(url ? { prometheusUrl: url } : {}),
    alarms: g.alarms,
    tests: g.tests,
    ...(g.bakeSeconds !== undefined ? { bakeSeconds: g.bakeSeconds } : {}),
    ...(g.intervalSeconds !== undefined ? { intervalSeconds: g.intervalSeconds } : {}),
    ...(g.failureLimit !== undefined ? { failureLimit: g.failureLimit } : {}),
  });
}

const timeoutSeconds = (ms: number) => Math.min(86_400, Math.max(1, Math.ceil(ms / 1000)));

export function deployRequest(cmd: InstallCommand | UpgradeCommand, ref: ReleaseRef, gate: GateSpec | undefined, trigger: Trigger): DeployRequestInput {
  return {
    namespace: ref.namespace,
    name: ref.name,
    chart: cmd.chart,
    ...(cmd.version ? { chartVersion: cmd.version } : {}),
    ...chartSourceFields(cmd.source),
    values: { files: [...cmd.valueFiles], set: cmd.settings.map((x) => ({ ...x })) },
    mode: cmd.kind,
    installIfMissing: cmd.kind === 'upgrade' && cmd.install,
    labels: { ...cmd.labels },
    ...(cmd.description ? { description: cmd.description } : {}),
    wait: cmd.wait,
    waitForJobs: cmd.waitForJobs,
    timeoutSeconds: timeoutSeconds(cmd.timeoutMs),
    cleanupOnFail: cmd.cleanupOnFail,
    forceConflicts: cmd.forceConflicts,
    maxHistory: cmd.historyMax,
    rollbackOnFailure: cmd.rollbackOnFailure,
    rollbackOnGateFailure: cmd.gate.rollbackOnFailure,
    ...(gate ? { gate: gate } : {}),
    trigger,
  };
}

export function rollbackRequest(cmd: RollbackCommand, ref: ReleaseRef, trigger: Trigger): RollbackRequestInput {
  return {
    namespace: ref.namespace,
    name: ref.name,
    target: cmd.revision ?? 0,
    force: cmd.force,
    wait: cmd.wait,
    waitForJobs: cmd.waitForJobs,
    timeoutSeconds: timeoutSeconds(cmd.timeoutMs),
    cleanupOnFail: cmd.cleanupOnFail,
    maxHistory: cmd.historyMax,
    // As helm rollback, a pending newest record does not stop it (the lease still does).
    ignoreLock: true,
    trigger,
  };
}

/** What a state's result says in one line (its slot of the state document). */
function detailOf(state: string, result: unknown): string | undefined {
  const r = (result ?? {}) as Record<string, unknown>;
  if (typeof r.done === 'boolean') return typeof r.progress === 'string' && r.progress !== 'done' ? r.progress : undefined;
  if (typeof r.applied === 'number') return `${String(r.applied)} applied (${String(r.created)} created), ${String(r.deleted)} deleted`;
  if (typeof r.owner === 'string' && typeof r.revision === 'number') return `revision ${r.revision} locked by ${r.owner}`;
  if (typeof r.status === 'string' && typeof r.revision === 'number') return `revision ${r.revision} ${r.status}${typeof r.description === 'string' && r.description ? `: ${r.description}` : ''}`;
  if (typeof r.why === 'string') return r.why;
  if (typeof r.expiresAt === 'string') return `lease held until ${r.expiresAt}`;
  if (state === 'ReleaseLease') return 'lease released';
  return undefined;
}

/** Prints the execution's states as the CLI's progress lines on stderr (stdout stays for the result). */
export function statePrinter(machine: MachineName, err: Writer): (e: LocalEvent) => void {
  const def = loadMachine(machine);
  const slotOf = (state: string) => (def.States[state] as { ResultPath?: string } | undefined)?.ResultPath?.replace(/^\$\./, '');
  const tasks = new Set(Object.entries(def.States).filter(([, s]) => s.Type === 'Task').map(([n]) => n));
  let inLoop: string | undefined;
  let lastProgress = '';
  // A Task whose failure a Catch took still "leaves"; its ✗ line has said how.
  let failed: string | undefined;
  return (e) => {
    if (!tasks.has(e.state)) return;
    switch (e.type) {
      case 'entered':
        if (inLoop !== e.state) err.write(`helmstep: → ${e.state}\n`);
        break;
      case 'left': {
        if (failed === e.state) {
          failed = undefined;
          break;
        }
        const slot = slotOf(e.state);
        const doc = (e.output ?? {}) as Record<string, unknown>;
        const result = slot && slot in doc ? doc[slot] : e.output;
        const detail = detailOf(e.state, result);
        if ((result as { done?: unknown } | undefined)?.done === false) {
          inLoop = e.state;
          if (detail && detail !== lastProgress) err.write(`helmstep:   … ${e.state}: ${detail}\n`);
          lastProgress = detail ?? '';
          break;
        }
        inLoop = undefined;
        lastProgress = '';
        err.write(`helmstep: ✓ ${e.state}${detail ? `: ${detail}` : ''}\n`);
        break;
      }
      case 'failed': {
        inLoop = undefined;
        failed = e.state;
        let text = e.cause;
        try {
          const c = JSON.parse(e.cause) as { message?: string };
          if (c.message) text = c.message;
        } catch {
          // not JSON: keep it
        }
        err.write(`helmstep: ✗ ${e.state}: ${text}\n`);
        break;
      }
      case 'retried':
        err.write(`helmstep:   ↻ ${e.state}: retry ${e.attempt}\n`);
        break;
      case 'caught':
        break; // the next state's own line says where it went
    }
  };
}

/** The message of a failed execution: the cause's helm-worded text, else the error. */
export function failureMessage(name: string, result: Exclude<ExecutionResult, { status: 'SUCCEEDED' }>): string {
  if (result.status !== 'FAILED') return `execution ${name} ended ${result.status}`;
  try {
    const cause = JSON.parse(result.cause) as { message?: string };
    if (cause.message) return cause.message;
  } catch {
    // a cause that is not ours: say it as it is
  }
  return `${result.error}: ${result.cause}`;
}

/**
 * Runs one execution of `machine` for the CLI. Resolves with the revision it left deployed;
 * throws ExecutionFailed (the message is helm's where helm has one).
 */
export async function runExecution(machine: MachineName, input: DeployRequestInput | RollbackRequestInput, ref: ReleaseRef, ctx: OrchestratedContext, json: boolean): Promise<Finished> {
  const orchestration = await openLocalOrchestration({
    env: ctx.env,
    ...(ctx.kubeconfig ? { kubeconfig: ctx.kubeconfig } : {}),
    ...(ctx.kubeContext ? { kubeContext: ctx.kubeContext } : {}),
    helm: ctx.helm,
    pollSeconds: 1,
    progress: (e) => {
      if (e.kind === 'step' || e.kind === 'wait') return; // the state lines say it
      ctx.err.write(`helmstep: ${ctx.describe(e)}\n`);
    },
    open: { onWait: (dir) => ctx.err.write(`helmstep: waiting for another helmstep process to release the local state in ${dir}\n`) },
  });
  const started = Date.now();
  const name = cliExecutionName();
  try {
    ctx.err.write(`helmstep: execution ${name} of the ${machine} state machine (cluster ${orchestration.cluster})\n`);
    const execution = startLocal({ machine, input, executionName: name, deps: orchestration.deps, onEvent: statePrinter(machine, ctx.err), validate: false });
    const onAbort = () => execution.interrupt();
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal?.aborted) onAbort();
    let result: ExecutionResult;
    try {
      result = await execution.result;
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
    }
    const ms = Date.now() - started;
    if (result.status !== 'SUCCEEDED') {
      if (json) ctx.out.write(`${JSON.stringify({ execution: name, machine, status: result.status, ...(result.status === 'FAILED' ? { error: result.error, cause: safeJson(result.cause) } : {}) }, null, 2)}\n`);
      throw new ExecutionFailed(name, result, failureMessage(name, result));
    }
    const doc = result.output as { release?: { revision?: number } };
    const revision = doc.release?.revision ?? (await orchestration.deps.engine.store.history(ref)).at(-1)?.release.version ?? 0;
    ctx.err.write(`helmstep: execution ${name} succeeded in ${(ms / 1000).toFixed(1)}s\n`);
    return { execution: name, machine, revision, ms };
  } finally {
    await orchestration.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
