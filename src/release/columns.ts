/**
 * Helm's text columns: Go's ANSIC time format and gosuri/uitable, as `helm history` prints them.
 * Loads nothing but helm-time.ts, so the audit CLI prints helm's table without the record schemas.
 */
import { isZeroHelmTime, parseHelmTime, parseTimeParts, type HelmTime } from './helm-time.ts';

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
