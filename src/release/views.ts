/**
 * What helm's read-only commands print for a release, computed from records alone:
 * `helm history`, `helm status`, `helm get values|manifest|hooks`, plus a revision diff.
 */
import { stringify } from 'yaml';

import { unifiedDiff } from './diff.ts';
import {
  goMarshalTime,
  isZeroHelmTime,
  parseHelmTime,
  parseTimeParts,
  type HelmTime,
  type Release,
  type Values,
} from './record.ts';

/** Which helm major's output to imitate where v3 and v4 differ. */
export type HelmMajor = 3 | 4;

/**
 * Time zone for ANSIC times. 'original': the wall clock in the stored string's own offset (what
 * `helm history` and helm 3's `status` show); 'local': this process's zone (helm 4's `status`
 * calls .Local()); 'utc'.
 */
export type Zone = 'original' | 'local' | 'utc';

// ---------------------------------------------------------------------------------------------
// Times

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function ansic(year: number, month: number, day: number, h: number, mi: number, s: number, weekday: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[weekday]} ${MONTHS[month - 1]} ${String(day).padStart(2, ' ')} ${two(h)}:${two(mi)}:${two(s)} ${String(year).padStart(4, '0')}`;
}

function weekdayOf(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getUTCDay();
}

/**
 * Go's `t.Format(time.ANSIC)` (`Mon Jan _2 15:04:05 2006`) for a stored time. A zero time prints
 * as Go's zero, `Mon Jan  1 00:00:00 0001`.
 */
export function formatANSIC(t: HelmTime, zone: Zone = 'original'): string {
  if (isZeroHelmTime(t) || typeof t !== 'string') return ansic(1, 1, 1, 0, 0, 0, 1);
  const p = parseTimeParts(t);
  if (!p) return t; // not a time Go could have written; show it as is
  if (zone === 'original') {
    return ansic(p.year, p.month, p.day, p.hour, p.minute, p.second, weekdayOf(p.year, p.month, p.day));
  }
  const d = parseHelmTime(t)!;
  if (zone === 'utc') {
    return ansic(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCDay());
  }
  return ansic(d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getDay());
}

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

/**
 * Terminal width of a string as go-runewidth counts it: control characters 0, combining marks 0,
 * East Asian wide/fullwidth and emoji 2, others 1. (An approximation of runewidth's tables.)
 */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) continue;
    if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) || c === 0xfeff) continue;
    if (
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1f64f) ||
      (c >= 0x1f900 && c <= 0x1f9ff) ||
      (c >= 0x20000 && c <= 0x3fffd)
    ) {
      w += 2;
      continue;
    }
    w += 1;
  }
  return w;
}

/** uitable's strutil.Resize: pad right to `n`, or cut to n−3 BYTES plus "..." when wider. */
function resize(s: string, n: number): string {
  const width = displayWidth(s);
  if (width === n) return s;
  if (width < n) return s + ' '.repeat(n - width);
  const bytes = Buffer.from(s, 'utf8');
  return bytes.subarray(0, Math.max(0, n - 3)).toString('utf8') + '...';
}

/**
 * github.com/gosuri/uitable as helm uses it (MaxColWidth 0, no wrap, "\t" separator): every cell,
 * the last column included, is padded to its column's widest line. Multi-line cells become
 * extra physical lines (after uitable's own resize of the whole cell, which can truncate them).
 */
export function uitable(rows: readonly (readonly (string | number)[])[]): string {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths: number[] = [];
  for (const row of cells) {
    row.forEach((cell, i) => {
      const w = Math.max(...cell.split('\n').map(displayWidth));
      widths[i] = Math.max(widths[i] ?? 0, w);
    });
  }
  const cellText = (s: string, w: number) => (w > 0 ? resize(s, w) : s);
  const lines: string[] = [];
  for (const row of cells) {
    const split = row.map((cell, i) => cellText(cell, widths[i]!).split('\n'));
    const count = Math.max(...split.map((s) => s.length));
    for (let x = 0; x < count; x++) {
      lines.push(
        split
          .map((parts, i) => {
            const part = parts[x];
            // uitable fills a missing line with PadLeft(" ", width).
            if (part === undefined) return ' '.repeat(Math.max(1, widths[i]!));
            return cellText(part, widths[i]!);
          })
          .join('\t'),
      );
    }
  }
  return lines.join('\n');
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
