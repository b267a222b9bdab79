/**
 * The command line as data: node:util parseArgs splits it, zod validates every flag value (the CLI
 * is an edge), and the result is a plain, typed command. Pure: no I/O, no process.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';

import { UsageError } from './errors.ts';
import type { CommandName } from './usage.ts';

export type OutputFormat = 'table' | 'json' | 'yaml';

/** Where to find the cluster and the release. */
export interface Target {
  readonly release: string;
  /** -n/--namespace; undefined = $HELM_NAMESPACE, else the kube context's namespace, else "default". */
  readonly namespace?: string;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
}

export type Command =
  | { readonly kind: 'help'; readonly command?: CommandName }
  | (Target & { readonly kind: 'history'; readonly max: number; readonly output: OutputFormat })
  | (Target & { readonly kind: 'status'; readonly revision?: number; readonly output: OutputFormat; readonly showDescription: boolean })
  | (Target & { readonly kind: 'get values'; readonly revision?: number; readonly all: boolean; readonly output: OutputFormat })
  | (Target & { readonly kind: 'get manifest'; readonly revision?: number })
  | (Target & { readonly kind: 'get hooks'; readonly revision?: number })
  | (Target & { readonly kind: 'diff'; readonly from?: number; readonly to?: number });

type Options = NonNullable<ParseArgsConfig['options']>;

const GLOBAL: Options = {
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  'kube-context': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const OUTPUT: Options = { output: { type: 'string', short: 'o' } };
const REVISION: Options = { revision: { type: 'string' } };

const FLAGS: Record<CommandName, Options> = {
  history: { ...GLOBAL, ...OUTPUT, max: { type: 'string' } },
  status: { ...GLOBAL, ...OUTPUT, ...REVISION, 'show-desc': { type: 'boolean' } },
  'get values': { ...GLOBAL, ...OUTPUT, ...REVISION, all: { type: 'boolean', short: 'a' } },
  'get manifest': { ...GLOBAL, ...REVISION },
  'get hooks': { ...GLOBAL, ...REVISION },
  diff: { ...GLOBAL, revision: { type: 'string', multiple: true } },
};

/** Positional arguments after the command words: [min, max]. */
const ARITY: Record<CommandName, readonly [number, number]> = {
  history: [1, 1],
  status: [1, 1],
  'get values': [1, 1],
  'get manifest': [1, 1],
  'get hooks': [1, 1],
  diff: [1, 3],
};

// ---- zod schemas for flag values (messages follow helm's pflag wording)

const flagText = (flag: string) => (v: string) => `invalid argument "${v}" for "${flag}" flag`;

function intFlag(flag: string, min: number) {
  return z.string().transform((v, ctx) => {
    if (!/^[+-]?\d+$/.test(v.trim())) {
      ctx.addIssue({ code: 'custom', message: `${flagText(flag)(v)}: not a whole number` });
      return z.NEVER;
    }
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) {
      ctx.addIssue({ code: 'custom', message: `${flagText(flag)(v)}: must be a whole number ≥ ${min}` });
      return z.NEVER;
    }
    return n;
  });
}

const OutputSchema = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return 'table' as const;
    const parsed = z.enum(['table', 'json', 'yaml']).safeParse(v);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: `${flagText('-o, --output')(v)}: invalid format type (use table, json or yaml)` });
      return z.NEVER;
    }
    return parsed.data;
  });

const TargetSchema = z.object({
  namespace: z.string().min(1, 'flag --namespace needs a non-empty value').optional(),
  kubeconfig: z.string().min(1, 'flag --kubeconfig needs a non-empty value').optional(),
  'kube-context': z.string().min(1, 'flag --kube-context needs a non-empty value').optional(),
});

const RevisionSchema = intFlag('--revision', 0).optional();

const SCHEMAS = {
  history: TargetSchema.extend({ max: intFlag('--max', 0).optional().default(256), output: OutputSchema }),
  status: TargetSchema.extend({ revision: RevisionSchema, output: OutputSchema, 'show-desc': z.boolean().optional() }),
  'get values': TargetSchema.extend({ revision: RevisionSchema, output: OutputSchema, all: z.boolean().optional() }),
  'get manifest': TargetSchema.extend({ revision: RevisionSchema }),
  'get hooks': TargetSchema.extend({ revision: RevisionSchema }),
  diff: TargetSchema.extend({ revision: z.array(intFlag('--revision', 1)).max(2, 'give --revision at most twice').optional() }),
} satisfies Record<CommandName, z.ZodType>;

const VERBS = new Set(['history', 'status', 'diff', 'get']);

/**
 * Finds the command words (`history`, `get values`, ...) anywhere in argv, as helm allows global
 * flags before them, and returns the remaining arguments.
 */
function commandOf(argv: readonly string[]): { name: CommandName; rest: string[] } | { unknown: string } | undefined {
  const i = argv.findIndex((a) => VERBS.has(a));
  if (i < 0) {
    const word = argv.find((a) => !a.startsWith('-'));
    return word === undefined || word === 'help' ? undefined : { unknown: word };
  }
  const verb = argv[i]!;
  if (verb !== 'get') return { name: verb as CommandName, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  const sub = argv[i + 1];
  if (sub === 'values' || sub === 'manifest' || sub === 'hooks') {
    return { name: `get ${sub}`, rest: [...argv.slice(0, i), ...argv.slice(i + 2)] };
  }
  return { unknown: `get ${sub ?? ''}`.trim() };
}

/** Parses `argv` (without node and the script). Throws UsageError. */
export function parseCommandLine(argv: readonly string[]): Command {
  const found = commandOf(argv);
  if (found === undefined) {
    if (argv.length === 0 || argv.includes('-h') || argv.includes('--help') || argv[0] === 'help') return { kind: 'help' };
    throw new UsageError(`unknown flag: ${argv[0]}`);
  }
  if ('unknown' in found) {
    throw new UsageError(
      `unknown command "${found.unknown}" for "helmstep" (commands: history, status, get values, get manifest, get hooks, diff)`,
    );
  }
  const { name, rest } = found;

  const options = FLAGS[name];
  const { values, positionals, tokens } = parseArgs({ args: rest, options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    if (!spec) throw new UsageError(`unknown flag: ${t.rawName}`, name);
    if (spec.type === 'string' && t.value === undefined) throw new UsageError(`flag needs an argument: ${t.rawName}`, name);
    if (spec.type === 'boolean' && t.inlineValue) throw new UsageError(`flag ${t.rawName} takes no value`, name);
  }
  if (values.help) return { kind: 'help', command: name };

  const [min, max] = ARITY[name];
  if (positionals.length < min || positionals.length > max) {
    const want = min === max ? `${min} argument${min === 1 ? '' : 's'}` : `${min} to ${max} arguments`;
    throw new UsageError(`"helmstep ${name}" requires ${want}, got ${positionals.length}`, name);
  }
  const release = positionals[0]!;
  if (release === '') throw new UsageError('the release name must not be empty', name);

  const parsed = SCHEMAS[name].safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('; '), name);
  const v = parsed.data;
  const target: Target = {
    release,
    ...(v.namespace !== undefined && { namespace: v.namespace }),
    ...(v.kubeconfig !== undefined && { kubeconfig: v.kubeconfig }),
    ...(v['kube-context'] !== undefined && { kubeContext: v['kube-context'] }),
  };
  const rev = (r: number | undefined) => (r === undefined || r === 0 ? {} : { revision: r });

  switch (name) {
    case 'history': {
      const h = v as z.infer<(typeof SCHEMAS)['history']>;
      return { kind: name, ...target, max: h.max, output: h.output };
    }
    case 'status': {
      const s = v as z.infer<(typeof SCHEMAS)['status']>;
      return { kind: name, ...target, ...rev(s.revision), output: s.output, showDescription: s['show-desc'] ?? false };
    }
    case 'get values': {
      const g = v as z.infer<(typeof SCHEMAS)['get values']>;
      return { kind: name, ...target, ...rev(g.revision), all: g.all ?? false, output: g.output };
    }
    case 'get manifest':
    case 'get hooks': {
      const g = v as z.infer<(typeof SCHEMAS)['get manifest']>;
      return { kind: name, ...target, ...rev(g.revision) };
    }
    case 'diff': {
      const d = v as z.infer<(typeof SCHEMAS)['diff']>;
      const fromPositional = positionals.slice(1).map((p) => intFlag('REVISION', 1).safeParse(p));
      const bad = fromPositional.find((r) => !r.success);
      if (bad && !bad.success) throw new UsageError(bad.error.issues.map((i) => i.message).join('; '), name);
      const revs = [...fromPositional.map((r) => r.data!), ...(d.revision ?? [])];
      if (revs.length > 2) throw new UsageError('give at most two revisions (positional or --revision)', name);
      return {
        kind: name,
        ...target,
        ...(revs[0] !== undefined && { from: revs[0] }),
        ...(revs[1] !== undefined && { to: revs[1] }),
      };
    }
  }
}
