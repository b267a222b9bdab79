/**
 * What helm's read-only commands print for a release, computed from records alone:
 * `helm history`, `helm status`, `helm get values|manifest|hooks`, plus a revision diff.
 */
import { stringify } from 'yaml';

import { formatANSIC, uitable, type Zone } from './columns.ts';
import { unifiedDiff } from './diff.ts';
import {
  goMarshalTime,
  isZeroHelmTime,
  type Release,
  type Values,
} from './record.ts';

export { displayWidth, formatANSIC, uitable, type Zone } from './columns.ts';

/** Which helm major's output to imitate where v3 and v4 differ. */
export type HelmMajor = 3 | 4;

// ---------------------------------------------------------------------------------------------
// helm history

/** One row of `helm history -o json` (same keys). */
export interface HistoryRow {
  revision: number;
  /** last_deployed as Go marshals it (RFC3339Nano); zero → "" (helm 3) or Go's zero time (helm 4). */
  updated: string;
  status: string;
  chart: string;
  app_version: string;
  description: string;
}

/** `<name>-<version>` or MISSING when the record has no chart metadata (helm issue #1347). */
export function chartName(rec: Release): string {
  const md = rec.chart?.metadata;
  if (!rec.chart || !md) return 'MISSING';
  return `${md.name ?? ''}-${md.version ?? ''}`;
}

export function appVersion(rec: Release): string {
  const md = rec.chart?.metadata;
  if (!rec.chart || !md) return 'MISSING';
  return md.appVersion ?? '';
}

/** `helm history`'s rows: the newest `max` revisions, oldest first. */
export function historyRows(history: readonly Release[], max = 256, opts: { helm?: HelmMajor } = {}): HistoryRow[] {
  const newestFirst = [...history].sort((a, b) => b.version - a.version).slice(0, Math.max(0, max));
  return newestFirst.reverse().map((r) => {
    const ld = r.info.last_deployed;
    const zero = isZeroHelmTime(ld) || typeof ld !== 'string';
    return {
      revision: r.version,
      updated: zero ? (opts.helm === 4 ? '0001-01-01T00:00:00Z' : '') : goMarshalTime(ld),
      status: r.info.status,
      chart: chartName(r),
      app_version: appVersion(r),
      description: r.info.description ?? '',
    };
  });
}


/** `helm history`'s table, newline-terminated as helm's EncodeTable writes it. */
export function formatHistoryTable(rows: readonly HistoryRow[], zone: Zone = 'original'): string {
  const table: (string | number)[][] = [['REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION', 'DESCRIPTION']];
  for (const r of rows) {
    table.push([r.revision, formatANSIC(r.updated, zone), r.status, r.chart, r.app_version, r.description]);
  }
  return uitable(table) + '\n';
}

// ---------------------------------------------------------------------------------------------
// helm get values / manifest / hooks

/** `helm get values`: the user-supplied values only. */
export function userValues(rec: Release): Values {
  return rec.config ?? {};
}

function isTable(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepCopy<T>(v: T): T {
  return structuredClone(v);
}

/** chartutil.coalesceTablesFullKey (merge=false): dst has precedence; nulls in dst delete keys. */
function coalesceTables(dst: Values, src: Values): Values {
  for (const [key, val] of Object.entries(dst)) if (val === null) src[key] = null;
  for (const [key, val] of Object.entries(src)) {
    const has = Object.prototype.hasOwnProperty.call(dst, key);
    const dv = dst[key];
    if (has && dv === null) delete dst[key];
    else if (!has) dst[key] = val;
    else if (isTable(val) && isTable(dv)) coalesceTables(dv, val);
    // table vs non-table: helm warns and keeps dst's value.
  }
  return dst;
}

/**
 * `helm get values --all`: chart values coalesced under the user values as chartutil.CoalesceValues
 * does for a chart without subcharts (records never carry subcharts): user values win, maps merge
 * recursively, a user `null` deletes the key. At the top level helm only visits keys the chart
 * has, so a top-level user null for a key the chart lacks stays null; nested, it is removed.
 */
export function allValues(rec: Release): Values {
  const v: Values = deepCopy(rec.config ?? {});
  const chartValues = rec.chart?.values;
  if (!chartValues) return v;
  const vc: Values = deepCopy(chartValues);
  for (const [key, val] of Object.entries(vc)) {
    if (Object.prototype.hasOwnProperty.call(v, key)) {
      const value = v[key];
      if (value === null) delete v[key];
      else if (isTable(value) && isTable(val)) coalesceTables(value, val);
    } else {
      v[key] = val;
    }
  }
  return v;
}

/**
 * Values as YAML with sorted keys and unindented sequences, close to what helm's sigs.k8s.io/yaml
 * prints (quoting details can differ). Used for display and diffs.
 */
export function valuesYaml(values: Values | null | undefined): string {
  return stringify(values ?? {}, { sortMapEntries: true, indentSeq: false });
}

/** The stored manifest (`helm get manifest` prints it followed by one newline). */
export function manifestOf(rec: Release): string {
  return rec.manifest ?? '';
}

/** `helm get hooks`: `---\n# Source: <path>\n<manifest>\n` per hook, in stored order. */
export function hooksText(rec: Release): string {
  return (rec.hooks ?? []).map((h) => `---\n# Source: ${h.path ?? ''}\n${h.manifest ?? ''}\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// helm status

export interface StatusOptions {
  /** Helm major to imitate; default 4. */
  readonly helm?: HelmMajor;
  /** helm 3 prints DESCRIPTION only with --show-desc; helm 4 always. */
  readonly showDescription?: boolean;
  /** Zone for LAST DEPLOYED and test times; default 'original' for helm 3, 'local' for helm 4. */
  readonly zone?: Zone;
  /**
   * Pre-rendered live resource tables (helm 4's table output, helm 3's --show-resources). Live
   * cluster state is not in the record, so the caller supplies it; printed as `RESOURCES:\n<text>\n`.
   */
  readonly resources?: string;
  /** helm test prints the status without NOTES. */
  readonly hideNotes?: boolean;
}

/** `helm status <name>` table output for one record (no colour). */
export function statusView(rec: Release, opts: StatusOptions = {}): string {
  const helm = opts.helm ?? 4;
  const zone = opts.zone ?? (helm === 4 ? 'local' : 'original');
  let out = `NAME: ${rec.name}\n`;
  if (!isZeroHelmTime(rec.info.last_deployed)) out += `LAST DEPLOYED: ${formatANSIC(rec.info.last_deployed, zone)}\n`;
  out += `NAMESPACE: ${rec.namespace ?? ''}\n`;
  out += `STATUS: ${rec.info.status}\n`;
  out += `REVISION: ${rec.version}\n`;
  if (helm === 4 || opts.showDescription) out += `DESCRIPTION: ${rec.info.description ?? ''}\n`;
  if (opts.resources) out += `RESOURCES:\n${opts.resources}\n`;

  const tests = (rec.hooks ?? []).filter((h) => (h.events ?? []).includes('test'));
  if (tests.length === 0) {
    out += 'TEST SUITE: None\n';
  } else {
    for (const h of tests) {
      // Helm prints nothing for a test hook that never ran.
      if (isZeroHelmTime(h.last_run?.started_at)) continue;
      out +=
        `TEST SUITE:     ${h.name ?? ''}\n` +
        `Last Started:   ${formatANSIC(h.last_run?.started_at, zone)}\n` +
        `Last Completed: ${formatANSIC(h.last_run?.completed_at, zone)}\n` +
        `Phase:          ${h.last_run?.phase ?? ''}\n`;
    }
  }

  if ((rec.info.description ?? '').toLowerCase() === 'dry run complete') {
    out += 'HOOKS:\n' + hooksText(rec) + `MANIFEST:\n${manifestOf(rec)}\n`;
  }
  const notes = rec.info.notes ?? '';
  if (notes !== '' && !opts.hideNotes) out += `NOTES:\n${notes.trim()}\n`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Revision diff

export interface RevisionDiff {
  /** Unified diff of the manifests ("" when identical). */
  readonly manifest: string;
  /** Unified diff of the user-supplied values as YAML ("" when identical). */
  readonly values: string;
}

/** Line diffs between two revisions' manifests and user values (a → b). */
export function diffRevisions(a: Release, b: Release, context = 3): RevisionDiff {
  const label = (r: Release, what: string) => `${r.name} revision ${r.version} ${what}`;
  return {
    manifest: unifiedDiff(manifestOf(a), manifestOf(b), label(a, 'manifest'), label(b, 'manifest'), context),
    values: unifiedDiff(
      valuesYaml(userValues(a)),
      valuesYaml(userValues(b)),
      label(a, 'values'),
      label(b, 'values'),
      context,
    ),
  };
}
