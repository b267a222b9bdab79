/**
 * `helmstep audit history|events|verify|reconcile`: the auditor's queries over the audit log, and
 * the reconciler, from the command line. The log is reached through the local state
 * (openLocalServices: HELMSTEP_DYNAMODB_ENDPOINT, else dynalite on disk); only `reconcile` talks to
 * the cluster. The cluster's name in the audit keys is --cluster, else $HELMSTEP_CLUSTER_NAME,
 * else the kube context's name, as the orchestration writes it.
 *
 * Start-up matters (auditors script it, the bench times it as a process): the DynamoDB client,
 * the local state and the reconciler load only once the command line is valid, the writer (with
 * helm's record codec) only for reconcile, and a query's open spends no round trip on the tables.
 *
 * Exit codes: 0 ok, 1 error (a failed verify, an unexplained deletion found by reconcile), 2 usage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';

import { Command, CommanderError, Option } from 'commander';

import { OUTCOMES, type AuditEvent, type AuditRef, type Outcome } from '../../audit/events.ts';
import type { AuditQueries, Page } from '../../audit/queries.ts';
import type { ReconcileReport } from '../../audit/reconcile.ts';
import type { RevisionSummary } from '../../audit/revisions.ts';
import type { AuditStore } from '../../audit/store.ts';
import { parseTimeArg } from '../../audit/time-arg.ts';
import { clusterName } from '../../local/cluster-name.ts';
import { HelmstepError } from '../../release/errors.ts';
import { formatANSIC, uitable } from '../../release/columns.ts';
import { validateReleaseName } from '../../release/names.ts';
import { parseKubeconfigYaml } from '../../store/kubeconfig-yaml.ts';
import type { RunDeps } from '../run.ts';
import type { ServiceCommand } from './index.ts';

type Output = 'table' | 'json' | 'csv';

class AuditUsage extends HelmstepError {
  override readonly name = 'AuditUsage';
  readonly reason = 'UsageError';
  constructor(
    message: string,
    readonly sub?: string,
  ) {
    super(message);
  }
}

/** A finding that makes the command fail after its output was printed (verify, reconcile). */
class AuditFinding extends HelmstepError {
  override readonly name = 'AuditFinding';
  readonly reason = 'AuditFinding';
}

interface Common {
  namespace?: string;
  cluster?: string;
  output: Output;
  kubeconfig?: string;
  kubeContext?: string;
}

interface Paging {
  limit?: number;
  cursor?: string;
  allPages?: boolean;
}

const USAGE: Readonly<Record<string, string>> = {
  history: 'helmstep audit history RELEASE [-n NAMESPACE] [--cluster NAME] [-o table|json|csv] [--limit N] [--cursor C] [--all-pages]',
  events:
    'helmstep audit events [RELEASE] [-n NAMESPACE] [--since T] [--until T] [--actor ACTOR] [--outcome O[,O]] [-o table|json|csv] [--limit N] [--cursor C] [--all-pages]',
  verify: 'helmstep audit verify RELEASE [-n NAMESPACE] [--cluster NAME] [-o table|json]',
  reconcile: 'helmstep audit reconcile [RELEASE] [-n NAMESPACE | -A] [--history-max N] [--kubeconfig F] [--kube-context C] [-o table|json|csv]',
};

const HELP = `Query and check the audit log: every revision and every state transition of helmstep's executions.

Usage:
  ${Object.values(USAGE).join('\n  ')}

Commands:
  history     the release's recorded revisions, all of them (beyond the cluster's --history-max)
  events      a release's events in chain order; or, without RELEASE, events of every release in a
              time range (--since, default 24h; --until, default now) or of one --actor
  verify      check the release's hash chain; exit 1 naming the first altered, removed or reordered event
  reconcile   copy revisions the cluster has and the log lacks; report log revisions whose Secret is
              gone (pruned by --history-max, or unexplained: exit 1)

Flags:
  -n, --namespace NS       the release's namespace (default $HELM_NAMESPACE, then the kube context's, then default)
      --cluster NAME       the cluster's name in the log (default $HELMSTEP_CLUSTER_NAME, then the kube context's name)
  -o, --output FORMAT      table (default), json (one array) or csv (RFC 4180, header row)
      --limit N            rows per page, 1-1000 (default 100; 1000 with --all-pages)
      --cursor C           continue from the page that printed it ("next page: --cursor C" on stderr)
      --all-pages          read every page
      --since T, --until T RFC 3339 time (2026-11-24T14:00:00Z) or a duration ago (24h, 90m)
      --actor ACTOR        github:<login>, alarm:<name>, cli:<user> or system:<component>
      --outcome O[,O]      ${OUTCOMES.join(', ')}
      --history-max N      reconcile: the history max releases are deployed with (default 10; 0: unlimited)
  -A, --all-namespaces     reconcile: every namespace
      --kubeconfig F, --kube-context C   the cluster (reconcile) and the context whose name names it

The log is the local state's DynamoDB (HELMSTEP_DYNAMODB_ENDPOINT, else dynalite under HELMSTEP_STATE_DIR).
`;

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new AuditUsage(`invalid argument "${v}" for "${name}": expected an integer from ${min} to ${max}`);
    return Number(v);
  };
}

function outputArg(allowed: readonly Output[]) {
  return (v: string): Output => {
    if (!(allowed as readonly string[]).includes(v)) throw new AuditUsage(`invalid argument "${v}" for "-o, --output": expected ${allowed.join(', ')}`);
    return v as Output;
  };
}

function outcomeArg(v: string): Outcome[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = list.filter((o) => !(OUTCOMES as readonly string[]).includes(o));
  if (list.length === 0 || bad.length > 0) throw new AuditUsage(`invalid argument "${v}" for "--outcome": expected outcomes among ${OUTCOMES.join(', ')}, separated by commas`);
  return list as Outcome[];
}

function timeArg(flag: string) {
  return (v: string): Date => {
    try {
      return parseTimeArg(v);
    } catch (e) {
      throw new AuditUsage(`invalid argument for "${flag}": ${(e as Error).message}`);
    }
  };
}

// ---- the cluster's name and default namespace, from the kubeconfig without loading a client

interface KubeContext {
  readonly context?: string;
  readonly namespace?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The kube context (--kube-context, else the first current-context of the kubeconfig files, as
 * kubectl merges them) and its namespace. Missing or unreadable files are no context: reading
 * the log needs no cluster.
 */
export async function kubeContext(opts: { kubeconfig?: string; kubeContext?: string }, env: RunDeps['env']): Promise<KubeContext> {
  const home = env.HOME ? `${env.HOME}/.kube/config` : undefined;
  const files = opts.kubeconfig ? [opts.kubeconfig] : env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter((f) => f) : home ? [home] : [];
  let current = opts.kubeContext;
  const contexts: Obj[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    let doc: unknown;
    try {
      const text = readFileSync(file, 'utf8');
      // The full YAML parser (~10 ms to load) only for a kubeconfig the fast reader does not take.
      doc = parseKubeconfigYaml(text) ?? (await import('yaml')).parse(text, { merge: true });
    } catch {
      continue;
    }
    if (!isObj(doc)) continue;
    if (current === undefined && typeof doc['current-context'] === 'string' && doc['current-context'] !== '') current = doc['current-context'];
    if (Array.isArray(doc.contexts)) contexts.push(...doc.contexts.filter(isObj));
  }
  const ctx = contexts.find((c) => c.name === current);
  const ns = isObj(ctx?.context) && typeof ctx.context.namespace === 'string' && ctx.context.namespace !== '' ? ctx.context.namespace : undefined;
  return { ...(current ? { context: current } : {}), ...(ns ? { namespace: ns } : {}) };
}

// ---- output

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled; lines end in CRLF. */
export function csv(rows: readonly (readonly (string | number | undefined)[])[]): string {
  const field = (v: string | number | undefined) => {
    const s = v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

function chartOf(s: RevisionSummary): string {
  return s.chart ? `${s.chart}-${s.chartVersion ?? ''}` : '';
}

export function formatRevisions(rows: readonly RevisionSummary[], output: Output): string {
  if (output === 'json') return `${JSON.stringify(rows)}\n`;
  if (output === 'csv') {
    return csv([
      ['revision', 'updated', 'status', 'chart', 'app_version', 'description', 'digest', 'recorded_at', 'storage'],
      ...rows.map((r) => [r.revision, r.lastDeployed, r.status, chartOf(r), r.appVersion, r.description, r.digest, r.recordedAt, r.storage]),
    ]);
  }
  const table: (string | number)[][] = [['REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION', 'DESCRIPTION']];
  for (const r of rows) table.push([r.revision, formatANSIC(r.lastDeployed ?? null), r.status, chartOf(r), r.appVersion ?? '', r.description ?? '']);
  return `${uitable(table)}\n`;
}

const releaseOf = (e: AuditEvent) => `${e.release.namespace}/${e.release.name}`;

export function formatEvents(rows: readonly AuditEvent[], output: Output, acrossReleases: boolean): string {
  if (output === 'json') return `${JSON.stringify(rows)}\n`;
  if (output === 'csv') {
    return csv([
      ['time', 'cluster', 'namespace', 'release', 'seq', 'step', 'outcome', 'actor', 'execution', 'from', 'to', 'error', 'hash'],
      ...rows.map((e) => [
        e.time, e.release.cluster, e.release.namespace, e.release.name, e.seq, e.step, e.outcome, e.actor, e.executionId,
        e.fromRevision, e.toRevision, e.error ? `${e.error.reason}: ${e.error.message}` : undefined, e.hash,
      ]),
    ]);
  }
  const head = ['TIME', ...(acrossReleases ? ['RELEASE'] : []), 'SEQ', 'STEP', 'OUTCOME', 'ACTOR', 'EXECUTION', 'FROM', 'TO'];
  const table: (string | number)[][] = [head];
  for (const e of rows) {
    table.push([e.time, ...(acrossReleases ? [releaseOf(e)] : []), e.seq, e.step, e.outcome, e.actor, e.executionId, e.fromRevision ?? '', e.toRevision ?? '']);
  }
  return `${uitable(table)}\n`;
}

export function formatReconcile(report: ReconcileReport, output: Output): string {
  if (output === 'json') return `${JSON.stringify(report.releases)}\n`;
  const list = (xs: readonly number[]) => xs.join(' ');
  if (output === 'csv') {
    return csv([
      ['cluster', 'namespace', 'release', 'copied', 'already_copied', 'in_progress', 'pruned', 'unexplained'],
      ...report.releases.map((r) => [
        r.ref.cluster, r.ref.namespace, r.ref.name, list(r.copied), list(r.copy.filter((x) => !r.copied.includes(x))), list(r.inProgress),
        list(r.pruned.map((p) => p.revision)), list(r.unexplained),
      ]),
    ]);
  }
  const table: (string | number)[][] = [['NAMESPACE', 'RELEASE', 'COPIED', 'IN PROGRESS', 'PRUNED', 'UNEXPLAINED']];
  for (const r of report.releases) {
    table.push([r.ref.namespace, r.ref.name, list(r.copied) || '-', list(r.inProgress) || '-', list(r.pruned.map((p) => p.revision)) || '-', list(r.unexplained) || '-']);
  }
  return `${uitable(table)}\n`;
}

// ---- the commands

/** Reads one page, or every page with --all-pages; writes the hint for the next page on stderr. */
async function pages<T>(p: Paging, deps: RunDeps, read: (o: { limit: number; cursor?: string }) => Promise<Page<T>>): Promise<T[]> {
  const limit = p.limit ?? (p.allPages ? 1000 : 100);
  const items: T[] = [];
  let cursor = p.cursor;
  for (;;) {
    const page = await read({ limit, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    for (const c of page.corrupt ?? []) deps.err.write(`Warning: ${c.message}\n`);
    cursor = page.cursor;
    if (!cursor) return items;
    if (!p.allPages) {
      deps.err.write(`next page: --cursor ${cursor}\n`);
      return items;
    }
  }
}

interface Opened {
  readonly ref: (name: string) => AuditRef;
  readonly cluster: string;
  readonly namespace: string;
  readonly queries: AuditQueries;
  /** The writer (reconcile's): loaded on first use, with helm's record codec; only a log opened for writes has one. */
  store(): Promise<AuditStore>;
  /** Creates the local state's tables; a read that found none calls it and reads again. */
  ensureTables(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the log. A query (`writes: false`) reads with the light DynamoDB client and spends no
 * round trip on the tables (withLog creates them only if a read finds none); reconcile opens
 * the SDK's client and the writer.
 */
async function openLog(o: Common, deps: RunDeps, writes: boolean): Promise<Opened> {
  const kc = await kubeContext(o, deps.env);
  const cluster = clusterName(o.cluster ? { ...deps.env, HELMSTEP_CLUSTER_NAME: o.cluster } : deps.env, kc.context);
  const namespace = o.namespace ?? (deps.env.HELM_NAMESPACE || undefined) ?? kc.namespace ?? 'default';
  const onWait = (dir: string) => deps.err.write(`waiting for another helmstep using the local state in ${dir}…\n`);
  const base = { ref: (name: string) => ({ cluster, namespace, name }), cluster, namespace };
  if (!writes) {
    const [{ openLocalReader }, { AuditQueries }] = await Promise.all([import('../../local/reader.ts'), import('../../audit/queries.ts')]);
    const reader = await openLocalReader(deps.env, { onWait });
    return {
      ...base,
      queries: new AuditQueries({ client: reader.client, tableName: reader.tables.audit }),
      store: () => Promise.reject(new Error('the audit log was opened for reading')),
      ensureTables: () => reader.ensureTables(),
      close: () => reader.close(),
    };
  }
  const [{ openLocalServices }, { AuditQueries }] = await Promise.all([import('../../local/state.ts'), import('../../audit/queries.ts')]);
  const services = await openLocalServices(deps.env, { onWait });
  const table = services.tables.audit;
  let store: AuditStore | undefined;
  return {
    ...base,
    queries: new AuditQueries({ client: services.dynamo, tableName: table }),
    store: async () => (store ??= new (await import('../../audit/store.ts')).AuditStore({ client: services.dynamo, tableName: table, objects: services.objects })),
    ensureTables: () => services.ensureTables(),
    close: () => services.close(),
  };
}

function releaseArg(name: string | undefined, sub: string): string {
  if (name === undefined) throw new AuditUsage(`"helmstep audit ${sub}" requires a release name`, sub);
  try {
    validateReleaseName(name);
  } catch (e) {
    throw new AuditUsage((e as Error).message, sub);
  }
  return name;
}

/** Runs `fn` on the opened log; a query (no `writes`) that finds no table creates the tables and runs again (a fresh state reads as empty). */
async function withLog<T>(o: Common, deps: RunDeps, fn: (log: Opened) => Promise<T>, writes = false): Promise<T> {
  const log = await openLog(o, deps, writes);
  try {
    try {
      return await fn(log);
    } catch (e) {
      if (writes || !(e instanceof Error) || e.name !== 'ResourceNotFoundException') throw e;
      await log.ensureTables();
      return await fn(log);
    }
  } finally {
    await log.close();
  }
}

type Action = (deps: RunDeps) => Promise<void>;

function build(deps: RunDeps, set: (a: Action) => void): Command {
  const program = new Command('audit');
  const common = (cmd: Command, outputs: readonly Output[] = ['table', 'json', 'csv']) =>
    cmd
      .addOption(new Option('-n, --namespace <namespace>'))
      .addOption(new Option('--cluster <name>'))
      .addOption(new Option('-o, --output <format>').argParser(outputArg(outputs)).default('table'))
      .addOption(new Option('--kubeconfig <file>'))
      .addOption(new Option('--kube-context <context>'));
  const paging = (cmd: Command) =>
    cmd
      .addOption(new Option('--limit <n>').argParser(intArg('--limit', 1, 1000)))
      .addOption(new Option('--cursor <cursor>'))
      .addOption(new Option('--all-pages'));

  paging(common(program.command('history').argument('[release]'))).action((name: string | undefined, o: Common & Paging) =>
    set(async () => {
      const release = releaseArg(name, 'history');
      await withLog(o, deps, async (log) => {
        const ref = log.ref(release);
        const rows = await pages(o, deps, (p) => log.queries.releaseRevisions(ref, p));
        if (rows.length === 0 && !o.cursor) {
          throw new AuditFinding(`the audit log has no revisions of release "${release}" in namespace "${log.namespace}" of cluster "${log.cluster}"; check -n and --cluster, or run helmstep audit reconcile to copy the cluster's revisions`);
        }
        deps.out.write(formatRevisions(rows, o.output));
      });
    }),
  );

  paging(common(program.command('events').argument('[release]')))
    .addOption(new Option('--since <time>').argParser(timeArg('--since')))
    .addOption(new Option('--until <time>').argParser(timeArg('--until')))
    .addOption(new Option('--actor <actor>'))
    .addOption(new Option('--outcome <outcomes>').argParser(outcomeArg))
    .action((name: string | undefined, o: Common & Paging & { since?: Date; until?: Date; actor?: string; outcome?: Outcome[] }) =>
      set(async () => {
        if (name !== undefined) {
          const release = releaseArg(name, 'events');
          if (o.since || o.until || o.actor) throw new AuditUsage('--since, --until and --actor query events across releases: leave out the release name, or drop them to read the release\'s whole chain', 'events');
          await withLog(o, deps, async (log) => {
            const ref = log.ref(release);
            const rows = await pages(o, deps, (p) => log.queries.releaseEvents(ref, { ...p, ...(o.outcome ? { outcome: o.outcome } : {}) }));
            deps.out.write(formatEvents(rows, o.output, false));
          });
          return;
        }
        const filter = o.outcome ? { outcome: o.outcome } : {};
        await withLog(o, deps, async (log) => {
          const rows = o.actor
            ? await pages(o, deps, (p) => log.queries.eventsByActor(o.actor!, { ...p, ...filter, ...(o.since ? { from: o.since } : {}), ...(o.until ? { to: o.until } : {}) }))
            : await pages(o, deps, (p) => log.queries.eventsByTime({ ...p, ...filter, from: o.since ?? new Date(Date.now() - 86_400_000), to: o.until ?? new Date() }));
          deps.out.write(formatEvents(rows, o.output, true));
        });
      }),
    );

  common(program.command('verify').argument('[release]'), ['table', 'json']).action((name: string | undefined, o: Common) =>
    set(async () => {
      const release = releaseArg(name, 'verify');
      await withLog(o, deps, async (log) => {
        const ref = log.ref(release);
        const verdict = await log.queries.verify(ref);
        const where = `release "${release}" in namespace "${log.namespace}" of cluster "${log.cluster}"`;
        if (o.output === 'json') deps.out.write(`${JSON.stringify({ release: ref, ...verdict })}\n`);
        if (!verdict.ok) {
          throw new AuditFinding(
            `audit log of ${where} fails verification at event ${verdict.seq} (${verdict.reason}): ${verdict.message}. ` +
              'The log was changed outside helmstep: compare the table with its point-in-time backups',
          );
        }
        if (verdict.count === 0) throw new AuditFinding(`the audit log has no events of ${where}; check -n and --cluster`);
        if (o.output === 'table') deps.out.write(`verified: ${verdict.count} events of ${where}, hash chain intact (head: event ${verdict.head!.seq}, sha256 ${verdict.head!.hash})\n`);
      });
    }),
  );

  common(program.command('reconcile').argument('[release]'))
    .addOption(new Option('-A, --all-namespaces'))
    .addOption(new Option('--history-max <n>').argParser(intArg('--history-max', 0, 1_000_000)))
    .action((name: string | undefined, o: Common & { allNamespaces?: boolean; historyMax?: number }) =>
      set(async () => {
        if (name !== undefined) releaseArg(name, 'reconcile');
        if (o.allNamespaces && (name !== undefined || o.namespace !== undefined)) throw new AuditUsage('-A reconciles every release of every namespace: give no release name and no -n with it', 'reconcile');
        const cluster = await deps.open({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), ...(o.kubeContext ? { context: o.kubeContext } : {}) });
        await withLog(o, deps, async (log) => {
          const { reconcile } = await import('../../audit/reconcile.ts');
          const namespace = o.namespace ?? (deps.env.HELM_NAMESPACE || undefined) ?? cluster.defaultNamespace;
          const report = await reconcile(
            { store: cluster.store, audit: await log.store(), queries: log.queries, cluster: log.cluster, ...(o.historyMax !== undefined ? { historyMax: o.historyMax } : {}) },
            name !== undefined ? { release: { namespace, name } } : o.allNamespaces ? {} : { namespace },
          );
          deps.out.write(formatReconcile(report, o.output));
          const unexplained = report.releases.filter((r) => r.unexplained.length > 0);
          if (unexplained.length > 0) {
            throw new AuditFinding(
              `the audit log has revisions whose release Secret is gone and that --history-max does not explain: ` +
                `${unexplained.map((r) => `${r.ref.namespace}/${r.ref.name} ${r.unexplained.map((v) => `v${v}`).join(' ')}`).join('; ')}. ` +
                'They were deleted outside helm and helmstep: find out who did (the cluster\'s audit log); the audit log keeps their copies',
            );
          }
        }, true);
      }),
    );
  return program;
}

function configure(cmd: Command): void {
  cmd
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined })
    .helpOption(false)
    .helpCommand(false)
    .showSuggestionAfterError(false)
    .allowExcessArguments(false);
  for (const sub of cmd.commands) configure(sub);
}

function usageText(message: string, sub: string | undefined): string {
  const usage = sub && USAGE[sub] ? `\nUsage:  ${USAGE[sub]}\n` : `\nRun "helmstep audit --help" for usage.\n`;
  return `Error: ${message}\n${usage}`;
}

export const audit: ServiceCommand = async (argv, deps) => {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    deps.out.write(HELP);
    return 0;
  }
  const sub = argv[0]!;
  if (argv.includes('--help') || argv.includes('-h')) {
    if (!USAGE[sub]) {
      deps.err.write(usageText(`unknown command "${sub}" for "helmstep audit" (commands: ${Object.keys(USAGE).join(', ')})`, undefined));
      return 2;
    }
    deps.out.write(`Usage:  ${USAGE[sub]}\n\n${HELP.slice(HELP.indexOf('Flags:'))}`);
    return 0;
  }
  let action: Action | undefined;
  const program = build(deps, (a) => {
    action = a;
  });
  configure(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof AuditUsage) {
      deps.err.write(usageText(e.message, e.sub ?? sub));
      return 2;
    }
    if (e instanceof CommanderError) {
      const msg =
        e.code === 'commander.unknownCommand'
          ? `unknown command "${sub}" for "helmstep audit" (commands: ${Object.keys(USAGE).join(', ')})`
          : e.message.replace(/^error: /, '');
      deps.err.write(usageText(msg, USAGE[sub] ? sub : undefined));
      return 2;
    }
    throw e;
  }
  if (!action) {
    deps.err.write(usageText(`unknown command "${sub}" for "helmstep audit"`, undefined));
    return 2;
  }
  try {
    await action(deps);
    return 0;
  } catch (e) {
    if (e instanceof AuditUsage) {
      deps.err.write(usageText(e.message, e.sub ?? sub));
      return 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    deps.err.write(`Error: ${message}\n`);
    if (deps.env.HELMSTEP_DEBUG && e instanceof Error && e.stack) deps.err.write(`${e.stack}\n`);
    return 1;
  }
};
