/**
 * The raw request as any HTTP front end hands it over (Node's IncomingMessage, API Gateway,
 * a Lambda function URL), and the small pure helpers the verifiers share: case-insensitive
 * headers, the raw body bytes, HMAC and a constant-time comparison.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface RawRequest {
  /** Header names in any case; values as Node gives them (string, or string[] when repeated). */
  readonly headers: Readonly<Record<string, unknown>>;
  /** The body exactly as received: the signature covers these bytes. A string is taken as UTF-8. */
  readonly body: string | Uint8Array | null | undefined;
}

export type HeaderValue =
  | { readonly kind: 'absent' }
  | { readonly kind: 'value'; readonly value: string }
  /** Sent more than once with different values, or not a string at all: never guess which one counts. */
  | { readonly kind: 'ambiguous' };

/** A header by name, case-insensitively; repeated identical values count as one. */
export function header(headers: Readonly<Record<string, unknown>> | null | undefined, name: string): HeaderValue {
  if (headers === null || typeof headers !== 'object') return { kind: 'absent' };
  const wanted = name.toLowerCase();
  const found: unknown[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined || value === null) continue;
    if (Array.isArray(value)) found.push(...(value as unknown[]));
    else found.push(value);
  }
  if (found.length === 0) return { kind: 'absent' };
  const first = found[0];
  if (typeof first !== 'string' || found.some((v) => v !== first)) return { kind: 'ambiguous' };
  return { kind: 'value', value: first };
}

export function bodyBytes(body: RawRequest['body']): Buffer {
  if (body === null || body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.alloc(0);
}

/** UTF-8 byte length of a body without copying it (the size limit is checked before anything else). */
export function bodyLength(body: RawRequest['body']): number {
  if (body === null || body === undefined) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body, 'utf8');
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

export function hmacSha256(secret: string | Uint8Array, ...parts: readonly Uint8Array[]): Buffer {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Whether `given` equals one of `expected`, comparing with crypto.timingSafeEqual on buffers of
 * equal length (a digest is fixed-length, so the length check leaks nothing secret). Every
 * candidate is compared, so the time does not say which secret matched.
 */
export function matchesAny(given: Buffer, expected: readonly Buffer[]): boolean {
  let match = false;
  for (const candidate of expected) {
    if (candidate.length === given.length && timingSafeEqual(candidate, given)) match = true;
  }
  return match;
}

/** `sha256=<64 hex>` → the digest bytes; anything else → undefined. */
export function parseSha256Signature(value: string): Buffer | undefined {
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(value);
  return m ? Buffer.from(m[1]!, 'hex') : undefined;
}

/** A header value shortened for a message: never echo kilobytes back. */
export function clip(value: string, max = 80): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}… (${value.length} chars)` : printable;
}

/** Whether a Content-Type header names JSON: application/json or any +json type, parameters ignored. */
export function isJsonMediaType(value: string): boolean {
  const type = value.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}
