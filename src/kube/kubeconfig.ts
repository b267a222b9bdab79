/**
 * A kubeconfig loader for the common case, without @kubernetes/client-node (whose import alone
 * costs more than a whole `helm history`): a file, a context, a cluster reached over TLS with a
 * CA, and a user with a client certificate, a bearer token or basic auth.
 *
 * It reads kubeconfigs exactly as client-node's KubeConfig does (same file choice, same context,
 * same credentials, paths made absolute the same way). Whatever it does not handle itself — exec
 * plugins and auth providers (expiring credentials), proxies, several files in $KUBECONFIG,
 * in-cluster config, a file client-node would refuse — it hands to client-node ('full'), so
 * those keep working, with client-node's own error messages.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AgentOptions } from 'node:https';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

import { HelmstepError } from '../release/errors.ts';
import { parseKubeconfigYaml } from '../store/kubeconfig-yaml.ts';

/** The kubeconfig is missing, unreadable or names no usable cluster. */
export class KubeconfigError extends HelmstepError {
  override readonly name = 'KubeconfigError';
  readonly reason = 'KubeconfigError';
}

export function missingKubeconfig(path: string): KubeconfigError {
  return new KubeconfigError(`kubeconfig ${path} does not exist; pass an existing file to --kubeconfig`);
}

export function unknownContext(context: string, known: readonly string[]): KubeconfigError {
  return new KubeconfigError(`context "${context}" is not in the kubeconfig (contexts: ${known.join(', ') || 'none'}); pick one with --kube-context`);
}

export function noCurrentCluster(): KubeconfigError {
  return new KubeconfigError('the kubeconfig has no current cluster; pass --kubeconfig or --kube-context, or set KUBECONFIG');
}

export interface KubeconfigOptions {
  /** Path to a kubeconfig; default $KUBECONFIG, then ~/.kube/config (as kubectl and helm do). */
  readonly kubeconfig?: string;
  /** Context to use instead of the kubeconfig's current-context. */
  readonly context?: string;
}

/** Where a credential comes from: a file (read when connecting) or inline base64 data. */
export type Source = { readonly file: string } | { readonly data: string };

/** What a simple kubeconfig says about the current context, before any credential file is read. */
export interface DirectTarget {
  /** The API server URL without a trailing slash (as client-node keeps it). */
  readonly server: string;
  /** The context's namespace, if it names one. */
  readonly namespace?: string;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string;
  readonly ca?: Source;
  readonly cert?: Source;
  readonly key?: Source;
  readonly token?: string;
  /** The user's token file, when it has no inline token (relative to the working directory, as in client-node). */
  readonly tokenFile?: string;
  readonly basic?: { readonly username: string; readonly password: string };
  readonly impersonate?: string;
}

/** The outcome of reading a kubeconfig: connect directly, or let client-node do it (and why). */
export type Plan = { readonly kind: 'direct'; readonly target: DirectTarget } | { readonly kind: 'full'; readonly why: string };

/** Everything a plain HTTPS request to the API server needs. */
export interface Connection {
  readonly server: string;
  readonly namespace?: string;
  /** TLS settings for an https.Agent (ca, cert, key, rejectUnauthorized, servername). */
  readonly tls: AgentOptions;
  /** Authorization and impersonation headers. */
  readonly headers: Readonly<Record<string, string>>;
}

export type Loaded = { readonly kind: 'direct'; readonly connection: Connection } | { readonly kind: 'full'; readonly why: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A set value as text (client-node tests values for truthiness, then uses them as strings). */
function text(v: unknown): string | undefined {
  return v && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') ? String(v) : undefined;
}

interface Entry {
  readonly name: unknown;
  readonly body: Obj;
}

/**
 * One list of the kubeconfig (clusters, users, contexts) as client-node validates it: a missing
 * list is empty; an entry without a name, body or required field makes client-node throw, so
 * the whole file goes to client-node (undefined here).
 */
function entries(list: unknown, key: 'cluster' | 'user' | 'context', required?: string): Entry[] | undefined {
  if (!Array.isArray(list)) return [];
  const out: Entry[] = [];
  for (const e of list as unknown[]) {
    if (!isObj(e) || !e.name) return undefined;
    const body = e[key];
    if (key !== 'user' && !isObj(body)) return undefined;
    const b = isObj(body) ? body : {};
    if (required && !b[required]) return undefined;
    out.push({ name: e.name, body: b });
  }
  return out;
}

/** client-node picks the first entry with the name. */
function find(list: readonly Entry[], name: unknown): Entry | undefined {
  return list.find((e) => e.name === name);
}

function source(dir: string, file: unknown, data: unknown): Source | undefined {
  const f = text(file);
  // Paths are relative to the kubeconfig's folder (client-node's makePathsAbsolute).
  if (f) return { file: isAbsolute(f) ? f : join(dir, f) };
  const d = text(data);
  return d ? { data: d } : undefined;
}

/**
 * Decides from a parsed kubeconfig (`doc`, read from a file in `dir`) how to connect. Pure.
 * Throws KubeconfigError when `context` is not in the file or the context names no known
 * cluster, with the messages of the client-node path.
 */
export function planConnection(doc: unknown, dir: string, context?: string): Plan {
  if (!isObj(doc)) return { kind: 'full', why: 'the kubeconfig is not a mapping' };
  const clusters = entries(doc.clusters, 'cluster', 'server');
  const users = entries(doc.users, 'user');
  const contexts = entries(doc.contexts, 'context', 'cluster');
  if (!clusters || !users || !contexts) return { kind: 'full', why: 'an entry of the kubeconfig is incomplete' };

  if (context !== undefined && !contexts.some((c) => c.name === context)) throw unknownContext(context, contexts.map((c) => String(c.name)));
  const ctx = find(contexts, context ?? doc['current-context']);
  const cluster = ctx && find(clusters, ctx.body.cluster);
  if (!ctx || !cluster) throw noCurrentCluster();

  const user = ctx.body.user ? find(users, ctx.body.user) : undefined;
  // Without a user, client-node applies no TLS settings at all: leave that to it.
  if (!user) return { kind: 'full', why: 'the context names no known user' };
  const u = user.body;
  if (u.exec) return { kind: 'full', why: 'the user runs an exec credential plugin' };
  if (u['auth-provider']) return { kind: 'full', why: 'the user has an auth provider' };
  const c = cluster.body;
  if (c['proxy-url']) return { kind: 'full', why: 'the cluster is reached through a proxy' };
  const server = String(c.server).replace(/\/$/, '');
  const skipTLSVerify = c['insecure-skip-tls-verify'] === true;
  if (!server.startsWith('https://') && !(server.startsWith('http://') && skipTLSVerify)) {
    return { kind: 'full', why: 'the server is neither https nor http with TLS verification off' };
  }

  const ca = source(dir, c['certificate-authority'], c['certificate-authority-data']);
  const cert = source(dir, u['client-certificate'], u['client-certificate-data']);
  const key = source(dir, u['client-key'], u['client-key-data']);
  const token = text(u.token);
  const tokenFile = token ? undefined : text(u['token-file']);
  const username = text(u.username);
  const namespace = text(ctx.body.namespace);
  const tlsServerName = text(c['tls-server-name']);
  return {
    kind: 'direct',
    target: {
      server,
      skipTLSVerify,
      ...(namespace ? { namespace } : {}),
      ...(tlsServerName ? { tlsServerName } : {}),
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(token ? { token } : {}),
      ...(tokenFile ? { tokenFile } : {}),
      // client-node writes `${username}:${password}`, whatever the password is.
      ...(username ? { basic: { username, password: `${u.password as string}` } } : {}),
      ...(text(u.as) ? { impersonate: text(u.as) } : {}),
    },
  };
}

/** The token files of every user without an inline token: client-node reads them all when it loads the file. */
export function tokenFiles(doc: unknown): string[] {
  if (!isObj(doc) || !Array.isArray(doc.users)) return [];
  return (doc.users as unknown[]).flatMap((e) => {
    const u = isObj(e) && isObj(e.user) ? e.user : undefined;
    const f = u && !u.token ? text(u['token-file']) : undefined;
    return f ? [f] : [];
  });
}

/**
 * Which file to load, as client-node's loadFromDefault chooses: --kubeconfig, else $KUBECONFIG
 * (one file; several are merged, which is left to client-node), else ~/.kube/config. Undefined
 * when client-node must decide (several files, or none: in-cluster or localhost).
 */
export function kubeconfigFile(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
  platform: string = process.platform,
): string | undefined {
  if (explicit) return explicit;
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f);
    return files.length === 1 ? files[0] : undefined;
  }
  if (platform === 'win32' || !env.HOME) return undefined;
  const home = join(env.HOME, '.kube', 'config');
  return exists(home) ? home : undefined;
}

function read(src: Source): Buffer {
  return 'file' in src ? readFileSync(src.file) : Buffer.from(src.data, 'base64');
}

/** The connection of a direct plan: reads its credential files (throws when one does not read). */
export function connection(target: DirectTarget): Connection {
  const headers: Record<string, string> = {};
  if (target.impersonate !== undefined) headers['Impersonate-User'] = target.impersonate;
  if (target.basic) headers.Authorization = `Basic ${Buffer.from(`${target.basic.username}:${target.basic.password}`).toString('base64')}`;
  // A token wins over basic auth, as in client-node. A file's trailing newline is not part of it.
  const token = target.token ?? (target.tokenFile ? readFileSync(target.tokenFile, 'utf8').trim() : undefined);
  if (token) headers.Authorization = `Bearer ${token}`;
  const tls: AgentOptions = {
    ...(target.ca ? { ca: read(target.ca) } : {}),
    ...(target.cert ? { cert: read(target.cert) } : {}),
    ...(target.key ? { key: read(target.key) } : {}),
    ...(target.skipTLSVerify ? { rejectUnauthorized: false } : {}),
    ...(target.tlsServerName ? { servername: target.tlsServerName } : {}),
  };
  return { server: target.server, ...(target.namespace ? { namespace: target.namespace } : {}), tls, headers };
}

/**
 * Loads the kubeconfig `opts` and `env` name. Throws KubeconfigError for a --kubeconfig file that
 * does not exist, an unknown --kube-context or no current cluster; anything else it does not do
 * itself (including a file it cannot read or parse) is 'full', for client-node to load or refuse.
 */
export function loadKubeconfig(opts: KubeconfigOptions, env: Readonly<Record<string, string | undefined>>): Loaded {
  if (opts.kubeconfig && !existsSync(opts.kubeconfig)) throw missingKubeconfig(opts.kubeconfig);
  const file = kubeconfigFile(opts.kubeconfig, env, existsSync);
  if (!file) return { kind: 'full', why: 'no single kubeconfig file' };
  let doc: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    // The common shapes are read by a small reader at a fraction of the cost; the rest by `yaml`,
    // merge keys on (client-node parses with js-yaml, which resolves them).
    doc = parseKubeconfigYaml(text) ?? parse(text, { merge: true });
  } catch (err) {
    return { kind: 'full', why: `the kubeconfig did not read or parse: ${describe(err)}` };
  }
  const plan = planConnection(doc, dirname(file), opts.context);
  if (plan.kind === 'full') return plan;
  try {
    for (const f of tokenFiles(doc)) readFileSync(f);
    return { kind: 'direct', connection: connection(plan.target) };
  } catch (err) {
    return { kind: 'full', why: `a credential file did not read: ${describe(err)}` };
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
