/**
 * A release manifest as helm stores and applies it: parsing (`---\n# Source: <path>\n<yaml>`),
 * helm's kind order, object identity, ownership metadata and the resource-policy annotation.
 * Pure: no I/O.
 */
import YAML from 'yaml';
import type { Tags } from 'yaml';
import { HelmstepError } from '../release/errors.ts';
import type { ReleaseRef } from '../release/errors.ts';
import type { KubeObject, ManifestObject } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Parsing

/** A manifest document is not a Kubernetes object (or not YAML at all). */
export class InvalidManifest extends HelmstepError {
  override readonly name = 'InvalidManifest';
  readonly reason = 'InvalidManifest';
  constructor(
    /** Template path (`# Source:`), a hook's path, or '' when unknown. */
    readonly source: string,
    /** 1-based position of the document in the manifest. */
    readonly document: number,
    readonly problem: string,
    readonly ref?: ReleaseRef,
    options?: { cause?: unknown },
  ) {
    const what = source ? `${source} (document ${document})` : `document ${document}`;
    const rel = ref ? ` of release "${ref.name}" in namespace "${ref.namespace}"` : '';
    super(
      `manifest ${what}${rel} is not a valid Kubernetes object: ${problem}; ` +
        `fix the chart template so every document is a mapping with apiVersion, kind and metadata.name, then render again`,
      options,
    );
  }
}

/**
 * YAML as Kubernetes reads it (sigs.k8s.io/yaml on go-yaml v2): YAML 1.1 scalars (`yes`/`on`
 * are booleans, `0777` is octal), but timestamps stay strings and `1:20` is not a base-60
 * number, which the `yaml` package's 1.1 schema would otherwise produce.
 */
function kubeYamlTags(tags: Tags): Tags {
  return tags.filter((t) => {
    if (typeof t !== 'object' || t === null) return true;
    return t.tag !== 'tag:yaml.org,2002:timestamp' && (t as { format?: string }).format !== 'TIME';
  });
}

const PARSE_OPTIONS = { version: '1.1', customTags: kubeYamlTags, merge: true } as const;

const SOURCE_LINE = /^# Source: (.*)$/;

/** The `# Source:` path of a document: the first comment line before any content. */
function sourceOf(text: string): string {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || /^---\s*$/.test(line)) continue;
    const m = SOURCE_LINE.exec(line);
    if (m) return (m[1] ?? '').trim();
    if (!line.startsWith('#')) return '';
  }
  return '';
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

/** What is wrong with a document as a Kubernetes object, or undefined when nothing is. */
function objectProblem(v: unknown): string | undefined {
  if (!isMapping(v)) return `expected a mapping, found ${Array.isArray(v) ? 'a sequence' : `a ${typeof v} scalar`}`;
  const missing: string[] = [];
  if (!nonEmptyString(v.apiVersion)) missing.push('apiVersion');
  if (!nonEmptyString(v.kind)) missing.push('kind');
  if (!isMapping(v.metadata)) missing.push('metadata');
  else if (!nonEmptyString(v.metadata.name) && !nonEmptyString(v.metadata.generateName)) {
    missing.push('metadata.name (or metadata.generateName)');
  }
  if (missing.length > 0) {
    const kind = nonEmptyString(v.kind) ? `${v.kind} ` : '';
    return `${kind}object has no ${missing.join(', ')}`;
  }
  return undefined;
}

interface Document {
  /** 1-based position among all documents of the text, empty ones included. */
  readonly index: number;
  readonly source: string;
  readonly value: unknown;
}

/** The non-empty documents of YAML text (plain JSON values) with their source paths. */
function parseDocuments(text: string, fallbackSource: string, ref?: ReleaseRef): Document[] {
  const out: Document[] = [];
  const docs = YAML.parseAllDocuments(text, PARSE_OPTIONS);
  // parseAllDocuments answers an EmptyStream (not an array) for text without documents.
  if (!Array.isArray(docs)) return out;
  let start = 0;
  docs.forEach((doc, i) => {
    // From the end of the previous document: a leading comment may sit before doc.range[0].
    const source = sourceOf(text.slice(start, doc.range[2])) || fallbackSource;
    start = doc.range[2];
    const err = doc.errors[0];
    if (err) throw new InvalidManifest(source, i + 1, `YAML error: ${err.message.split('\n')[0]}`, ref, { cause: err });
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return; // empty document (comments only)
    out.push({ index: i + 1, source, value });
  });
  return out;
}

function parseObjects(text: string, fallbackSource: string, ref?: ReleaseRef): ManifestObject[] {
  const out: ManifestObject[] = [];
  for (const { index, source, value } of parseDocuments(text, fallbackSource, ref)) {
    const isList = isMapping(value) && Array.isArray(value.items);
    const items = isList ? (value.items as unknown[]) : [value];
    items.forEach((item, j) => {
      const problem = objectProblem(item);
      if (problem) throw new InvalidManifest(source, index, isList ? `item ${j + 1} of the list: ${problem}` : problem, ref);
      out.push({ source, object: item as KubeObject });
    });
  }
  return out;
}

/**
 * The objects of a stored release manifest, in document order. Empty documents are skipped;
 * a list (a document with an `items` sequence, e.g. `kind: List`) is flattened into its items,
 * as helm's resource builder does. Anything else that is not an object with apiVersion, kind
 * and metadata.name/generateName throws InvalidManifest naming the template.
 */
export function parseManifest(text: string, ref?: ReleaseRef): ManifestObject[] {
  return parseObjects(text, '', ref);
}

/** Parses one object (a hook's manifest); throws InvalidManifest unless there is exactly one. */
export function parseSingleObject(text: string, source: string, ref?: ReleaseRef): KubeObject {
  const objs = parseObjects(text, source, ref);
  if (objs.length !== 1) {
    throw new InvalidManifest(source, 1, objs.length === 0 ? 'the manifest is empty' : `expected one object, found ${objs.length}`, ref);
  }
  return objs[0]!.object;
}

// ---------------------------------------------------------------------------------------------
// Kind order (helm 4's kind_sorter.go)

export const INSTALL_ORDER: readonly string[] = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

/** Validation webhooks go first so they cannot block the removal of what follows. */
export const UNINSTALL_ORDER: readonly string[] = [
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'Ingress',
  'IngressClass',
  'Service',
  'CronJob',
  'Job',
  'StatefulSet',
  'HorizontalPodAutoscaler',
  'Deployment',
  'ReplicaSet',
  'ReplicationController',
  'Pod',
  'DaemonSet',
  'RoleBindingList',
  'RoleBinding',
  'RoleList',
  'Role',
  'ClusterRoleBindingList',
  'ClusterRoleBinding',
  'ClusterRoleList',
  'ClusterRole',
  'CustomResourceDefinition',
  'PersistentVolumeClaim',
  'PersistentVolume',
  'StorageClass',
  'ConfigMap',
  'SecretList',
  'Secret',
  'ServiceAccount',
  'PodDisruptionBudget',
  'PodSecurityPolicy',
  'LimitRange',
  'ResourceQuota',
  'NetworkPolicy',
  'Namespace',
  'PriorityClass',
];

/** Go's string `<` (bytewise on UTF-8); kinds are ASCII, where it equals UTF-16 order. */
function goLess(a: string, b: string): boolean {
  return a < b;
}

/**
 * helm's stable kind sort: listed kinds by their position, unknown kinds after them,
 * alphabetically by kind; objects of the same kind keep their input order.
 */
export function sortByKind<T extends ManifestObject>(
  objs: readonly T[],
  order: readonly string[] | 'install' | 'uninstall',
): T[] {
  const list = order === 'install' ? INSTALL_ORDER : order === 'uninstall' ? UNINSTALL_ORDER : order;
  const rank = new Map(list.map((k, i) => [k, i]));
  const cmp = (a: T, b: T): number => {
    const ka = a.object.kind;
    const kb = b.object.kind;
    const ra = rank.get(ka);
    const rb = rank.get(kb);
    if (ra === undefined && rb === undefined) return ka === kb ? 0 : goLess(ka, kb) ? -1 : 1;
    if (ra === undefined) return 1;
    if (rb === undefined) return -1;
    return ra - rb;
  };
  // Array.prototype.sort is stable (ES2019), like Go's sort.SliceStable.
  return [...objs].sort(cmp);
}

// ---------------------------------------------------------------------------------------------
// Identity

/** `apps/v1` → {group: 'apps', version: 'v1'}; `v1` → {group: '', version: 'v1'}. */
export function groupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The object's own namespace, else `namespace` (the caller's resolved default; '' for cluster-scoped). */
function namespaceOf(obj: KubeObject, namespace: string): string {
  return obj.metadata.namespace || namespace;
}

/**
 * helm's objectKey: `<group/version>/<Kind>/<ns>/<name>` (core kinds: `v1/<Kind>/…`), which
 * decides whether a target object is new in this revision.
 */
export function objectKey(obj: KubeObject, namespace: string): string {
  return `${obj.apiVersion}/${obj.kind}/${namespaceOf(obj, namespace)}/${obj.metadata.name ?? ''}`;
}

/**
 * Identity with the version ignored (helm's isMatchingInfo: name, namespace, group and kind),
 * so moving a kind to a newer apiVersion does not delete and recreate it.
 */
export function identityKey(obj: KubeObject, namespace: string): string {
  const { group } = groupVersion(obj.apiVersion);
  return `${group}/${obj.kind}/${namespaceOf(obj, namespace)}/${obj.metadata.name ?? ''}`;
}

/** Objects of `current` that `target` no longer has, in current's order (helm's Difference). */
export function dropped<T extends ManifestObject>(current: readonly T[], target: readonly ManifestObject[], namespace: string): T[] {
  const keep = new Set(target.map((m) => identityKey(m.object, namespace)));
  return current.filter((m) => !keep.has(identityKey(m.object, namespace)));
}

// ---------------------------------------------------------------------------------------------
// Ownership (helm's pkg/action/validate.go)

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_HELM = 'Helm';
export const RELEASE_NAME_ANNOTATION = 'meta.helm.sh/release-name';
export const RELEASE_NAMESPACE_ANNOTATION = 'meta.helm.sh/release-namespace';

/**
 * A copy of `obj` carrying helm's ownership metadata merged over its own labels and
 * annotations (helm's setMetadataVisitor with force: the release's values always win).
 */
export function withOwnership(obj: KubeObject, release: string, namespace: string): KubeObject {
  const copy = structuredClone(obj);
  copy.metadata.labels = { ...(obj.metadata.labels ?? {}), [MANAGED_BY_LABEL]: MANAGED_BY_HELM };
  copy.metadata.annotations = {
    ...(obj.metadata.annotations ?? {}),
    [RELEASE_NAME_ANNOTATION]: release,
    [RELEASE_NAMESPACE_ANNOTATION]: namespace,
  };
  return copy;
}

function requireValue(meta: Record<string, string> | undefined, key: string, want: string): string | undefined {
  if (!meta || !Object.hasOwn(meta, key)) return `missing key ${goQuote(key)}: must be set to ${goQuote(want)}`;
  const actual = meta[key];
  if (actual !== want) return `key ${goQuote(key)} must equal ${goQuote(want)}: current value is ${goQuote(String(actual))}`;
  return undefined;
}

/**
 * Go's %q for the strings helm quotes. JSON escaping matches it for printable text and the
 * usual escapes; Go spells other control characters `\x..` where JSON writes `\u00..`.
 */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, (_m, hex: string) => `\\x${hex}`);
}

/**
 * Why a live object may not be adopted by the release, in helm's exact words
 * (`<Kind> "<name>" in namespace "<ns>" exists and cannot be imported into the current release:
 * invalid ownership metadata; …`), or undefined when it already belongs to it.
 */
export function ownershipError(live: KubeObject, release: string, namespace: string): string | undefined {
  const errs: string[] = [];
  const label = requireValue(live.metadata.labels, MANAGED_BY_LABEL, MANAGED_BY_HELM);
  if (label) errs.push(`label validation error: ${label}`);
  const name = requireValue(live.metadata.annotations, RELEASE_NAME_ANNOTATION, release);
  if (name) errs.push(`annotation validation error: ${name}`);
  const ns = requireValue(live.metadata.annotations, RELEASE_NAMESPACE_ANNOTATION, namespace);
  if (ns) errs.push(`annotation validation error: ${ns}`);
  if (errs.length === 0) return undefined;
  return (
    `${live.kind} ${goQuote(live.metadata.name ?? '')} in namespace ${goQuote(live.metadata.namespace ?? '')} ` +
    `exists and cannot be imported into the current release: invalid ownership metadata; ${errs.join('; ')}`
  );
}

/** A live object the release would take over belongs to someone else (or to nobody). */
export class OwnershipConflict extends HelmstepError {
  override readonly name = 'OwnershipConflict';
  readonly reason = 'OwnershipConflict';
  override readonly helmText: string;
  constructor(
    readonly ref: ReleaseRef,
    readonly object: { readonly kind: string; readonly name: string; readonly namespace: string },
    /** ownershipError's text. */
    text: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${text}. Release "${ref.name}" in namespace "${ref.namespace}" did not touch it: ` +
        `delete ${object.kind} ${object.name}${object.namespace ? ` in namespace ${object.namespace}` : ''}, ` +
        `or label it ${MANAGED_BY_LABEL}=${MANAGED_BY_HELM} and annotate it ${RELEASE_NAME_ANNOTATION}=${ref.name}, ` +
        `${RELEASE_NAMESPACE_ANNOTATION}=${ref.namespace} to adopt it`,
      options,
    );
    this.helmText = text;
  }
}

// ---------------------------------------------------------------------------------------------
// Resource policy

export const RESOURCE_POLICY_ANNOTATION = 'helm.sh/resource-policy';

/**
 * Whether a live object opts out of deletion when a revision drops it. Exactly `keep`, as
 * helm's update path compares (uninstall alone trims and lowercases the value).
 */
export function keepsResource(live: KubeObject): boolean {
  return live.metadata.annotations?.[RESOURCE_POLICY_ANNOTATION] === 'keep';
}
