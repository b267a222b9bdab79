/**
 * A real Prometheus for the health gate's tests and the demo: built once from its Go module
 * (pinned in ./prometheus/go.mod) into the cache, started on 127.0.0.1 with a free port.
 *
 * Built, not installed: the project's only native prerequisites are Node.js and Go, as for the
 * control plane, so a fresh machine needs no package manager and no root. The build drops every
 * service-discovery plugin (`remove_all_sd`: static targets are all the tests need) and the web
 * UI's assets (the HTTP API is served without them), which shrinks it by about a third.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, contentKey, fillOnce, progress } from './cache.ts';
import { answers200, freePort, startDaemon } from './daemon.ts';
import { runGo } from './go.ts';

/** The release the module version in ./prometheus/go.mod stands for (v0.314.0 is 3.14.0). */
export const PROMETHEUS_VERSION = 'v3.14.0';
const MODULE_VERSION = 'v0.314.0';
const BUILD_TAGS = 'remove_all_sd';

const moduleDir = fileURLToPath(new URL('./prometheus', import.meta.url));

type Tool = 'prometheus' | 'promtool';

/**
 * Builds one command of the pinned Prometheus module into the cache, once. Both commands share
 * the module (./prometheus/go.mod), the build tags and the Go caches, so the second costs only its own packages.
 */
async function ensureTool(tool: Tool, dirName: string): Promise<string> {
  const key = contentKey([join(moduleDir, 'go.mod'), join(moduleDir, 'go.sum')], [process.arch, 'cgo=0', BUILD_TAGS]);
  const dir = join(cacheRoot(), 'prometheus', `${dirName}-${key}`);
  await fillOnce(dir, async (staging) => {
    const started = Date.now();
    progress(`building ${tool} ${PROMETHEUS_VERSION} from its Go module into ${dir}`);
    progress('a cold build (module downloads included) takes several minutes on 2 cores; later runs reuse the cache');
    const v = PROMETHEUS_VERSION.slice(1);
    const ldflags = [
      '-s -w',
      `-X github.com/prometheus/common/version.Version=${v}`,
      `-X github.com/prometheus/common/version.Branch=${MODULE_VERSION}`,
      '-X github.com/prometheus/common/version.BuildUser=helmstep',
    ].join(' ');
    await runGo({
      moduleDir,
      args: ['build', '-trimpath', '-tags', BUILD_TAGS, '-ldflags', ldflags, '-o', join(staging, tool), `github.com/prometheus/prometheus/cmd/${tool}`],
      purpose: 'the local Prometheus',
      heartbeat: `still building ${tool}`,
    });
    progress(`  ${tool} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
  return join(dir, tool);
}

/**
 * The path of the prometheus binary, built on first use into
 * `~/.cache/helmstep/prometheus/<version>-<key>/` (the key hashes go.mod and go.sum, so a pin
 * change rebuilds). Cold, with empty Go caches, this takes minutes; later calls return at once.
 */
export function ensurePrometheusBinary(): Promise<string> {
  return ensureTool('prometheus', PROMETHEUS_VERSION);
}

/**
 * The path of promtool from the same module (`check rules`, `test rules`, `check metrics`),
 * built on first use into `~/.cache/helmstep/prometheus/promtool-<version>-<key>/`.
 */
export function ensurePromtool(): Promise<string> {
  return ensureTool('promtool', `promtool-${PROMETHEUS_VERSION}`);
}

export interface PrometheusOptions {
  /** Working folder: the configuration, the TSDB and the log. */
  readonly dir: string;
  /** `host:port` of each /metrics endpoint to scrape (one static job, `helmstep`). */
  readonly scrapeTargets: readonly string[];
  /** @default 1 */
  readonly scrapeIntervalSeconds?: number;
  /** Alerting/recording rule files to load (evaluated every scrape interval). */
  readonly ruleFiles?: readonly string[];
  /** How long to wait for /-/ready. @default 60_000 */
  readonly readyTimeoutMs?: number;
}

export interface LocalPrometheus {
  /** Base URL of the HTTP API, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** prometheus.yml for one job of static targets. JSON is YAML, and needs no quoting rules. */
export function prometheusConfig(targets: readonly string[], intervalSeconds: number, ruleFiles: readonly string[] = []): string {
  const interval = `${intervalSeconds}s`;
  return `${JSON.stringify(
    {
      global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
      ...(ruleFiles.length > 0 ? { rule_files: [...ruleFiles] } : {}),
      scrape_configs: [{ job_name: 'helmstep', static_configs: [{ targets: [...targets] }] }],
    },
    null,
    2,
  )}\n`;
}

/**
 * Starts Prometheus on 127.0.0.1 (a free port) scraping `scrapeTargets`, and resolves once
 * /-/ready answers 200. stop() ends it by its PID (SIGTERM, then SIGKILL after 5 s); it is also
 * killed when this Node.js process exits, so a test run never leaves one behind.
 */
export async function startPrometheus(opts: PrometheusOptions): Promise<LocalPrometheus> {
  const binary = await ensurePrometheusBinary();
  mkdirSync(opts.dir, { recursive: true });
  const config = join(opts.dir, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(opts.scrapeTargets, opts.scrapeIntervalSeconds ?? 1, opts.ruleFiles));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(opts.dir, 'prometheus.log');
  const { pid, stop } = await startDaemon({
    name: 'prometheus',
    binary,
    args: [`--config.file=${config}`, `--storage.tsdb.path=${join(opts.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    logFile,
    ready: () => answers200(`${url}/-/ready`),
    readyWhat: `${url}/-/ready`,
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
  });
  return { url, pid, logFile, stop };
}
