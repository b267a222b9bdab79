/**
 * The release-changing commands (install, upgrade, rollback, test, unlock). A stub until the
 * release engine lands: its author replaces the body of runAction, keeping this signature.
 */
import { HelmstepError, type ReleaseRef } from '../../release/errors.ts';
import type { ActionCommand } from '../args.ts';
import type { CommandContext } from './context.ts';

/** What an action needs beyond the store: the cluster it was opened on, the environment and cancellation. */
export interface ActionContext extends CommandContext {
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Fires on SIGINT/SIGTERM: stop waiting, leave the release in a state helm understands. */
  readonly signal?: AbortSignal;
}

export class NotImplemented extends HelmstepError {
  override readonly name = 'NotImplemented';
  readonly reason = 'NotImplemented';
}

/** Runs one action on `ref`; resolves to the exit code (0 success, 1 failure). */
export async function runAction(cmd: ActionCommand, ref: ReleaseRef, _ctx: ActionContext): Promise<number> {
  await Promise.resolve();
  throw new NotImplemented(
    `helmstep ${cmd.kind} is not implemented yet: release "${ref.name}" in namespace "${ref.namespace}" was not changed; use helm ${cmd.kind === 'unlock' ? 'rollback' : cmd.kind} for now`,
  );
}
