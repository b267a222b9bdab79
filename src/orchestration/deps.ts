/**
 * What every state's handler is given: the engine's clients, the lease store, a logger and a
 * clock. Built once per Lambda container from the environment (see env.ts), or injected by the
 * local engine and the tests.
 */
import type { EngineDeps } from '../engine/types.ts';
import type { AuditSink } from './audit.ts';
import type { LeaseStore } from './lease.ts';
import type { StepMetrics } from './metrics.ts';

/** Structured logs: each line carries the execution id and the state name (Powertools in AWS). */
export interface StepLog {
  debug(message: string, attrs?: Record<string, unknown>): void;
  info(message: string, attrs?: Record<string, unknown>): void;
  warn(message: string, attrs?: Record<string, unknown>): void;
  error(message: string, attrs?: Record<string, unknown>): void;
}

/** Makes the logger of one invocation, keyed by execution id and state. */
export type LogFactory = (keys: { readonly executionId: string; readonly state: string }) => StepLog;

/** One poll of the gate checks (Prometheus, CloudWatch alarms, bake time) after readiness. */
export type GatePoller = (
  deps: OrchestrationDeps,
  spec: Readonly<Record<string, unknown>>,
  state: Readonly<Record<string, unknown>> | undefined,
  now: Date,
) => Promise<{ readonly done: boolean; readonly seconds?: number; readonly progress?: string; readonly state?: Record<string, unknown> }>;

export interface OrchestrationDeps {
  readonly engine: EngineDeps;
  readonly lease: LeaseStore;
  /** How long a lease lives without renewal; every step renews it. */
  readonly leaseTtlMs: number;
  /** The cluster these functions deploy to (the lease key's first part). */
  readonly cluster: string;
  readonly log: LogFactory;
  /** How soon a poll loop asks again (seconds, at least 1: Wait states take integers). */
  readonly pollSeconds?: number;
  /**
   * The HealthGate's gate checks, run after readiness when the request has a `gate`. Absent
   * until the gate is configured: a request with a gate is then refused by ValidateLock.
   */
  readonly gate?: GatePoller;
  /** The audit log: one event per state transition and a copy of each finished revision. */
  readonly audit?: AuditSink;
  /** Duration and count of each state invocation, by state and outcome (CloudWatch EMF in Lambda). */
  readonly metrics?: StepMetrics;
}

export const DEFAULT_LEASE_TTL_MS = 15 * 60_000;

/** A logger that drops everything (the local CLI prints state events instead). */
export const silentLog: LogFactory = () => ({ debug() {}, info() {}, warn() {}, error() {} });
