/**
 * A DynamoDB client for reads from a short-lived process: the JSON 1.0 protocol over node:http(s),
 * signed with SigV4, nothing else loaded. `helmstep audit history` spends its life starting up;
 * the AWS SDK's client is ~800 KB of modules to compile (~100 ms of a process that should take
 * ~150), so the CLI's queries come here, while everything that writes, and every Lambda, keeps
 * the SDK. Answers are DynamoDB's own JSON (AttributeValues as the SDK returns them, minus the
 * binary type this service does not use); errors carry the exception's name as the SDK's do
 * (`ResourceNotFoundException`, `ValidationException`), so callers treat both alike.
 *
 * Retries as the SDK's standard mode does: 3 attempts, full-jitter exponential backoff, on
 * throttling, 5xx and dropped connections.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

import type { QueryCommandInput, QueryCommandOutput } from '@aws-sdk/client-dynamodb';

import { NETWORK_ERROR_CODES } from '../store/classify.ts';
import { signRequest, type Credentials } from './sigv4.ts';

/** The one read the audit queries make; the SDK's client is adapted to it by sdkQuery(). */
export interface DynamoQuery {
  query(input: QueryCommandInput): Promise<Pick<QueryCommandOutput, 'Items' | 'LastEvaluatedKey'>>;
}

export interface DynamoJsonClientOptions {
  /** `http://127.0.0.1:8000`, `https://dynamodb.eu-west-1.amazonaws.com`. */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: Credentials;
  /** Attempts per request (default 3, the SDK's). */
  readonly maxAttempts?: number;
  /** Per attempt (default 30 s). */
  readonly timeoutMs?: number;
}

/** An error DynamoDB answered (name: its exception, e.g. ResourceNotFoundException) or a failed connection. */
export class DynamoRequestError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const THROTTLING = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'LimitExceededException']);

export class DynamoJsonClient implements DynamoQuery {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: DynamoJsonClientOptions) {
    this.url = new URL(opts.endpoint);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new Error(`DynamoDB endpoint ${opts.endpoint}: expected an http:// or https:// URL`);
    // Pages of one listing share a connection.
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  query(input: QueryCommandInput): Promise<Pick<QueryCommandOutput, 'Items' | 'LastEvaluatedKey'>> {
    return this.call('Query', input);
  }

  /** One DynamoDB operation (`Query`, `GetItem`, `ListTables`…) with its JSON input; resolves to its JSON output. */
  async call<T>(operation: string, input: unknown): Promise<T> {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.once(operation, body)) as T;
      } catch (e) {
        if (!(e instanceof DynamoRequestError) || !e.retryable || attempt >= this.maxAttempts) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(20_000, 100 * 2 ** attempt)));
      }
    }
  }

  destroy(): void {
    this.agent.destroy();
  }

  private once(operation: string, body: string): Promise<unknown> {
    const headers = signRequest({
      method: 'POST',
      host: this.url.host,
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
      body,
      region: this.opts.region,
      service: 'dynamodb',
      credentials: this.opts.credentials,
      date: new Date(),
    });
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(this.url, { method: 'POST', path: '/', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        readBody(res).then((text) => {
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = text === '' ? {} : JSON.parse(text);
          } catch (e) {
            reject(new DynamoRequestError('InvalidResponse', `DynamoDB at ${this.opts.endpoint} answered ${operation} with HTTP ${status} and a body that is not JSON: ${text.slice(0, 200)}`, status, status >= 500, { cause: e }));
            return;
          }
          if (status >= 200 && status < 300) resolve(parsed);
          else reject(serviceError(operation, status, parsed));
        }, reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => {
        reject(new DynamoRequestError(e.code ?? 'NetworkError', `DynamoDB at ${this.opts.endpoint} (${operation}): ${e.message}`, undefined, NETWORK_ERROR_CODES.has(e.code ?? ''), { cause: e }));
      });
      req.end(body);
    });
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"…"}` → an error named after the exception. */
function serviceError(operation: string, status: number, body: unknown): DynamoRequestError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const type = typeof b.__type === 'string' ? b.__type.slice(b.__type.lastIndexOf('#') + 1) : `HTTP${status}`;
  const message = typeof b.message === 'string' ? b.message : typeof b.Message === 'string' ? b.Message : `${operation} failed with HTTP ${status}`;
  return new DynamoRequestError(type, message, status, status >= 500 || THROTTLING.has(type));
}
