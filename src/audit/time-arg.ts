/** Times as auditors give them to the CLI and the HTTP API. Pure; no schema library. */
import { DurationError, parseGoDuration, toMilliseconds } from '../cli/duration.ts';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * A point in time as auditors write it: RFC 3339 (`2026-11-24T14:00:00Z`, an offset, fractions)
 * or a Go duration meaning that long before `now` (`24h`, `90m`). Throws Error with what was wrong.
 */
export function parseTimeArg(text: string, now: Date = new Date()): Date {
  if (RFC3339.test(text)) {
    const d = new Date(text.toUpperCase().replace(' ', 'T'));
    if (!Number.isNaN(d.getTime())) return d;
    throw new Error(`${JSON.stringify(text)} is not a real date`);
  }
  try {
    const ns = parseGoDuration(text);
    if (ns < 0n) throw new Error(`${JSON.stringify(text)} is negative: give a duration ago (24h) or an RFC 3339 time`);
    return new Date(now.getTime() - toMilliseconds(ns));
  } catch (e) {
    if (!(e instanceof DurationError)) throw e;
    throw new Error(`${JSON.stringify(text)} is neither an RFC 3339 time (2026-11-24T14:00:00Z) nor a duration ago (24h, 90m)`, { cause: e });
  }
}
