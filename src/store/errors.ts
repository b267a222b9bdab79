import { HelmstepError, type ReleaseRef } from '../release/errors.ts';

/** Create found the object already there: another writer took this revision first (helm: `release: already exists`). */
export class ReleaseExists extends HelmstepError {
  override readonly name = 'ReleaseExists';
  readonly reason = 'ReleaseExists';
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

/** Update lost an optimistic-concurrency race: the record changed since it was read. */
export class ConcurrentUpdate extends HelmstepError {
  override readonly name = 'ConcurrentUpdate';
  readonly reason = 'ConcurrentUpdate';
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

/** The Kubernetes API could not be reached or refused us; says which cluster and why. */
export class ClusterUnavailable extends HelmstepError {
  override readonly name = 'ClusterUnavailable';
  readonly reason = 'ClusterUnavailable';
  constructor(
    readonly server: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Kubernetes cluster unreachable at ${server}: ${detail}; check --kubeconfig/--kube-context (or KUBECONFIG) and that the API server is up`,
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
