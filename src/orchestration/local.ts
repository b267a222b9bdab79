/**
 * The local Step Functions engine: runs the very ASL files with aws-local-stepfunctions, each
 * Task bound to its in-process middy handler (`taskResourceLocalHandlers`), the `${...}`
 * placeholders substituted, `$$.Execution.Name` set to the execution name (the owner of the
 * release's lock and lease). It reports each state entered and left (the CLI prints them),
 * returns the execution's output or its Error and Cause, and can be aborted: abort() resolves once
 * the Task in flight has returned, so a re-run with the same name never overlaps it.
 */
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { Interrupted } from '../engine/sequence.ts';
import { toStepError } from './classify.ts';
import type { OrchestrationDeps } from './deps.ts';
import { stepHandler, type StepHandler } from './handler.ts';
import { loadMachine, taskStates, type MachineName } from './machines.ts';
import { STEPS } from './states/index.ts';

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Node 20 lacks it.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (v: T | PromiseLike<T>) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export type LocalEvent =
  | { readonly type: 'entered' | 'left'; readonly state: string; readonly stateType: string; readonly at: number; readonly output?: unknown }
  | { readonly type: 'failed'; readonly state: string; readonly stateType: string; readonly at: number; readonly error: string; readonly cause: string }
  | { readonly type: 'caught'; readonly state: string; readonly stateType: string; readonly at: number; readonly next: string }
  | { readonly type: 'retried'; readonly state: string; readonly stateType: string; readonly at: number; readonly attempt: number };

export type ExecutionResult =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string }
  | { readonly status: 'ABORTED' }
  | { readonly status: 'TIMED_OUT' };

export interface LocalRunOptions {
  readonly machine: MachineName;
  /** The execution input: a deploy or rollback request. */
  readonly input: unknown;
  /** `$$.Execution.Name`: the owner. Re-running with the same name resumes the release's operation. */
  readonly executionName: string;
  readonly deps: OrchestrationDeps;
  /** Milliseconds per Wait state name (tests: keep poll loops fast). */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
  /** Milliseconds before each retry, per state name (tests). */
  readonly retryIntervalOverrides?: Readonly<Record<string, number>>;
  /** Replace a Task's handler (tests inject failures around the real ones). */
  readonly wrapHandler?: (state: string, handler: StepHandler<unknown>) => StepHandler<unknown>;
  readonly onEvent?: (event: LocalEvent) => void;
  /** Aborting stops the execution after the state in flight. */
  readonly signal?: AbortSignal;
  /**
   * Validate the definition (default true). The CLI, one execution per process, skips it: the
   * files are the repository's, validated by asl-validator in the tests and by every test execution.
   */
  readonly validate?: boolean;
}

export interface LocalExecution {
  readonly result: Promise<ExecutionResult>;
  /**
   * Stops the execution where it is; resolves when the Task in flight (if any) has finished.
   * The release's pending record stays (a re-run under the same name resumes it).
   */
  abort(): Promise<void>;
  /**
   * Ctrl-C: from the next Task on, the operation's states fail with Interrupted (helm's
   * "context canceled", helmstep.Remediate), so the release ends failed, or rolled back with
   * rollback-on-failure; the failure path itself still runs. Never leaves it pending.
   */
  interrupt(): void;
}

/** The states that still run after an interrupt: failing, rolling back, releasing the lease. */
export const FAILURE_PATH: ReadonlySet<string> = new Set([
  'FailRelease',
  'RollbackBegin',
  'RollbackPreHooks',
  'RollbackUpgrade',
  'RollbackHealthGate',
  'RollbackPostHooks',
  'RollbackFinalize',
  'RollbackFailRelease',
  'ReleaseLease',
]);

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return v.message;
  return JSON.stringify(v) ?? String(v);
}

/**
 * The StateMachine of each definition, built once per process: its constructor validates the ASL
 * (100-350 ms), while run() keeps every execution's state apart, so executions can share it
 * (`helmstep serve` starts many).
 */
const validated = new Map<string, StateMachine>();

function validatedMachine(name: MachineName, def: object, validate: boolean): StateMachine {
  const key = `${name}\n${validate}\n${JSON.stringify(def)}`;
  let machine = validated.get(key);
  if (!machine) {
    machine = new StateMachine(def as never, { validationOptions: validate ? { checkArn: true, checkPaths: true } : { noValidate: true } });
    validated.set(key, machine);
  }
  return machine;
}

export function startLocal(opts: LocalRunOptions): LocalExecution {
  const def = loadMachine(opts.machine);
  const inFlight = new Set<Promise<unknown>>();
  let interrupted = false;
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const state of taskStates(def)) {
    const step = STEPS[state];
    if (!step) throw new Error(`the ${opts.machine} state machine has a Task ${state} with no handler in src/orchestration/states`);
    const base = stepHandler(step, opts.deps) as StepHandler<unknown>;
    const h = opts.wrapHandler ? opts.wrapHandler(state, base) : base;
    let invocation = 0;
    handlers[state] = (input) => {
      if (interrupted && !FAILURE_PATH.has(state)) return Promise.reject(toStepError(new Interrupted(), state));
      const p = h(input, { awsRequestId: `${opts.executionName}-${state}-${++invocation}`, functionName: `helmstep-${state}` });
      inFlight.add(p);
      void p.then(
        () => inFlight.delete(p),
        () => inFlight.delete(p),
      );
      return p;
    };
  }
  const machine = validatedMachine(opts.machine, def, opts.validate ?? true);
  const execution = machine.run(opts.input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      ...(opts.waitTimeOverrides ? { waitTimeOverrides: { ...opts.waitTimeOverrides } } : {}),
      ...(opts.retryIntervalOverrides ? { retryIntervalOverrides: { ...opts.retryIntervalOverrides } } : {}),
    },
    context: {
      Execution: {
        Name: opts.executionName,
        Id: `arn:aws:states:us-east-1:000000000000:execution:helmstep-${opts.machine}:${opts.executionName}`,
      },
      StateMachine: { Name: `helmstep-${opts.machine}` },
    },
  });

  const events = (async () => {
    for await (const e of execution.eventLogs) {
      if (!opts.onEvent) continue;
      if (e.type === 'StateEntered') opts.onEvent({ type: 'entered', state: e.state.name, stateType: e.state.type, at: e.timestamp });
      else if (e.type === 'StateExited') opts.onEvent({ type: 'left', state: e.state.name, stateType: e.state.type, at: e.timestamp, output: e.state.output });
      else if (e.type === 'StateFailed') opts.onEvent({ type: 'failed', state: e.state.name, stateType: e.state.type, at: e.timestamp, error: e.Error, cause: asText(e.Cause) });
      else if (e.type === 'StateCaught') opts.onEvent({ type: 'caught', state: e.state.name, stateType: e.state.type, at: e.timestamp, next: e.catch.catcher.Next });
      else if (e.type === 'StateRetried') opts.onEvent({ type: 'retried', state: e.state.name, stateType: e.state.type, at: e.timestamp, attempt: e.retry.attempt });
    }
  })();

  const settle = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };
  const abort = async () => {
    execution.abort();
    await settle();
  };
  if (opts.signal) {
    if (opts.signal.aborted) void abort();
    else opts.signal.addEventListener('abort', () => void abort(), { once: true });
  }

  const result = (async (): Promise<ExecutionResult> => {
    let out: ExecutionResult;
    try {
      out = { status: 'SUCCEEDED', output: await execution.result };
    } catch (err) {
      if (err instanceof ExecutionAbortedError) out = { status: 'ABORTED' };
      else if (err instanceof ExecutionTimeoutError) out = { status: 'TIMED_OUT' };
      else if (err instanceof ExecutionError) {
        const failure = err.cause as { name?: string; message?: string } | undefined;
        out = { status: 'FAILED', error: failure?.name ?? 'Error', cause: failure?.message ?? err.message };
      } else throw err;
    }
    await settle();
    await events.catch(() => undefined);
    return out;
  })();
  return {
    result,
    abort,
    interrupt: () => {
      interrupted = true;
    },
  };
}

/** Runs an execution to its end. */
export function runLocal(opts: LocalRunOptions): Promise<ExecutionResult> {
  return startLocal(opts).result;
}
