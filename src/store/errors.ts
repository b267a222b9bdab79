import { HelmstepError, type ReleaseRef } from '../release/errors.ts';

/**
 * Create found the object already there: another writer took this revision first (helm:
 * `release: already exists`). Retryable: nothing was written, and a fresh read decides again.
 */
export class ReleaseExists extends HelmstepError {
  override readonly name = 'ReleaseExists';
  readonly reason = 'ReleaseExists';
  override readonly retryable = true;
  override readonly helmText = 'release: already exists';
  constructor(
    readonly ref: ReleaseRef,
    readonly version: number,
    options?: { cause?: unknown },
  ) {
    super(
      `release: already exists: revision ${version} of release "${ref.name}" in namespace "${ref.namespace}" was written by another operation at the same time; read the history and retry`,
      options,
    );
  }
}

/** Update lost an optimistic-concurrency race: the record changed since it was read. Retryable after a fresh read. */
export class ConcurrentUpdate extends HelmstepError {
  override readonly name = 'ConcurrentUpdate';
  readonly reason = 'ConcurrentUpdate';
  override readonly retryable = true;
  constructor(
    readonly ref: ReleaseRef,
    readonly version: number,
    options?: { cause?: unknown },
  ) {
    super(
      `revision ${version} of release "${ref.name}" in namespace "${ref.namespace}" changed since it was read (another writer); read it again and retry`,
      options,
    );
  }
}

/**
 * The Kubernetes API could not be reached: says which cluster and why. Retryable for network
 * failures (refused, reset, timed out, DNS); not for TLS/certificate failures, which a retry
 * cannot fix.
 */
export class ClusterUnavailable extends HelmstepError {
  override readonly name = 'ClusterUnavailable';
  readonly reason = 'ClusterUnavailable';
  override readonly retryable: boolean;
  constructor(
    readonly server: string,
    detail: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(
      `Kubernetes cluster unreachable at ${server}: ${detail}; check --kubeconfig/--kube-context (or KUBECONFIG) and that the API server is up`,
      options,
    );
    this.retryable = options?.retryable ?? true;
  }
}

/** The API server answered 429 (throttled) or 5xx (overloaded, failing): names the code. Retryable. */
export class ClusterBusy extends HelmstepError {
  override readonly name = 'ClusterBusy';
  readonly reason = 'ClusterBusy';
  override readonly retryable = true;
  constructor(
    readonly server: string,
    readonly status: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the Kubernetes API server at ${server} answered HTTP ${status} (${status === 429 ? 'too many requests' : 'server error'}) to ${detail}; retry later`,
      options,
    );
  }
}

/** The API server refused the request (RBAC and similar): names the verb and object. */
export class ClusterForbidden extends HelmstepError {
  override readonly name = 'ClusterForbidden';
  readonly reason = 'ClusterForbidden';
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`${detail}; grant the identity in your kubeconfig access to Secrets in that namespace`, options);
  }
}

/** The API server rejected the request as invalid (another 4xx): not retryable, the request must change. */
export class ClusterRejected extends HelmstepError {
  override readonly name = 'ClusterRejected';
  readonly reason = 'ClusterRejected';
  constructor(
    readonly status: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${detail}; the request must change before it can succeed`, options);
  }
}
