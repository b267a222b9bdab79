/** Every Task state's core, by the ASL state name (both machines share the names they have in common). */
import type { Step } from '../handler.ts';
import { failRelease, rollbackFailRelease } from './fail-release.ts';
import { finalize, rollbackFinalize } from './finalize.ts';
import { healthGate, rollbackHealthGate } from './health-gate.ts';
import { backupHook, migrate, postRollbackHooks, preRollbackHooks, rollbackPostHooks, rollbackPreHooks } from './hooks.ts';
import { releaseLease } from './release-lease.ts';
import { render } from './render.ts';
import { rollback, rollbackBegin } from './rollback.ts';
import { rollbackUpgrade, upgrade } from './upgrade.ts';
import { validateLock } from './validate-lock.ts';

export {
  backupHook,
  failRelease,
  finalize,
  healthGate,
  migrate,
  postRollbackHooks,
  preRollbackHooks,
  releaseLease,
  render,
  rollback,
  rollbackBegin,
  rollbackFailRelease,
  rollbackFinalize,
  rollbackHealthGate,
  rollbackPostHooks,
  rollbackPreHooks,
  rollbackUpgrade,
  upgrade,
  validateLock,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStep = Step<any, any>;

export const STEPS: Readonly<Record<string, AnyStep>> = Object.fromEntries(
  [
    validateLock,
    render,
    backupHook,
    upgrade,
    healthGate,
    migrate,
    finalize,
    failRelease,
    rollbackBegin,
    rollbackPreHooks,
    rollbackUpgrade,
    rollbackHealthGate,
    rollbackPostHooks,
    rollbackFinalize,
    rollbackFailRelease,
    releaseLease,
    rollback,
    preRollbackHooks,
    postRollbackHooks,
  ].map((s: AnyStep) => [s.state, s]),
);
