/**
 * The CSA→SSA field-manager takeover that `helm upgrade --server-side=true` (and every helm 4
 * rollback) performs before applying: client-go's csaupgrade.UpgradeManagedFields with the
 * client-side manager set {"helm"} and the server-side manager "helm". Without it, fields helm
 * once wrote with client-side apply stay owned by the `helm`/`Update` manager, which is a
 * different manager from `helm`/`Apply`, so every later apply that changes them conflicts.
 * Pure: no I/O.
 */
import type { ManagedFieldsEntry } from './types.ts';

export const HELM_MANAGER = 'helm';

/** A fieldsV1 trie: keys are path elements (`f:spec`, `k:{"name":"web"}`, `v:…`, `i:0`) or `.`. */
type FieldsTrie = Record<string, unknown>;

const SELF = '.';

function isTrie(v: unknown): v is FieldsTrie {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether the node itself is in the set: an empty object, or one with a `.` entry. */
function isMember(node: FieldsTrie): boolean {
  return Object.keys(node).length === 0 || Object.hasOwn(node, SELF);
}

/** fieldpath's element order: field names, then keys, then values, then indexes. */
const KIND_RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

function compareElements(a: string, b: string): number {
  const ra = KIND_RANK[a.slice(0, 1)] ?? 4;
  const rb = KIND_RANK[b.slice(0, 1)] ?? 4;
  if (ra !== rb) return ra - rb;
  if (ra === 3) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The union of two field sets (fieldpath.Set.Union): a node is a member when it is in either,
 * and its children are the union of both sides' children. Keys come out in fieldpath's order,
 * which is how the API server serialises them anyway.
 */
export function unionFields(a: FieldsTrie, b: FieldsTrie): FieldsTrie {
  const children = new Map<string, FieldsTrie>();
  for (const side of [a, b]) {
    for (const [key, value] of Object.entries(side)) {
      if (key === SELF) continue;
      const node = isTrie(value) ? value : {};
      const prev = children.get(key);
      children.set(key, prev === undefined ? node : unionNode(prev, node));
    }
  }
  const out: FieldsTrie = {};
  for (const key of [...children.keys()].sort(compareElements)) out[key] = children.get(key);
  return out;
}

function unionNode(a: FieldsTrie, b: FieldsTrie): FieldsTrie {
  const member = isMember(a) || isMember(b);
  const children = unionFields(a, b);
  if (Object.keys(children).length === 0) return {};
  return member ? { [SELF]: {}, ...children } : children;
}

function isMainResource(e: ManagedFieldsEntry): boolean {
  return (e.subresource ?? '') === '';
}

function isCsaEntry(e: ManagedFieldsEntry, csaManager: string): boolean {
  return e.manager === csaManager && e.operation === 'Update' && isMainResource(e);
}

/**
 * The managed fields after moving `csaManager`'s client-side (`Update`) ownership of the main
 * resource to `ssaManager`'s `Apply` entry, exactly as csaupgrade does:
 * - the target is the existing `ssaManager`/`Apply` entry, else the first (newest)
 *   `csaManager`/`Update` entry converted in place (it keeps its apiVersion and time);
 * - the target absorbs the fields of the first `csaManager`/`Update` entry of the same apiVersion;
 * - every `csaManager`/`Update` entry of the main resource is then dropped (Update entries of
 *   other apiVersions lose their fields, as in csaupgrade);
 * - entries of other managers, and of subresources, are left as they are.
 *
 * Returns undefined when nothing changes (no client-side `helm` entry), so no patch is needed.
 */
export function upgradeManagedFields(
  entries: readonly ManagedFieldsEntry[] | undefined,
  csaManager: string = HELM_MANAGER,
  ssaManager: string = HELM_MANAGER,
): ManagedFieldsEntry[] | undefined {
  if (!entries || !entries.some((e) => isCsaEntry(e, csaManager))) return undefined;
  const copy = entries.map((e) => ({ ...e }));

  let target = copy.findIndex((e) => e.manager === ssaManager && e.operation === 'Apply' && isMainResource(e));
  if (target < 0) {
    target = copy.findIndex((e) => isCsaEntry(e, csaManager));
    copy[target] = { ...copy[target], manager: ssaManager, operation: 'Apply' };
  }
  const into = copy[target]!;
  const donor = copy.find((e) => isCsaEntry(e, csaManager) && e.apiVersion === into.apiVersion);
  const fields = unionFields(into.fieldsV1 ?? {}, donor?.fieldsV1 ?? {});
  copy[target] = { ...into, fieldsType: into.fieldsType ?? 'FieldsV1', fieldsV1: fields };

  return copy.filter((e) => !isCsaEntry(e, csaManager));
}

/** Whether an object's managed fields still hold client-side `helm` ownership of the main resource. */
export function hasClientSideFields(entries: readonly ManagedFieldsEntry[] | undefined, csaManager: string = HELM_MANAGER): boolean {
  return (entries ?? []).some((e) => isCsaEntry(e, csaManager));
}
