/** Errors of the metrics exporter: each says which source failed and what to check. */
import { HelmstepError } from '../release/errors.ts';

/** createMetrics was given sources it cannot use; nothing was read. */
export class InvalidMetricsSources extends HelmstepError {
  override readonly name = 'InvalidMetricsSources';
  readonly reason = 'InvalidMetricsSources';
  constructor(
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`metrics: invalid sources: ${issues.join('; ')}; fix the service configuration`, options);
  }
}

/**
 * The cluster's release records could not be read, so there is nothing true to export: the
 * scrape fails (Prometheus records `up == 0` for the target) rather than report no releases.
 */
export class MetricsUnavailable extends HelmstepError {
  override readonly name = 'MetricsUnavailable';
  readonly reason = 'MetricsUnavailable';
  override readonly retryable: boolean;
  constructor(
    readonly cluster: string,
    readonly namespace: string | undefined,
    cause: unknown,
  ) {
    const where = namespace === undefined ? 'in any namespace' : `in namespace "${namespace}"`;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`metrics: could not read the Helm release records ${where} of cluster "${cluster}": ${why}`, { cause });
    this.retryable = cause instanceof HelmstepError ? cause.retryable : true;
  }
}
