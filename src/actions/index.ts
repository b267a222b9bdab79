/**
 * Release records through an operation's life, as helm's pkg/action writes them: plan from the
 * history (pure, src/release/lifecycle.ts), then a few store calls. These are the record-keeping
 * halves of install, upgrade and rollback; applying manifests and running hooks happen between
 * begin* and complete/fail. Every call is safe to retry: begin* resumes its owner's pending
 * record, complete/fail finish what a crash interrupted, and refusals write nothing.
 */
export { beginInstall, type BeginInstallOptions } from './install.ts';
export { beginUpgrade, type BeginUpgradeOptions } from './upgrade.ts';
export { beginRollback, type BeginRollbackOptions, type BegunRollback } from './rollback.ts';
export { completeOperation, type CompleteOptions } from './complete.ts';
export { failOperation, type FailOptions } from './fail.ts';
export { unlock, type UnlockOptions } from './unlock.ts';
export { updatePending } from './update-pending.ts';
export { DEFAULT_MAX_HISTORY, type Begun } from './shared.ts';
export { LockHeld, NameInUse, NotLocked, NotNewest, NotOwner, NotPending, ReleaseChanged } from './errors.ts';
