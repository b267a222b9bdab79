/**
 * One Lambda handler per Task state, all built the same way: a middy handler whose `before`
 * parses the input with the state's zod schema, whose core function gets the injected deps, whose
 * `after` checks the output with its schema, and whose `onError` logs and classifies the failure
 * into helmstep.Retryable / helmstep.Remediate / helmstep.Stop (see classify.ts). The local engine
 * runs these very handlers in process; in AWS, functions/<state>.ts exports one.
 */
import middy from '@middy/core';
import type * as z from 'zod';
import { toStepError } from './classify.ts';
import type { OrchestrationDeps, StepLog } from './deps.ts';
import { InvalidRequest } from './errors.ts';
import { outcomeOfError } from './metrics.ts';
import { issueLines } from './request.ts';

export interface Step<I, O> {
  /** The ASL state name (and the log field). */
  readonly state: string;
  readonly input: z.ZodType<I>;
  readonly output: z.ZodType<O>;
  run(deps: OrchestrationDeps, input: I, log: StepLog): Promise<O>;
}

export function defineStep<I, O>(step: Step<I, O>): Step<I, O> {
  return step;
}

/** The part of a Lambda context the handler may read (the local engine passes a small one). */
export interface LambdaContextLike {
  readonly awsRequestId?: string;
  readonly functionName?: string;
  getRemainingTimeInMillis?: () => number;
}

export type DepsSource = OrchestrationDeps | (() => OrchestrationDeps | Promise<OrchestrationDeps>);

export type StepHandler<O> = (event: unknown, context?: LambdaContextLike) => Promise<O>;

/** The execution an input belongs to: the owner (the execution name) every state document carries. */
function executionIdOf(event: unknown): string {
  const e = event as { owner?: unknown; execution?: unknown } | null;
  if (typeof e?.owner === 'string') return e.owner;
  if (typeof e?.execution === 'string') return e.execution;
  return 'unknown';
}

interface Internal {
  log?: StepLog;
  started?: number;
  [key: string]: unknown;
}

/** The context the core sees: the Lambda context plus this invocation's logger. */
type StepContext = LambdaContextLike & { readonly helmstepLog?: StepLog };

const fallbackLog: StepLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The middy handler of `step`. `deps` is either the deps, or a function that builds them
 * (called on the first invocation and kept: clients are built once per container).
 */
export function stepHandler<I, O>(step: Step<I, O>, deps: DepsSource): StepHandler<O> {
  let built: Promise<OrchestrationDeps> | undefined;
  const depsOnce = (): Promise<OrchestrationDeps> => {
    if (!built) {
      const p = Promise.resolve().then(() => (typeof deps === 'function' ? deps() : deps));
      // A failed build is tried again on the next invocation rather than kept.
      p.catch(() => {
        if (built === p) built = undefined;
      });
      built = p;
    }
    return built;
  };

  const handler = middy<unknown, O, Error, never, Internal>()
    .before(async (request) => {
      const d = await depsOnce();
      const log = d.log({ executionId: executionIdOf(request.event), state: step.state });
      request.internal.log = log;
      request.internal.started = Date.now();
      (request as { context: StepContext }).context = Object.assign(Object.create(request.context as object) as object, { helmstepLog: log });
      const parsed = step.input.safeParse(request.event);
      if (!parsed.success) throw new InvalidRequest(step.state, issueLines(parsed.error));
      request.event = parsed.data;
    })
    .handler(async (event, context) => step.run(await depsOnce(), event as I, (context as StepContext).helmstepLog ?? fallbackLog))
    .after(async (request) => {
      const checked = step.output.safeParse(request.response);
      if (!checked.success) throw new InvalidRequest(`${step.state} (its output)`, issueLines(checked.error));
      request.response = checked.data;
      // The audit event is part of the step: if it cannot be written, the step fails and is retried.
      const d = await depsOnce();
      await d.audit?.transition({ state: step.state, doc: request.event, output: checked.data });
      const ms = Date.now() - (request.internal.started ?? Date.now());
      d.metrics?.record(step.state, 'succeeded', ms);
      request.internal.log?.info('state done', { ms });
    })
    .onError(async (request) => {
      const err = toStepError(request.error, step.state);
      const log = request.internal.log ?? fallbackLog;
      log.error('state failed', { error: err.name, cause: err.stepCause });
      request.error = err;
      if (built && request.internal.started !== undefined) {
        const ms = Date.now() - request.internal.started;
        await built.then((d) => d.metrics?.record(step.state, outcomeOfError(err.name), ms)).catch(() => undefined);
      }
      if (err.name === 'helmstep.Retryable') return;
      try {
        const d = await depsOnce();
        await d.audit?.transition({ state: step.state, doc: request.event, error: { name: err.stepCause.reason || err.name, message: err.stepCause.message } });
      } catch (auditErr) {
        // The step's own failure is what the machine must see; the reconciler fills the gap.
        log.error('audit event not written', { error: auditErr instanceof Error ? auditErr.message : String(auditErr) });
      }
    });

  return (event, context) => handler(event, (context ?? {}) as never);
}
