/**
 * A real OCI registry for the `oci://` chart tests and the demo: the CNCF distribution registry,
 * built once from its Go module (pinned in ./registry/go.mod) into the cache, started on
 * 127.0.0.1 with a free port and its storage in a folder of the caller's.
 *
 * Built, not installed, like the control plane and Prometheus: Node.js and Go are the only
 * prerequisites. Plain HTTP by default (helm's `--plain-http`); given a certificate it serves
 * HTTPS instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, contentKey, fillOnce, progress } from './cache.ts';
import { answers200, freePort, startDaemon } from './daemon.ts';
import { runGo } from './go.ts';

/** The distribution release pinned in ./registry/go.mod. */
export const REGISTRY_VERSION = 'v3.1.2';
const PACKAGE = 'github.com/distribution/distribution/v3';

const moduleDir = fileURLToPath(new URL('./registry', import.meta.url));

/**
 * The path of the registry binary, built on first use into
 * `~/.cache/helmstep/registry/<version>-<key>/` (the key hashes go.mod and go.sum, so a pin
 * change rebuilds). Cold, with empty Go caches, 3 to 7 minutes on 2 cores; later calls return at once.
 */
export async function ensureRegistryBinary(): Promise<string> {
  const key = contentKey([join(moduleDir, 'go.mod'), join(moduleDir, 'go.sum')], [process.arch, 'cgo=0']);
  const dir = join(cacheRoot(), 'registry', `${REGISTRY_VERSION}-${key}`);
  await fillOnce(dir, async (staging) => {
    const started = Date.now();
    progress(`building the OCI registry (distribution ${REGISTRY_VERSION}) from its Go module into ${dir}`);
    progress('a cold build (module downloads included) takes a few minutes on 2 cores; later runs reuse the cache');
    const ldflags = `-s -w -X ${PACKAGE}/version.version=${REGISTRY_VERSION}`;
    await runGo({
      moduleDir,
      args: ['build', '-trimpath', '-ldflags', ldflags, '-o', join(staging, 'registry'), `${PACKAGE}/cmd/registry`],
      purpose: 'the local OCI registry',
      heartbeat: 'still building the registry',
    });
    progress(`  registry built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
  return join(dir, 'registry');
}

export interface RegistryOptions {
  /** Working folder: the configuration, the blob storage and the log. */
  readonly dir: string;
  /** Serve HTTPS with this PEM certificate and key (for 127.0.0.1); plain HTTP when absent. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** How long to wait for `GET /v2/`. @default 30_000 */
  readonly readyTimeoutMs?: number;
}

export interface LocalRegistry {
  /** `127.0.0.1:<port>`, as `oci://` references and `helm push` take it. */
  readonly host: string;
  /** Base URL, `http://127.0.0.1:<port>` (or https). */
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** config.yml: filesystem storage, deletes allowed, no tracing or health checks to feed. JSON is YAML. */
export function registryConfig(o: { storage: string; addr: string; tls?: RegistryOptions['tls'] }): string {
  return `${JSON.stringify(
    {
      version: 0.1,
      log: { level: 'warn', formatter: 'text', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: o.storage }, delete: { enabled: true }, cache: { blobdescriptor: 'inmemory' } },
      http: {
        addr: o.addr,
        secret: randomBytes(16).toString('hex'),
        ...(o.tls ? { tls: { certificate: o.tls.certFile, key: o.tls.keyFile } } : {}),
      },
    },
    null,
    2,
  )}\n`;
}

/**
 * Starts the registry on 127.0.0.1 (a free port) and resolves once `GET /v2/` answers 200.
 * stop() ends it by its PID (SIGTERM, then SIGKILL after 5 s); it is also killed when this
 * Node.js process exits, so a test run never leaves one behind.
 */
export async function startRegistry(opts: RegistryOptions): Promise<LocalRegistry> {
  const binary = await ensureRegistryBinary();
  mkdirSync(opts.dir, { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const url = `${opts.tls ? 'https' : 'http'}://${host}`;
  const config = join(opts.dir, 'config.yml');
  writeFileSync(config, registryConfig({ storage: join(opts.dir, 'storage'), addr: host, ...(opts.tls ? { tls: opts.tls } : {}) }));
  const logFile = join(opts.dir, 'registry.log');
  const { pid, stop } = await startDaemon({
    name: 'the registry',
    binary,
    args: ['serve', config],
    // distribution turns OpenTelemetry tracing on by default, exporting to a collector that is not here.
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' },
    logFile,
    ready: () => answers(`${url}/v2/`, opts.tls !== undefined),
    readyWhat: `${url}/v2/`,
    readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
    pollMs: 100,
  });
  return { host, url, pid, logFile, stop };
}

/** One readiness probe; over TLS only that a connection is served (the caller's CA is not ours to trust). */
async function answers(url: string, tls: boolean): Promise<boolean> {
  if (tls) {
    const { connect } = await import('node:tls');
    const u = new URL(url);
    return new Promise((resolve) => {
      const s = connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  }
  return answers200(url);
}
