/**
 * What the orchestration's integration tests share: the engine on the test control plane (the
 * real Secrets store, API server and helm 4), the lease table on an in-memory dynalite, and the
 * deploy/rollback state machines run by the local engine with fast Wait states and retries.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect } from 'vitest';
import { startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';
import { createLeaseTable, DynamoLeaseStore } from '../../../src/orchestration/lease.ts';
import type { LogFactory, OrchestrationDeps } from '../../../src/orchestration/deps.ts';
import { loadMachine, type MachineName } from '../../../src/orchestration/machines.ts';
import { startLocal, type ExecutionResult, type LocalEvent, type LocalRunOptions } from '../../../src/orchestration/local.ts';
import type { DeployRequestInput, RollbackRequestInput } from '../../../src/orchestration/request.ts';
import type { OutcomeCause } from '../../../src/orchestration/outcome.ts';
import type { EngineDeps } from '../../../src/engine/types.ts';
import { engineDeps } from '../engine/harness.ts';

export const CLUSTER = 'kwok-test';
export const TABLE = 'helmstep-leases';

export interface LeaseDb {
  readonly db: LocalDynamo;
  readonly client: DynamoDBClient;
  newClient(): DynamoDBClient;
  store(client?: DynamoDBClient): DynamoLeaseStore;
}

/** One in-memory dynalite per test file, with the lease table. */
export function useLeaseDb(): LeaseDb {
  const clients: DynamoDBClient[] = [];
  let db: LocalDynamo | undefined;
  const newClient = () => {
    if (!db) throw new Error('dynalite is not up yet');
    const c = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const out = {
    get db() {
      return db!;
    },
    get client() {
      return clients[0] ?? newClient();
    },
    newClient,
    store: (client?: DynamoDBClient) => new DynamoLeaseStore(client ?? out.client, TABLE),
  };
  beforeAll(async () => {
    db = await startDynalite();
    await createLeaseTable(newClient(), TABLE);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await db?.close();
  });
  return out;
}

/** Log lines collected per test (structured, as the Powertools logger would write them). */
export const logLines: { executionId: string; state: string; level: string; message: string; attrs?: Record<string, unknown> }[] = [];

export const collectLog: LogFactory = (keys) => {
  const at = (level: string) => (message: string, attrs?: Record<string, unknown>) => void logLines.push({ ...keys, level, message, ...(attrs ? { attrs } : {}) });
  return { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
};

export function orchestrationDeps(lease: DynamoLeaseStore, o: { engine?: EngineDeps; leaseTtlMs?: number } = {}): OrchestrationDeps {
  return { engine: o.engine ?? engineDeps(), lease, leaseTtlMs: o.leaseTtlMs ?? 60_000, cluster: CLUSTER, log: collectLog, pollSeconds: 1 };
}

/** Every Wait state 50 ms, every retry 20 ms: the loops and retries run for real, only faster. */
export function fastOverrides(machine: MachineName): Pick<LocalRunOptions, 'waitTimeOverrides' | 'retryIntervalOverrides'> {
  const def = loadMachine(machine);
  const waits = Object.entries(def.States).filter(([, s]) => s.Type === 'Wait').map(([n]) => [n, 50] as const);
  const tasks = Object.entries(def.States).filter(([, s]) => s.Type === 'Task').map(([n]) => [n, 20] as const);
  return { waitTimeOverrides: Object.fromEntries(waits), retryIntervalOverrides: Object.fromEntries(tasks) };
}

export function executionName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface Ran {
  readonly result: ExecutionResult;
  readonly events: LocalEvent[];
  /** The states entered, in order. */
  readonly path: string[];
  readonly name: string;
}

type RunOpts = Partial<Omit<LocalRunOptions, 'machine' | 'input' | 'deps'>> & { deps: OrchestrationDeps };

export function start(machine: MachineName, input: unknown, o: RunOpts) {
  const events: LocalEvent[] = [];
  const name = o.executionName ?? executionName(machine);
  const exec = startLocal({
    machine,
    input,
    executionName: name,
    ...fastOverrides(machine),
    ...o,
    onEvent: (e) => {
      events.push(e);
      o.onEvent?.(e);
    },
  });
  const ran = exec.result.then((result): Ran => ({ result, events, path: events.filter((e) => e.type === 'entered').map((e) => e.state), name }));
  return { exec, ran, name };
}

export function deployInput(namespace: string, name: string, chart: string, o: Partial<DeployRequestInput> & { set?: string[] } = {}): DeployRequestInput {
  const { set, ...rest } = o;
  return {
    cluster: CLUSTER,
    namespace,
    name,
    chart,
    timeoutSeconds: 60,
    ...(set ? { values: { set: set.map((value) => ({ kind: 'set' as const, value })) } } : {}),
    ...rest,
  };
}

export function rollbackInput(namespace: string, name: string, target: number, o: Partial<RollbackRequestInput> = {}): RollbackRequestInput {
  return { cluster: CLUSTER, namespace, name, target, timeoutSeconds: 60, ...o };
}

export function runDeploy(deps: OrchestrationDeps, namespace: string, name: string, chart: string, o: Partial<DeployRequestInput> & { set?: string[] } = {}, run: Partial<RunOpts> = {}): Promise<Ran> {
  return start('deploy', deployInput(namespace, name, chart, o), { deps, ...run }).ran;
}

export function runRollback(deps: OrchestrationDeps, namespace: string, name: string, target: number, o: Partial<RollbackRequestInput> = {}, run: Partial<RunOpts> = {}): Promise<Ran> {
  return start('rollback', rollbackInput(namespace, name, target, o), { deps, ...run }).ran;
}

/** The failed execution's Error and parsed Cause. */
export function failure(r: Ran): { error: string; cause: OutcomeCause } {
  expect(r.result.status, JSON.stringify(r.result)).toBe('FAILED');
  const f = r.result as { error: string; cause: string };
  return { error: f.error, cause: JSON.parse(f.cause) as OutcomeCause };
}

export function succeeded(r: Ran): { revision: number; status: string; description: string } {
  expect(r.result.status, JSON.stringify(r.result)).toBe('SUCCEEDED');
  return (r.result as { output: { revision: number; status: string; description: string } }).output;
}
