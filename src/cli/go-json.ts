/**
 * JSON exactly as Go's encoding/json writes it (helm's `-o json` is `json.NewEncoder(w).Encode(v)`):
 * no spaces, `<`, `>`, `&`, U+2028 and U+2029 escaped as \u00XX, numbers as ES6 prints them
 * (Go's float encoder follows the same rule), `-0` kept, map keys sorted byte-wise while struct
 * fields keep their declaration order. The trailing newline is the caller's (Encode adds one).
 */

/** Path of object keys from the root (array indexes are not included). */
export type KeyPath = readonly string[];

/**
 * Decides, per object, whether it is a Go map (keys sorted) or a struct (keys in order).
 * Default: every object is a map — true for values, which are `map[string]interface{}`.
 */
export type IsMap = (path: KeyPath) => boolean;

const allMaps: IsMap = () => true;

/** Go's strings.Compare on UTF-8 bytes. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(HTML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function goNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`json: unsupported value: ${n}`);
  return Object.is(n, -0) ? '-0' : String(n);
}

export function goJson(value: unknown, isMap: IsMap = allMaps, path: KeyPath = []): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return goNumber(value);
    case 'string':
      return goJsonString(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => goJson(v, isMap, path)).join(',')}]`;
      let entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (isMap(path)) entries = entries.sort(([a], [b]) => compareGoStrings(a, b));
      return `{${entries.map(([k, v]) => `${goJsonString(k)}:${goJson(v, isMap, [...path, k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`json: unsupported type: ${typeof value}`);
  }
}
