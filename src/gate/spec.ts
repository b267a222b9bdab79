/**
 * The health gate's spec: what is checked after readiness, and for how long.
 *
 *   bakeSeconds            how long every check must hold (0: one evaluation)
 *   intervalSeconds        time between evaluations (default 10)
 *   prometheus.url         base URL of the Prometheus HTTP API
 *   prometheus.checks[]    { name?, query, op: < <= > >=, threshold }: the query's value must
 *                          satisfy `value op threshold` (every series of a vector)
 *   prometheus.failureLimit           measurements failing their threshold that are tolerated
 *                                     per check (default 0: the first failure fails the gate)
 *   prometheus.consecutiveErrorLimit  inconclusive measurements in a row tolerated (empty result,
 *                                     NaN, query error; default 4, as Argo Rollouts' analysis)
 *   alarms.names[]         CloudWatch alarms that must be OK at every evaluation
 *   tests                  run the chart's test hooks as part of the gate (run by the state
 *                          machine, not by pollGate)
 *
 * Three ways to write one: the JSON/zod form above (a request's `gate`), the CLI form
 * (`--gate-prometheus 'error-rate=sum(rate(http_errors_total[1m]))<0.01'`, see parseCheck), and a
 * gate file in YAML (see parseGateFile), which also takes durations (`bake: 5m`) and checks in
 * the CLI form.
 */
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { DurationError, parseGoDuration } from '../cli/duration.ts';
import { InvalidGateSpec } from './errors.ts';

export const OPS = ['<', '<=', '>', '>='] as const;
export type Op = (typeof OPS)[number];

/** Argo Rollouts' default for consecutiveErrorLimit. */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
export const DEFAULT_INTERVAL_SECONDS = 10;

const nonNegativeInt = z.number().int().nonnegative();

export const CheckSchema = z.strictObject({
  name: z.string().min(1).optional(),
  query: z.string().trim().min(1),
  op: z.enum(OPS),
  threshold: z.number().refine(Number.isFinite, 'threshold must be a finite number'),
});
export type Check = z.infer<typeof CheckSchema>;

export const GateSpecSchema = z
  .strictObject({
    bakeSeconds: nonNegativeInt,
    intervalSeconds: z.number().int().positive().default(DEFAULT_INTERVAL_SECONDS),
    prometheus: z
      .strictObject({
        url: z.url({ protocol: /^https?$/ }),
        checks: z.array(CheckSchema).min(1),
        failureLimit: nonNegativeInt.default(0),
        consecutiveErrorLimit: nonNegativeInt.optional(),
      })
      .optional(),
    alarms: z.strictObject({ names: z.array(z.string().min(1)).min(1) }).optional(),
    tests: z.boolean().optional(),
  })
  .refine((s) => s.prometheus || s.alarms || s.tests, 'a gate needs at least one of prometheus, alarms or tests');

/** A gate spec as given (defaults may be missing). */
export type GateSpecInput = z.input<typeof GateSpecSchema>;
/** A parsed gate spec, defaults filled in. */
export type GateSpec = z.output<typeof GateSpecSchema>;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** Validates a gate spec (a request's `gate`), or throws InvalidGateSpec naming the field. */
export function parseGateSpec(input: unknown, source = 'the request'): GateSpec {
  const r = GateSpecSchema.safeParse(input);
  if (!r.success) throw new InvalidGateSpec(source, describeIssues(r.error));
  return r.data;
}

// The value after the operator runs to the end: a Go/JSON-style number (Prometheus's own
// comparisons inside the query, `x > 5 < 0.01`, stay in the query: the last `op number` wins).
const CHECK = /^([\s\S]*?)(<=|>=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;
// `NAME=` before the query names the check. A PromQL expression never starts with `word=`
// (label matchers sit in braces, and `==` is a comparison), so this is unambiguous.
const NAMED = /^\s*([A-Za-z][A-Za-z0-9_.-]*)\s*=(?![=~])([\s\S]*)$/;

/**
 * The CLI form of a Prometheus check: `[NAME=]QUERY OP THRESHOLD`, OP one of `<` `<=` `>` `>=`:
 * `sum(rate(http_errors_total[1m]))<0.01`, `error-rate=sum(rate(http_errors_total[1m])) < 0.01`,
 * `up{job="api"}>=1`. The last operator followed by a number ending the text is the threshold.
 */
export function parseCheck(text: string, source = '--gate-prometheus'): Check {
  const m = CHECK.exec(text);
  if (!m) throw new InvalidGateSpec(source, `"${text}" is not QUERY<THRESHOLD (operators < <= > >=, a number after it), e.g. 'sum(rate(http_errors_total[1m]))<0.01'`);
  let query = m[1]!.trim();
  let name: string | undefined;
  const named = NAMED.exec(query);
  if (named) {
    name = named[1];
    query = named[2]!.trim();
  }
  if (!query) throw new InvalidGateSpec(source, `"${text}" has no query before its operator`);
  return { ...(name ? { name } : {}), query, op: m[2] as Op, threshold: Number(m[3]) };
}

/** A check as the CLI form writes it (parseCheck reads it back). */
export function formatCheck(check: Check): string {
  return `${check.name ? `${check.name}=` : ''}${check.query}${check.op}${check.threshold}`;
}

/** What the CLI's gate flags give. */
export interface GateFlags {
  /** `--gate-prometheus`, repeatable, each in the CLI form. */
  readonly prometheus?: readonly string[];
  /** `--gate-prometheus-url` (or the environment's default). */
  readonly prometheusUrl?: string;
  /** `--gate-alarm`, repeatable. */
  readonly alarms?: readonly string[];
  /** `--bake`, in seconds (the CLI parses the Go duration). */
  readonly bakeSeconds?: number;
  readonly intervalSeconds?: number;
  readonly failureLimit?: number;
  readonly consecutiveErrorLimit?: number;
  /** `--gate-tests`. */
  readonly tests?: boolean;
}

/** The gate the CLI flags describe, or undefined when no gate flag was given. */
export function gateFromFlags(flags: GateFlags): GateSpec | undefined {
  const checks = (flags.prometheus ?? []).map((c) => parseCheck(c));
  const alarms = flags.alarms ?? [];
  if (!checks.length && !alarms.length && !flags.tests) {
    if (flags.bakeSeconds !== undefined) throw new InvalidGateSpec('the flags', '--bake needs something to bake: --gate-prometheus, --gate-alarm or --gate-tests');
    return undefined;
  }
  if (checks.length && !flags.prometheusUrl) throw new InvalidGateSpec('the flags', '--gate-prometheus needs --gate-prometheus-url (the Prometheus base URL)');
  return parseGateSpec(
    {
      bakeSeconds: flags.bakeSeconds ?? 0,
      ...(flags.intervalSeconds !== undefined ? { intervalSeconds: flags.intervalSeconds } : {}),
      ...(checks.length
        ? {
            prometheus: {
              url: flags.prometheusUrl,
              checks,
              ...(flags.failureLimit !== undefined ? { failureLimit: flags.failureLimit } : {}),
              ...(flags.consecutiveErrorLimit !== undefined ? { consecutiveErrorLimit: flags.consecutiveErrorLimit } : {}),
            },
          }
        : {}),
      ...(alarms.length ? { alarms: { names: [...alarms] } } : {}),
      ...(flags.tests ? { tests: true } : {}),
    },
    'the flags',
  );
}

/** A Go duration (`5m`, `90s`, `1h30m`) or a number of seconds, as whole seconds. */
function seconds(value: unknown, field: string, source: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    const ns = parseGoDuration(value.trim());
    return Math.ceil(Number(ns) / 1e9);
  } catch (err) {
    if (err instanceof DurationError) throw new InvalidGateSpec(source, `${field}: "${value}" is not a duration like 5m or 90s`, { cause: err });
    throw err;
  }
}

/**
 * A gate file (YAML): the spec's fields, plus conveniences —
 *
 *   bake: 5m                       # or bakeSeconds: 300
 *   interval: 10s                  # or intervalSeconds: 10
 *   prometheus:
 *     url: http://prometheus.monitoring:9090
 *     failureLimit: 1
 *     checks:
 *       - name: error-rate
 *         query: sum(rate(http_errors_total[1m]))
 *         op: '<'
 *         threshold: 0.01
 *       - p99-latency=histogram_quantile(0.99, sum by (le) (rate(http_duration_seconds_bucket[1m]))) < 0.5
 *   alarms: [api-5xx, api-latency]   # or alarms: { names: [...] }
 *   tests: true
 */
export function parseGateFile(text: string, source = 'the gate file'): GateSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InvalidGateSpec(source, `not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InvalidGateSpec(source, 'expected a mapping with bake, prometheus, alarms or tests');
  const { bake, interval, ...rest } = doc as Record<string, unknown>;
  const spec: Record<string, unknown> = { ...rest };
  if (bake !== undefined) {
    if (spec.bakeSeconds !== undefined) throw new InvalidGateSpec(source, 'give bake or bakeSeconds, not both');
    spec.bakeSeconds = seconds(bake, 'bake', source);
  } else if (spec.bakeSeconds !== undefined) spec.bakeSeconds = seconds(spec.bakeSeconds, 'bakeSeconds', source);
  else spec.bakeSeconds = 0;
  if (interval !== undefined) {
    if (spec.intervalSeconds !== undefined) throw new InvalidGateSpec(source, 'give interval or intervalSeconds, not both');
    spec.intervalSeconds = seconds(interval, 'interval', source);
  } else if (spec.intervalSeconds !== undefined) spec.intervalSeconds = seconds(spec.intervalSeconds, 'intervalSeconds', source);
  if (Array.isArray(spec.alarms)) spec.alarms = { names: spec.alarms };
  const prom = spec.prometheus;
  if (typeof prom === 'object' && prom !== null && Array.isArray((prom as { checks?: unknown }).checks)) {
    const checks = (prom as { checks: unknown[] }).checks.map((c, i) => (typeof c === 'string' ? parseCheck(c, `${source} (prometheus.checks.${i})`) : c));
    spec.prometheus = { ...prom, checks };
  }
  return parseGateSpec(spec, source);
}

/** How a check is named in progress lines and failures: its name, else its query. */
export function checkLabel(check: Check): string {
  return check.name ? `"${check.name}" (${check.query})` : `(${check.query})`;
}
