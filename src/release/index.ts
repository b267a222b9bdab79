/** The pure release domain: Helm's record format, codec, lifecycle decisions and CLI views. */
export * from './record.ts';
export * from './codec.ts';
export * from './errors.ts';
export * from './lifecycle.ts';
export * from './views.ts';
export * from './diff.ts';
export * from './owner.ts';
