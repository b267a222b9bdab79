/**
 * Go times as helm stores them in a release record (RFC 3339, Go's zero time for "never"):
 * parse, test for zero, and write them back as Go's MarshalJSON would. Pure, dependency-free.
 */

/** A stored time: RFC 3339 text, or missing/null/"" for Go's zero time. */
export type HelmTime = string | null | undefined;


/** Go's zero time in Unix milliseconds (0001-01-01T00:00:00Z). */
const GO_ZERO_MS = -62135596800000;

const RFC3339 =
  /^(\d{4,})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** The parts of an RFC3339 time string, in the string's own offset. */
export interface TimeParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fraction digits as written, without the dot ("" when none). */
  fraction: string;
  /** Offset east of UTC in minutes. */
  offsetMinutes: number;
}

export function parseTimeParts(s: string): TimeParts | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const sign = m[9] === '-' ? -1 : 1;
  const offsetMinutes = m[9] ? sign * (Number(m[10]) * 60 + Number(m[11])) : 0;
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
    fraction: m[7] ?? '',
    offsetMinutes,
  };
}

function partsToMs(p: TimeParts): number {
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  d.setUTCFullYear(p.year, p.month - 1, p.day);
  d.setUTCHours(p.hour, p.minute, p.second, Number((p.fraction + '000').slice(0, 3)));
  return d.getTime() - p.offsetMinutes * 60_000;
}

/** True for Go's zero time in any of its stored spellings: missing, null, "", 0001-01-01T00:00:00Z. */
export function isZeroHelmTime(s: HelmTime): boolean {
  if (s === undefined || s === null || s === '') return true;
  const p = parseTimeParts(s);
  if (!p) return false;
  return partsToMs(p) === GO_ZERO_MS && /^0*$/.test(p.fraction);
}

/** Parses a stored Go time; zero/empty → undefined. Sub-millisecond digits are dropped. */
export function parseHelmTime(s: HelmTime): Date | undefined {
  if (isZeroHelmTime(s) || typeof s !== 'string') return undefined;
  const p = parseTimeParts(s);
  if (!p) return undefined;
  return new Date(partsToMs(p));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Formats a Date the way Go's time.MarshalJSON writes a UTC time (RFC3339Nano: trailing fraction
 * zeros trimmed, `Z`), so a record helm re-marshals keeps the identical string.
 */
export function formatHelmTime(d: Date): string {
  const ms = d.getUTCMilliseconds();
  const frac = ms === 0 ? '' : '.' + pad(ms, 3).replace(/0+$/, '');
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${frac}Z`
  );
}

/**
 * Re-spells a stored time the way Go would marshal it after parsing it: fraction trailing zeros
 * trimmed, a zero offset written `Z`. Unparseable strings are returned unchanged.
 */
export function goMarshalTime(s: string): string {
  const p = parseTimeParts(s);
  if (!p) return s;
  const frac = p.fraction.replace(/0+$/, '');
  const off = p.offsetMinutes;
  const zone =
    off === 0
      ? 'Z'
      : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60), 2)}:${pad(Math.abs(off) % 60, 2)}`;
  return (
    `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}T${pad(p.hour, 2)}:${pad(p.minute, 2)}:${pad(p.second, 2)}` +
    `${frac ? '.' + frac : ''}${zone}`
  );
}
