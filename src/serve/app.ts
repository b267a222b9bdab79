/**
 * The embedded default of the whole service on one machine: the HTTP front (http.ts) over the
 * trigger service (service.ts), the local Step Functions engine running the very ASL files
 * (executions.ts), the local state (dynalite on disk, or HELMSTEP_DYNAMODB_ENDPOINT) holding the
 * lease, audit and triggers tables, the auditor API and the metrics. `helmstep serve` is this
 * plus flags; the tests start it in-process on a free port.
 *
 * Shutdown: stop accepting (the listening socket closes, /healthz says 503, new deliveries get
 * 503), interrupt every execution in flight the way Ctrl-C interrupts the CLI and wait for its
 * failure path (the release ends failed or rolled back, never pending), then close dynalite.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';

import { AuditStore } from '../audit/store.ts';
import { openLocalOrchestration, type LocalOrchestration } from '../local/orchestration.ts';
import type { Env, LocalServices } from '../local/state.ts';
import { loadMachine, type MachineName } from '../orchestration/machines.ts';
import { powertoolsLog } from '../orchestration/env.ts';
import { createTriggersTable, DynamoTriggerStore } from '../triggers/dynamo.ts';
import type { TargetsConfig } from '../triggers/targets.ts';
import { LocalExecutions, type ExecutionInfo } from './executions.ts';
import { createHttpServer, type HttpRoutes } from './http.ts';
import { servedConfig } from './requests.ts';
import { TriggerService, type ServiceLog } from './service.ts';

export interface ServeOptions {
  readonly env: Env;
  /** `host:port`; port 0 picks a free one. */
  readonly listen: string;
  readonly config: TargetsConfig;
  readonly configOrigin?: string;
  readonly githubSecrets: readonly string[];
  readonly genericSecrets: readonly string[];
  readonly token: string;
  readonly helm: string;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
  /** Reuse open local services (tests: an in-memory dynalite); otherwise opened from env. */
  readonly services?: LocalServices;
  /** Test knob (HELMSTEP_TEST_WAIT_MS): every Wait state and retry interval this many milliseconds. */
  readonly waitMs?: number;
  /** How soon poll loops ask again, seconds (default 2). */
  readonly pollSeconds?: number;
  readonly logger?: Logger;
  /** Replay window of the generic endpoint, seconds. */
  readonly replayWindowSeconds?: number;
}

export interface Serving {
  readonly url: string;
  readonly port: number;
  readonly cluster: string;
  readonly dynamoEndpoint: string;
  readonly executions: LocalExecutions;
  readonly store: DynamoTriggerStore;
  readonly audit: AuditStore;
  readonly orchestration: LocalOrchestration;
  readonly server: Server;
  /** Targets of other clusters, not served here. */
  readonly skipped: readonly string[];
  /** Graceful shutdown; resolves with the executions it interrupted. Idempotent. */
  close(): Promise<ExecutionInfo[]>;
}

function overrides(ms: number | undefined, type: 'Wait' | 'Task'): Partial<Record<MachineName, Record<string, number>>> | undefined {
  if (ms === undefined) return undefined;
  const of = (m: MachineName) => Object.fromEntries(Object.entries(loadMachine(m).States).filter(([, s]) => s.Type === type).map(([n]) => [n, ms]));
  return { deploy: of('deploy'), rollback: of('rollback') };
}

function serviceLog(logger: Logger): ServiceLog {
  return {
    info: (m, a) => logger.info(m, ...(a ? [a] : [])),
    warn: (m, a) => logger.warn(m, ...(a ? [a] : [])),
    error: (m, a) => logger.error(m, ...(a ? [a] : [])),
  };
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen);
  if (!m) throw new Error(`--listen "${listen}" is not host:port (e.g. 127.0.0.1:8080)`);
  const port = Number(m[3]);
  if (port > 65_535) throw new Error(`--listen "${listen}": port ${port} is over 65535`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** The auditor API (behind the token) and the metrics exporter. */
async function auditAndMetrics(services: LocalServices, orchestration: LocalOrchestration, audit: AuditStore): Promise<Pick<HttpRoutes, 'audit' | 'metrics'>> {
  const [{ auditApi }, { AuditQueries }, { createMetrics }] = await Promise.all([
    import('../audit/http.ts'),
    import('../audit/queries.ts'),
    import('../metrics/index.ts'),
  ]);
  return {
    audit: auditApi({ queries: new AuditQueries({ client: services.dynamo, tableName: services.tables.audit }), store: audit }),
    metrics: createMetrics({
      releases: orchestration.deps.engine.store,
      audit: { dynamo: services.dynamo, table: services.tables.audit },
      cluster: orchestration.cluster,
    }),
  };
}

export async function startServe(o: ServeOptions): Promise<Serving> {
  const { host, port } = parseListen(o.listen);
  const logger = o.logger ?? new Logger({ serviceName: 'helmstep-serve' });
  const log = serviceLog(logger);
  const orchestration = await openLocalOrchestration({
    env: o.env,
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
    ...(o.kubeContext ? { kubeContext: o.kubeContext } : {}),
    helm: o.helm,
    ...(o.services ? { services: o.services } : {}),
    log: powertoolsLog(logger),
    pollSeconds: o.pollSeconds ?? 2,
  });
  const { services, cluster } = orchestration;
  let server: Server | undefined;
  try {
    await createTriggersTable(services.dynamo, services.tables.triggers);
    const served = servedConfig(o.config, cluster, o.configOrigin);
    for (const s of served.skipped) log.warn('target not served: it deploys to another cluster than this service', { target: s, cluster });
    const store = new DynamoTriggerStore(services.dynamo, services.tables.triggers);
    const audit = new AuditStore({ client: services.dynamo, tableName: services.tables.audit, objects: services.objects });
    const waits = overrides(o.waitMs, 'Wait');
    const retries = overrides(o.waitMs, 'Task');
    const executions = new LocalExecutions({
      deps: orchestration.deps,
      ...(waits ? { waitTimeOverrides: waits } : {}),
      ...(retries ? { retryIntervalOverrides: retries } : {}),
      onEvent: (name, machine, e) => {
        if (e.type === 'failed') logger.warn('state failed', { executionId: name, machine, state: e.state, error: e.error });
        else if (e.type === 'entered' && e.stateType === 'Task') logger.debug('state entered', { executionId: name, machine, state: e.state });
      },
      onEnd: (info) => {
        const attrs = { executionId: info.name, machine: info.machine, status: info.status, ...(info.error ? { error: info.error } : {}) };
        if (info.status === 'SUCCEEDED') logger.info('execution ended', attrs);
        else logger.warn('execution ended', attrs);
      },
    });
    const verify = { now: Date.now, ...(o.replayWindowSeconds !== undefined ? { replayWindowSeconds: o.replayWindowSeconds } : {}) };
    const service = new TriggerService({
      config: served.config,
      cluster,
      store,
      starter: executions,
      audit,
      github: { ...verify, secrets: o.githubSecrets },
      generic: { ...verify, secrets: o.genericSecrets },
      log,
    });
    let serving = true;
    const srv = createHttpServer({ service, token: o.token, log, serving: () => serving, ...(await auditAndMetrics(services, orchestration, audit)) });
    server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    const address = srv.address() as AddressInfo;
    const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    let closing: Promise<ExecutionInfo[]> | undefined;
    return {
      url: `http://${hostText}:${address.port}`,
      port: address.port,
      cluster,
      dynamoEndpoint: services.endpoint,
      executions,
      store,
      audit,
      orchestration,
      server: srv,
      skipped: served.skipped,
      close: () =>
        (closing ??= (async () => {
          serving = false;
          const stopped = new Promise<void>((resolve) => srv.close(() => resolve()));
          srv.closeIdleConnections();
          const interrupted = await executions.shutdown();
          srv.closeAllConnections();
          await stopped;
          await orchestration.close();
          return interrupted;
        })()),
    };
  } catch (e) {
    server?.close();
    await orchestration.close();
    throw e;
  }
}
