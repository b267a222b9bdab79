/**
 * Webhook verification: pure checks of a raw request, in an order that tells an unauthenticated
 * caller nothing beyond "too large" or "not signed": size (413, before any hashing), signature
 * (401), timestamp window (401, generic only), headers (400), JSON (415). Nothing here throws for
 * anything a caller can send; the only injected call is `seen`, and it runs last.
 *
 * GitHub: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(secret, raw body), with
 * `X-GitHub-Event` and `X-GitHub-Delivery` (a GUID). Generic: `X-Helmstep-Signature:
 * sha256=<hex>` = HMAC-SHA256(secret, `<X-Helmstep-Timestamp>.<raw body>`), the timestamp in unix
 * seconds and within the replay window either way, and `X-Helmstep-Delivery` naming the delivery.
 */
import { refuse, type Refusal } from './answer.ts';
import {
  bodyBytes,
  bodyLength,
  clip,
  header,
  hmacSha256,
  isJsonMediaType,
  matchesAny,
  parseSha256Signature,
  type RawRequest,
} from './http.ts';
import { executionName, type ExecutionKind } from './naming.ts';

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
export const DEFAULT_REPLAY_WINDOW_SECONDS = 300;

export interface VerifyOptions {
  /** The shared secret; several while rotating (any one may match). */
  readonly secrets: string | readonly string[];
  /** Milliseconds since the epoch; Date.now by default. */
  readonly now?: () => number;
  readonly maxBodyBytes?: number;
  /** Generic endpoint: how far the signed timestamp may be from now, in seconds, either way. */
  readonly replayWindowSeconds?: number;
}

export interface Authenticated {
  readonly ok: true;
  readonly outcome: 'authenticated';
  readonly source: 'github' | 'generic';
  /** GitHub's X-GitHub-Event; `generic` for the generic endpoint. */
  readonly event: string;
  readonly deliveryId: string;
  /** The parsed JSON body, not yet checked against a schema. */
  readonly payload: unknown;
  /** Generic only: the signed timestamp, unix seconds. */
  readonly timestamp?: number;
}

export type Verification = Authenticated | Refusal;

/** Tells whether a delivery id was already received (and, in the service, records it when not). */
export type Seen = (deliveryId: string) => boolean | Promise<boolean>;

const GITHUB_DELIVERY = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const GITHUB_EVENT = /^[a-z][a-z_]{0,63}$/;
/** Generic delivery ids: what CI systems use as ids (UUIDs, run ids, `run-42.1`), bounded. */
const GENERIC_DELIVERY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const UNIX_SECONDS = /^[0-9]{1,12}$/;

function secretList(secrets: VerifyOptions['secrets']): readonly string[] {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  // An empty secret would let anyone who knows that sign; a configuration error, never "accept".
  return list.filter((s) => typeof s === 'string' && s.length > 0);
}

function sizeCheck(request: RawRequest, options: VerifyOptions): Refusal | undefined {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const size = bodyLength(request.body);
  if (size > limit) {
    return refuse(
      'BodyTooLarge',
      `the body is ${size} bytes, over the limit of ${limit} bytes; nothing was read. ` +
        `Send a smaller payload (for GitHub, trim the events the webhook subscribes to)`,
    );
  }
  return undefined;
}

function signatureCheck(
  request: RawRequest,
  headerName: string,
  secrets: readonly string[],
  signed: readonly Uint8Array[],
  hint: string,
): Refusal | undefined {
  const value = header(request.headers, headerName);
  if (value.kind === 'absent') {
    return refuse('SignatureMissing', `missing ${headerName} header: the request is not signed; ${hint}`);
  }
  if (value.kind === 'ambiguous') {
    return refuse('SignatureMissing', `${headerName} was sent more than once with different values; send exactly one signature`);
  }
  const given = parseSha256Signature(value.value.trim());
  if (given === undefined) {
    return refuse(
      'SignatureMissing',
      `${headerName} is not "sha256=" followed by 64 hex digits (got "${clip(value.value)}"); sign with HMAC-SHA256`,
    );
  }
  if (secrets.length === 0) {
    return refuse('SignatureInvalid', `${headerName} cannot be checked: no webhook secret is configured on this endpoint; configure one`);
  }
  const expected = secrets.map((secret) => hmacSha256(secret, ...signed));
  if (!matchesAny(given, expected)) {
    return refuse(
      'SignatureInvalid',
      `${headerName} does not match the body signed with the configured secret; ${hint}, and that nothing re-encodes the body on the way`,
    );
  }
  return undefined;
}

/** Decodes the body as JSON; 415 when it is declared as something else or is not JSON at all. */
function jsonBody(request: RawRequest): { ok: true; payload: unknown } | Refusal {
  const type = header(request.headers, 'content-type');
  if (type.kind === 'ambiguous' || (type.kind === 'value' && !isJsonMediaType(type.value))) {
    const got = type.kind === 'value' ? `"${clip(type.value)}"` : 'several values';
    return refuse(
      'UnsupportedMediaType',
      `Content-Type is ${got}, not JSON; send the payload as application/json (for GitHub, set the webhook's content type to application/json)`,
    );
  }
  const bytes = bodyBytes(request.body);
  if (bytes.length === 0) return refuse('UnsupportedMediaType', 'the body is empty, not JSON; send a JSON object');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return refuse('UnsupportedMediaType', 'the body is not UTF-8 text, so not JSON; send a JSON object');
  }
  try {
    return { ok: true, payload: JSON.parse(text) as unknown };
  } catch (error) {
    const detail = error instanceof Error ? clip(error.message, 120) : 'unparsable';
    return refuse('UnsupportedMediaType', `the body is not valid JSON (${detail}); send a JSON object`);
  }
}

/** Checks a GitHub delivery up to and including its JSON; does not consult `seen`. */
export function authenticateGithub(request: RawRequest, options: VerifyOptions): Verification {
  const tooLarge = sizeCheck(request, options);
  if (tooLarge) return tooLarge;

  const bad = signatureCheck(
    request,
    'X-Hub-Signature-256',
    secretList(options.secrets),
    [bodyBytes(request.body)],
    "check that the GitHub webhook's secret equals the one configured here",
  );
  if (bad) return bad;

  const event = header(request.headers, 'X-GitHub-Event');
  if (event.kind !== 'value' || !GITHUB_EVENT.test(event.value)) {
    return refuse(
      'InvalidHeaders',
      event.kind === 'absent'
        ? 'missing X-GitHub-Event header; GitHub sends it with every delivery'
        : `X-GitHub-Event is not an event name (got ${event.kind === 'value' ? `"${clip(event.value)}"` : 'several values'})`,
    );
  }
  const delivery = header(request.headers, 'X-GitHub-Delivery');
  if (delivery.kind !== 'value' || !GITHUB_DELIVERY.test(delivery.value)) {
    return refuse(
      'InvalidHeaders',
      delivery.kind === 'absent'
        ? 'missing X-GitHub-Delivery header; GitHub sends a GUID with every delivery'
        : `X-GitHub-Delivery is not a GUID (got ${delivery.kind === 'value' ? `"${clip(delivery.value)}"` : 'several values'})`,
    );
  }

  const json = jsonBody(request);
  if (!json.ok) return json;
  return {
    ok: true,
    outcome: 'authenticated',
    source: 'github',
    event: event.value,
    deliveryId: delivery.value.toLowerCase(),
    payload: json.payload,
  };
}

/** Checks a generic delivery up to and including its JSON; does not consult `seen`. */
export function authenticateGeneric(request: RawRequest, options: VerifyOptions): Verification {
  const tooLarge = sizeCheck(request, options);
  if (tooLarge) return tooLarge;

  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  // The timestamp is part of what is signed, so it must be readable before the signature is checked.
  const stamp = header(request.headers, 'X-Helmstep-Timestamp');
  if (stamp.kind !== 'value' || !UNIX_SECONDS.test(stamp.value)) {
    return refuse(
      'TimestampInvalid',
      stamp.kind === 'absent'
        ? 'missing X-Helmstep-Timestamp header; send the current unix time in seconds and sign "<timestamp>.<body>"'
        : `X-Helmstep-Timestamp is not unix seconds (got ${stamp.kind === 'value' ? `"${clip(stamp.value)}"` : 'several values'}); send an integer such as ${nowSeconds}`,
    );
  }

  const bad = signatureCheck(
    request,
    'X-Helmstep-Signature',
    secretList(options.secrets),
    [Buffer.from(`${stamp.value}.`, 'utf8'), bodyBytes(request.body)],
    'sign "<X-Helmstep-Timestamp>.<body>" with HMAC-SHA256 and the shared secret',
  );
  if (bad) return bad;

  const timestamp = Number(stamp.value);
  const window = options.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS;
  const skew = nowSeconds - timestamp;
  if (Math.abs(skew) > window) {
    const when = new Date(timestamp * 1000).toISOString();
    return refuse(
      'TimestampStale',
      skew > 0
        ? `stale timestamp: X-Helmstep-Timestamp ${timestamp} (${when}) is ${skew} s in the past, beyond the ${window} s replay window; ` +
            `sign each delivery when it is sent, and check the sender's clock`
        : `stale timestamp: X-Helmstep-Timestamp ${timestamp} (${when}) is ${-skew} s in the future, beyond the ${window} s replay window; ` +
            `check the sender's clock`,
    );
  }

  const delivery = header(request.headers, 'X-Helmstep-Delivery');
  if (delivery.kind !== 'value' || !GENERIC_DELIVERY.test(delivery.value)) {
    return refuse(
      'InvalidHeaders',
      delivery.kind === 'absent'
        ? 'missing X-Helmstep-Delivery header; send a unique id per delivery (the same id when retrying it)'
        : `X-Helmstep-Delivery must be 1 to 128 characters of letters, digits, ".", "_", ":" and "-", starting with a letter or digit ` +
            `(got ${delivery.kind === 'value' ? `"${clip(delivery.value)}"` : 'several values'})`,
    );
  }

  const json = jsonBody(request);
  if (!json.ok) return json;
  return {
    ok: true,
    outcome: 'authenticated',
    source: 'generic',
    event: 'generic',
    deliveryId: delivery.value,
    payload: json.payload,
    timestamp,
  };
}

/** 409 when the delivery was already received; the answer names the execution the first one started. */
export async function replayCheck(source: ExecutionKind, deliveryId: string, seen: Seen): Promise<Refusal | undefined> {
  if (!(await seen(deliveryId))) return undefined;
  const name = executionName(source, deliveryId);
  return refuse(
    'Replay',
    `delivery ${deliveryId} was already received and started execution ${name}; nothing new was started. ` +
      `To deploy again, send a new delivery`,
    { executionName: name },
  );
}

/** authenticateGithub, then the replay check. */
export async function verifyGithub(request: RawRequest, options: VerifyOptions & { readonly seen: Seen }): Promise<Verification> {
  const result = authenticateGithub(request, options);
  if (!result.ok) return result;
  return (await replayCheck('github', result.deliveryId, options.seen)) ?? result;
}

/** authenticateGeneric, then the replay check. */
export async function verifyGeneric(request: RawRequest, options: VerifyOptions & { readonly seen: Seen }): Promise<Verification> {
  const result = authenticateGeneric(request, options);
  if (!result.ok) return result;
  return (await replayCheck('generic', result.deliveryId, options.seen)) ?? result;
}
