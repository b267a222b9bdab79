/** The trigger edge: webhook verification, payloads, targets, execution names, alarms and the freeze. */
export * from './alarms.ts';
export * from './answer.ts';
export * from './freeze.ts';
export * from './http.ts';
export * from './naming.ts';
export * from './payloads.ts';
export * from './receive.ts';
export * from './targets.ts';
export * from './verify.ts';
