/**
 * The gate's typed errors. `GateFailed` is what the HealthGate state throws when a check failed
 * (the deploy machine remediates it: a rollback); the others are raised while reading a spec or
 * a metric source.
 */
import { HelmstepError } from '../release/errors.ts';

/** A gate spec (flags, a gate file or a request's `gate`) that does not describe a gate. */
export class InvalidGateSpec extends HelmstepError {
  override readonly name = 'InvalidGateSpec';
  readonly reason = 'InvalidGateSpec';
  constructor(
    readonly source: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid health gate in ${source}: ${problem}; fix it and run the command again`, options);
  }
}

/**
 * A Prometheus instant query that gave no usable answer: unreachable, an HTTP or PromQL error, or
 * a result of the wrong type. The gate counts it as an inconclusive measurement, not a failure.
 */
export class PrometheusQueryError extends HelmstepError {
  override readonly name = 'PrometheusQueryError';
  readonly reason = 'PrometheusQueryError';
  override readonly retryable = true;
  constructor(
    readonly url: string,
    readonly query: string,
    readonly detail: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`Prometheus at ${url} could not answer the query ${query}: ${detail}; check the URL and the query (try it in Prometheus's /graph page)`, options);
  }
}

/** DescribeAlarms failed (throttled, denied, unreachable): the alarm states are unknown this time. */
export class AlarmsUnavailable extends HelmstepError {
  override readonly name = 'AlarmsUnavailable';
  readonly reason = 'AlarmsUnavailable';
  constructor(
    readonly names: readonly string[],
    readonly detail: string,
    override readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      `could not read the CloudWatch alarms ${names.map((n) => `"${n}"`).join(', ')}: ${detail}; ${retryable ? 'it will be read again at the next evaluation' : 'check the region and that the role may call cloudwatch:DescribeAlarms'}`,
      options,
    );
  }
}

/**
 * The health gate failed: a check beyond its failure limit, an alarm in ALARM, or too many
 * inconclusive measurements in a row. `check` names it, `value` is what it measured.
 */
export class GateFailed extends HelmstepError {
  override readonly name = 'GateFailed';
  readonly reason = 'GateFailed';
  constructor(
    readonly check: string,
    readonly value: number | string | null,
    /** One line: which check, its query or alarm, the value and the threshold. */
    readonly text: string,
  ) {
    super(`health gate failed: ${text}; the release is rolled back when the request asks for it (rollbackOnGateFailure), otherwise fix and deploy again`);
  }
}
