/**
 * Helm's Secrets driver for reads, over plain HTTPS (node:https and the kubeconfig's TLS
 * credentials) instead of @kubernetes/client-node, so that a read command starts as fast as
 * helm's. Same requests, selectors, decoding and typed errors as SecretsReleaseStore, with
 * answers asked in protobuf (see protobuf.ts), JSON read too; writes go to a full store loaded
 * on the first write (the release-changing commands load client-node anyway).
 */
import http from 'node:http';
import https from 'node:https';

import { ReleaseNotFound, RevisionNotFound, type ReleaseRef } from '../release/errors.ts';
import { secretName, validateReleaseName } from '../release/lifecycle.ts';
import type { Labels, Release } from '../release/record.ts';
import type { Connection } from '../kube/kubeconfig.ts';
import { classifyHttp, classifyTransport } from './classify.ts';
import { decodeSecret, decodeSecretList, PROTOBUF, ProtobufError, statusJson } from './protobuf.ts';
import type { ReleaseStore, StoredRelease } from './release-store.ts';
import { fromJsonSecret, newestPerRelease, storedFromRecord, type SecretRecord, type WireSecret } from './wire.ts';

/** An HTTP answer: status, content type and body. */
export interface Answer {
  readonly status: number;
  /** The media type, without parameters (`application/json`). */
  readonly contentType: string;
  readonly body: Buffer;
}

/** GET requests to one API server (the seam the unit tests fake). */
export interface ApiReader {
  /** Rejects only when no answer came (network, TLS). */
  get(path: string): Promise<Answer>;
  /** Closes idle connections, so the process can exit at once. */
  close(): void;
}

/** An API answer that is not a success, kept as the cause of the typed error. */
export class ApiAnswer extends Error {
  override readonly name = 'ApiAnswer';
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP ${code}: ${body.slice(0, 500)}`);
  }
}

/** GETs over one keep-alive agent with the connection's TLS settings and headers. */
export function httpsReader(conn: Connection): ApiReader {
  const plain = conn.server.startsWith('http://');
  const agent = plain ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true, ...conn.tls });
  const once = (url: URL): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const headers = {
        ...conn.headers,
        // Protobuf first: the server answers Secrets (and errors) in it; JSON is the fallback.
        Accept: `${PROTOBUF}, application/json`,
        // Release data is gzip already: a gzip'd LIST of it costs more to compress than it saves.
        'Accept-Encoding': 'identity',
        'User-Agent': 'helmstep',
      };
      const req = (plain ? http : https).request(url, { method: 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const contentType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', (err) => {
        const reused = req.reusedSocket && ['ECONNRESET', 'EPIPE'].includes((err as { code?: string }).code ?? '');
        reject(reused ? Object.assign(err, { reusedSocket: true }) : err);
      });
      req.end();
    });
  return {
    async get(path) {
      const url = new URL(`${conn.server}${path}`);
      try {
        return await once(url);
      } catch (err) {
        // A keep-alive socket the server closed while idle fails on first use: resend once.
        if ((err as { reusedSocket?: boolean }).reusedSocket) return once(url);
        throw err;
      }
    },
    close: () => agent.destroy(),
  };
}

function secretsPath(namespace: string | undefined, labelSelector: string): string {
  const where = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `/api/v1${where}/secrets?labelSelector=${encodeURIComponent(labelSelector)}`;
}

/** Reads over an ApiReader; writes through `writer`, a store opened on first use. */
export class DirectSecretsReleaseStore implements ReleaseStore {
  private full: Promise<ReleaseStore> | undefined;

  constructor(
    private readonly api: ApiReader,
    /** Shown in errors about reaching the cluster. */
    private readonly server: string,
    private readonly writer: () => Promise<ReleaseStore>,
  ) {}

  async history(ref: ReleaseRef): Promise<StoredRelease[]> {
    // The name goes into a label selector: helm's rules keep it a valid label value.
    validateReleaseName(ref.name);
    const items = await this.listSecrets(
      `list Secrets of release "${ref.name}" in namespace "${ref.namespace}"`,
      secretsPath(ref.namespace, `owner=helm,name=${ref.name}`),
    );
    return items.map((s) => storedFromRecord(s, ref.namespace)).sort((a, b) => a.release.version - b.release.version);
  }

  async get(ref: ReleaseRef, version: number): Promise<StoredRelease> {
    validateReleaseName(ref.name);
    const name = secretName(ref.name, version);
    const what = `read Secret ${ref.namespace}/${name}`;
    const a = await this.call(what, `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/secrets/${encodeURIComponent(name)}`);
    if (a.status === 404) {
      const history = await this.history(ref);
      throw history.length === 0 ? new ReleaseNotFound(ref) : new RevisionNotFound(ref, version);
    }
    this.check(a, what);
    return storedFromRecord(this.decode(a, what, () => decodeSecret(a.body), () => fromJsonSecret(JSON.parse(a.body.toString('utf8')) as WireSecret)), ref.namespace);
  }

  async list(namespace?: string): Promise<StoredRelease[]> {
    const items = await this.listSecrets(`list helm release Secrets${namespace ? ` in namespace "${namespace}"` : ''}`, secretsPath(namespace || undefined, 'owner=helm'));
    return newestPerRelease(items.map((s) => storedFromRecord(s, s.metadata?.namespace ?? namespace ?? '')));
  }

  async create(release: Release, labels: Labels): Promise<StoredRelease> {
    return (await this.writes()).create(release, labels);
  }

  async update(stored: StoredRelease, next: Release, labels?: Labels): Promise<StoredRelease> {
    return (await this.writes()).update(stored, next, labels);
  }

  async delete(ref: ReleaseRef, version: number): Promise<void> {
    return (await this.writes()).delete(ref, version);
  }

  private writes(): Promise<ReleaseStore> {
    this.full ??= this.writer().catch((err: unknown) => {
      this.full = undefined;
      throw err;
    });
    return this.full;
  }

  private async listSecrets(what: string, path: string): Promise<SecretRecord[]> {
    const a = await this.call(what, path);
    this.check(a, what);
    return this.decode(
      a,
      what,
      () => decodeSecretList(a.body),
      () => ((JSON.parse(a.body.toString('utf8')) as { items?: WireSecret[] | null }).items ?? []).map(fromJsonSecret),
    );
  }

  /** One GET; a failed transport becomes the typed error that says whether to retry (classify.ts). */
  private async call(what: string, path: string): Promise<Answer> {
    try {
      return await this.api.get(path);
    } catch (err) {
      throw classifyTransport(err, this.server, what);
    }
  }

  /** Throws the typed error of a failed answer (404 included); the body of a protobuf one is read as the JSON Status. */
  private check(a: Answer, what: string): void {
    if (a.status >= 200 && a.status <= 299) return;
    let body = a.body.toString('utf8');
    if (a.contentType === PROTOBUF) {
      try {
        body = statusJson(a.body);
      } catch {
        // not a Status: keep the bytes as text
      }
    }
    const cause = new ApiAnswer(a.status, body);
    throw classifyHttp(cause, this.server, what, cause) ?? cause;
  }

  /** A successful answer's content, by its media type. */
  private decode<T>(a: Answer, what: string, protobuf: () => T, json: () => T): T {
    try {
      return a.contentType === PROTOBUF ? protobuf() : json();
    } catch (err) {
      if (!(err instanceof ProtobufError || err instanceof SyntaxError)) throw err;
      throw new Error(`the API server's answer to ${what} did not decode (${a.contentType || 'no content type'}): ${err.message}`, { cause: err });
    }
  }
}
