/**
 * Helm's release record (the JSON inside `sh.helm.release.v1.<name>.v<N>`), as zod schemas.
 *
 * Every object schema is loose: fields written by a helm newer than this code (or by plugins)
 * must survive decode → encode untouched, because real helm reads our records back.
 * Time fields stay the original strings: Go writes RFC3339Nano (nanoseconds, any offset) and
 * a JS Date would silently lose both.
 */
import * as z from 'zod';

/** Release statuses, exactly as Go's `release.Status` strings. */
export const STATUSES = [
  'unknown',
  'deployed',
  'uninstalled',
  'superseded',
  'failed',
  'uninstalling',
  'pending-install',
  'pending-upgrade',
  'pending-rollback',
] as const;
export const StatusSchema = z.enum(STATUSES);
export type Status = z.infer<typeof StatusSchema>;

/** Helm's `Status.IsPending()`. */
export function isPending(status: Status | undefined): boolean {
  return status === 'pending-install' || status === 'pending-upgrade' || status === 'pending-rollback';
}

/**
 * A Go time as stored: RFC3339Nano string, `""` (helm 3's zero), `null`, or missing (helm 4's zero).
 * `0001-01-01T00:00:00Z` is Go's zero time written out plainly (helm 4 chart.schemamodtime).
 */
export const HelmTimeSchema = z.string().nullable().optional();
export type HelmTime = z.infer<typeof HelmTimeSchema>;

const strings = z.array(z.string()).nullable().optional();

export const MaintainerSchema = z.looseObject({
  name: z.string().optional(),
  email: z.string().optional(),
  url: z.string().optional(),
});

export const DependencySchema = z.looseObject({
  name: z.string().optional(),
  version: z.string().optional(),
  repository: z.string().optional(),
});

/** Chart.yaml as helm serializes it (all omitempty). */
export const MetadataSchema = z.looseObject({
  name: z.string().optional(),
  home: z.string().optional(),
  sources: strings,
  version: z.string().optional(),
  description: z.string().optional(),
  keywords: strings,
  maintainers: z.array(MaintainerSchema.nullable()).nullable().optional(),
  icon: z.string().optional(),
  apiVersion: z.string().optional(),
  condition: z.string().optional(),
  tags: z.string().optional(),
  appVersion: z.string().optional(),
  deprecated: z.boolean().optional(),
  annotations: z.record(z.string(), z.string()).nullable().optional(),
  kubeVersion: z.string().optional(),
  dependencies: z.array(DependencySchema.nullable()).nullable().optional(),
  type: z.string().optional(),
});
export type Metadata = z.infer<typeof MetadataSchema>;

/** A chart file; `data` is Go []byte, i.e. base64 text (or null for nil). */
export const ChartFileSchema = z.looseObject({
  name: z.string(),
  data: z.string().nullable().optional(),
  modtime: HelmTimeSchema,
});
export type ChartFile = z.infer<typeof ChartFileSchema>;

/** Helm's plain-JSON values map (`map[string]interface{}`). */
export type Values = Record<string, unknown>;
/**
 * Checked only as "a JSON object": values can hold thousands of keys and z.record would walk
 * them all on every decode, for no gain (any JSON inside is valid values).
 */
export const ValuesSchema = z.custom<Values>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  { message: 'expected an object' },
);

export const ChartSchema = z.looseObject({
  metadata: MetadataSchema.nullable().optional(),
  lock: z.looseObject({}).nullable().optional(),
  templates: z.array(ChartFileSchema.nullable()).nullable().optional(),
  values: ValuesSchema.nullable().optional(),
  schema: z.string().nullable().optional(),
  files: z.array(ChartFileSchema.nullable()).nullable().optional(),
  /** helm 4 only; always written, as a plain Go time (never ""). */
  schemamodtime: HelmTimeSchema,
  /** helm 4 only. */
  modtime: HelmTimeSchema,
});
export type Chart = z.infer<typeof ChartSchema>;

export const HookPhaseSchema = z.string(); // Unknown | Running | Succeeded | Failed; kept open.

export const HookExecutionSchema = z.looseObject({
  started_at: HelmTimeSchema,
  completed_at: HelmTimeSchema,
  phase: HookPhaseSchema.optional(),
});
export type HookExecution = z.infer<typeof HookExecutionSchema>;

export const HookSchema = z.looseObject({
  name: z.string().optional(),
  kind: z.string().optional(),
  path: z.string().optional(),
  manifest: z.string().optional(),
  events: strings,
  last_run: HookExecutionSchema.nullable().optional(),
  weight: z.number().int().optional(),
  delete_policies: strings,
  output_log_policies: strings,
});
export type Hook = z.infer<typeof HookSchema>;

export const InfoSchema = z.looseObject({
  first_deployed: HelmTimeSchema,
  last_deployed: HelmTimeSchema,
  deleted: HelmTimeSchema,
  description: z.string().optional(),
  status: StatusSchema,
  notes: z.string().optional(),
  /** helm 4 main only. */
  rollback_revision: z.number().int().optional(),
});
export type Info = z.infer<typeof InfoSchema>;

/** helm 4: "ssa" | "csa"; empty/missing = client-side apply. Kept open for future values. */
export const ApplyMethodSchema = z.string();

export const ReleaseSchema = z.looseObject({
  name: z.string(),
  info: InfoSchema,
  chart: ChartSchema.nullable().optional(),
  config: ValuesSchema.nullable().optional(),
  manifest: z.string().optional(),
  hooks: z.array(HookSchema).nullable().optional(),
  version: z.number().int().nonnegative(),
  namespace: z.string().optional(),
  apply_method: ApplyMethodSchema.optional(),
});
export type Release = z.infer<typeof ReleaseSchema>;

/** Custom release labels (live only on the Secret's metadata; the JSON field is `json:"-"`). */
export type Labels = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Times: in helm-time.ts, which loads no zod (the audit CLI formats times without the schemas).

export { formatHelmTime, goMarshalTime, isZeroHelmTime, parseHelmTime, parseTimeParts, type TimeParts } from './helm-time.ts';
