/**
 * Typed failures of the Kubernetes API as the release engine meets them, and the pure
 * classifier that turns an HTTP answer (or a transport failure) into one of them. Each says
 * which object, what the API server said, and whether simply retrying can help.
 */
import { HelmstepError } from '../release/errors.ts';
import { NETWORK_ERROR_CODES } from '../store/classify.ts';
import type { ObjectRef } from './types.ts';

/** `ConfigMap "web" in namespace "shop"`, or `ClusterRole "web"` for cluster-scoped objects. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} "${ref.name}"${ref.namespace ? ` in namespace "${ref.namespace}"` : ''}`;
}

/** Go's schema.GroupVersionKind.String(): `apps/v1, Kind=Deployment`, `/v1, Kind=ConfigMap`. */
export function gvkString(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return `${group}/${version}, Kind=${kind}`;
}

/**
 * The API server is busy or unreachable: HTTP 429, 5xx, a timeout or a dropped connection.
 * Retryable: nothing about the request is wrong.
 */
export class KubeApiUnavailable extends HelmstepError {
  override readonly name = 'KubeApiUnavailable';
  readonly reason = 'KubeApiUnavailable';
  override readonly retryable = true;
  constructor(
    readonly server: string,
    /** The HTTP status, or undefined when no answer came (timeout, reset, refused). */
    readonly status: number | undefined,
    what: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const answered =
      status === undefined ? 'did not answer' : `answered HTTP ${status}${status === 429 ? ' (too many requests)' : ' (server error)'}`;
    super(`the Kubernetes API server at ${server} ${answered} to ${what}: ${detail}; retry later`, options);
  }
}

/** One field another manager owns, from a server-side apply conflict. */
export interface FieldConflict {
  readonly manager: string;
  readonly field: string;
}

/**
 * Server-side apply refused to take fields another field manager owns (HTTP 409). Not
 * retryable: a person decides whether helm takes them (--force-conflicts) or the chart changes.
 */
export class ApplyConflict extends HelmstepError {
  override readonly name = 'ApplyConflict';
  readonly reason = 'ApplyConflict';
  override readonly helmText: string;
  constructor(
    readonly ref: ObjectRef,
    /** The API server's message, e.g. `Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.message`. */
    readonly serverMessage: string,
    readonly conflicts: readonly FieldConflict[],
    options?: { cause?: unknown },
  ) {
    const helmText = `conflict occurred while applying object ${ref.namespace ?? ''}/${ref.name} ${gvkString(ref.apiVersion, ref.kind)}: ${serverMessage}`;
    const owners = [...new Set(conflicts.map((c) => c.manager))];
    super(
      `${helmText}. ${describeRef(ref)} has fields changed outside helm` +
        (owners.length > 0 ? ` (owned by ${owners.map((o) => `"${o}"`).join(', ')})` : '') +
        `; rerun with --force-conflicts to take them back, or put the change into the chart's values`,
      options,
    );
    this.helmText = helmText;
  }
}

/** The API server rejected the object itself (HTTP 400/422: schema, strict field validation, immutable field). */
export class InvalidObject extends HelmstepError {
  override readonly name = 'InvalidObject';
  readonly reason = 'InvalidObject';
  override readonly helmText: string;
  constructor(
    readonly ref: ObjectRef,
    readonly status: number,
    readonly serverMessage: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the API server rejected ${describeRef(ref)} (${ref.apiVersion}, HTTP ${status}): ${serverMessage}; fix the chart template or its values and deploy again`,
      options,
    );
    this.helmText = serverMessage;
  }
}

/** RBAC (or authentication) refused the request: HTTP 401/403. A role must change first. */
export class KubeForbidden extends HelmstepError {
  override readonly name = 'KubeForbidden';
  readonly reason = 'KubeForbidden';
  override readonly helmText: string;
  constructor(
    readonly verb: string,
    /** What was asked for, e.g. `ConfigMap "web" in namespace "shop"`. */
    readonly target: string,
    readonly status: number,
    readonly serverMessage: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the API server refused to ${verb} ${target} (HTTP ${status}): ${serverMessage}; ` +
        (status === 401
          ? 'the credentials in the kubeconfig are not accepted: renew them'
          : `grant the deploying identity "${verb}" on it (Role/ClusterRole) and retry`),
      options,
    );
    this.helmText = serverMessage;
  }
}

/**
 * The cluster serves no such kind in that apiVersion (an API removed in this Kubernetes
 * version, a CRD not installed, or a CRD version with `served: false`).
 */
export class KindNotServed extends HelmstepError {
  override readonly name = 'KindNotServed';
  readonly reason = 'KindNotServed';
  override readonly helmText: string;
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
    /** The object that needed it, when there is one. */
    readonly ref?: ObjectRef,
    options?: { cause?: unknown },
  ) {
    const helmText = `no matches for kind "${kind}" in version "${apiVersion}"`;
    super(
      `${helmText}${ref ? ` (${describeRef(ref)})` : ''}: the cluster does not serve ${kind} in ${apiVersion}; ` +
        `install its CustomResourceDefinition (or serve that version), or move the chart to an apiVersion this cluster serves`,
      options,
    );
    this.helmText = helmText;
  }
}

/**
 * A write guarded by resourceVersion lost a race (HTTP 409 outside server-side apply): the
 * object changed since it was read. Retryable after a fresh read.
 */
export class ObjectChanged extends HelmstepError {
  override readonly name = 'ObjectChanged';
  readonly reason = 'ObjectChanged';
  override readonly retryable = true;
  constructor(
    readonly ref: ObjectRef,
    readonly serverMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`${describeRef(ref)} changed while helmstep was updating it (${serverMessage}); read it again and retry`, options);
  }
}

/** Any other refusal (a missing namespace, an unsupported media type, …). Not retryable. */
export class KubeRequestFailed extends HelmstepError {
  override readonly name = 'KubeRequestFailed';
  readonly reason = 'KubeRequestFailed';
  override readonly helmText: string;
  constructor(
    readonly verb: string,
    readonly target: string,
    readonly status: number,
    readonly serverMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`the API server refused to ${verb} ${target} (HTTP ${status}): ${serverMessage}; fix the cause it names and retry`, options);
    this.helmText = serverMessage;
  }
}

// ---------------------------------------------------------------------------------------------
// Classification (pure)

/** A Kubernetes `Status` body, as far as the classifier reads it. */
export interface StatusBody {
  readonly message?: string;
  readonly reason?: string;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
  };
}

/** What the failed request was, for the error's words. */
export interface RequestContext {
  /** The API server URL, named in availability errors. */
  readonly server: string;
  /** `get`, `apply`, `patch`, `delete`, `list`, `read logs of`, `discover`. */
  readonly verb: string;
  /** The object, when the request was about one. */
  readonly ref?: ObjectRef;
  /** What the request was about when there is no single object (`list Pods in namespace "x"`). */
  readonly target?: string;
}

export function parseStatus(body: string): StatusBody {
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
  } catch {
    // Not JSON: a proxy's or load balancer's page.
  }
  return { message: body.trim().slice(0, 500) };
}

const CONFLICT_CAUSE = /conflict with "([^"]*)"/;

function conflictsOf(status: StatusBody): FieldConflict[] {
  return (status.details?.causes ?? [])
    .filter((c) => c.reason === 'FieldManagerConflict')
    .map((c) => ({ manager: CONFLICT_CAUSE.exec(c.message ?? '')?.[1] ?? '', field: c.field ?? '' }));
}

function targetOf(ctx: RequestContext): string {
  return ctx.ref ? describeRef(ctx.ref) : (ctx.target ?? 'the API');
}

/**
 * The typed error for an HTTP answer of 400 or more. 404 is classified here only for requests
 * where it is a failure: the client turns a 404 of an existing kind into "absent" for get/delete.
 * A 404 without details names no object: the resource type itself is gone → KindNotServed.
 */
export function classifyStatus(status: number, body: StatusBody, ctx: RequestContext, cause?: unknown): HelmstepError {
  const message = body.message || `HTTP ${status}`;
  const options = { cause };
  if (status === 429 || status >= 500) return new KubeApiUnavailable(ctx.server, status, `${ctx.verb} ${targetOf(ctx)}`, message, options);
  if (status === 401 || status === 403) return new KubeForbidden(ctx.verb, targetOf(ctx), status, message, options);
  if (status === 409 && ctx.ref) {
    if (ctx.verb === 'apply') return new ApplyConflict(ctx.ref, message, conflictsOf(body), options);
    return new ObjectChanged(ctx.ref, message, options);
  }
  if ((status === 400 || status === 422) && ctx.ref && (ctx.verb === 'apply' || ctx.verb === 'patch')) {
    return new InvalidObject(ctx.ref, status, message, options);
  }
  if (status === 404 && ctx.ref && !body.details?.name) {
    return new KindNotServed(ctx.ref.apiVersion, ctx.ref.kind, ctx.ref, options);
  }
  return new KubeRequestFailed(ctx.verb, targetOf(ctx), status, message, options);
}

/** Error codes that mean the connection, not the request, failed: the store's, and two more the apply layer's client reports. */
const NETWORK_CODES: ReadonlySet<string> = new Set([...NETWORK_ERROR_CODES, 'ECONNABORTED', 'ESOCKETTIMEDOUT']);

/**
 * A request that got no HTTP answer. Network failures and timeouts are KubeApiUnavailable
 * (retryable); anything else (a TLS certificate problem, a programming error) is returned as is,
 * since retrying cannot fix it.
 */
export function classifyTransport(err: unknown, ctx: RequestContext): unknown {
  const code: unknown = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    const message = err instanceof Error ? err.message : String(err);
    return new KubeApiUnavailable(ctx.server, undefined, `${ctx.verb} ${targetOf(ctx)}`, `${code} ${message}`, { cause: err });
  }
  return err;
}
