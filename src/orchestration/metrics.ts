/**
 * One metric per state invocation, with the state's name as the dimension (the same name is the
 * ASL state, the handler, and the log field): `StepDuration` (ms) and `StepInvocations` (count),
 * both by `state` and `outcome` (succeeded, retryable, remediate, stop). In Lambda, Powertools
 * writes them as CloudWatch Embedded Metric Format lines, which CloudWatch turns into metrics
 * without an API call.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export type StepOutcome = 'succeeded' | 'retryable' | 'remediate' | 'stop';

export interface StepMetrics {
  record(state: string, outcome: StepOutcome, ms: number): void;
}

/** The outcome dimension of a classified failure (`helmstep.Retryable` → `retryable`). */
export function outcomeOfError(name: string): StepOutcome {
  if (name === 'helmstep.Retryable') return 'retryable';
  if (name === 'helmstep.Remediate') return 'remediate';
  return 'stop';
}

export function powertoolsMetrics(metrics = new Metrics({ namespace: 'helmstep', serviceName: 'helmstep' })): StepMetrics {
  return {
    record(state, outcome, ms) {
      // A single metric is written as soon as it is added: one EMF line each, both with the dimensions.
      for (const [name, unit, value] of [
        ['StepDuration', MetricUnit.Milliseconds, ms],
        ['StepInvocations', MetricUnit.Count, 1],
      ] as const) {
        metrics.singleMetric().addDimensions({ state, outcome }).addMetric(name, unit, value);
      }
    },
  };
}
