/**
 * Go's time.Duration at the command line: `--timeout 5m`, `1h2m3.5s`, `300ms`, `0` parse as Go's
 * time.ParseDuration does, and durations print as Duration.String() does (`5m0s`), so flags,
 * help text and messages read exactly like helm's. Values are nanoseconds in a bigint, as Go's
 * int64; ms-based timers take toMilliseconds().
 */

export class DurationError extends Error {
  override readonly name = 'DurationError';
}

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const S = 1000n * MS;
const M = 60n * S;
const H = 60n * M;

/** Go's unitMap, including both micro signs (U+00B5, U+03BC) and the common `us`. */
const UNITS: Readonly<Record<string, bigint>> = {
  ns: NS,
  us: US,
  'µs': US,
  'μs': US,
  ms: MS,
  s: S,
  m: M,
  h: H,
};

const MAX_MAGNITUDE = 1n << 63n; // |math.MinInt64|
const MAX_INT64 = MAX_MAGNITUDE - 1n;

/** The time package's quote: escapes `"` and backslash, and writes non-ASCII and control characters as their UTF-8 bytes (\xNN). */
function quote(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (code >= 0x80 || code < 0x20) {
      for (const byte of Buffer.from(c, 'utf8')) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    } else {
      out += c === '"' || c === '\\' ? `\\${c}` : c;
    }
  }
  return `${out}"`;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a Go duration string ("300ms", "-1.5h", "2h45m"; units ns, us/µs, ms, s, m, h) into
 * nanoseconds. Throws DurationError with Go's messages (`time: invalid duration "x"`,
 * `time: missing unit in duration "1"`, `time: unknown unit "d" in duration "1d"`).
 */
export function parseGoDuration(text: string): bigint {
  const invalid = () => new DurationError(`time: invalid duration ${quote(text)}`);
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  // Special case: the bare number 0 needs no unit.
  if (s === '0') return 0n;
  if (s === '') throw invalid();

  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();

    // Integer part; more than int64 is invalid, as in Go's leadingInt.
    let i = 0;
    let whole = 0n;
    while (isDigit(s[i])) {
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > MAX_MAGNITUDE) throw invalid();
      i++;
    }
    const hadWhole = i > 0;
    s = s.slice(i);

    // Fraction: digits past int64 precision are consumed but ignored, as in Go's leadingFraction.
    let fraction = 0n;
    let scale = 1;
    let hadFraction = false;
    if (s.startsWith('.')) {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (isDigit(s[j])) {
        if (!overflow) {
          const next = fraction * 10n + BigInt(s.charCodeAt(j) - 48);
          if (next > MAX_MAGNITUDE) overflow = true;
          else {
            fraction = next;
            scale *= 10;
          }
        }
        j++;
      }
      hadFraction = j > 0;
      s = s.slice(j);
    }
    if (!hadWhole && !hadFraction) throw invalid();

    let k = 0;
    while (k < s.length && s[k] !== '.' && !isDigit(s[k])) k++;
    if (k === 0) throw new DurationError(`time: missing unit in duration ${quote(text)}`);
    const unitName = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS[unitName];
    if (unit === undefined) throw new DurationError(`time: unknown unit ${quote(unitName)} in duration ${quote(text)}`);

    if (whole > MAX_MAGNITUDE / unit) throw invalid();
    let v = whole * unit;
    if (fraction > 0n) {
      // Go computes the fraction in float64 (nanosecond-accurate up to hours) and truncates.
      v += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (v > MAX_MAGNITUDE) throw invalid();
    }
    total += v;
    if (total > MAX_MAGNITUDE) throw invalid();
  }
  if (negative) return -total;
  if (total > MAX_INT64) throw invalid();
  return total;
}

/** `v / 10**precision` as ".123" without trailing zeros (nothing when the fraction is 0), and the quotient. */
function fraction(v: bigint, precision: number): { text: string; rest: bigint } {
  let text = '';
  let printed = false;
  for (let i = 0; i < precision; i++) {
    const digit = v % 10n;
    printed ||= digit !== 0n;
    if (printed) text = `${digit}${text}`;
    v /= 10n;
  }
  return { text: printed ? `.${text}` : '', rest: v };
}

/** Go's Duration.String(): `0s`, `1.5µs`, `300ms`, `5m0s`, `1h2m3.5s`, `-2m3.4s`. */
export function formatGoDuration(ns: bigint): string {
  const negative = ns < 0n;
  let u = negative ? -ns : ns;
  let text: string;
  if (u < S) {
    if (u === 0n) return '0s';
    // Under a second: one smaller unit with a decimal fraction, like 1.2ms.
    const [precision, unit] = u < US ? [0, 'ns'] : u < MS ? [3, 'µs'] : [6, 'ms'];
    const f = fraction(u, precision);
    text = `${f.rest}${f.text}${unit}`;
  } else {
    const f = fraction(u, 9);
    u = f.rest; // whole seconds
    text = `${u % 60n}${f.text}s`;
    u /= 60n; // whole minutes
    if (u > 0n) {
      text = `${u % 60n}m${text}`;
      u /= 60n; // whole hours
      if (u > 0n) text = `${u}h${text}`;
    }
  }
  return negative ? `-${text}` : text;
}

/** Nanoseconds as (possibly fractional) milliseconds, for timers. */
export function toMilliseconds(ns: bigint): number {
  return Number(ns / MS) + Number(ns % MS) / 1e6;
}

/** Whole milliseconds as nanoseconds. */
export function fromMilliseconds(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}
