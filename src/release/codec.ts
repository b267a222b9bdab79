/**
 * Helm's storage encoding of a release (pkg/storage/driver/util.go).
 *
 *   encode: JSON → gzip (level 9, Go's BestCompression) → standard padded base64 text
 *   decode: base64 → (gunzip if the bytes start 1f 8b 08, else legacy plain JSON) → JSON → validate
 *
 * The base64 TEXT is the Secret's data VALUE. The Kubernetes API base64-encodes data values once
 * more on the wire, so with @kubernetes/client-node (whose `V1Secret.data` holds the wire form):
 *
 *   write: secret.data = { release: Buffer.from(encodeRelease(r)).toString('base64') }
 *   read:  decodeRelease(Buffer.from(secret.data.release, 'base64').toString('latin1'))
 *
 * (`kubectl get secret … -o jsonpath='{.data.release}' | base64 -d | base64 -d | gunzip` shows JSON.)
 * ConfigMaps (HELM_DRIVER=configmap) hold the text itself in `data.release`, with no extra layer.
 */
import { gunzipSync, gzipSync, constants } from 'node:zlib';

import { HelmstepError, ReleaseTooLarge } from './errors.ts';
import { ReleaseSchema, type Release } from './record.ts';

/** Kubernetes caps the summed size of a Secret's (or ConfigMap's) data values at 1 MiB. */
export const MAX_SECRET_DATA_BYTES = 1_048_576;

export type DecodeStage = 'base64' | 'gzip' | 'json' | 'schema';

/** A record that could not be decoded; `stage` says which layer failed. The store names the Secret. */
export class ReleaseDecodeError extends HelmstepError {
  override readonly name = 'ReleaseDecodeError';
  readonly reason = 'ReleaseDecodeError';
  constructor(
    readonly stage: DecodeStage,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`release record is corrupt at the ${stage} stage: ${detail}`, options);
  }
}

// Go's encoding/json escapes <, >, & (HTML safety) and U+2028/U+2029 inside strings. Outside
// strings JSON has none of these characters, so a global replace is exact. With key order kept
// by decodeRelease, a helm-written record re-encodes to the very JSON text helm wrote.
const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
function goEscape(json: string): string {
  return /[<>&\u2028\u2029]/.test(json) ? json.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c) : json;
}

/**
 * A JSON key that a JS object moves to the front (an array index: a canonical integer below
 * 2^32 − 1). JSON.parse keeps every other key in text order, so only these break helm's order.
 */
function isIndexKey(k: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(k) && Number(k) < 4_294_967_295;
}

// In JSON text an unescaped `"` directly after `{` or `,` always opens a key (inside a string
// every `"` is escaped), so this finds an integer-like key without false positives.
const INDEX_KEY_IN_TEXT = /[{,]"(?:0|[1-9]\d{0,9})":/;

/** Go's map key order: byte-wise over UTF-8, which is code point order (not UTF-16 unit order). */
function compareGoKeys(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * JSON.stringify, except that an object holding an integer-like key is written with all its keys
 * sorted byte-wise, as Go writes every map. Struct objects (release, info, chart…) never have
 * such keys, so their field order is kept; maps that have them are values helm sorted anyway.
 */
function stringifyGoOrder(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if ('toJSON' in v && typeof v.toJSON === 'function') return stringifyGoOrder((v.toJSON as () => unknown)());
  if (Array.isArray(v)) return `[${v.map((e: unknown) => stringifyGoOrder(e) ?? 'null').join(',')}]`;
  const obj = v as Record<string, unknown>;
  let keys = Object.keys(obj);
  if (keys.some(isIndexKey)) keys = keys.sort(compareGoKeys);
  const parts: string[] = [];
  for (const k of keys) {
    const s = stringifyGoOrder(obj[k]);
    if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
  }
  return `{${parts.join(',')}}`;
}

/** The record's JSON text exactly as Go's encoding/json would write the same object. */
export function goJsonText(r: Release): string {
  const plain = JSON.stringify(r);
  // The fast path covers nearly every record; only integer-like map keys need the slow writer.
  const json = INDEX_KEY_IN_TEXT.test(plain) ? (stringifyGoOrder(r) ?? plain) : plain;
  return goEscape(json);
}

/** JSON → gzip level 9 → padded standard base64. Pure: same input, same output. */
export function encodeRelease(r: Release): string {
  const json = goJsonText(r);
  return gzipSync(Buffer.from(json, 'utf8'), { level: constants.Z_BEST_COMPRESSION }).toString('base64');
}

/**
 * Bytes the record adds to the Secret's data, which is what Kubernetes counts against 1 MiB:
 * the length of the base64 text (the API stores the text's bytes; its own wire base64 is not counted).
 */
export function encodedSize(r: Release): number {
  return encodeRelease(r).length;
}

/**
 * Encodes for a Secret or ConfigMap, refusing BEFORE any write a record whose data would exceed
 * the 1 MiB limit (helm itself writes and gets `data: Too long`). Throws ReleaseTooLarge.
 */
export function encodeForSecret(r: Release): { text: string; size: number } {
  const text = encodeRelease(r);
  const size = text.length; // base64 is ASCII: chars = bytes
  if (size > MAX_SECRET_DATA_BYTES) {
    throw new ReleaseTooLarge({ namespace: r.namespace ?? '', name: r.name }, r.version, size, MAX_SECRET_DATA_BYTES);
  }
  return { text, size };
}

// Go's base64.StdEncoding is strict: alphabet only, padded to a multiple of 4. Node's decoder
// silently skips junk, so check first or a damaged record would reach the JSON stage.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Decodes Helm's storage text (the Secret's data value after the API's own base64 layer).
 * Accepts gzip'd JSON and legacy base64-of-plain-JSON. Throws ReleaseDecodeError.
 *
 * Validation checks the whole shape with zod but returns the object JSON.parse built, so key
 * order and every unknown field reach encodeRelease exactly as helm wrote them.
 */
export function decodeRelease(text: string | Uint8Array): Release {
  let bytes: Buffer;
  if (typeof text === 'string') {
    bytes = Buffer.from(text, 'base64');
    // Canonical text re-encodes to itself (cheap); only otherwise pay for the regex.
    if (bytes.toString('base64') !== text && !BASE64.test(text)) {
      throw new ReleaseDecodeError('base64', 'not standard padded base64 text');
    }
  } else {
    // Raw bytes of the text (e.g. a ConfigMap's binary data); decode them as base64 text.
    return decodeRelease(Buffer.from(text).toString('latin1'));
  }

  let json: string;
  if (bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08) {
    try {
      json = gunzipSync(bytes).toString('utf8');
    } catch (e) {
      throw new ReleaseDecodeError('gzip', describe(e), { cause: e });
    }
  } else {
    json = bytes.toString('utf8');
  }

  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new ReleaseDecodeError('json', describe(e), { cause: e });
  }
  return validateRelease(value);
}

/** Validates a parsed release; returns the same object (not zod's copy). Throws ReleaseDecodeError('schema'). */
export function validateRelease(value: unknown): Release {
  const result = ReleaseSchema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join('.') : '(root)';
    throw new ReleaseDecodeError('schema', `${where}: ${first?.message ?? 'invalid'}`, { cause: result.error });
  }
  return value as Release;
}
