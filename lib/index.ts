export { buildHelmstepApp, HELMSTEP_STACK_ID } from './app.ts';
export { AUDIT_TABLE_SCHEMA, AuditTable, auditTableProblems, type AuditTableProps } from './audit-table.ts';
export { HelmstepStack, helmstepPropsProblems, type HelmstepProps } from './helmstep-stack.ts';
export { KubectlLayer } from './kubectl-layer.ts';
export { PropsError, throwIfProblems } from './props-error.ts';
