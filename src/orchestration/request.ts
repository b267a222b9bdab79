/**
 * The inputs of the two state machines (what StartExecution receives), zod-checked by
 * ValidateLock. Defaults are helm's: watcher wait when waiting, 5m timeout, 10 revisions kept.
 * Everything here is small: a chart reference, values as helm takes them on its command line,
 * and flags; the manifests live in the cluster's release records.
 */
import * as z from 'zod';

const ReleaseName = z.string().min(1);

/**
 * Who or what started the execution, for the audit log: `cli:<user>`, `github:<login>`,
 * `alarm:<alarm>` or `system:<component>`, how (`cli`, `github-push`, `alarm`, ...), and the
 * delivery, alarm and commit it came from. Absent: `system:helmstep`.
 */
export const TriggerSchema = z.strictObject({
  actor: z.string().regex(/^(github|alarm|cli|system):./).max(1024),
  kind: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  deliveryId: z.string().min(1).max(256).optional(),
  alarmId: z.string().min(1).max(2048).optional(),
  commit: z.string().regex(/^[0-9a-f]{7,64}$/).optional(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

const Base = {
  trigger: TriggerSchema.optional(),
  /** The cluster the release lives in (the lease key); defaults to the functions' cluster. */
  cluster: z.string().min(1).optional(),
  namespace: z.string().min(1),
  name: ReleaseName,
  /** helm's --wait strategy; `hookOnly` waits for hooks only (helm 4 without --wait). */
  wait: z.enum(['hookOnly', 'watcher', 'legacy']).default('watcher'),
  waitForJobs: z.boolean().default(false),
  /** helm's --timeout, in seconds: each hook, and the resource wait. */
  timeoutSeconds: z.number().int().min(1).max(86_400).default(300),
  cleanupOnFail: z.boolean().default(false),
  forceConflicts: z.boolean().default(false),
  /** --history-max (0 = unlimited). */
  maxHistory: z.number().int().min(0).default(10),
};

export const ValuesSchema = z.strictObject({
  files: z.array(z.string()).optional(),
  set: z.array(z.strictObject({ kind: z.enum(['set', 'set-string']), value: z.string() })).optional(),
});

export const DeployRequestSchema = z.strictObject({
  ...Base,
  /** Chart folder, .tgz, `oci://host/path/chart`, or a chart name in `repo` (see src/chart/source.ts). */
  chart: z.string().min(1),
  chartVersion: z.string().min(1).optional(),
  /** HTTPS chart repository URL (helm's --repo); `chart` is then the chart's name in its index. */
  repo: z.string().min(1).optional(),
  /** CA bundle that verifies the repository's or registry's certificate (--ca-file). */
  caFile: z.string().min(1).optional(),
  insecureSkipTlsVerify: z.boolean().optional(),
  /** OCI registry over plain HTTP (--plain-http), for local registries. */
  plainHttp: z.boolean().optional(),
  /**
   * Repository/registry credentials (--username/--password), for local runs: an execution's
   * input stays in its Step Functions history, so in AWS the Render function is meant to read
   * them from a Secrets Manager secret named in its configuration instead of this request.
   */
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  values: ValuesSchema.optional(),
  mode: z.enum(['install', 'upgrade']).default('upgrade'),
  installIfMissing: z.boolean().default(true),
  labels: z.record(z.string(), z.string()).optional(),
  description: z.string().optional(),
  /** helm's --rollback-on-failure (--atomic): any failure after the record is written rolls back. */
  rollbackOnFailure: z.boolean().default(false),
  /** A failed HealthGate (readiness or gate checks) rolls back to the last good revision. */
  rollbackOnGateFailure: z.boolean().default(true),
  /** Prometheus / CloudWatch / bake-time checks, evaluated by the gate checker after readiness. */
  gate: z.record(z.string(), z.unknown()).optional(),
});

export const RollbackRequestSchema = z.strictObject({
  ...Base,
  /** 0 = the revision before the newest, as helm. */
  target: z.number().int().min(0).default(0),
  /** Override the rollback plan's refusals (recorded in the description). */
  force: z.boolean().default(false),
  /** helm's rollback ignores a pending newest record; off by default here (the lease guards). */
  ignoreLock: z.boolean().default(false),
});

export type DeployRequest = z.infer<typeof DeployRequestSchema> & { readonly cluster: string };
export type RollbackRequest = z.infer<typeof RollbackRequestSchema> & { readonly cluster: string };
export type DeployRequestInput = z.input<typeof DeployRequestSchema>;
export type RollbackRequestInput = z.input<typeof RollbackRequestSchema>;

/** The two machines' requests, told apart by their fields (a deploy has a chart). */
export type AnyRequest = DeployRequest | RollbackRequest;

export function isDeploy(r: AnyRequest): r is DeployRequest {
  return 'chart' in r;
}

/** zod issues as `path: message` lines, for InvalidRequest. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(input)'}: ${i.message}`);
}
