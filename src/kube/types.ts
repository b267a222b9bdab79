/**
 * The shapes every Kubernetes-facing module shares: an object as helm renders it, a reference to
 * one, and the small client interface the engine's steps call (implemented over
 * @kubernetes/client-node in ./client.ts; faked nowhere: steps are tested on the real API server).
 */

/** A Kubernetes object as rendered by a chart or read from the API server (plain JSON). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    generation?: number;
    managedFields?: ManagedFieldsEntry[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager?: string;
  /** 'Apply' or 'Update' (kept open: the API may add operations). */
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** Enough to find one object: apiVersion, kind, namespace (absent for cluster-scoped kinds), name. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** One document of a release manifest, with the template it came from (`# Source:`). */
export interface ManifestObject {
  /** Template path from the `# Source:` comment, e.g. `webapp/templates/deployment.yaml` ('' if none). */
  readonly source: string;
  readonly object: KubeObject;
}

/** The Kubernetes API as the engine uses it. Every call is one short request (or a few). */
export interface KubeClient {
  /** The live object, or undefined when it does not exist (404). */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;

  /**
   * Server-side apply (PATCH application/apply-patch+yaml, fieldManager `helm`,
   * fieldValidation Strict), as helm 4 does. `force` = --force-conflicts. `dryRun` asks the
   * server for the result without persisting it. Returns the object the server answered and whether
   * the apply created it (HTTP 201), which is what --cleanup-on-fail removes. Throws ApplyConflict (409 conflict) and the classified API errors.
   */
  apply(
    obj: KubeObject,
    opts: { readonly force: boolean; readonly dryRun?: boolean },
  ): Promise<{ readonly object: KubeObject; readonly created: boolean }>;

  /** Deletes with propagationPolicy Background. Returns false when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;

  /** Replaces metadata.managedFields with a JSON patch guarded by resourceVersion (CSA→SSA takeover). */
  replaceManagedFields(live: KubeObject, entries: ManagedFieldsEntry[]): Promise<KubeObject>;

  /**
   * Forgets cached discovery, so the next `resource()` reads what the server serves now (a
   * rollback plan must see an API version that stopped being served since the client started).
   */
  rediscover(): void;

  /** Whether the API server serves this apiVersion+kind, and whether the kind is namespaced. */
  resource(apiVersion: string, kind: string): Promise<{ readonly served: boolean; readonly namespaced: boolean }>;

  /** Objects of a kind in a namespace matching a label selector (hook Job pods, for logs). */
  list(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<KubeObject[]>;

  /** The logs of one container of a pod (hook output policies, `helmstep test --logs`). */
  podLogs(namespace: string, pod: string, container: string): Promise<string>;
}
