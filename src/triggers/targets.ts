/**
 * The targets configuration: which delivery deploys what, and which alarm guards which release.
 * YAML or JSON (YAML is a superset), checked with zod when loaded; matching is pure and the first
 * matching target wins. The format is documented in src/triggers/README.md.
 */
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';

import { parseGoDuration } from '../cli/duration.ts';
import { HelmstepError, MAX_RELEASE_NAME_LENGTH, RELEASE_NAME_PATTERN } from '../release/errors.ts';
import { refuse, type Refusal } from './answer.ts';
import { GITHUB_EVENTS, summariseIssues, type Delivery } from './payloads.ts';

/** A release as triggers address it: one service may deploy to several clusters. */
export interface ReleaseKey {
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
}

export function releaseText(r: ReleaseKey): string {
  return `release "${r.name}" in namespace "${r.namespace}" of cluster "${r.cluster}"`;
}

/** Placeholders a target may use in `set` and `chartVersion`, filled from the delivery. */
export const PLACEHOLDERS = ['sha', 'shortSha', 'ref', 'environment', 'version'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

function usesOnlyKnownPlaceholders(text: string): boolean {
  return [...text.matchAll(PLACEHOLDER)].every((m) => (PLACEHOLDERS as readonly string[]).includes(m[1]!));
}

const cluster = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'expected a cluster name (letters, digits, . _ -)');
const namespace = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a Kubernetes namespace (DNS label: lowercase letters, digits and -, at most 63)');
const release = z
  .string()
  .max(MAX_RELEASE_NAME_LENGTH, `a release name has at most ${MAX_RELEASE_NAME_LENGTH} characters`)
  .regex(RELEASE_NAME_PATTERN, "expected a helm release name (lowercase letters, digits, '-' and '.')");
const templated = (what: string) =>
  z.string().min(1).refine(usesOnlyKnownPlaceholders, `${what}: unknown placeholder; use {{${PLACEHOLDERS.join('}}, {{')}}}`);
const goDuration = z.string().refine((text) => {
  try {
    return parseGoDuration(text) > 0n;
  } catch {
    return false;
  }
}, 'expected a positive Go duration such as 5m or 90s');

export const GithubSourceSchema = z.strictObject({
  /** `owner/name`, compared case-insensitively as GitHub does. */
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name'),
  /** A branch (`main`), a full ref (`refs/tags/v1.2.3`) or a glob with `*` (`release/*`). Any when absent. */
  ref: z.string().min(1).optional(),
  /** deployment events: the environment (case-insensitive). A target with one matches only deployments. */
  environment: z.string().min(1).optional(),
  event: z.enum(GITHUB_EVENTS).optional(),
});

export const GenericSourceSchema = z.strictObject({ source: z.string().min(1) });

export const TargetSchema = z
  .strictObject({
    /** Shown in answers and logs; defaults to `<namespace>/<release>`. */
    name: z.string().min(1).optional(),
    github: GithubSourceSchema.optional(),
    generic: GenericSourceSchema.optional(),
    cluster,
    namespace,
    release,
    chart: z.string().min(1),
    chartVersion: templated('chartVersion').optional(),
    /** The chart repository URL (helm's --repo). */
    repo: z.url().optional(),
    values: z.record(z.string(), z.unknown()).optional(),
    /** helm's --set entries, `key=value`. */
    set: z.array(templated('set').regex(/^[^=]+=/, 'expected key=value')).optional(),
    /** The health gate after the upgrade; interpreted by the deploy machine. */
    gate: z.record(z.string(), z.unknown()).optional(),
    /** helm's --atomic (--rollback-on-failure). */
    atomic: z.boolean().optional(),
    /** helm's --timeout, a Go duration. */
    timeout: goDuration.optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.github === undefined) === (t.generic === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a target has exactly one source: github or generic', path: [] });
    }
  });

export const AlarmMappingSchema = z.strictObject({
  /** A CloudWatch alarm name or ARN, or an Alertmanager alertname. */
  alarm: z.string().min(1),
  cluster,
  namespace,
  release,
});

export const TargetsConfigSchema = z.strictObject({
  /** Used when an alarm's tags or labels name a release but no cluster. */
  defaultCluster: cluster.optional(),
  targets: z.array(TargetSchema),
  alarms: z.array(AlarmMappingSchema).default([]),
});

export type Target = z.infer<typeof TargetSchema>;
export type AlarmMapping = z.infer<typeof AlarmMappingSchema>;
export type TargetsConfig = z.infer<typeof TargetsConfigSchema>;

/** The targets configuration does not parse or does not fit the schema. */
export class InvalidTargetsConfig extends HelmstepError {
  override readonly name = 'InvalidTargetsConfig';
  readonly reason = 'InvalidTargetsConfig';
  constructor(
    readonly origin: string,
    readonly issues: string,
    options?: { cause?: unknown },
  ) {
    super(`targets configuration ${origin} is invalid: ${issues}; fix it (see src/triggers/README.md for the format) and reload`, options);
  }
}

/** Parses YAML or JSON text into a checked configuration; throws InvalidTargetsConfig naming `origin`. */
export function parseTargetsConfig(text: string, origin = '(inline)'): TargetsConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new InvalidTargetsConfig(origin, `not YAML or JSON (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`, { cause: error });
  }
  const parsed = TargetsConfigSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidTargetsConfig(origin, summariseIssues(parsed.error));
  return parsed.data;
}

export function targetLabel(t: Target): string {
  return t.name ?? `${t.namespace}/${t.release}`;
}

export function targetRelease(t: Target): ReleaseKey {
  return { cluster: t.cluster, namespace: t.namespace, name: t.release };
}

/** `refs/heads/main` and `refs/tags/v1` → `main`, `v1`; anything else as is. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

function glob(pattern: string, text: string): boolean {
  if (!pattern.includes('*')) return pattern === text;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(text);
}

/**
 * A target's ref matches a delivery's when equal as written, or equal once both are shortened
 * (`main` matches `refs/heads/main`; a deployment's ref is as the user typed it, often `main`).
 * A pattern written in full (`refs/tags/v*`) only matches refs of that kind.
 */
export function refMatches(pattern: string, ref: string): boolean {
  if (glob(pattern, ref)) return true;
  if (pattern.startsWith('refs/')) return !ref.startsWith('refs/') && glob(shortRef(pattern), ref);
  return glob(pattern, shortRef(ref));
}

export function targetMatches(t: Target, d: Delivery): boolean {
  if (d.source === 'generic') return t.generic !== undefined && t.generic.source === d.genericSource;
  const g = t.github;
  if (g === undefined || d.repository === undefined) return false;
  if (g.repository.toLowerCase() !== d.repository.toLowerCase()) return false;
  if (g.event !== undefined && g.event !== d.event) return false;
  if (g.ref !== undefined && (d.ref === undefined || !refMatches(g.ref, d.ref))) return false;
  if (g.environment !== undefined && (d.environment === undefined || g.environment.toLowerCase() !== d.environment.toLowerCase())) return false;
  return true;
}

function describe(d: Delivery): string {
  if (d.source === 'generic') return `generic delivery from source "${d.genericSource ?? ''}"`;
  const parts = [`GitHub ${d.event} of ${d.repository ?? '?'}`];
  if (d.ref !== undefined) parts.push(`ref ${d.ref}`);
  if (d.environment !== undefined) parts.push(`environment "${d.environment}"`);
  return parts.join(', ');
}

/** The first target matching the delivery, or 404 naming what was looked for. */
export function matchTarget(config: TargetsConfig, delivery: Delivery): { readonly ok: true; readonly target: Target; readonly index: number } | Refusal {
  const index = config.targets.findIndex((t) => targetMatches(t, delivery));
  if (index >= 0) return { ok: true, target: config.targets[index]!, index };
  return refuse(
    'UnknownTarget',
    `no target matches the ${describe(delivery)} (${config.targets.length} targets configured); nothing was started. ` +
      `Add a target for it to the targets configuration, or stop sending these deliveries`,
  );
}

/** What a matched delivery deploys: the target with its placeholders filled in. */
export interface ResolvedDeploy {
  readonly target: string;
  readonly release: ReleaseKey;
  readonly chart: string;
  readonly chartVersion?: string;
  readonly repo?: string;
  readonly values?: Record<string, unknown>;
  readonly set?: readonly string[];
  /**
   * Per `set` entry: whether it used a placeholder. Such an entry goes to helm as --set-string,
   * since a commit, ref or version is text (`--set tag=1234567` would make it a number).
   */
  readonly setTemplated?: readonly boolean[];
  readonly gate?: Record<string, unknown>;
  readonly atomic?: boolean;
  readonly timeout?: string;
}

/** Values that go into --set must not carry helm's separators (`,` splits, `=` and `{}` restructure). */
const SAFE_VALUE = /^[A-Za-z0-9._/@+-]{1,255}$/;

function placeholderValues(d: Delivery): Partial<Record<Placeholder, string>> {
  return {
    ...(d.sha !== undefined && { sha: d.sha, shortSha: d.sha.slice(0, 7) }),
    ...(d.ref !== undefined && { ref: shortRef(d.ref) }),
    ...(d.environment !== undefined && { environment: d.environment }),
    ...(d.version !== undefined && { version: d.version }),
  };
}

/** Fills `{{sha}}`, `{{shortSha}}`, `{{ref}}`, `{{environment}}`, `{{version}}`; 400 when the delivery lacks one or it is unsafe. */
export function resolveDeploy(target: Target, delivery: Delivery): { readonly ok: true; readonly deploy: ResolvedDeploy } | Refusal {
  const values = placeholderValues(delivery);
  const problems: string[] = [];
  const fill = (text: string): string =>
    text.replace(PLACEHOLDER, (whole, name: string) => {
      const value = values[name as Placeholder];
      if (value === undefined) {
        problems.push(`target "${targetLabel(target)}" uses {{${name}}} but the delivery has no ${name}`);
        return whole;
      }
      if (!SAFE_VALUE.test(value)) {
        problems.push(`the delivery's ${name} "${value.slice(0, 64)}" has characters that cannot go into a helm value`);
        return whole;
      }
      return value;
    });
  const chartVersion = target.chartVersion === undefined ? undefined : fill(target.chartVersion);
  const set = target.set?.map(fill);
  if (problems.length > 0) return refuse('InvalidPayload', `${problems.join('; ')}; send it in the delivery or change the target`);
  return {
    ok: true,
    deploy: {
      target: targetLabel(target),
      release: targetRelease(target),
      chart: target.chart,
      ...(chartVersion !== undefined && { chartVersion }),
      ...(target.repo !== undefined && { repo: target.repo }),
      ...(target.values !== undefined && { values: target.values }),
      ...(set !== undefined && { set, setTemplated: target.set!.map((s) => /\{\{\s*[A-Za-z]+\s*\}\}/.test(s)) }),
      ...(target.gate !== undefined && { gate: target.gate }),
      ...(target.atomic !== undefined && { atomic: target.atomic }),
      ...(target.timeout !== undefined && { timeout: target.timeout }),
    },
  };
}
