/**
 * Starting the state machines, idempotently by name: the triggers name every execution after its
 * delivery or alarm transition, so a second start with the same name must find the first one,
 * never run a second.
 *
 * - LocalExecutions: the local Step Functions engine (startLocal) in this process, with a
 *   registry of the executions started (same name → same execution) and of those in flight, so
 *   that shutdown can interrupt them the way Ctrl-C interrupts the CLI (the release ends failed,
 *   or rolled back, never pending) and wait for them.
 * - SfnExecutions: AWS Step Functions' StartExecution; ExecutionAlreadyExists (same name, other
 *   input) → DescribeExecution and that execution. Same name and same input is already
 *   idempotent in Step Functions (it answers with the running execution).
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';

import type { OrchestrationDeps } from '../orchestration/deps.ts';
import { startLocal, type ExecutionResult, type LocalEvent, type LocalExecution } from '../orchestration/local.ts';
import type { MachineName } from '../orchestration/machines.ts';
import { HelmstepError } from '../release/errors.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface StartedExecution {
  readonly executionId: string;
  /** False when an execution of that name already existed (nothing new was started). */
  readonly started: boolean;
}

export interface ExecutionInfo {
  readonly name: string;
  readonly machine: MachineName;
  readonly executionId: string;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface ExecutionStarter {
  start(machine: MachineName, name: string, input: unknown): Promise<StartedExecution>;
  /** The execution of that name (of `machine`, or of either machine), undefined when there is none. */
  describe(name: string, machine?: MachineName): Promise<ExecutionInfo | undefined>;
}

/** The service is shutting down and starts nothing new (503: send it again later). */
export class ServiceStopping extends HelmstepError {
  override readonly name = 'ServiceStopping';
  readonly reason = 'ServiceStopping';
  override readonly retryable = true;
  constructor(execution: string) {
    super(`helmstep serve is shutting down: execution ${execution} was not started; send the delivery again once it is back`);
  }
}

/** The execution id the local engine gives `$$.Execution.Id`. */
export function localExecutionId(machine: MachineName, name: string): string {
  return `arn:aws:states:us-east-1:000000000000:execution:helmstep-${machine}:${name}`;
}

interface Entry {
  info: ExecutionInfo;
  readonly execution: LocalExecution;
  readonly result: Promise<ExecutionResult>;
}

export interface LocalExecutionsOptions {
  readonly deps: OrchestrationDeps;
  /** Milliseconds per Wait state / before each retry (tests only: HELMSTEP_TEST_WAIT_MS). */
  readonly waitTimeOverrides?: Partial<Record<MachineName, Record<string, number>>>;
  readonly retryIntervalOverrides?: Partial<Record<MachineName, Record<string, number>>>;
  readonly onEvent?: (name: string, machine: MachineName, e: LocalEvent) => void;
  readonly onEnd?: (info: ExecutionInfo) => void;
  readonly now?: () => Date;
}

export class LocalExecutions implements ExecutionStarter {
  private readonly entries = new Map<string, Entry>();
  private stopping = false;
  private readonly now: () => Date;

  constructor(private readonly opts: LocalExecutionsOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  start(machine: MachineName, name: string, input: unknown): Promise<StartedExecution> {
    const known = this.entries.get(`${machine}:${name}`);
    if (known) return Promise.resolve({ executionId: known.info.executionId, started: false });
    if (this.stopping) return Promise.reject(new ServiceStopping(name));
    const waits = this.opts.waitTimeOverrides?.[machine];
    const retries = this.opts.retryIntervalOverrides?.[machine];
    const execution = startLocal({
      machine,
      input,
      executionName: name,
      deps: this.opts.deps,
      ...(waits ? { waitTimeOverrides: waits } : {}),
      ...(retries ? { retryIntervalOverrides: retries } : {}),
      ...(this.opts.onEvent ? { onEvent: (e: LocalEvent) => this.opts.onEvent!(name, machine, e) } : {}),
    });
    const entry: Entry = {
      info: { name, machine, executionId: localExecutionId(machine, name), status: 'RUNNING', startedAt: this.now().toISOString() },
      execution,
      result: execution.result.catch((e: unknown): ExecutionResult => ({ status: 'FAILED', error: 'helmstep.EngineError', cause: e instanceof Error ? e.message : String(e) })),
    };
    this.entries.set(`${machine}:${name}`, entry);
    void entry.result.then((r) => {
      entry.info = {
        ...entry.info,
        status: r.status,
        stoppedAt: this.now().toISOString(),
        ...(r.status === 'FAILED' ? { error: r.error, cause: r.cause } : {}),
      };
      this.opts.onEnd?.(entry.info);
    });
    return Promise.resolve({ executionId: entry.info.executionId, started: true });
  }

  describe(name: string, machine?: MachineName): Promise<ExecutionInfo | undefined> {
    const machines: MachineName[] = machine ? [machine] : ['deploy', 'rollback'];
    for (const m of machines) {
      const e = this.entries.get(`${m}:${name}`);
      if (e) return Promise.resolve(e.info);
    }
    return Promise.resolve(undefined);
  }

  /** Every execution started so far (tests, the bench). */
  list(): ExecutionInfo[] {
    return [...this.entries.values()].map((e) => e.info);
  }

  running(): ExecutionInfo[] {
    return this.list().filter((i) => i.status === 'RUNNING');
  }

  /** The execution's end (tests). */
  async result(name: string, machine?: MachineName): Promise<ExecutionResult | undefined> {
    const machines: MachineName[] = machine ? [machine] : ['deploy', 'rollback'];
    for (const m of machines) {
      const e = this.entries.get(`${m}:${name}`);
      if (e) return e.result;
    }
    return undefined;
  }

  /**
   * Starts nothing more; interrupts every execution in flight (from its next Task on, the
   * operation fails as helm's context cancellation does and the failure path runs: the release
   * ends failed or rolled back, never pending) and waits for them to end.
   */
  async shutdown(): Promise<ExecutionInfo[]> {
    this.stopping = true;
    const inFlight = [...this.entries.values()].filter((e) => e.info.status === 'RUNNING');
    for (const e of inFlight) e.execution.interrupt();
    await Promise.all(inFlight.map((e) => e.result));
    return inFlight.map((e) => e.info);
  }
}

export interface SfnExecutionsOptions {
  readonly client: SFNClient;
  readonly stateMachines: Readonly<Record<MachineName, string>>;
}

/** The execution ARN of `name` under a state machine ARN (Step Functions' documented form). */
export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

function isNamed(e: unknown, cls: { new (...args: never[]): Error }, name: string): boolean {
  return e instanceof cls || (e instanceof Error && e.name === name);
}

export class SfnExecutions implements ExecutionStarter {
  constructor(private readonly opts: SfnExecutionsOptions) {}

  async start(machine: MachineName, name: string, input: unknown): Promise<StartedExecution> {
    const stateMachineArn = this.opts.stateMachines[machine];
    try {
      const out = await this.opts.client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return { executionId: out.executionArn ?? executionArn(stateMachineArn, name), started: true };
    } catch (e) {
      if (!isNamed(e, ExecutionAlreadyExists, 'ExecutionAlreadyExists')) throw e;
    }
    const existing = await this.describe(name, machine);
    return { executionId: existing?.executionId ?? executionArn(stateMachineArn, name), started: false };
  }

  async describe(name: string, machine?: MachineName): Promise<ExecutionInfo | undefined> {
    const machines: MachineName[] = machine ? [machine] : ['deploy', 'rollback'];
    for (const m of machines) {
      try {
        const out = await this.opts.client.send(new DescribeExecutionCommand({ executionArn: executionArn(this.opts.stateMachines[m], name) }));
        return {
          name,
          machine: m,
          executionId: out.executionArn ?? executionArn(this.opts.stateMachines[m], name),
          status: (out.status ?? 'RUNNING') as ExecutionStatus,
          startedAt: (out.startDate ?? new Date(0)).toISOString(),
          ...(out.stopDate ? { stoppedAt: out.stopDate.toISOString() } : {}),
          ...(out.error ? { error: out.error } : {}),
          ...(out.cause ? { cause: out.cause } : {}),
        };
      } catch (e) {
        if (!isNamed(e, ExecutionDoesNotExist, 'ExecutionDoesNotExist')) throw e;
      }
    }
    return undefined;
  }
}
