import { HelmstepError } from '../release/errors.ts';
import type { CommandName } from './usage.ts';

/** The command line itself is wrong (unknown command or flag, bad value, wrong arguments): exit 2. */
export class UsageError extends HelmstepError {
  override readonly name = 'UsageError';
  readonly reason = 'UsageError';
  constructor(
    message: string,
    /** The command whose usage line to print after the message, if known. */
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

/** The request is well-formed but cannot be answered from the records (e.g. nothing to diff): exit 1. */
export class CannotAnswer extends HelmstepError {
  override readonly name = 'CannotAnswer';
  readonly reason = 'CannotAnswer';
}
