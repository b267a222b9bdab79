/**
 * promtool for the metrics tests: the real binary built from the pinned Prometheus module, and
 * rule unit-test files whose input series are samples helmstep really exported.
 */
import { execFile } from 'node:child_process';
import { stringify } from 'yaml';
import type { ParsedSample } from '../../../src/metrics/index.ts';

export interface PromtoolRun {
  readonly code: number;
  readonly out: string;
}

/** Runs promtool; `stdin` is written to its standard input. Never throws on an exit code. */
export function promtool(bin: string, args: readonly string[], stdin?: string): Promise<PromtoolRun> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(stdin ?? '');
  });
}

/** `metric{label="value",…}` as PromQL (and promtool's input_series) reads it. */
export function seriesSelector(s: Pick<ParsedSample, 'name' | 'labels'>): string {
  const pairs = Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${s.name}{${pairs.join(',')}}`;
}

/**
 * input_series for promtool: each series takes its `before` value for `steps` samples (t = 0 …
 * steps-1 intervals), then its `after` value for `steps + 1` samples. A series only in `before`
 * ends with a staleness marker (gone from the scrape); one only in `after` is absent before.
 */
export function beforeAfterSeries(before: readonly ParsedSample[], after: readonly ParsedSample[], steps = 10): { series: string; values: string }[] {
  const b = new Map(before.map((s) => [seriesSelector(s), s.value]));
  const a = new Map(after.map((s) => [seriesSelector(s), s.value]));
  const keys = [...new Set([...b.keys(), ...a.keys()])].sort();
  return keys.map((series) => {
    const bv = b.get(series);
    const av = a.get(series);
    const first = bv === undefined ? `_x${steps - 1}` : `${bv}x${steps - 1}`;
    const second = av === undefined ? 'stale' : `${av}x${steps}`;
    return { series, values: `${first} ${second}` };
  });
}

export interface ExpAlert {
  readonly exp_labels: Record<string, string>;
  readonly exp_annotations?: Record<string, string>;
}

export interface AlertCheck {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts: readonly ExpAlert[];
}

/** A promtool rule unit-test file (YAML) over `rulesFile`. */
export function ruleTestFile(rulesFile: string, inputSeries: readonly { series: string; values: string }[], checks: readonly AlertCheck[]): string {
  return stringify({
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: [{ interval: '1m', input_series: inputSeries, alert_rule_test: checks }],
  });
}
