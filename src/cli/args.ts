/**
 * The command line as data. commander finds the command and its flags (global flags may come
 * before or after the command words); zod checks every value at this edge; the result is a plain,
 * typed Command. Messages keep helm's (cobra/pflag) wording. Pure: no I/O, no process, no env.
 *
 * pflag semantics commander lacks are restored around it: `normalize` turns shorthands into long
 * flags and a bare NoOptDefVal flag (`--wait`, `--all`) into `--flag=<its default>`, so such a
 * flag never swallows the next argument; flag values are checked as they are met, so the first
 * bad flag is the one reported, as with pflag.
 */
import { Command as Commander, CommanderError, Option } from 'commander';
import * as z from 'zod';

import { DurationError, parseGoDuration, toMilliseconds } from './duration.ts';
import { UsageError } from './errors.ts';
import { ARITY, bareValue, COMMAND_NAMES, FLAGS, GLOBAL_FLAGS, HELP_FLAG, type CommandName, type FlagSpec } from './usage.ts';

export type OutputFormat = 'table' | 'json' | 'yaml';
/** helm 4's --wait: kstatus watcher, hooks only (the default), or helm 3's legacy readiness checks. */
export type WaitStrategy = 'watcher' | 'hookOnly' | 'legacy';
/** helm 4's --dry-run: none (a real run), client (render only, no cluster), server (the API server validates). */
export type DryRunStrategy = 'none' | 'client' | 'server';

/** One --set or --set-string, kept in command-line order across both flags (the last wins). */
export interface ValueSetting {
  readonly kind: 'set' | 'set-string';
  readonly value: string;
}

/** Where to find the cluster and the release. */
export interface Target {
  readonly release: string;
  /** -n/--namespace; undefined = $HELM_NAMESPACE, else the kube context's namespace, else "default". */
  readonly namespace?: string;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
}

export interface HelpCommand {
  readonly kind: 'help';
  readonly command?: CommandName;
}

export type ReadCommand =
  | (Target & { readonly kind: 'history'; readonly max: number; readonly output: OutputFormat })
  | (Target & { readonly kind: 'status'; readonly revision?: number; readonly output: OutputFormat; readonly showDescription: boolean })
  | (Target & { readonly kind: 'get values'; readonly revision?: number; readonly all: boolean; readonly output: OutputFormat })
  | (Target & { readonly kind: 'get manifest'; readonly revision?: number })
  | (Target & { readonly kind: 'get hooks'; readonly revision?: number })
  | (Target & { readonly kind: 'diff'; readonly from?: number; readonly to?: number });

/** What install and upgrade share: the chart, its values, and how to apply, wait and keep history. */
export interface ChartOptions {
  /** A chart directory, packaged chart or URL, as given. */
  readonly chart: string;
  /** -f/--values, in order (the right-most wins). */
  readonly valueFiles: readonly string[];
  /** --set and --set-string, in command-line order. */
  readonly settings: readonly ValueSetting[];
  /** --version constraint. */
  readonly version?: string;
  /** Effective strategy: hookOnly becomes watcher with --rollback-on-failure, as in helm. */
  readonly wait: WaitStrategy;
  readonly waitForJobs: boolean;
  /** --timeout (default 5m0s), in milliseconds. */
  readonly timeoutMs: number;
  /** --rollback-on-failure, or its deprecated alias --atomic. */
  readonly rollbackOnFailure: boolean;
  readonly cleanupOnFail: boolean;
  /** --history-max (default 10); 0 = no limit. */
  readonly historyMax: number;
  readonly description?: string;
  readonly forceConflicts: boolean;
  /** -l/--labels, merged over repeats (the last wins). On upgrade, the value "null" unsets a label. */
  readonly labels: Readonly<Record<string, string>>;
  readonly dryRun: DryRunStrategy;
  readonly output: OutputFormat;
  readonly source: ChartSourceOptions;
  readonly gate: GateOptions;
  readonly engine: Engine;
}

/** Where the chart comes from besides a local path (helm's flags). */
export interface ChartSourceOptions {
  readonly repo?: string;
  readonly caFile?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly plainHttp: boolean;
  readonly username?: string;
  readonly password?: string;
}

/** The chart source flags as request fields (the engine's and the state machine's requests name them alike). */
export function chartSourceFields(s: ChartSourceOptions) {
  return {
    ...(s.repo ? { repo: s.repo } : {}),
    ...(s.caFile ? { caFile: s.caFile } : {}),
    ...(s.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    ...(s.plainHttp ? { plainHttp: true } : {}),
    ...(s.username ? { username: s.username } : {}),
    ...(s.password ? { password: s.password } : {}),
  };
}

/** The gate flags as given; src/gate turns them into a gate spec (or reads --gate-file). */
export interface GateOptions {
  readonly prometheus: readonly string[];
  readonly prometheusUrl?: string;
  readonly alarms: readonly string[];
  readonly tests: boolean;
  readonly bakeSeconds?: number;
  readonly intervalSeconds?: number;
  readonly failureLimit?: number;
  readonly file?: string;
  /** false with --no-rollback-on-gate-failure. */
  readonly rollbackOnFailure: boolean;
}

/** statemachine: the deploy/rollback ASL in the local Step Functions engine; direct: the steps in sequence. */
export type Engine = 'statemachine' | 'direct';

export interface InstallCommand extends Target, ChartOptions {
  readonly kind: 'install';
}

export interface UpgradeCommand extends Target, ChartOptions {
  readonly kind: 'upgrade';
  /** -i/--install: install when the release does not exist (or was uninstalled). */
  readonly install: boolean;
}

export interface RollbackCommand extends Target {
  readonly kind: 'rollback';
  /** The revision to roll back to; undefined (REVISION absent or 0) = the previous one. */
  readonly revision?: number;
  readonly dryRun: DryRunStrategy;
  /** --force: roll back although the plan refuses it (helmstep's meaning; helm's --force-replace is not offered). */
  readonly force: boolean;
  readonly wait: WaitStrategy;
  readonly waitForJobs: boolean;
  readonly timeoutMs: number;
  readonly cleanupOnFail: boolean;
  readonly historyMax: number;
  readonly engine: Engine;
}

export interface TestCommand extends Target {
  readonly kind: 'test';
  readonly timeoutMs: number;
  readonly logs: boolean;
}

export interface UnlockCommand extends Target {
  readonly kind: 'unlock';
  readonly force: boolean;
  readonly reason?: string;
}

/** The commands that change a release (or run its tests): run.ts hands them to runAction. */
export type ActionCommand = InstallCommand | UpgradeCommand | RollbackCommand | TestCommand | UnlockCommand;

export type Command = HelpCommand | ReadCommand | ActionCommand;

export interface ParsedCommandLine {
  readonly command: Command;
  /** Deprecation notices to print on stderr, worded as helm prints them. */
  readonly warnings: readonly string[];
}

export const ACTION_KINDS: ReadonlySet<Command['kind']> = new Set(['install', 'upgrade', 'rollback', 'test', 'unlock']);

export function isActionCommand(cmd: Command): cmd is ActionCommand {
  return ACTION_KINDS.has(cmd.kind);
}

// ---- the flag tables, merged: one meaning per long and short name across all commands

const ALL_SPECS: readonly FlagSpec[] = [...GLOBAL_FLAGS, HELP_FLAG, ...COMMAND_NAMES.flatMap((n) => FLAGS[n])];

function index(): { byName: Map<string, FlagSpec>; byShort: Map<string, FlagSpec> } {
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const spec of ALL_SPECS) {
    const seen = byName.get(spec.name);
    // normalize() decides before the command is known, so a name must not be bare in one command and take a value in another.
    if (seen && (bareValue(seen.kind) !== bareValue(spec.kind) || seen.short !== spec.short)) {
      throw new Error(`flag --${spec.name} is declared two incompatible ways`);
    }
    byName.set(spec.name, spec);
    if (spec.short) {
      const other = byShort.get(spec.short);
      if (other && other.name !== spec.name) throw new Error(`shorthand -${spec.short} names both --${other.name} and --${spec.name}`);
      byShort.set(spec.short, spec);
    }
  }
  return { byName, byShort };
}

const { byName: SPEC_BY_NAME, byShort: SPEC_BY_SHORT } = index();

// ---- pflag's token rules, applied before commander sees the line

/** Where a normalized token came from, to word errors as pflag does (`unknown shorthand flag: 'a' in -a`). */
interface Origin {
  readonly raw: string;
  readonly short?: string;
}

interface Normalized {
  readonly tokens: string[];
  readonly origins: Map<string, Origin>;
}

const NEGATIVE_NUMBER = /^-\d/;

function normalize(argv: readonly string[]): Normalized {
  const tokens: string[] = [];
  const origins = new Map<string, Origin>();
  const emit = (token: string, origin: Origin) => {
    tokens.push(token);
    if (!origins.has(token)) origins.set(token, origin);
  };
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i++]!;
    if (arg === '--') {
      tokens.push(arg, ...argv.slice(i));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const spec = SPEC_BY_NAME.get(arg.slice(2, eq < 0 ? undefined : eq));
      const bare = spec && bareValue(spec.kind);
      if (eq < 0 && spec && bare !== undefined) emit(`${arg}=${bare}`, { raw: arg });
      else {
        emit(arg, { raw: arg });
        // pflag takes the next argument as the value, whatever it looks like.
        if (eq < 0 && spec) tokens.push(...argv.slice(i, ++i));
      }
      continue;
    }
    if (arg.length < 2 || !arg.startsWith('-') || NEGATIVE_NUMBER.test(arg)) {
      tokens.push(arg);
      continue;
    }
    // A shorthand group: -a, -n web, -nweb, -n=web, -ai.
    let rest = arg.slice(1);
    while (rest !== '') {
      const c = rest[0]!;
      const spec = SPEC_BY_SHORT.get(c);
      if (!spec) {
        emit(`-${rest}`, { raw: arg, short: c });
        break;
      }
      const bare = bareValue(spec.kind);
      const after = rest.slice(1);
      if (bare !== undefined && !after.startsWith('=')) {
        emit(`--${spec.name}=${bare}`, { raw: arg, short: c });
        rest = after;
        continue;
      }
      const value = after.startsWith('=') ? after.slice(1) : after;
      if (value !== '' || after.startsWith('=')) emit(`--${spec.name}=${value}`, { raw: arg, short: c });
      else {
        emit(`--${spec.name}`, { raw: arg, short: c });
        tokens.push(...argv.slice(i, ++i));
      }
      break;
    }
  }
  return { tokens, origins };
}

// ---- values: zod schemas, one per flag kind, with pflag's and Go's messages

type Issue = { readonly reason: string };
const fail = (ctx: z.RefinementCtx, reason: string) => {
  ctx.addIssue({ code: 'custom', message: reason });
  return z.NEVER;
};

const GO_BOOL: Record<string, boolean> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true,
  '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

/** Go's strconv.ParseInt(s, 0, 64), as pflag's IntVar: 0x, 0o, 0b and leading-0 octal, `_` separators. */
const GO_INT = /^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0(?:_?[0-7])*|[1-9](?:_?\d)*)$/;

/** The value, or why Go refuses it. */
function goInt(text: string): number | Issue {
  const refuse = (why: string) => ({ reason: `strconv.ParseInt: parsing ${JSON.stringify(text)}: ${why}` });
  if (!GO_INT.test(text)) return refuse('invalid syntax');
  const negative = text.startsWith('-');
  let digits = text.replace(/^[+-]/, '').replaceAll('_', '');
  if (/^0[0-7]/.test(digits)) digits = `0o${digits.slice(1)}`;
  const magnitude = BigInt(digits);
  const value = negative ? -magnitude : magnitude;
  // Go's int64 range, narrowed to what a JS number holds exactly.
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return refuse('value out of range');
  return Number(value);
}

const belowMin = (n: number, min: number | undefined): Issue | undefined =>
  min === undefined || n >= min ? undefined : { reason: min === 0 ? 'must not be negative' : `must be at least ${min}` };

const SYSTEM_LABELS = ['name', 'owner', 'status', 'version', 'createdAt', 'modifiedAt'];
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes label key: `[prefix/]name`, name ≤ 63, prefix a DNS subdomain ≤ 253. */
function labelKeyOk(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  if (name.length > 63 || !LABEL_NAME.test(name)) return false;
  return prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
}
const labelValueOk = (value: string) => value === '' || (value.length <= 63 && LABEL_NAME.test(value));

/** One CSV record, as Go's encoding/csv reads pflag's slice flags: `a,"b,c"` → [a, b,c]. */
function csvRecord(text: string): string[] | Issue {
  if (text === '') return [];
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return { reason: `parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field` };
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ',') return { reason: `parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field` };
    } else {
      const end = text.indexOf(',', i);
      field = text.slice(i, end < 0 ? undefined : end);
      if (field.includes('"')) return { reason: `parse error on line 1, column ${i + field.indexOf('"') + 1}: bare " in non-quoted-field` };
      i += field.length;
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

/** pflag's stringToString: `k=v` (one `=`: the rest is the value, commas included), or a CSV of `k=v`. */
function labelsOf(text: string, ctx: z.RefinementCtx): Record<string, string> {
  const eqs = text.split('=').length - 1;
  if (eqs === 0) return fail(ctx, `${text} must be formatted as key=value`);
  const pairs = eqs === 1 ? [text.replace(/^"+|"+$/g, '')] : csvRecord(text);
  if (!Array.isArray(pairs)) return fail(ctx, pairs.reason);
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 0) return fail(ctx, `${pair} must be formatted as key=value`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (SYSTEM_LABELS.includes(key)) {
      return fail(ctx, `user supplied labels contains system reserved label name. System labels: [${SYSTEM_LABELS.join(' ')}]`);
    }
    if (!labelKeyOk(key)) return fail(ctx, `label key ${JSON.stringify(key)} is not a valid Kubernetes label name`);
    if (!labelValueOk(value)) {
      return fail(
        ctx,
        `label value ${JSON.stringify(value)} of ${JSON.stringify(key)} is not a valid Kubernetes label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** What one occurrence of a flag yields, and any deprecation notice helm prints for it. */
type FlagValue = boolean | number | string | string[] | Record<string, string>;
interface Checked {
  readonly value: FlagValue;
  readonly warning?: string;
}

function valueSchema(spec: FlagSpec): z.ZodType<Checked, string> {
  const s = z.string();
  switch (spec.kind) {
    case 'bool':
      return s.transform((v, ctx) =>
        v in GO_BOOL ? { value: GO_BOOL[v]! } : fail(ctx, `strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`),
      );
    case 'string':
      return s.transform((v, ctx) => (spec.nonEmpty && v === '' ? fail(ctx, 'must not be empty') : { value: v }));
    case 'int':
    case 'ints':
      return s.transform((v, ctx) => {
        const n = goInt(v);
        if (typeof n !== 'number') return fail(ctx, n.reason);
        const low = belowMin(n, spec.min);
        return low ? fail(ctx, low.reason) : { value: n };
      });
    case 'duration':
      return s.transform((v, ctx) => {
        try {
          const ns = parseGoDuration(v);
          return ns < 0n ? fail(ctx, 'must not be negative') : { value: toMilliseconds(ns) };
        } catch (err) {
          if (err instanceof DurationError) return fail(ctx, err.message);
          throw err;
        }
      });
    case 'format':
      return s.transform((v, ctx) => (v === 'table' || v === 'json' || v === 'yaml' ? { value: v } : fail(ctx, 'invalid format type')));
    case 'wait':
      return s.transform((v, ctx) => {
        if (v === 'watcher' || v === 'hookOnly' || v === 'legacy') return { value: v };
        // helm 4 still takes helm 3's boolean --wait, with a warning.
        if (v === 'true' || v === 'false') {
          const to = v === 'true' ? 'watcher' : 'hookOnly';
          return { value: to, warning: `level=WARN msg="--wait=${v} is deprecated (boolean value) and can be replaced with --wait=${to}"` };
        }
        return fail(ctx, `invalid wait input ${JSON.stringify(v)}. Valid inputs are watcher, hookOnly, and legacy`);
      });
    case 'dry-run':
      return s.transform((v, ctx) => {
        if (v === 'none' || v === 'client' || v === 'server') return { value: v };
        const b = GO_BOOL[v];
        if (b === undefined) return fail(ctx, `invalid dry-run value (${JSON.stringify(v)}). Must be "none", "server", or "client"`);
        const to = b ? 'client' : 'none';
        return { value: to, warning: `level=WARN msg="boolean '--dry-run=${v}' flag is deprecated and must be replaced with '--dry-run=${to}'"` };
      });
    case 'strings':
      return s.transform((v, ctx) => {
        const fields = csvRecord(v);
        return Array.isArray(fields) ? { value: fields } : fail(ctx, fields.reason);
      });
    case 'stringArray':
      return s.transform((v) => ({ value: [v] }));
    case 'stringToString':
      return s.transform((v, ctx) => ({ value: labelsOf(v, ctx) }));
  }
}

const SCHEMAS = new Map(ALL_SPECS.map((spec) => [spec, valueSchema(spec)] as const));

/** pflag's name for a flag in messages: `-o, --output` or `--max`. */
const flagName = (spec: FlagSpec) => (spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`);

/** Messages helm prints as they are, not inside pflag's `invalid argument` wrapper. */
const UNWRAPPED = new Set(['dry-run']);

// ---- the parse: commander walks the line, flags are checked as met, actions build the command

interface FlagEvent {
  readonly spec: FlagSpec;
  readonly value: FlagValue;
}

class Flags {
  constructor(private readonly events: readonly FlagEvent[]) {}

  private all(name: string): FlagValue[] {
    return this.events.filter((e) => e.spec.name === name).map((e) => e.value);
  }
  /** Scalars: the last occurrence wins, as with pflag. */
  last(name: string): FlagValue | undefined {
    return this.all(name).at(-1);
  }
  bool(name: string): boolean {
    return this.last(name) === true;
  }
  string(name: string): string | undefined {
    const v = this.last(name);
    return typeof v === 'string' ? v : undefined;
  }
  number(name: string): number | undefined {
    const v = this.last(name);
    return typeof v === 'number' ? v : undefined;
  }
  list(name: string): string[] {
    return this.all(name).flatMap((v) => (Array.isArray(v) ? v : []));
  }
  numbers(name: string): number[] {
    return this.all(name).filter((v): v is number => typeof v === 'number');
  }
  map(name: string): Record<string, string> {
    return Object.assign({}, ...this.all(name).filter((v) => typeof v === 'object' && !Array.isArray(v))) as Record<string, string>;
  }
  /** --set and --set-string together, in command-line order. */
  settings(): ValueSetting[] {
    return this.events.flatMap((e) =>
      e.spec.name === 'set' || e.spec.name === 'set-string' ? (e.value as string[]).map((value) => ({ kind: e.spec.name as ValueSetting['kind'], value })) : [],
    );
  }
}

const VERBS = COMMAND_NAMES.map((n) => n).join(', ');

function unknownCommand(words: readonly string[]): UsageError {
  return new UsageError(`unknown command "${words.join(' ')}" for "helmstep" (commands: ${VERBS})`);
}

/** Parses `argv` (without node and the script) into a command and helm's deprecation notices. Throws UsageError. */
export function parseArgv(argv: readonly string[]): ParsedCommandLine {
  const { tokens, origins } = normalize(argv);
  const events: FlagEvent[] = [];
  const warnings: string[] = [];
  let result: Command | undefined;

  const toUsageError = (err: CommanderError, command: CommandName | undefined): UsageError => {
    // commander's messages quote the token: error: unknown option '--x' / option '--x <value>' argument missing
    const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
    if (err.code === 'commander.unknownOption') {
      const origin = origins.get(quoted) ?? { raw: quoted };
      if (origin.short !== undefined) return new UsageError(`unknown shorthand flag: '${origin.short}' in ${origin.raw}`, command);
      return new UsageError(`unknown flag: ${origin.raw.split('=')[0]}`, command);
    }
    if (err.code === 'commander.optionMissingArgument') {
      const long = quoted.split(' ')[0]!;
      const spec = SPEC_BY_NAME.get(long.slice(2));
      const last = argv.at(-1);
      if (spec?.short && last === `-${spec.short}`) return new UsageError(`flag needs an argument: '${spec.short}' in -${spec.short}`, command);
      return new UsageError(`flag needs an argument: ${long}`, command);
    }
    return new UsageError(err.message.replace(/^error: /, ''), command);
  };

  const configure = (cmd: Commander, command: CommandName | undefined, specs: readonly FlagSpec[]) => {
    cmd
      .exitOverride((err) => {
        throw toUsageError(err, command);
      })
      .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined })
      .helpOption(false)
      .helpCommand(false)
      .showSuggestionAfterError(false)
      .allowExcessArguments(true);
    for (const spec of specs) {
      const option = new Option(bareValue(spec.kind) === undefined ? `--${spec.name} <value>` : `--${spec.name} [value]`);
      option.argParser((text: string) => {
        const checked = SCHEMAS.get(spec)!.safeParse(text);
        if (!checked.success) {
          const reason = checked.error.issues.map((i) => i.message).join('; ');
          throw new UsageError(
            UNWRAPPED.has(spec.kind) ? reason : `invalid argument ${JSON.stringify(text)} for ${JSON.stringify(flagName(spec))} flag: ${reason}`,
            command,
          );
        }
        if (spec.deprecated) warnings.push(`Flag --${spec.name} has been deprecated, ${spec.deprecated}`);
        if (checked.data.warning) warnings.push(checked.data.warning);
        events.push({ spec, value: checked.data.value });
        return text;
      });
      cmd.addOption(option);
    }
    return cmd;
  };

  const program = configure(new Commander('helmstep'), undefined, [...GLOBAL_FLAGS, HELP_FLAG]);
  program.argument('[words...]').action((words: string[]) => {
    const flags = new Flags(events);
    if (words.length === 0 || flags.bool('help')) {
      result = { kind: 'help' };
      return;
    }
    if (words[0] === 'help') {
      const named = COMMAND_NAMES.find((n) => n === words.slice(1).join(' '));
      if (words.length > 1 && !named) throw unknownCommand(words.slice(1));
      result = named ? { kind: 'help', command: named } : { kind: 'help' };
      return;
    }
    throw unknownCommand(words.slice(0, 1));
  });

  const get = configure(program.command('get'), undefined, []);
  get.argument('[words...]').action((words: string[]) => {
    if (new Flags(events).bool('help')) {
      result = { kind: 'help' };
      return;
    }
    if (words.length === 0) throw new UsageError('"helmstep get" needs a subcommand: values, manifest or hooks');
    throw unknownCommand(['get', words[0]!]);
  });

  for (const name of COMMAND_NAMES) {
    const parent = name.startsWith('get ') ? get : program;
    const leaf = configure(parent.command(name.replace('get ', '')), name, FLAGS[name]);
    leaf.argument('[args...]').action((args: string[]) => {
      result = build(name, args, new Flags(events));
    });
  }

  try {
    program.parse(tokens, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw toUsageError(err, undefined);
    throw err;
  }
  if (!result) throw new Error(`no command was built from: ${argv.join(' ')}`);
  return { command: result, warnings };
}

/** Parses `argv` (without node and the script). Throws UsageError. */
export function parseCommandLine(argv: readonly string[]): Command {
  return parseArgv(argv).command;
}

// ---- from words and flags to a command

const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const ReleaseName = z.string().superRefine((name, ctx) => {
  if (name === '') ctx.addIssue({ code: 'custom', message: 'the release name must not be empty' });
  else if (name.length > 53 || !RELEASE_NAME.test(name)) {
    ctx.addIssue({
      code: 'custom',
      message: `release name ${JSON.stringify(name)}: invalid release name, must match regex ${RELEASE_NAME.source} and the length must not be longer than 53`,
    });
  }
});

/** A revision given as an argument: Go's strconv.Atoi, as helm rollback reads it. */
const positionalRevision = (min: number) =>
  z.string().transform((v, ctx) => {
    if (!/^[+-]?\d+$/.test(v)) return fail(ctx, `invalid argument ${JSON.stringify(v)} for REVISION: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) return fail(ctx, `invalid argument ${JSON.stringify(v)} for REVISION: strconv.Atoi: parsing ${JSON.stringify(v)}: value out of range`);
    return n >= min ? n : fail(ctx, `invalid argument ${JSON.stringify(v)} for REVISION: ${min === 0 ? 'must not be negative' : `must be at least ${min}`}`);
  });

const Chart = z.string().min(1, 'the chart must not be empty');

function check<T>(schema: z.ZodType<T, string>, value: string, command: CommandName): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(r.error.issues.map((i) => i.message).join('; '), command);
  return r.data;
}

function engineOf(flags: Flags, name: CommandName): Engine {
  const e = flags.string('engine') ?? 'statemachine';
  if (e !== 'statemachine' && e !== 'direct') throw new UsageError(`invalid argument ${JSON.stringify(e)} for "--engine" flag: must be statemachine or direct`, name);
  return e;
}

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : Math.ceil(ms / 1000));

function sourceOf(flags: Flags): ChartSourceOptions {
  const repo = flags.string('repo');
  const caFile = flags.string('ca-file');
  const username = flags.string('username');
  const password = flags.string('password');
  return {
    ...(repo !== undefined && { repo }),
    ...(caFile !== undefined && { caFile }),
    insecureSkipTlsVerify: flags.bool('insecure-skip-tls-verify'),
    plainHttp: flags.bool('plain-http'),
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
  };
}

function gateOf(flags: Flags): GateOptions {
  const prometheusUrl = flags.string('gate-prometheus-url');
  const bakeSeconds = seconds(flags.number('bake'));
  const intervalSeconds = seconds(flags.number('gate-interval'));
  const failureLimit = flags.number('gate-failure-limit');
  const file = flags.string('gate-file');
  return {
    prometheus: flags.list('gate-prometheus'),
    ...(prometheusUrl !== undefined && { prometheusUrl }),
    alarms: flags.list('gate-alarm'),
    tests: flags.bool('gate-tests'),
    ...(bakeSeconds !== undefined && { bakeSeconds }),
    ...(intervalSeconds !== undefined && { intervalSeconds }),
    ...(failureLimit !== undefined && { failureLimit }),
    ...(file !== undefined && { file }),
    rollbackOnFailure: !flags.bool('no-rollback-on-gate-failure'),
  };
}

function build(name: CommandName, args: readonly string[], flags: Flags): Command {
  if (flags.bool('help')) return { kind: 'help', command: name };

  const [min, max] = ARITY[name];
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min} argument${min === 1 ? '' : 's'}` : `${min} to ${max} arguments`;
    throw new UsageError(`"helmstep ${name}" requires ${want}, got ${args.length}`, name);
  }
  const release = check(ReleaseName, args[0]!, name);
  const namespace = flags.string('namespace');
  const kubeconfig = flags.string('kubeconfig');
  const kubeContext = flags.string('kube-context');
  const target: Target = {
    release,
    ...(namespace !== undefined && { namespace }),
    ...(kubeconfig !== undefined && { kubeconfig }),
    ...(kubeContext !== undefined && { kubeContext }),
  };
  const output = (flags.string('output') ?? 'table') as OutputFormat;
  // helm's revision 0 is "the newest" (get/status) or "the previous" (rollback): leave it out.
  const revision = (r: number | undefined) => (r === undefined || r === 0 ? {} : { revision: r });
  const timeoutMs = flags.number('timeout') ?? 5 * 60 * 1000;
  const historyMax = flags.number('history-max') ?? 10;

  switch (name) {
    case 'history':
      return { kind: name, ...target, max: flags.number('max') ?? 256, output };
    case 'status':
      return { kind: name, ...target, ...revision(flags.number('revision')), output, showDescription: flags.bool('show-desc') };
    case 'get values':
      return { kind: name, ...target, ...revision(flags.number('revision')), all: flags.bool('all'), output };
    case 'get manifest':
    case 'get hooks':
      return { kind: name, ...target, ...revision(flags.number('revision')) };
    case 'diff': {
      const revs = [...args.slice(1).map((a) => check(positionalRevision(1), a, name)), ...flags.numbers('revision')];
      if (revs.length > 2) throw new UsageError('give at most two revisions (positional or --revision)', name);
      return {
        kind: name,
        ...target,
        ...(revs[0] !== undefined && { from: revs[0] }),
        ...(revs[1] !== undefined && { to: revs[1] }),
      };
    }
    case 'install':
    case 'upgrade': {
      const rollbackOnFailure = flags.bool('rollback-on-failure') || flags.bool('atomic');
      const wait = (flags.string('wait') ?? 'hookOnly') as WaitStrategy;
      const version = flags.string('version');
      const description = flags.string('description');
      const options: ChartOptions = {
        chart: check(Chart, args[1]!, name),
        valueFiles: flags.list('values'),
        settings: flags.settings(),
        ...(version !== undefined && { version }),
        // helm: "The --wait flag will be defaulted to "watcher" if --rollback-on-failure is set".
        wait: rollbackOnFailure && wait === 'hookOnly' ? 'watcher' : wait,
        waitForJobs: flags.bool('wait-for-jobs'),
        timeoutMs,
        rollbackOnFailure,
        cleanupOnFail: flags.bool('cleanup-on-fail'),
        historyMax,
        ...(description !== undefined && { description }),
        forceConflicts: flags.bool('force-conflicts'),
        labels: flags.map('labels'),
        dryRun: (flags.string('dry-run') ?? 'none') as DryRunStrategy,
        output,
        source: sourceOf(flags),
        gate: gateOf(flags),
        engine: engineOf(flags, name),
      };
      return name === 'install' ? { kind: name, ...target, ...options } : { kind: name, ...target, install: flags.bool('install'), ...options };
    }
    case 'rollback': {
      const rev = args[1] === undefined ? undefined : check(positionalRevision(0), args[1], name);
      return {
        kind: name,
        ...target,
        ...revision(rev),
        dryRun: (flags.string('dry-run') ?? 'none') as DryRunStrategy,
        force: flags.bool('force'),
        wait: (flags.string('wait') ?? 'hookOnly') as WaitStrategy,
        waitForJobs: flags.bool('wait-for-jobs'),
        timeoutMs,
        cleanupOnFail: flags.bool('cleanup-on-fail'),
        historyMax,
        engine: engineOf(flags, name),
      };
    }
    case 'test':
      return { kind: name, ...target, timeoutMs, logs: flags.bool('logs') };
    case 'unlock': {
      const reason = flags.string('reason');
      return { kind: name, ...target, force: flags.bool('force'), ...(reason !== undefined && { reason }) };
    }
  }
}
