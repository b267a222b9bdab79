/**
 * The Kubernetes client the release engine uses: plain HTTPS to the API server over one
 * keep-alive agent, credentials from client-node's KubeConfig, and API discovery done once per
 * client (aggregated discovery: two requests for the whole cluster) so that no object costs a
 * discovery request. Writes are helm 4's: server-side apply with field manager `helm`.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { classifyStatus, classifyTransport, describeRef, KindNotServed, parseStatus, type RequestContext, type StatusBody } from './errors.ts';
import type { KubeClient, KubeObject, ManagedFieldsEntry, ObjectRef } from './types.ts';

/** helm's field manager (`kube.ManagedFieldsManager` as the helm CLI sets it). */
export const FIELD_MANAGER = 'helm';

const AGGREGATED_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

// ---------------------------------------------------------------------------------------------
// Discovery documents (pure)

export interface ResourceInfo {
  /** The plural resource name used in URLs (`deployments`). */
  readonly plural: string;
  readonly namespaced: boolean;
}

/** group/version (`apps/v1`, core `v1`) → kind → resource. */
export type ResourceIndex = Map<string, Map<string, ResourceInfo>>;

interface AggregatedList {
  readonly kind?: string;
  readonly items?: readonly {
    readonly metadata?: { readonly name?: string };
    readonly versions?: readonly {
      readonly version?: string;
      readonly resources?: readonly {
        readonly resource?: string;
        readonly responseKind?: { readonly kind?: string };
        readonly scope?: string;
      }[];
    }[];
  }[];
}

/**
 * The resources of an aggregated discovery answer (`APIGroupDiscoveryList`, apidiscovery v2),
 * or undefined when the server answered the legacy format instead. Only served versions are
 * listed by the server, so a CRD version with `served: false` is absent.
 */
export function parseAggregatedDiscovery(doc: unknown): ResourceIndex | undefined {
  const list = doc as AggregatedList | null;
  if (list?.kind !== 'APIGroupDiscoveryList') return undefined;
  const index: ResourceIndex = new Map();
  for (const group of list.items ?? []) {
    const name = group.metadata?.name ?? '';
    for (const v of group.versions ?? []) {
      if (!v.version) continue;
      const kinds = new Map<string, ResourceInfo>();
      for (const r of v.resources ?? []) {
        const kind = r.responseKind?.kind;
        if (!kind || !r.resource || kinds.has(kind)) continue;
        kinds.set(kind, { plural: r.resource, namespaced: r.scope === 'Namespaced' });
      }
      index.set(name ? `${name}/${v.version}` : v.version, kinds);
    }
  }
  return index;
}

/** The kinds of a legacy `APIResourceList` (GET /api/v1, /apis/<group>/<version>); subresources skipped. */
export function parseResourceList(doc: unknown): Map<string, ResourceInfo> {
  const list = doc as { resources?: readonly { name?: string; kind?: string; namespaced?: boolean }[] } | null;
  const kinds = new Map<string, ResourceInfo>();
  for (const r of list?.resources ?? []) {
    if (!r.name || !r.kind || r.name.includes('/') || kinds.has(r.kind)) continue;
    kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced === true });
  }
  return kinds;
}

/** The URL path of a resource collection or object. */
export function resourcePath(apiVersion: string, info: ResourceInfo, namespace: string | undefined, name?: string): string {
  const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${ns}/${info.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

/** The reference of an object (namespace absent when the object names none). */
export function refOf(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata.name ?? '',
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Transport

interface Credentials {
  readonly agent: http.Agent;
  readonly headers: Record<string, string>;
  /** Exec plugins and auth providers hand out expiring tokens: ask client-node on every request. */
  readonly dynamic: boolean;
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

interface Request {
  readonly method: 'GET' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly ctx: RequestContext;
}

function headerRecord(h: http.OutgoingHttpHeaders | readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h || Array.isArray(h)) return out;
  for (const [k, v] of Object.entries(h as http.OutgoingHttpHeaders)) {
    if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
    else if (Array.isArray(v)) out[k] = v.join(', ');
  }
  return out;
}

async function loadCredentials(kc: KubeConfig): Promise<Credentials> {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const headers = headerRecord(opts.headers);
  if (typeof opts.auth === 'string') headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  let agent: http.Agent;
  if (cluster?.proxyUrl && opts.agent instanceof http.Agent) {
    agent = opts.agent; // client-node's proxy agent, reused for every request
  } else if (cluster?.server.startsWith('http:')) {
    agent = new http.Agent({ keepAlive: true });
  } else {
    agent = new https.Agent({
      keepAlive: true,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
      ...(opts.servername ? { servername: opts.servername } : {}),
    });
  }
  return { agent, headers, dynamic: Boolean(user?.exec || user?.authProvider) };
}

export interface KubeClientOptions {
  /** Per-request timeout (default 30 s); a timeout is a retryable KubeApiUnavailable. */
  readonly timeoutMs?: number;
}

type Root = 'api' | 'apis';

/** How long a confirmed miss is trusted when this client wrote nothing since. */
const MISS_TTL_MS = 10_000;

function rootOf(apiVersion: string): Root {
  return apiVersion.includes('/') ? 'apis' : 'api';
}

interface RootState {
  /** Aggregated index of the root, or 'legacy' when the server does not speak aggregated discovery. */
  index: ResourceIndex | 'legacy';
  generation: number;
}

/** KubeClient over HTTPS. `requests` counts every HTTP request sent (discovery included). */
export class HttpKubeClient implements KubeClient {
  private sent = 0;
  private credentials: Promise<Credentials> | undefined;
  private readonly server: string;
  private readonly timeoutMs: number;
  private readonly roots = new Map<Root, Promise<RootState>>();
  /** Legacy discovery only: one APIResourceList per group/version, fetched when first needed. */
  private readonly legacy = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();
  /** Kinds found missing after a fresh read: when, and by which read (refresh once per miss). */
  private readonly missing = new Map<string, { readonly generation: number; readonly writes: number; readonly at: number }>();
  /** Applies sent (dry runs aside): any of them may have created a CustomResourceDefinition. */
  private writes = 0;
  /** Counts discovery reads, so a recorded miss is tied to the read that confirmed it. */
  private generation = 0;

  constructor(
    private readonly kc: KubeConfig,
    opts: KubeClientOptions = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** HTTP requests sent so far. */
  get requests(): number {
    return this.sent;
  }

  /** Closes idle keep-alive connections (lets a process exit at once). */
  close(): void {
    void this.credentials?.then(
      (c) => c.agent.destroy(),
      () => undefined, // never loaded: nothing to close
    );
  }

  // ---- KubeClient ---------------------------------------------------------------------------

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const info = await this.mapping(ref.apiVersion, ref.kind, ref);
    const ctx = this.ctx('get', ref);
    const a = await this.send({ method: 'GET', path: resourcePath(ref.apiVersion, info, ref.namespace, ref.name), ctx });
    if (a.status === 404) return this.absent(a, ctx, ref);
    return this.object(a, ctx);
  }

  async apply(obj: KubeObject, opts: { readonly force: boolean; readonly dryRun?: boolean }): Promise<{ readonly object: KubeObject; readonly created: boolean }> {
    const ref = refOf(obj);
    const info = await this.mapping(obj.apiVersion, obj.kind, ref);
    if (info.namespaced && !ref.namespace) {
      throw new Error(`${describeRef(ref)} has no namespace: resolve it (resolveNamespace) before applying`);
    }
    const query: Record<string, string> = { fieldManager: FIELD_MANAGER, fieldValidation: 'Strict', force: String(opts.force) };
    if (opts.dryRun) query.dryRun = 'All';
    else this.writes++;
    const ctx = this.ctx('apply', ref);
    const a = await this.send({
      method: 'PATCH',
      path: resourcePath(obj.apiVersion, info, ref.namespace, ref.name),
      query,
      // JSON is YAML: the server parses the body as an apply configuration either way.
      body: JSON.stringify(obj),
      contentType: 'application/apply-patch+yaml',
      ctx,
    });
    const object = this.object(a, ctx);
    return { object, created: a.status === 201 };
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    const info = await this.mapping(ref.apiVersion, ref.kind, ref);
    const ctx = this.ctx('delete', ref);
    const a = await this.send({
      method: 'DELETE',
      path: resourcePath(ref.apiVersion, info, ref.namespace, ref.name),
      query: { propagationPolicy: 'Background' },
      ctx,
    });
    if (a.status === 404) return this.absent(a, ctx, ref) ?? false;
    this.check(a, ctx);
    return true;
  }

  async replaceManagedFields(live: KubeObject, entries: ManagedFieldsEntry[]): Promise<KubeObject> {
    const ref = refOf(live);
    const info = await this.mapping(live.apiVersion, live.kind, ref);
    const ctx = this.ctx('patch', ref);
    // csaupgrade's patch: "replace" the resourceVersion with the one read, so a concurrent
    // change makes the server answer 409 (ObjectChanged) instead of losing that change.
    const patch = [
      { op: 'replace', path: '/metadata/managedFields', value: entries },
      { op: 'replace', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion ?? '' },
    ];
    const a = await this.send({
      method: 'PATCH',
      path: resourcePath(live.apiVersion, info, ref.namespace, ref.name),
      query: { fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' },
      body: JSON.stringify(patch),
      contentType: 'application/json-patch+json',
      ctx,
    });
    return this.object(a, ctx);
  }

  /** Forgets every discovery answer and confirmed miss: the next lookup reads the server again. */
  rediscover(): void {
    for (const root of [...this.roots.keys()]) this.invalidate(root);
    this.missing.clear();
  }

  async resource(apiVersion: string, kind: string): Promise<{ readonly served: boolean; readonly namespaced: boolean }> {
    const info = await this.lookup(apiVersion, kind);
    return info ? { served: true, namespaced: info.namespaced } : { served: false, namespaced: false };
  }

  async list(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<KubeObject[]> {
    const info = await this.mapping(apiVersion, kind);
    const ctx: RequestContext = {
      server: this.server,
      verb: 'list',
      target: `${kind} objects (${apiVersion}) in namespace "${namespace}" matching "${labelSelector}"`,
    };
    const a = await this.send({ method: 'GET', path: resourcePath(apiVersion, info, namespace), query: labelSelector ? { labelSelector } : {}, ctx });
    this.check(a, ctx);
    const items = (JSON.parse(a.text) as { items?: KubeObject[] | null }).items ?? [];
    // Items of a list carry no apiVersion/kind; fill them in as client-go's unstructured lists do.
    return items.map((o) => ({ ...o, apiVersion, kind }));
  }

  async podLogs(namespace: string, pod: string, container: string): Promise<string> {
    const ctx: RequestContext = { server: this.server, verb: 'read logs of', target: `container "${container}" of Pod "${pod}" in namespace "${namespace}"` };
    const a = await this.send({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
      query: { container },
      accept: 'text/plain, */*',
      ctx,
    });
    this.check(a, ctx);
    return a.text;
  }

  // ---- discovery ----------------------------------------------------------------------------

  /** The resource of a kind, or KindNotServed. */
  private async mapping(apiVersion: string, kind: string, ref?: ObjectRef): Promise<ResourceInfo> {
    const info = await this.lookup(apiVersion, kind);
    if (!info) throw new KindNotServed(apiVersion, kind, ref);
    return info;
  }

  private async lookup(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const root = rootOf(apiVersion);
    const key = `${apiVersion}|${kind}`;
    const read = this.rootState(root);
    const state = await read;
    const found = await this.find(state, apiVersion, kind);
    if (found || this.stillMissing(key, state)) return found;
    // A kind can appear after discovery was read (a CRD just created): look again, once.
    const again = await this.refresh(root, read);
    const retried = await this.find(again, apiVersion, kind);
    if (!retried) this.missing.set(key, { generation: again.generation, writes: this.writes, at: Date.now() });
    else this.missing.delete(key);
    return retried;
  }

  /**
   * Whether a miss was already confirmed by the current discovery read, with nothing written
   * by this client since (an apply may have created a CRD) and recently enough that another
   * writer is unlikely to have served it meanwhile.
   */
  private stillMissing(key: string, state: RootState): boolean {
    const miss = this.missing.get(key);
    return miss !== undefined && miss.generation === state.generation && miss.writes === this.writes && Date.now() - miss.at < MISS_TTL_MS;
  }

  private async find(state: RootState, apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    if (state.index !== 'legacy') return state.index.get(apiVersion)?.get(kind);
    let kinds = this.legacy.get(apiVersion);
    if (!kinds) {
      kinds = this.fetchResourceList(apiVersion);
      this.legacy.set(apiVersion, kinds);
      kinds.catch(() => this.legacy.delete(apiVersion));
    }
    return (await kinds)?.get(kind);
  }

  private rootState(root: Root): Promise<RootState> {
    let state = this.roots.get(root);
    if (!state) {
      state = this.fetchRoot(root);
      this.roots.set(root, state);
      const mine = state;
      state.catch(() => {
        if (this.roots.get(root) === mine) this.roots.delete(root);
      });
    }
    return state;
  }

  /** Reads a root again, unless another lookup already replaced the read `seen` (then shares it). */
  private refresh(root: Root, seen: Promise<RootState>): Promise<RootState> {
    if (this.roots.get(root) === seen) this.invalidate(root);
    return this.rootState(root);
  }

  /** Forgets what discovery said about a root (a miss, or a resource type gone). */
  private invalidate(root: Root): void {
    this.roots.delete(root);
    for (const gv of [...this.legacy.keys()]) if (rootOf(gv) === root) this.legacy.delete(gv);
  }

  private async fetchRoot(root: Root): Promise<RootState> {
    const generation = ++this.generation;
    const ctx: RequestContext = { server: this.server, verb: 'discover', target: `the APIs under /${root}` };
    const a = await this.send({ method: 'GET', path: `/${root}`, accept: AGGREGATED_ACCEPT, ctx });
    this.check(a, ctx);
    const index = parseAggregatedDiscovery(JSON.parse(a.text));
    return { index: index ?? 'legacy', generation };
  }

  private async fetchResourceList(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ctx: RequestContext = { server: this.server, verb: 'discover', target: `the resources of ${apiVersion}` };
    const a = await this.send({ method: 'GET', path, accept: 'application/json', ctx });
    if (a.status === 404) return undefined;
    this.check(a, ctx);
    return parseResourceList(JSON.parse(a.text));
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private ctx(verb: string, ref: ObjectRef): RequestContext {
    return { server: this.server, verb, ref };
  }

  /** Throws the classified error for a failed answer. */
  private check(a: Answer, ctx: RequestContext): void {
    if (a.status >= 200 && a.status < 300) return;
    const status = parseStatus(a.text);
    if (a.status === 404 && ctx.ref && !status.details?.name) this.invalidate(rootOf(ctx.ref.apiVersion));
    throw classifyStatus(a.status, status, ctx);
  }

  private object(a: Answer, ctx: RequestContext): KubeObject {
    this.check(a, ctx);
    return JSON.parse(a.text) as KubeObject;
  }

  /** A 404 about an object: undefined when the object is absent, KindNotServed when its type is gone. */
  private absent(a: Answer, ctx: RequestContext, ref: ObjectRef): undefined {
    const status: StatusBody = parseStatus(a.text);
    if (status.details?.name) return undefined;
    this.invalidate(rootOf(ref.apiVersion));
    throw classifyStatus(404, status, ctx);
  }

  private async headers(): Promise<Credentials & { readonly current: Record<string, string> }> {
    this.credentials ??= loadCredentials(this.kc);
    const creds = await this.credentials.catch((err: unknown) => {
      this.credentials = undefined;
      throw err;
    });
    if (!creds.dynamic) return { ...creds, current: creds.headers };
    const fresh: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(fresh);
    return { ...creds, current: headerRecord(fresh.headers) };
  }

  private async send(req: Request): Promise<Answer> {
    const { agent, current } = await this.headers();
    const qs = new URLSearchParams(req.query ?? {}).toString();
    const url = new URL(`${this.server}${req.path}${qs ? `?${qs}` : ''}`);
    const headers: Record<string, string> = {
      ...current,
      Accept: req.accept ?? 'application/json',
      // Answers are small JSON documents: compressing them costs more time than it saves.
      'Accept-Encoding': 'identity',
      'User-Agent': 'helmstep',
    };
    if (req.body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(req.body));
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(url, req, headers, agent);
      } catch (err) {
        // A keep-alive socket the server closed while idle fails on first use: resend once on a
        // new connection. Every request here is idempotent (GET, DELETE, apply, guarded patch).
        if (attempt === 0 && (err as { reusedSocket?: boolean }).reusedSocket) continue;
        throw classifyTransport(err, req.ctx);
      }
    }
  }

  private once(url: URL, req: Request, headers: Record<string, string>, agent: http.Agent): Promise<Answer> {
    this.sent++;
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<Answer>((resolve, reject) => {
      const r = transport.request(url, { method: req.method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      r.setTimeout(this.timeoutMs, () => {
        r.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      r.on('error', (err) => {
        const reused = r.reusedSocket && ['ECONNRESET', 'EPIPE'].includes((err as { code?: string }).code ?? '');
        reject(reused ? Object.assign(err, { reusedSocket: true }) : err);
      });
      r.end(req.body);
    });
  }
}

/** A client for the kubeconfig's current context (client-node's credentials, one keep-alive agent). */
export function openKubeClient(kubeConfig: KubeConfig, opts?: KubeClientOptions): HttpKubeClient {
  return new HttpKubeClient(kubeConfig, opts);
}

/**
 * `obj` with the default namespace filled in when its kind is namespaced and it names none, as
 * helm's resource builder does. Cluster-scoped objects, objects that name a namespace and kinds
 * the cluster does not serve are returned unchanged (the caller reports unserved kinds).
 */
export async function resolveNamespace(client: KubeClient, obj: KubeObject, defaultNs: string): Promise<KubeObject> {
  if (obj.metadata.namespace) return obj;
  const { served, namespaced } = await client.resource(obj.apiVersion, obj.kind);
  if (!served || !namespaced) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace: defaultNs } };
}
