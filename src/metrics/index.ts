/** The /metrics exporter: the design article's metric names over the cluster's records and the audit log. */
export { createMetrics, type Metrics, type MetricsSources } from './metrics.ts';
export { InvalidMetricsSources, MetricsUnavailable } from './errors.ts';
export { CONTENT_TYPE, parseExposition, renderExposition, type Family, type ParsedSample, type Sample } from './exposition.ts';
export { RULES_FILE } from './rules.ts';
