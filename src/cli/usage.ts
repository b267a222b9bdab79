/**
 * The command line, declared: every command's usage line, flags (helm's names, kinds, defaults and
 * help) and help pages. args.ts parses from these tables, so help and parsing cannot drift apart.
 */

export type CommandName =
  | 'history'
  | 'status'
  | 'get values'
  | 'get manifest'
  | 'get hooks'
  | 'diff'
  | 'install'
  | 'upgrade'
  | 'rollback'
  | 'test'
  | 'unlock';

export const COMMAND_NAMES: readonly CommandName[] = [
  'history',
  'status',
  'get values',
  'get manifest',
  'get hooks',
  'diff',
  'install',
  'upgrade',
  'rollback',
  'test',
  'unlock',
];

/**
 * How a flag's text becomes a value, as pflag's types do. `strings` splits on commas and repeats
 * (StringSlice), `stringArray` repeats as given, `stringToString` merges `k=v,k2=v2` maps, `ints`
 * repeats an int.
 */
export type FlagKind =
  | 'bool'
  | 'string'
  | 'int'
  | 'ints'
  | 'duration'
  | 'format'
  | 'wait'
  | 'dry-run'
  | 'strings'
  | 'stringArray'
  | 'stringToString';

export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly kind: FlagKind;
  readonly help: string;
  /** pflag's default shown in help (`(default 5m0s)`). */
  readonly defaultText?: string;
  /** Smallest accepted value of an int flag. */
  readonly min?: number;
  /** Refuse an empty value (a path or a name). */
  readonly nonEmpty?: boolean;
  /** pflag's MarkDeprecated: hidden from help; using it prints `Flag --x has been deprecated, <this>`. */
  readonly deprecated?: string;
}

/**
 * pflag's NoOptDefVal: the value of the bare flag. Such a flag takes a value only as `--flag=value`
 * (`--wait web` is `--wait=watcher` and the argument `web`).
 */
export function bareValue(kind: FlagKind): string | undefined {
  switch (kind) {
    case 'bool':
      return 'true';
    case 'wait':
      return 'watcher';
    case 'dry-run':
      return 'client';
    default:
      return undefined;
  }
}

// ---- flags (help texts are helm 4's where helm has the flag)

export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  {
    name: 'namespace',
    short: 'n',
    kind: 'string',
    nonEmpty: true,
    help: 'namespace scope for this request (default: $HELM_NAMESPACE, else the kube context\'s, else "default")',
  },
  { name: 'kubeconfig', kind: 'string', nonEmpty: true, help: 'path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' },
  { name: 'kube-context', kind: 'string', nonEmpty: true, help: 'name of the kubeconfig context to use' },
];

export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', kind: 'bool', help: 'help for this command' };

const OUTPUT: FlagSpec = {
  name: 'output',
  short: 'o',
  kind: 'format',
  defaultText: 'table',
  help: 'prints the output in the specified format. Allowed values: table, json, yaml',
};
const REVISION: FlagSpec = { name: 'revision', kind: 'int', min: 0, help: 'get the named release with revision (default: the newest)' };
const TIMEOUT: FlagSpec = {
  name: 'timeout',
  kind: 'duration',
  defaultText: '5m0s',
  help: 'time to wait for any individual Kubernetes operation (like Jobs for hooks)',
};
const WAIT: FlagSpec = {
  name: 'wait',
  kind: 'wait',
  defaultText: 'hookOnly',
  help: "if specified, wait until resources are ready (up to --timeout). Values: 'watcher', 'hookOnly', and 'legacy'.",
};
const WAIT_FOR_JOBS: FlagSpec = {
  name: 'wait-for-jobs',
  kind: 'bool',
  help: 'if set and --wait enabled, will wait until all Jobs have been completed before marking the release as successful. It will wait for as long as --timeout',
};
const HISTORY_MAX: FlagSpec = {
  name: 'history-max',
  kind: 'int',
  min: 0,
  defaultText: '10',
  help: 'limit the maximum number of revisions saved per release. Use 0 for no limit',
};
const DRY_RUN: FlagSpec = {
  name: 'dry-run',
  kind: 'dry-run',
  defaultText: '"none"',
  help: 'simulates the operation without persisting changes. Must be one of: "none" (default), "client", or "server"; the bare flag means "client"',
};
const cleanupOnFail = (what: string): FlagSpec => ({
  name: 'cleanup-on-fail',
  kind: 'bool',
  help: `allow deletion of new resources created in this ${what} when ${what} fails`,
});

/** How a release-changing command runs: the state machines (default) or the steps in sequence. */
const ENGINE: FlagSpec = {
  name: 'engine',
  kind: 'string',
  defaultText: 'statemachine',
  help: 'statemachine: run the deploy/rollback state machine (the same ASL as in AWS) in the local Step Functions engine; direct: run the same steps in sequence in this process',
};

/** Where the chart comes from when it is not a local path: an HTTPS repository or an OCI registry. */
const CHART_SOURCE_FLAGS: readonly FlagSpec[] = [
  { name: 'repo', kind: 'string', nonEmpty: true, help: 'chart repository url where to locate the requested chart' },
  { name: 'ca-file', kind: 'string', nonEmpty: true, help: 'verify certificates of HTTPS-enabled servers using this CA bundle' },
  { name: 'insecure-skip-tls-verify', kind: 'bool', help: 'skip tls certificate checks for the chart download' },
  { name: 'plain-http', kind: 'bool', help: 'use insecure HTTP connections for the chart download' },
  { name: 'username', kind: 'string', help: 'chart repository username where to locate the requested chart' },
  { name: 'password', kind: 'string', help: 'chart repository password where to locate the requested chart' },
];

/** The health gate after readiness: Prometheus checks, CloudWatch alarms, test hooks, through a bake time. */
const GATE_FLAGS: readonly FlagSpec[] = [
  {
    name: 'gate-prometheus',
    kind: 'stringArray',
    help: "a Prometheus check 'QUERY<0.01' (also <=, >, >=; 'name=QUERY<0.01' names it), evaluated through the bake time (can specify multiple)",
  },
  { name: 'gate-prometheus-url', kind: 'string', nonEmpty: true, help: 'the Prometheus base URL the checks query (default: $HELMSTEP_PROMETHEUS_URL)' },
  { name: 'gate-alarm', kind: 'stringArray', help: 'a CloudWatch alarm that must stay OK through the bake time (can specify multiple)' },
  { name: 'gate-tests', kind: 'bool', help: "run the chart's test hooks as part of the health gate" },
  { name: 'bake', kind: 'duration', help: 'how long every gate check must hold after the release is ready (e.g. 5m)' },
  { name: 'gate-interval', kind: 'duration', defaultText: '10s', help: 'time between gate evaluations' },
  { name: 'gate-failure-limit', kind: 'int', min: 0, defaultText: '0', help: 'failed measurements tolerated per Prometheus check' },
  { name: 'gate-file', kind: 'string', nonEmpty: true, help: 'a YAML gate file (bake, interval, prometheus, alarms, tests) instead of the gate flags' },
  {
    name: 'no-rollback-on-gate-failure',
    kind: 'bool',
    help: 'leave a release that failed its health gate failed instead of rolling it back to the last good revision',
  },
];

/** install and upgrade: the chart, its values, and how to apply and wait. */
function chartFlags(what: 'install' | 'upgrade'): FlagSpec[] {
  return [
    ...CHART_SOURCE_FLAGS,
    ...GATE_FLAGS,
    ENGINE,
    { name: 'values', short: 'f', kind: 'strings', help: 'specify values in a YAML file or a URL (can specify multiple)' },
    {
      name: 'set',
      kind: 'stringArray',
      help: 'set values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)',
    },
    {
      name: 'set-string',
      kind: 'stringArray',
      help: 'set STRING values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)',
    },
    {
      name: 'version',
      kind: 'string',
      help: 'specify a version constraint for the chart version to use. This constraint can be a specific tag (e.g. 1.1.1) or it may reference a valid range (e.g. ^2.0.0). If this is not specified, the latest version is used',
    },
    WAIT,
    WAIT_FOR_JOBS,
    TIMEOUT,
    {
      name: 'rollback-on-failure',
      kind: 'bool',
      help:
        what === 'install'
          ? 'if set, Helm will rollback (uninstall) the installation upon failure. The --wait flag will be defaulted to "watcher" if --rollback-on-failure is set'
          : 'if set, Helm will rollback the upgrade to previous success release upon failure. The --wait flag will be defaulted to "watcher" if --rollback-on-failure is set',
    },
    { name: 'atomic', kind: 'bool', help: 'deprecated', deprecated: 'use --rollback-on-failure instead' },
    cleanupOnFail(what),
    HISTORY_MAX,
    { name: 'description', kind: 'string', help: 'add a custom description' },
    { name: 'force-conflicts', kind: 'bool', help: 'if set server-side apply will force changes against conflicts' },
    {
      name: 'labels',
      short: 'l',
      kind: 'stringToString',
      defaultText: '[]',
      help:
        what === 'install'
          ? 'Labels that would be added to release metadata. Should be divided by comma.'
          : 'Labels that would be added to release metadata. Should be separated by comma. Original release labels will be merged with upgrade labels. You can unset label using null.',
    },
    DRY_RUN,
    OUTPUT,
  ];
}

export const FLAGS: Readonly<Record<CommandName, readonly FlagSpec[]>> = {
  history: [
    { name: 'max', kind: 'int', min: 0, defaultText: '256', help: 'maximum number of revision to include in history' },
    OUTPUT,
  ],
  status: [REVISION, OUTPUT, { name: 'show-desc', kind: 'bool', help: 'if set, display the description message of the named release' }],
  'get values': [{ name: 'all', short: 'a', kind: 'bool', help: 'dump all (computed) values' }, REVISION, OUTPUT],
  'get manifest': [REVISION],
  'get hooks': [REVISION],
  diff: [{ name: 'revision', kind: 'ints', min: 1, help: 'a revision to compare (give it twice: from, then to)' }],
  install: chartFlags('install'),
  upgrade: [
    { name: 'install', short: 'i', kind: 'bool', help: "if a release by this name doesn't already exist, run an install" },
    ...chartFlags('upgrade'),
  ],
  rollback: [
    ENGINE,
    cleanupOnFail('rollback'),
    DRY_RUN,
    { name: 'force', kind: 'bool', help: 'roll back even when the plan refuses it (API version not served, migration since the target, storage change); recorded in the description' },
    HISTORY_MAX,
    TIMEOUT,
    WAIT,
    WAIT_FOR_JOBS,
  ],
  test: [
    TIMEOUT,
    { name: 'logs', kind: 'bool', help: 'dump the logs from test pods (this runs after all tests are complete, but before any cleanup)' },
  ],
  unlock: [
    { name: 'force', kind: 'bool', help: 'release the lock even if the pending operation may still be running' },
    { name: 'reason', kind: 'string', help: 'why the lock is released, recorded in the description of the failed revision' },
  ],
};

/** Positional arguments after the command words: [min, max]. */
export const ARITY: Readonly<Record<CommandName, readonly [number, number]>> = {
  history: [1, 1],
  status: [1, 1],
  'get values': [1, 1],
  'get manifest': [1, 1],
  'get hooks': [1, 1],
  diff: [1, 3],
  install: [2, 2],
  upgrade: [2, 2],
  rollback: [1, 2],
  test: [1, 1],
  unlock: [1, 1],
};

// ---- help pages

export const USAGE: Record<CommandName, string> = {
  history: 'helmstep history RELEASE_NAME [flags]',
  status: 'helmstep status RELEASE_NAME [flags]',
  'get values': 'helmstep get values RELEASE_NAME [flags]',
  'get manifest': 'helmstep get manifest RELEASE_NAME [flags]',
  'get hooks': 'helmstep get hooks RELEASE_NAME [flags]',
  diff: 'helmstep diff RELEASE_NAME [REVISION_A [REVISION_B]] [flags]',
  install: 'helmstep install RELEASE_NAME CHART [flags]',
  upgrade: 'helmstep upgrade RELEASE_NAME CHART [flags]',
  rollback: 'helmstep rollback RELEASE_NAME [REVISION] [flags]',
  test: 'helmstep test RELEASE_NAME [flags]',
  unlock: 'helmstep unlock RELEASE_NAME [flags]',
};

const SHORT: Record<CommandName, string> = {
  history: 'revision history of a release',
  status: 'status of a release',
  'get values': 'user-supplied (or, with --all, computed) values of a release',
  'get manifest': 'manifest of a release',
  'get hooks': 'hooks of a release',
  diff: "unified diff of two revisions' manifests and values",
  install: 'install a chart as a new release',
  upgrade: 'upgrade a release to a new chart or new values',
  rollback: 'roll back a release to a previous revision',
  test: "run a release's test hooks",
  unlock: 'release the lock a crashed operation left on a release',
};

const DETAILS: Record<CommandName, string> = {
  history: 'Prints the revisions of a release, as helm history does (same columns and JSON/YAML keys).',
  status:
    "Shows the status of a release as recorded in its release Secret (helm 3's layout; live resources are not queried).",
  'get values': "Prints the user-supplied values of a release (with --all, the chart's values coalesced under them).",
  'get manifest': 'Prints the manifest a release rendered (hooks excluded).',
  'get hooks': 'Prints the hook manifests of a release.',
  diff: `Prints the unified diff between two revisions of a release: first the manifests, then the
user-supplied values (as get values prints them). With no revision, the previous revision is
compared with the newest; with one, that revision with the newest. --revision may be given twice
instead of the positional revisions. Prints nothing when the revisions are the same.`,
  install: `Installs a chart as a new release, recorded in helm's release Secrets so that helm 3 and 4
read, upgrade and roll it back.

The chart is a chart directory, a packaged chart or a URL. Values come from --values/-f files
(the right-most wins), then --set and --set-string in the order given (the last wins).`,
  upgrade: `Upgrades a release to a new version of a chart, or the same chart with new values, as helm
upgrade does. With --install, a release that does not exist yet (or was uninstalled) is installed.

Values come from --values/-f files (the right-most wins), then --set and --set-string in the order
given (the last wins). --wait=watcher waits until the release's resources are ready (up to
--timeout); --rollback-on-failure rolls back to the last successful revision when the upgrade fails.`,
  rollback: `Rolls a release back to a previous revision: the revision's chart, values and manifest become
a new revision. REVISION 0 or no REVISION means the previous revision.

The rollback is planned first and refused, with the reason, when the target uses an API version
the cluster no longer serves, when a migration hook (helmstep.dev/migration: "true") ran in a
later revision (fix forward instead), or when storage would change; --force overrides that and
records it in the revision's description. Objects changed outside helm (kubectl edit) are
reported. --dry-run prints the plan and a diff and changes nothing.`,
  test: "Runs the release's test hooks (helm.sh/hook: test) and reports each one's phase.",
  unlock: `A release whose newest revision is pending-install, pending-upgrade or pending-rollback is
locked: helm and helmstep refuse to change it. When the operation that holds the lock crashed,
unlock marks that revision failed, so the release can be upgraded or rolled back again.
It refuses while the pending operation may still be running, unless --force.`,
};

/** pflag's column: `  -o, --output format` or `      --timeout duration`, with `[=value]` for NoOptDefVal. */
function flagColumn(spec: FlagSpec): string {
  const names = spec.short ? `  -${spec.short}, --${spec.name}` : `      --${spec.name}`;
  const type: Record<FlagKind, string> = {
    bool: '',
    string: 'string',
    int: 'int',
    ints: 'int',
    duration: 'duration',
    format: 'format',
    wait: 'WaitStrategy[=watcher]',
    'dry-run': 'string[="client"]',
    strings: 'strings',
    stringArray: 'stringArray',
    stringToString: 'stringToString',
  };
  const t = type[spec.kind];
  return t ? `${names} ${t}` : names;
}

/** Flags as pflag prints them: sorted by name, descriptions in one column, defaults at the end. */
export function flagTable(specs: readonly FlagSpec[]): string {
  const visible = specs.filter((s) => !s.deprecated).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const width = Math.max(...visible.map((s) => flagColumn(s).length));
  return visible
    .map((s) => {
      const text = s.defaultText === undefined ? s.help : `${s.help} (default ${s.defaultText})`;
      return `${flagColumn(s).padEnd(width)}   ${text}`;
    })
    .join('\n');
}

export function commandHelp(name: CommandName): string {
  const help: FlagSpec = { ...HELP_FLAG, help: `help for ${name.replace('get ', '')}` };
  return `${DETAILS[name]}

Usage:  ${USAGE[name]}

Flags:
${flagTable([...FLAGS[name], help])}

Global Flags:
${flagTable(GLOBAL_FLAGS)}
`;
}

const commandList = COMMAND_NAMES.map((n) => `  ${n.padEnd(14)} ${SHORT[n]}`).join('\n');

export const MAIN_HELP = `helmstep reads and changes Helm releases through the cluster's Helm release Secrets
(helm.sh/release.v1), byte-compatible with the helm 3 and 4 CLI.

Usage:  helmstep COMMAND RELEASE_NAME [flags]

Commands:
${commandList}

Service commands (each has its own --help):
  audit      query and verify the audit log: history, events, verify, reconcile
  serve      run the service here: webhooks, alarms, audit API and /metrics
  ack        lift a release's deploy freeze after an alarm rollback

Flags:
${flagTable([...GLOBAL_FLAGS, HELP_FLAG])}

Use "helmstep COMMAND --help" for more about a command.
`;
