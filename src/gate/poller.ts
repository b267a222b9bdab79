/**
 * The gate as the HealthGate state calls it (the orchestration's GatePoller): validates the
 * request's gate and the previous poll's state, runs one evaluation, and throws GateFailed when
 * the gate failed (the deploy machine remediates: a rollback to the last good revision).
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { GatePoller } from '../orchestration/deps.ts';
import { describeAlarmStates } from './cloudwatch.ts';
import { GateFailed } from './errors.ts';
import { GateStateSchema, pollGate, type GateDeps, type GateState } from './evaluate.ts';
import { queryPrometheus, type PrometheusClientOptions } from './prometheus.ts';
import { parseGateSpec } from './spec.ts';

export interface GateClients {
  /** For gates that name CloudWatch alarms; built once per container. */
  readonly cloudwatch?: CloudWatchClient;
  readonly prometheus?: PrometheusClientOptions;
}

/** The gate's I/O over real clients. */
export function gateDeps(clients: GateClients): GateDeps {
  const { cloudwatch } = clients;
  return {
    query: (url, query, at) => queryPrometheus(url, query, at, clients.prometheus),
    ...(cloudwatch ? { alarms: (names: readonly string[]) => describeAlarmStates(cloudwatch, names) } : {}),
  };
}

/** A GatePoller for the orchestration's deps (`gate`). */
export function gatePoller(clients: GateClients, deps: GateDeps = gateDeps(clients)): GatePoller {
  return async (_deps, rawSpec, rawState, now) => {
    const spec = parseGateSpec(rawSpec, "the request's gate");
    // A state this version cannot read (an older execution's) restarts the bake rather than failing.
    const parsed = rawState ? GateStateSchema.safeParse(rawState) : undefined;
    const previous: GateState | undefined = parsed?.success ? parsed.data : undefined;
    const poll = await pollGate(deps, spec, previous, now);
    switch (poll.status) {
      case 'failed':
        throw new GateFailed(poll.check, poll.value, poll.reason);
      case 'passed':
        return { done: true, progress: `gate passed: ${poll.progress}`, state: poll.state };
      case 'pending':
        return { done: false, seconds: poll.seconds, progress: poll.progress, state: poll.state };
    }
  };
}
