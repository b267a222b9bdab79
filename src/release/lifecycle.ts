/**
 * Pure release lifecycle decisions, as helm's pkg/action and pkg/storage make them.
 *
 * Records are immutable values: every function returns new objects and never mutates its inputs
 * (nested chart/config objects are shared, not copied — treat them as read-only).
 * Custom labels are not part of the release JSON (`json:"-"`), so functions that create records
 * take label sources explicitly and return `{ release, labels }`.
 */
import {
  InvalidRevision,
  NoDeployedRelease,
  OperationInProgress,
  ReleaseNotFound,
  ReservedLabel,
  RevisionNotFound,
  SYSTEM_LABELS,
  type ReleaseRef,
} from './errors.ts';
import {
  formatHelmTime,
  isPending,
  isZeroHelmTime,
  type Chart,
  type Hook,
  type Labels,
  type Release,
  type Status,
  type Values,
} from './record.ts';
import { validateReleaseName } from './names.ts';

/** A record about to be written, with the custom labels its Secret must carry. */
export interface NewRecord {
  readonly release: Release;
  readonly labels: Labels;
}

/** Which helm operation a record belongs to; picks helm's status messages. */
export type Operation = 'install' | 'upgrade' | 'rollback';

// ---------------------------------------------------------------------------------------------
// Names and labels

export { validateReleaseName };

const RESERVED = new Set<string>(SYSTEM_LABELS);

export function isSystemLabel(key: string): boolean {
  return RESERVED.has(key);
}

/** Refuses user-supplied labels that use a system name (helm's ContainsSystemLabels). Throws ReservedLabel. */
export function assertNoReservedLabels(labels: Labels | undefined, ref?: ReleaseRef): void {
  const bad = Object.keys(labels ?? {}).filter(isSystemLabel);
  if (bad.length > 0) throw new ReservedLabel(bad, ref);
}

/** Custom labels from a Secret's labels: everything but the six system names (helm's filterSystemLabels). */
export function customLabelsOf(secretLabels: Labels | undefined): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(secretLabels ?? {})) if (!isSystemLabel(k)) out[k] = v;
  return out;
}

/**
 * Helm's mergeCustomLabels: desired overrides current, then every label whose value is the
 * string "null" is dropped (that is how a user deletes a label). Reserved names are refused.
 */
export function mergeLabels(current: Labels | undefined, desired: Labels | undefined, ref?: ReleaseRef): Labels {
  assertNoReservedLabels(desired, ref);
  const merged: Labels = { ...current, ...desired };
  for (const [k, v] of Object.entries(merged)) if (v === 'null') delete merged[k];
  return merged;
}

/**
 * When a label set is stamped, in unix seconds. Helm's Create stamps `createdAt`; its Update
 * stamps `modifiedAt` and keeps every label it read, so a rewritten record keeps its
 * `createdAt` (a string: the value as stored).
 */
export interface LabelStamps {
  readonly createdAt?: Date | string;
  readonly modifiedAt?: Date;
}

function unixSeconds(d: Date | string): string {
  return typeof d === 'string' ? d : String(Math.floor(d.getTime() / 1000));
}

/**
 * Helm's system labels for a record's Secret: name, owner=helm, status (same as the body's),
 * version (decimal), then createdAt and modifiedAt when stamped.
 */
export function systemLabels(rec: Release, stamps: LabelStamps): Labels {
  const labels: Labels = {
    name: rec.name,
    owner: 'helm',
    status: rec.info.status,
    version: String(rec.version),
  };
  if (stamps.createdAt !== undefined) labels.createdAt = unixSeconds(stamps.createdAt);
  if (stamps.modifiedAt !== undefined) labels.modifiedAt = unixSeconds(stamps.modifiedAt);
  return labels;
}

/** The full label set of a record's Secret: custom labels first, system labels win. */
export function secretLabels(rec: Release, custom: Labels | undefined, stamps: LabelStamps): Labels {
  return { ...customLabelsOf(custom), ...systemLabels(rec, stamps) };
}

/** Helm's object name for a record: `sh.helm.release.v1.<name>.v<revision>`. */
export function secretName(name: string, version: number): string {
  return `sh.helm.release.v1.${name}.v${version}`;
}

// ---------------------------------------------------------------------------------------------
// History queries (storage.Last / Deployed / DeployedAll)

function byVersionDesc(history: readonly Release[]): Release[] {
  return [...history].sort((a, b) => b.version - a.version);
}

/** The highest revision, whatever its status (helm's storage.Last). */
export function latest(history: readonly Release[]): Release | undefined {
  let best: Release | undefined;
  for (const r of history) if (!best || r.version > best.version) best = r;
  return best;
}

/** Revision for the next record: newest + 1, or 1 for an empty history. */
export function nextRevision(history: readonly Release[]): number {
  return (latest(history)?.version ?? 0) + 1;
}

/** Every `deployed` record, newest first (helm's DeployedAll, sorted). */
export function deployedAll(history: readonly Release[]): Release[] {
  return byVersionDesc(history.filter((r) => r.info.status === 'deployed'));
}

/** The highest deployed revision (helm's storage.Deployed takes the latest if several). */
export function deployed(history: readonly Release[]): Release | undefined {
  return deployedAll(history)[0];
}

/** A specific revision. Throws RevisionNotFound. */
export function revision(history: readonly Release[], ref: ReleaseRef, version: number): Release {
  const r = history.find((h) => h.version === version);
  if (!r) throw new RevisionNotFound(ref, version);
  return r;
}

/**
 * Helm's upgrade lock: only the NEWEST record matters; if it is pending-* another operation
 * holds the release. Older stuck pending records do not block. Throws OperationInProgress.
 * (Helm's rollback and uninstall do not check this; only upgrade does.)
 */
export function assertNoOperationInProgress(history: readonly Release[]): void {
  const newest = latest(history);
  if (newest && isPending(newest.info.status)) {
    throw new OperationInProgress(
      { namespace: newest.namespace ?? '', name: newest.name },
      newest.version,
      newest.info.status,
    );
  }
}

/** What upgrade builds on: the newest record and the "current" one it replaces. */
export interface UpgradeBase {
  readonly newest: Release;
  readonly current: Release;
  /** Revision of the record the upgrade will create (newest + 1). */
  readonly version: number;
}

/**
 * Helm's upgrade preconditions (pkg/action/upgrade.go prepareUpgrade):
 * newest must exist (else `"<name>" has no deployed releases`) and not be pending;
 * current = newest if deployed, else the highest deployed, else newest if failed/superseded.
 * Throws NoDeployedRelease, OperationInProgress.
 */
export function currentForUpgrade(history: readonly Release[], ref: ReleaseRef): UpgradeBase {
  const newest = latest(history);
  if (!newest) throw new NoDeployedRelease(ref);
  assertNoOperationInProgress(history);
  let current: Release | undefined;
  if (newest.info.status === 'deployed') current = newest;
  else current = deployed(history);
  if (!current) {
    if (newest.info.status === 'failed' || newest.info.status === 'superseded') current = newest;
    else throw new NoDeployedRelease(ref);
  }
  return { newest, current, version: newest.version + 1 };
}

/** `upgrade --install` installs when there is no history or the newest record is uninstalled. */
export function shouldInstallOnUpgrade(history: readonly Release[]): boolean {
  const newest = latest(history);
  return !newest || newest.info.status === 'uninstalled';
}

/**
 * Atomic upgrade's target (v4 --rollback-on-failure): the highest revision whose status is
 * superseded or deployed; undefined when none (helm then gives up with the original error).
 */
export function lastSuccessfulRevision(history: readonly Release[]): number | undefined {
  return byVersionDesc(history).find((r) => r.info.status === 'superseded' || r.info.status === 'deployed')
    ?.version;
}

// ---------------------------------------------------------------------------------------------
// Creating records

/** The rendered chart that install and upgrade store. */
export interface RenderedRelease {
  readonly chart: Chart | null;
  /** User-supplied values only (helm stores these, never the merged values). */
  readonly config: Values;
  readonly manifest: string;
  readonly hooks: readonly Hook[];
  /** Rendered NOTES.txt; stored only when non-empty, as helm does. */
  readonly notes?: string;
  /** helm 4 only: "ssa" | "csa". Omitted for helm 3 compatibility of the written JSON. */
  readonly applyMethod?: string;
  readonly now: Date;
}

export interface InstallInput extends RenderedRelease {
  readonly name: string;
  readonly namespace: string;
  /** User-supplied custom labels ("null" values are dropped). */
  readonly labels?: Labels;
  /** 1 normally; `install --replace` over an old history uses newest + 1. */
  readonly version?: number;
}

/** first_deployed to copy; a zero time is omitted (helm 4's spelling, read by helm 3 too). */
function firstDeployedOf(rec: Release): { first_deployed?: string } {
  const t = rec.info.first_deployed;
  return typeof t === 'string' && !isZeroHelmTime(t) ? { first_deployed: t } : {};
}

function withOptional(rec: Release, notes: string | undefined, applyMethod: string | undefined): Release {
  if (notes) rec.info.notes = notes;
  if (applyMethod) rec.apply_method = applyMethod;
  return omitEmpty(rec);
}

/**
 * Go's `omitempty` on the release: helm writes no `config` when there are no user values, and
 * no `manifest` or `hooks` when empty. Writing `"config":{}` would make `helm get values -o json`
 * print `{}` where helm's own record prints `null`.
 */
export function omitEmpty(rec: Release): Release {
  if (rec.config === null || (rec.config !== undefined && Object.keys(rec.config).length === 0)) delete rec.config;
  if (rec.manifest === '') delete rec.manifest;
  if (Array.isArray(rec.hooks) && rec.hooks.length === 0) delete rec.hooks;
  return rec;
}

/**
 * Install's first record: `pending-install`, "Initial install underway", first = last deployed = now.
 * Validates the name and labels. Throws InvalidReleaseName, ReservedLabel.
 */
export function newInstallRecord(input: InstallInput): NewRecord {
  validateReleaseName(input.name);
  const ref = { namespace: input.namespace, name: input.name };
  const labels = mergeLabels(undefined, input.labels, ref);
  const ts = formatHelmTime(input.now);
  const release: Release = {
    name: input.name,
    info: {
      first_deployed: ts,
      last_deployed: ts,
      description: 'Initial install underway',
      status: 'pending-install',
    },
    chart: input.chart,
    config: input.config,
    manifest: input.manifest,
    hooks: [...input.hooks],
    version: input.version ?? 1,
    namespace: input.namespace,
  };
  return { release: withOptional(release, input.notes, input.applyMethod), labels };
}

export interface UpgradeInput extends RenderedRelease {
  /** Revision to create: `currentForUpgrade(...).version` (newest + 1). */
  readonly version: number;
  /** Custom labels of the NEWEST record (helm merges from it, not from current). */
  readonly previousLabels?: Labels;
  /** User-supplied labels for this upgrade. */
  readonly labels?: Labels;
}

/**
 * Upgrade's new record: `pending-upgrade`, "Preparing upgrade", first_deployed copied from
 * current, last_deployed now, namespace from current, labels merged. Throws ReservedLabel.
 */
export function newUpgradeRecord(current: Release, input: UpgradeInput): NewRecord {
  const ref = { namespace: current.namespace ?? '', name: current.name };
  const labels = mergeLabels(input.previousLabels, input.labels, ref);
  const release: Release = {
    name: current.name,
    info: {
      ...firstDeployedOf(current),
      last_deployed: formatHelmTime(input.now),
      description: 'Preparing upgrade',
      status: 'pending-upgrade',
    },
    chart: input.chart,
    config: input.config,
    manifest: input.manifest,
    hooks: [...input.hooks],
    version: input.version,
    namespace: current.namespace ?? '',
  };
  return { release: withOptional(release, input.notes, input.applyMethod), labels };
}

/**
 * Helm's rollback target: 0 means newest − 1 (whatever its status: failed revisions are NOT
 * skipped). Throws InvalidRevision (negative), ReleaseNotFound (no history), RevisionNotFound.
 */
export function resolveRollbackTarget(
  history: readonly Release[],
  ref: ReleaseRef,
  target: number,
): { current: Release; target: Release } {
  if (target < 0 || !Number.isInteger(target)) throw new InvalidRevision(ref, target);
  const current = latest(history);
  if (!current) throw new ReleaseNotFound(ref);
  const wanted = target === 0 ? current.version - 1 : target;
  return { current, target: revision(history, ref, wanted) };
}

/**
 * Rollback's new record (pkg/action/rollback.go prepareRollback): chart, config, manifest, hooks,
 * notes, labels and (v4) apply_method from the target; name/namespace and first_deployed from
 * current (the newest record); last_deployed now; `pending-rollback`, "Rollback to N";
 * version = current + 1.
 */
export function newRollbackRecord(
  current: Release,
  target: Release,
  now: Date,
  targetLabels: Labels = {},
): NewRecord {
  const info: Release['info'] = {
    ...firstDeployedOf(current),
    last_deployed: formatHelmTime(now),
    description: `Rollback to ${target.version}`,
    status: 'pending-rollback',
  };
  if (target.info.notes) info.notes = target.info.notes;
  const release: Release = {
    name: current.name,
    info,
    chart: target.chart ?? null,
    config: target.config ?? null,
    manifest: target.manifest ?? '',
    hooks: target.hooks ? [...target.hooks] : [],
    version: current.version + 1,
    namespace: current.namespace ?? '',
  };
  if (target.apply_method) release.apply_method = target.apply_method;
  return { release: omitEmpty(release), labels: customLabelsOf(targetLabels) };
}

// ---------------------------------------------------------------------------------------------
// Status transitions

function withStatus(rec: Release, status: Status, description?: string): Release {
  return {
    ...rec,
    info: { ...rec.info, status, ...(description === undefined ? {} : { description }) },
  };
}

/** Default success descriptions; rollback keeps its "Rollback to N". */
export const SUCCESS_DESCRIPTION: Record<Operation, string | undefined> = {
  install: 'Install complete',
  upgrade: 'Upgrade complete',
  rollback: undefined,
};

/**
 * Marks a record deployed. `description` defaults to helm's message for the operation inferred
 * from the pending status ("Install complete", "Upgrade complete"; rollback keeps its own).
 */
export function markDeployed(rec: Release, description?: string): Release {
  const inferred =
    rec.info.status === 'pending-install'
      ? SUCCESS_DESCRIPTION.install
      : rec.info.status === 'pending-upgrade'
        ? SUCCESS_DESCRIPTION.upgrade
        : undefined;
  return withStatus(rec, 'deployed', description ?? inferred);
}

/**
 * Marks a record superseded. Helm keeps the description on upgrade/rollback; install --replace
 * passes "superseded by new release".
 */
export function markSuperseded(rec: Release, description?: string): Release {
  return withStatus(rec, 'superseded', description);
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Helm's failure description for an operation. */
export function failureDescription(op: Operation, name: string, err: unknown): string {
  const verb = op === 'install' ? 'Release' : op === 'upgrade' ? 'Upgrade' : 'Rollback';
  return `${verb} "${name}" failed: ${errorText(err)}`;
}

/**
 * Marks a record failed with helm's message: install `Release "<n>" failed: <err>`,
 * upgrade `Upgrade "<n>" failed: <err>`, rollback `Rollback "<n>" failed: <err>`.
 * (Helm uses the `Release …` form for wait failures of any operation: pass op 'install' then.)
 */
export function markFailed(rec: Release, op: Operation, err: unknown): Release {
  return withStatus(rec, 'failed', failureDescription(op, rec.name, err));
}

/**
 * Releases a stale lock: the pending record becomes `failed`, saying who unlocked it, why and
 * what it was, so helm's history shows it and helm upgrades from the deployed record again.
 */
export function markUnlocked(rec: Release, by: string, reason: string): Release {
  return withStatus(rec, 'failed', `Unlocked by ${by}: ${reason} (was ${rec.info.status})`);
}

/** Uninstall's first write: `uninstalling`, deleted = now. */
export function markUninstalling(rec: Release, now: Date): Release {
  const r = withStatus(rec, 'uninstalling', 'Deletion in progress (or silently failed)');
  return { ...r, info: { ...r.info, deleted: formatHelmTime(now) } };
}

/** Uninstall's final write (kept only with --keep-history). */
export function markUninstalled(rec: Release, description = 'Uninstallation complete'): Release {
  return withStatus(rec, 'uninstalled', description);
}

/**
 * After a successful rollback, helm supersedes EVERY deployed record (issue #2941), then marks
 * the new one deployed. Returns the superseded copies to write.
 */
export function supersedeAllDeployed(history: readonly Release[], except?: number): Release[] {
  return deployedAll(history)
    .filter((r) => r.version !== except)
    .map((r) => markSuperseded(r));
}

// ---------------------------------------------------------------------------------------------
// History pruning

/**
 * Helm's removeLeastRecent, run AFTER the new record `written` is created (helm runs it before,
 * keeping maxHistory − 1; the result is the same, but a create that fails has then deleted
 * nothing). `history` includes the new record. Oldest first whatever the status, delete until
 * maxHistory remain, never the newest deployed revision, never `written`. Returns the revisions
 * to delete, oldest first. (A maxHistory of 1 can therefore keep 2 records: helm issue #10168.)
 */
export function planPrune(history: readonly Release[], maxHistory: number, written: number): number[] {
  if (!(maxHistory > 0) || history.length <= maxHistory) return [];
  const oldestFirst = [...history].sort((a, b) => a.version - b.version);
  const lastDeployed = deployed(history);
  const toDelete: number[] = [];
  for (const rel of oldestFirst) {
    if (history.length - toDelete.length <= maxHistory) break;
    if (rel.version === written || rel.version === lastDeployed?.version) continue;
    toDelete.push(rel.version);
  }
  return toDelete;
}
