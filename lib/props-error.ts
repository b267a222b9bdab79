/**
 * Thrown by a helmstep construct when its props are invalid, before anything is built.
 *
 * Every prop is checked first and every problem is collected, so one synth shows the whole
 * list instead of one problem per attempt (the aws-solutions-constructs habit). Branch on
 * `instanceof PropsError` and read `problems`; never parse the message.
 */
export class PropsError extends Error {
  override readonly name = 'PropsError';

  constructor(
    /** The props interface that was validated, e.g. `HelmstepProps`. */
    readonly propsName: string,
    /** One human-readable line per problem, each starting with the prop's name. */
    readonly problems: readonly string[],
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`Invalid ${propsName} (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Throws one {@link PropsError} listing every problem, or returns when there are none. */
export function throwIfProblems(propsName: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new PropsError(propsName, problems);
}
