/**
 * Typed domain errors. Branch with `instanceof` or on `reason`, never on message text.
 *
 * `message` is for humans: it names namespace/release, the cause and the next step.
 * `helmText`, where set, is the exact string the helm CLI prints for the same condition, so
 * the CLI can stay byte-compatible (`Error: <helmText>`).
 * `retryable` says whether running the same call again may succeed with nothing changed in
 * between (a busy API server, a lost race): a state machine retries those and stops on the rest.
 */

export interface ReleaseRef {
  readonly namespace: string;
  readonly name: string;
}

function where(ref: ReleaseRef): string {
  return `release "${ref.name}" in namespace "${ref.namespace}"`;
}

export abstract class HelmstepError extends Error {
  abstract readonly reason: string;
  /** Helm's own wording for this condition, when helm has one. */
  readonly helmText?: string;
  /** True when the same call may succeed if simply run again; false when something must change first. */
  readonly retryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No record at all for the release (helm: `release: not found`). */
export class ReleaseNotFound extends HelmstepError {
  override readonly name = 'ReleaseNotFound';
  readonly reason = 'ReleaseNotFound';
  override readonly helmText = 'release: not found';
  constructor(
    readonly ref: ReleaseRef,
    options?: { cause?: unknown },
  ) {
    super(
      `release: not found: ${where(ref)} has no records; check the name and namespace (helm list -n ${ref.namespace})`,
      options,
    );
  }
}

/** The release exists but upgrade found no usable deployed revision. */
export class NoDeployedRelease extends HelmstepError {
  override readonly name = 'NoDeployedRelease';
  readonly reason = 'NoDeployedRelease';
  override readonly helmText: string;
  constructor(
    readonly ref: ReleaseRef,
    options?: { cause?: unknown },
  ) {
    const helmText = `"${ref.name}" has no deployed releases`;
    super(
      `${helmText}: ${where(ref)} has no deployed, failed or superseded revision to upgrade from; install it again`,
      options,
    );
    this.helmText = helmText;
  }
}

/**
 * The newest record is pending-*: another install/upgrade/rollback holds the release.
 * Helm's pending record is the lock; a crashed operation leaves it behind. Not retryable: the
 * holder must finish, or a person unlocks a stale lock.
 */
export class OperationInProgress extends HelmstepError {
  override readonly name = 'OperationInProgress';
  readonly reason = 'OperationInProgress';
  override readonly helmText = 'another operation (install/upgrade/rollback) is in progress';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    readonly status: string,
    options?: { cause?: unknown },
  ) {
    super(
      `another operation (install/upgrade/rollback) is in progress: ${where(ref)} revision ${revision} is ${status}; ` +
        `wait for it to finish, or if it crashed, release the lock (helmstep unlock ${ref.name} -n ${ref.namespace}) ` +
        `or roll back (helm rollback ${ref.name} -n ${ref.namespace}); the lock is the Secret sh.helm.release.v1.${ref.name}.v${revision}`,
      options,
    );
  }
}

/** A requested revision does not exist (helm: `release has no N version`). */
export class RevisionNotFound extends HelmstepError {
  override readonly name = 'RevisionNotFound';
  readonly reason = 'RevisionNotFound';
  override readonly helmText: string;
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    options?: { cause?: unknown },
  ) {
    const helmText = `release has no ${revision} version`;
    super(`${helmText}: ${where(ref)} has no revision ${revision}; see helm history ${ref.name} -n ${ref.namespace}`, options);
    this.helmText = helmText;
  }
}

/** A negative rollback target (helm: `invalid release revision`). */
export class InvalidRevision extends HelmstepError {
  override readonly name = 'InvalidRevision';
  readonly reason = 'InvalidRevision';
  override readonly helmText = 'invalid release revision';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    options?: { cause?: unknown },
  ) {
    super(`invalid release revision ${revision} for ${where(ref)}: use 0 (previous) or a positive revision`, options);
  }
}

/** The encoded record would exceed Kubernetes' 1 MiB Secret data limit; nothing was written. */
export class ReleaseTooLarge extends HelmstepError {
  override readonly name = 'ReleaseTooLarge';
  readonly reason = 'ReleaseTooLarge';
  constructor(
    readonly ref: ReleaseRef,
    readonly revision: number,
    readonly size: number,
    readonly limit: number = 1_048_576,
    options?: { cause?: unknown },
  ) {
    super(
      `${where(ref)} revision ${revision} encodes to ${size} bytes, over the Kubernetes Secret data limit of ${limit} bytes; ` +
        `nothing was written. Shrink the chart (large files, bundled assets, big values) and retry`,
      options,
    );
  }
}

/** A stored record failed to decode. Helm silently skips such records; helmstep names them. */
export class CorruptRecord extends HelmstepError {
  override readonly name = 'CorruptRecord';
  readonly reason = 'CorruptRecord';
  constructor(
    readonly secret: { readonly namespace: string; readonly name: string },
    readonly stage: 'base64' | 'gzip' | 'json' | 'schema',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Secret ${secret.namespace}/${secret.name} holds a corrupt release record (${stage} stage: ${detail}); ` +
        `helm ignores it, so the release may look older than it is. Inspect it with kubectl get secret -n ${secret.namespace} ${secret.name} -o yaml, ` +
        `then repair or delete it`,
      options,
    );
  }
}

/** Helm's system label names; users may not set them. Order as helm's GetSystemLabels. */
export const SYSTEM_LABELS = ['name', 'owner', 'status', 'version', 'createdAt', 'modifiedAt'] as const;

/** User-supplied labels used a reserved (system) name. */
export class ReservedLabel extends HelmstepError {
  override readonly name = 'ReservedLabel';
  readonly reason = 'ReservedLabel';
  override readonly helmText = `user supplied labels contains system reserved label name. System labels: [${SYSTEM_LABELS.join(' ')}]`;
  constructor(
    readonly labels: readonly string[],
    readonly ref?: ReleaseRef,
    options?: { cause?: unknown },
  ) {
    super(
      `label${labels.length > 1 ? 's' : ''} ${labels.map((l) => `"${l}"`).join(', ')} ` +
        `${ref ? `for ${where(ref)} ` : ''}${labels.length > 1 ? 'are' : 'is'} reserved by helm ` +
        `(${SYSTEM_LABELS.join(', ')}); rename ${labels.length > 1 ? 'them' : 'it'}`,
      options,
    );
  }
}

export const RELEASE_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const MAX_RELEASE_NAME_LENGTH = 53;

/** The release name breaks helm's rule (DNS-1123 subdomain, at most 53 characters). */
export class InvalidReleaseName extends HelmstepError {
  override readonly name = 'InvalidReleaseName';
  readonly reason = 'InvalidReleaseName';
  override readonly helmText: string;
  constructor(
    readonly releaseName: string,
    options?: { cause?: unknown },
  ) {
    const helmText =
      releaseName === ''
        ? 'no name provided'
        : `invalid release name, must match regex ${RELEASE_NAME_PATTERN.source} and the length must not be longer than ${MAX_RELEASE_NAME_LENGTH}`;
    super(
      releaseName === ''
        ? 'no release name provided'
        : `release name "${releaseName}" is invalid: use lowercase letters, digits, '-' and '.', ` +
            `starting and ending with a letter or digit, at most ${MAX_RELEASE_NAME_LENGTH} characters` +
            (releaseName.length > MAX_RELEASE_NAME_LENGTH ? ` (it has ${releaseName.length})` : ''),
      options,
    );
    this.helmText = helmText;
  }
}
