/**
 * Prometheus' text exposition format 0.0.4, written by hand: the exporter renders a fresh
 * snapshot per scrape, so a registry of long-lived metric objects (prom-client) would only add
 * state to reset. Pure. `parseExposition` reads back the subset `renderExposition` writes.
 */

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type SampleLabels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels: SampleLabels;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The exposition text of `families`, in the order given; a family without samples still gets its HELP and TYPE. */
export function renderExposition(families: readonly Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new TypeError(`invalid metric name ${JSON.stringify(f.name)}`);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const pairs = Object.entries(s.labels).map(([k, v]) => {
        if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new TypeError(`invalid label name ${JSON.stringify(k)} on ${f.name}`);
        return `${k}="${escapeLabelValue(v)}"`;
      });
      out.push(`${f.name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(s.value)}`);
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

export interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/s;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

function unescapeLabelValue(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** The samples of an exposition text as renderExposition writes it (no timestamps); throws on a line it cannot read. */
export function parseExposition(text: string): ParsedSample[] {
  const samples: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new SyntaxError(`not an exposition sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL_PAIR.lastIndex = 0;
    while (LABEL_PAIR.lastIndex < body.length) {
      const p = LABEL_PAIR.exec(body);
      if (!p) throw new SyntaxError(`unreadable labels in: ${line}`);
      labels[p[1]!] = unescapeLabelValue(p[2]!);
    }
    samples.push({ name: m[1]!, labels, value: parseValue(m[3]!) });
  }
  return samples;
}
