export * from './errors.ts';
export * from './spec.ts';
export * from './evaluate.ts';
export * from './prometheus.ts';
export * from './cloudwatch.ts';
export * from './poller.ts';
