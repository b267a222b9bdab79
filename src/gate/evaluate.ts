/**
 * One evaluation of the health gate per call, as Argo Rollouts' analysis runs measurements:
 *
 * - Prometheus: one instant query per check. A value outside its threshold is a failed
 *   measurement; more than `failureLimit` of them (per check, over the bake) fails the gate.
 *   An empty result, NaN or a query error is inconclusive: it counts an error, a conclusive
 *   measurement resets the count, and more than `consecutiveErrorLimit` in a row fail the gate.
 *   A vector result is judged series by series: every series must hold.
 * - CloudWatch alarms: one DescribeAlarms. ALARM fails the gate at once, and so does an alarm
 *   that does not exist (it can never be OK). INSUFFICIENT_DATA is inconclusive and does not
 *   count as an error (a new alarm starts there): it neither fails nor passes the gate, which
 *   then passes only at a later evaluation where every alarm is OK, or times out. A failed
 *   DescribeAlarms counts an error like a failed query.
 * - The gate passes at the first evaluation at or after `bakeSeconds` from its start at which
 *   nothing failed, every alarm is OK and every check has had at least one passing measurement.
 *
 * Nothing here sleeps: the caller (a Wait state) comes back after `seconds`, with `state`.
 */
import * as z from 'zod';
import { AlarmsUnavailable, InvalidGateSpec } from './errors.ts';
import { checkLabel, DEFAULT_CONSECUTIVE_ERROR_LIMIT, type Check, type GateSpec, type Op } from './spec.ts';

/** One series of an instant query's result (a scalar is one series with no labels). */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmReading {
  readonly name: string;
  readonly state: AlarmStateValue;
  /** CloudWatch's StateReason. */
  readonly reason?: string;
}

/** The gate's I/O: small enough to fake in tests. A throw is an inconclusive measurement. */
export interface GateDeps {
  /** One instant query evaluated at `at`. */
  query(url: string, query: string, at: Date): Promise<readonly Sample[]>;
  /** The current state of the named alarms that exist (one DescribeAlarms). */
  alarms?(names: readonly string[]): Promise<readonly AlarmReading[]>;
}

/** Passed between polls (Step Functions state, small JSON). Arrays follow the spec's checks. */
export const GateStateSchema = z.object({
  startedAt: z.iso.datetime(),
  /** Evaluations so far. */
  samples: z.number().int().nonnegative(),
  /** Failed measurements per check. */
  failures: z.array(z.number().int().nonnegative()),
  /** Inconclusive measurements in a row per check. */
  errors: z.array(z.number().int().nonnegative()),
  /** Passing measurements per check. */
  passes: z.array(z.number().int().nonnegative()),
  /** Failed DescribeAlarms calls in a row. */
  alarmErrors: z.number().int().nonnegative(),
});
export type GateState = z.infer<typeof GateStateSchema>;

export type GatePoll =
  | { readonly status: 'pending'; readonly state: GateState; readonly seconds: number; readonly progress: string }
  | { readonly status: 'passed'; readonly state: GateState; readonly progress: string }
  | {
      readonly status: 'failed';
      readonly state: GateState;
      readonly source: 'prometheus' | 'alarm';
      /** The check's name (its query when unnamed), or the alarm's name. */
      readonly check: string;
      /** The measured value, the alarm's state, or null when nothing could be measured. */
      readonly value: number | string | null;
      /** One line naming the check, its value and its threshold. */
      readonly reason: string;
    };

export type Measurement =
  | { readonly kind: 'pass'; readonly value: number }
  | { readonly kind: 'fail'; readonly value: number; readonly labels: Readonly<Record<string, string>> }
  | { readonly kind: 'inconclusive'; readonly why: string };

export function holds(value: number, op: Op, threshold: number): boolean {
  switch (op) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
  }
}

/** Prometheus's spelling of a sample value. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length ? `{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}` : '';
}

/** How far a value is on the wrong side: the worst series is the one reported. */
function badness(value: number, op: Op): number {
  return op === '<' || op === '<=' ? value : -value;
}

/**
 * Judges one query result against a check. A failing series decides over NaN ones (NaN, e.g. a
 * ratio with no traffic, proves nothing either way); ±Inf compares as a number.
 */
export function measure(check: Check, samples: readonly Sample[]): Measurement {
  if (!samples.length) return { kind: 'inconclusive', why: 'the query returned no series' };
  let worstFail: Sample | undefined;
  let worstPass: Sample | undefined;
  let nan = 0;
  for (const s of samples) {
    if (Number.isNaN(s.value)) nan++;
    else if (!holds(s.value, check.op, check.threshold)) {
      if (!worstFail || badness(s.value, check.op) > badness(worstFail.value, check.op)) worstFail = s;
    } else if (!worstPass || badness(s.value, check.op) > badness(worstPass.value, check.op)) worstPass = s;
  }
  if (worstFail) return { kind: 'fail', value: worstFail.value, labels: samples.length > 1 ? worstFail.labels : {} };
  if (nan) return { kind: 'inconclusive', why: nan === samples.length ? 'the query returned NaN' : `${nan} of ${samples.length} series are NaN` };
  return { kind: 'pass', value: worstPass!.value };
}

function checkName(check: Check): string {
  return check.name ?? check.query;
}

function fit(counts: readonly number[] | undefined, n: number): number[] {
  return Array.from({ length: n }, (_, i) => counts?.[i] ?? 0);
}

/** The state to start from: the previous poll's, or a new gate starting now. */
export function initialState(spec: GateSpec, previous: GateState | undefined, now: Date): GateState {
  const n = spec.prometheus?.checks.length ?? 0;
  return {
    startedAt: previous?.startedAt ?? now.toISOString(),
    samples: previous?.samples ?? 0,
    failures: fit(previous?.failures, n),
    errors: fit(previous?.errors, n),
    passes: fit(previous?.passes, n),
    alarmErrors: previous?.alarmErrors ?? 0,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One evaluation of every check. Never sleeps; see the module comment for the rules. */
export async function pollGate(deps: GateDeps, spec: GateSpec, previous: GateState | undefined, now: Date): Promise<GatePoll> {
  const state = initialState(spec, previous, now);
  state.samples++;
  const errorLimit = spec.prometheus?.consecutiveErrorLimit ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT;
  const notes: string[] = [];
  let waiting = false;

  if (spec.alarms) {
    const names = spec.alarms.names;
    if (!deps.alarms) throw new InvalidGateSpec('the request', `the gate names CloudWatch alarms (${names.join(', ')}) but no CloudWatch client is configured`);
    let readings: readonly AlarmReading[] | undefined;
    try {
      readings = await deps.alarms(names);
      state.alarmErrors = 0;
    } catch (err) {
      state.alarmErrors++;
      if (state.alarmErrors > errorLimit) {
        const detail = err instanceof AlarmsUnavailable ? err.detail : errorText(err);
        return {
          status: 'failed',
          state,
          source: 'alarm',
          check: names.join(', '),
          value: null,
          reason: `CloudWatch alarms could not be read ${state.alarmErrors} times in a row (consecutiveErrorLimit ${errorLimit}): ${detail}`,
        };
      }
      waiting = true;
      notes.push(`alarms unreadable (${state.alarmErrors}/${errorLimit + 1})`);
    }
    if (readings) {
      const byName = new Map(readings.map((r) => [r.name, r]));
      for (const name of names) {
        const r = byName.get(name);
        if (!r) return { status: 'failed', state, source: 'alarm', check: name, value: null, reason: `CloudWatch alarm "${name}" does not exist (DescribeAlarms did not return it)` };
        if (r.state === 'ALARM') {
          return { status: 'failed', state, source: 'alarm', check: name, value: 'ALARM', reason: `CloudWatch alarm "${name}" is ALARM${r.reason ? `: ${r.reason}` : ''}` };
        }
      }
      const insufficient = names.filter((n) => byName.get(n)?.state === 'INSUFFICIENT_DATA');
      if (insufficient.length) {
        waiting = true;
        notes.push(`alarms without data: ${insufficient.join(', ')}`);
      } else notes.push(`alarms OK (${names.length})`);
    }
  }

  if (spec.prometheus) {
    const { url, checks, failureLimit } = spec.prometheus;
    for (const [i, check] of checks.entries()) {
      let m: Measurement;
      try {
        m = measure(check, await deps.query(url, check.query, now));
      } catch (err) {
        m = { kind: 'inconclusive', why: errorText(err) };
      }
      const label = `prometheus check ${checkLabel(check)}`;
      if (m.kind === 'inconclusive') {
        const errors = ++state.errors[i]!;
        if (errors > errorLimit) {
          return {
            status: 'failed',
            state,
            source: 'prometheus',
            check: checkName(check),
            value: null,
            reason: `${label} was inconclusive ${errors} times in a row (consecutiveErrorLimit ${errorLimit}): ${m.why}`,
          };
        }
        notes.push(`${checkName(check)}: inconclusive (${errors}/${errorLimit + 1}): ${m.why}`);
        continue;
      }
      state.errors[i] = 0;
      const shown = `${formatValue(m.value)} ${check.op} ${check.threshold}`;
      if (m.kind === 'pass') {
        state.passes[i]!++;
        notes.push(`${checkName(check)}=${shown}`);
        continue;
      }
      const failures = ++state.failures[i]!;
      const measured = `${label}${formatLabels(m.labels)} = ${formatValue(m.value)}, threshold ${check.op} ${check.threshold}`;
      if (failures > failureLimit) {
        return {
          status: 'failed',
          state,
          source: 'prometheus',
          check: checkName(check),
          value: m.value,
          reason: failureLimit ? `${measured} (${failures} failed measurements, failureLimit ${failureLimit})` : measured,
        };
      }
      notes.push(`${checkName(check)}=${formatValue(m.value)} fails ${check.op} ${check.threshold} (${failures}/${failureLimit} tolerated)`);
    }
    if (state.passes.some((p) => p === 0)) waiting = true;
  }

  const elapsedMs = Math.max(0, now.getTime() - Date.parse(state.startedAt));
  const bakeMs = spec.bakeSeconds * 1000;
  const baked = `bake ${Math.floor(elapsedMs / 1000)}/${spec.bakeSeconds} s, ${state.samples} evaluation${state.samples === 1 ? '' : 's'}`;
  const progress = notes.length ? `${baked}: ${notes.join('; ')}` : baked;
  if (elapsedMs >= bakeMs && !waiting) return { status: 'passed', state, progress };
  // Land the last evaluation on the end of the bake; past it, keep the interval.
  const remaining = Math.ceil((bakeMs - elapsedMs) / 1000);
  const seconds = remaining > 0 ? Math.max(1, Math.min(spec.intervalSeconds, remaining)) : spec.intervalSeconds;
  return { status: 'pending', state, seconds, progress };
}
