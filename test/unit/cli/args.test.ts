import { beforeEach, describe, expect, it, vi } from 'vitest';

import { parseArgv, parseCommandLine, type Command } from '../../../src/cli/args.ts';
import { runAction } from '../../../src/cli/commands/actions.ts';
import { UsageError } from '../../../src/cli/errors.ts';
import { run } from '../../../src/cli/run.ts';
import { COMMAND_NAMES, commandHelp, FLAGS, MAIN_HELP } from '../../../src/cli/usage.ts';
import type { ReleaseStore } from '../../../src/store/release-store.ts';

// run() hands action commands to runAction; record what it receives instead of running the engine.
vi.mock('../../../src/cli/commands/actions.ts', () => ({ runAction: vi.fn(() => Promise.resolve(0)) }));

const words = (line: string) => line.split(' ').filter(Boolean);
const parse = (line: string) => parseCommandLine(words(line));

function refusal(line: string): UsageError {
  try {
    parse(line);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`helmstep ${line} was accepted`);
}

/** What install/upgrade give when only the release and chart are named. */
const CHART_DEFAULTS = {
  chart: './chart',
  valueFiles: [],
  settings: [],
  wait: 'hookOnly',
  waitForJobs: false,
  timeoutMs: 300_000,
  rollbackOnFailure: false,
  cleanupOnFail: false,
  historyMax: 10,
  forceConflicts: false,
  labels: {},
  dryRun: 'none',
  output: 'table',
  source: { insecureSkipTlsVerify: false, plainHttp: false },
  gate: { prometheus: [], alarms: [], tests: false, rollbackOnFailure: true },
  engine: 'statemachine',
} as const;
const ROLLBACK_DEFAULTS = {
  dryRun: 'none',
  force: false,
  wait: 'hookOnly',
  waitForJobs: false,
  timeoutMs: 300_000,
  cleanupOnFail: false,
  historyMax: 10,
  engine: 'statemachine',
} as const;
const install = (extra: object = {}) => ({ kind: 'install', release: 'web', ...CHART_DEFAULTS, ...extra });
const upgrade = (extra: object = {}) => ({ kind: 'upgrade', release: 'web', install: false, ...CHART_DEFAULTS, ...extra });

describe('parseCommandLine: reading commands', () => {
  it.each<[string, Command]>([
    ['history web', { kind: 'history', release: 'web', max: 256, output: 'table' }],
    ['history web -n prod --max 3 -o json', { kind: 'history', release: 'web', namespace: 'prod', max: 3, output: 'json' }],
    ['-n prod history web --output=yaml', { kind: 'history', release: 'web', namespace: 'prod', max: 256, output: 'yaml' }],
    // the verb is the first word that is not a flag's value: here `status` is the namespace
    ['-n status history web', { kind: 'history', release: 'web', namespace: 'status', max: 256, output: 'table' }],
    ['--namespace get get values web', { kind: 'get values', release: 'web', namespace: 'get', all: false, output: 'table' }],
    ['--kubeconfig /k --kube-context c -n=prod status web', { kind: 'status', release: 'web', namespace: 'prod', kubeconfig: '/k', kubeContext: 'c', output: 'table', showDescription: false }],
    ['history web -nprod -ojson', { kind: 'history', release: 'web', namespace: 'prod', max: 256, output: 'json' }],
    ['history web --max=0x10', { kind: 'history', release: 'web', max: 16, output: 'table' }],
    ['history web --max 3 --max 5', { kind: 'history', release: 'web', max: 5, output: 'table' }],
    ['history -- web', { kind: 'history', release: 'web', max: 256, output: 'table' }],
    [
      'get values web --all --revision 2 -o json --kubeconfig /k --kube-context c',
      { kind: 'get values', release: 'web', all: true, revision: 2, output: 'json', kubeconfig: '/k', kubeContext: 'c' },
    ],
    ['get values web -a', { kind: 'get values', release: 'web', all: true, output: 'table' }],
    ['get values -a web', { kind: 'get values', release: 'web', all: true, output: 'table' }],
    ['get values web --all=false', { kind: 'get values', release: 'web', all: false, output: 'table' }],
    ['get values web --revision 0', { kind: 'get values', release: 'web', all: false, output: 'table' }],
    ['get manifest web --revision=1', { kind: 'get manifest', release: 'web', revision: 1 }],
    ['get hooks web', { kind: 'get hooks', release: 'web' }],
    ['status web --show-desc -o json', { kind: 'status', release: 'web', output: 'json', showDescription: true }],
    ['diff web', { kind: 'diff', release: 'web' }],
    ['diff web 1 3', { kind: 'diff', release: 'web', from: 1, to: 3 }],
    ['diff web --revision 1 --revision 3', { kind: 'diff', release: 'web', from: 1, to: 3 }],
    ['diff web 2', { kind: 'diff', release: 'web', from: 2 }],
  ])('reads `helmstep %s`', (line, want) => {
    expect(parse(line)).toEqual(want);
  });
});

describe('parseCommandLine: install and upgrade', () => {
  it.each<[string, object]>([
    ['install web ./chart', install()],
    ['upgrade web ./chart', upgrade()],
    ['upgrade -i web ./chart', upgrade({ install: true })],
    ['-n shop upgrade --install web ./chart', upgrade({ install: true, namespace: 'shop' })],
    // the health gate's flags, kept as given (src/gate turns them into a spec)
    [
      "upgrade web ./chart --gate-prometheus err=sum(rate(e[1m]))<0.01 --gate-prometheus p99<0.5 --gate-prometheus-url http://prom:9090 --gate-alarm api-5xx --gate-tests --bake 5m --gate-interval 15s --gate-failure-limit 2 --no-rollback-on-gate-failure",
      upgrade({
        gate: {
          prometheus: ['err=sum(rate(e[1m]))<0.01', 'p99<0.5'],
          prometheusUrl: 'http://prom:9090',
          alarms: ['api-5xx'],
          tests: true,
          bakeSeconds: 300,
          intervalSeconds: 15,
          failureLimit: 2,
          rollbackOnFailure: false,
        },
      }),
    ],
    ['upgrade web ./chart --gate-file gate.yaml', upgrade({ gate: { ...CHART_DEFAULTS.gate, file: 'gate.yaml' } })],
    // where the chart comes from, as helm's flags
    [
      'install web mychart --repo https://charts.example.com --version 1.2.3 --ca-file ca.pem --username u --password p',
      install({ chart: 'mychart', version: '1.2.3', source: { repo: 'https://charts.example.com', caFile: 'ca.pem', insecureSkipTlsVerify: false, plainHttp: false, username: 'u', password: 'p' } }),
    ],
    ['install web oci://localhost:5000/charts/web --plain-http', install({ chart: 'oci://localhost:5000/charts/web', source: { insecureSkipTlsVerify: false, plainHttp: true } })],
    ['upgrade web ./chart --engine direct', upgrade({ engine: 'direct' })],
    // -f and --set/--set-string keep their order; -f splits on commas as helm's StringSlice, --set does not
    [
      'upgrade web ./chart -f a.yaml --set x=1 --set-string y=2 -f b.yaml,c.yaml --set x=3,z=4 --values=d.yaml',
      upgrade({
        valueFiles: ['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml'],
        settings: [
          { kind: 'set', value: 'x=1' },
          { kind: 'set-string', value: 'y=2' },
          { kind: 'set', value: 'x=3,z=4' },
        ],
      }),
    ],
    ['install web ./chart --set-string a=1 --set b=2', install({ settings: [{ kind: 'set-string', value: 'a=1' }, { kind: 'set', value: 'b=2' }] })],
    // --wait: pflag NoOptDefVal, a value only with `=`
    ['upgrade web ./chart --wait', upgrade({ wait: 'watcher' })],
    ['upgrade --wait web ./chart', upgrade({ wait: 'watcher' })],
    ['upgrade web ./chart --wait=watcher', upgrade({ wait: 'watcher' })],
    ['upgrade web ./chart --wait=hookOnly', upgrade({ wait: 'hookOnly' })],
    ['upgrade web ./chart --wait=legacy', upgrade({ wait: 'legacy' })],
    ['upgrade web ./chart --wait=true', upgrade({ wait: 'watcher' })],
    ['upgrade web ./chart --wait=false', upgrade({ wait: 'hookOnly' })],
    ['upgrade web ./chart --wait --wait=legacy', upgrade({ wait: 'legacy' })],
    // --rollback-on-failure turns the default hookOnly into watcher, as helm's action does
    ['upgrade web ./chart --rollback-on-failure', upgrade({ rollbackOnFailure: true, wait: 'watcher' })],
    ['upgrade web ./chart --atomic', upgrade({ rollbackOnFailure: true, wait: 'watcher' })],
    ['install web ./chart --atomic --wait=legacy', install({ rollbackOnFailure: true, wait: 'legacy' })],
    ['upgrade web ./chart --rollback-on-failure=false', upgrade()],
    // durations and ints
    ['upgrade web ./chart --timeout 1h2m3.5s', upgrade({ timeoutMs: 3_723_500 })],
    ['upgrade web ./chart --timeout=300ms', upgrade({ timeoutMs: 300 })],
    ['upgrade web ./chart --timeout 0', upgrade({ timeoutMs: 0 })],
    ['upgrade web ./chart --history-max 0', upgrade({ historyMax: 0 })],
    ['upgrade web ./chart --history-max=3', upgrade({ historyMax: 3 })],
    // labels: pflag's stringToString, merged over repeats
    ['upgrade web ./chart -l team=a,tier=web --labels tier=api', upgrade({ labels: { team: 'a', tier: 'api' } })],
    ['upgrade web ./chart -l team=null', upgrade({ labels: { team: 'null' } })],
    ['install web ./chart -l example.com/owner=me', install({ labels: { 'example.com/owner': 'me' } })],
    // --dry-run: bare = client
    ['upgrade web ./chart --dry-run', upgrade({ dryRun: 'client' })],
    ['upgrade web ./chart --dry-run=server', upgrade({ dryRun: 'server' })],
    ['upgrade web ./chart --dry-run=none', upgrade({ dryRun: 'none' })],
    ['upgrade web ./chart --dry-run=true', upgrade({ dryRun: 'client' })],
    [
      'upgrade web ./chart --version ^1.2 --description hello --force-conflicts --wait-for-jobs --cleanup-on-fail -o json',
      upgrade({ version: '^1.2', description: 'hello', forceConflicts: true, waitForJobs: true, cleanupOnFail: true, output: 'json' }),
    ],
    // a value-taking flag takes the next argument, even one that looks like a flag
    ['upgrade web ./chart --description --wait', upgrade({ description: '--wait' })],
  ])('reads `helmstep %s`', (line, want) => {
    expect(parse(line)).toEqual(want);
  });
});

describe('parseCommandLine: -f reads a CSV record, as pflag\'s StringSlice', () => {
  it('keeps a quoted comma inside one file name', () => {
    expect(parseCommandLine(['install', 'web', './chart', '-f', '"my,values.yaml",b.yaml'])).toMatchObject({ valueFiles: ['my,values.yaml', 'b.yaml'] });
  });

  it('refuses a stray quote', () => {
    expect(() => parseCommandLine(['install', 'web', './chart', '-f', 'a,b"c'])).toThrow(
      'invalid argument "a,b\\"c" for "-f, --values" flag: parse error on line 1, column 4: bare " in non-quoted-field',
    );
  });
});

describe('parseCommandLine: rollback, test, unlock', () => {
  it.each<[string, object]>([
    ['rollback web', { kind: 'rollback', release: 'web', ...ROLLBACK_DEFAULTS }],
    ['rollback web 0', { kind: 'rollback', release: 'web', ...ROLLBACK_DEFAULTS }],
    ['rollback web 3', { kind: 'rollback', release: 'web', revision: 3, ...ROLLBACK_DEFAULTS }],
    ['rollback web -- 3', { kind: 'rollback', release: 'web', revision: 3, ...ROLLBACK_DEFAULTS }],
    [
      'rollback web 2 --dry-run --force --wait --wait-for-jobs --timeout 90s --cleanup-on-fail --history-max 4 -n shop',
      { kind: 'rollback', release: 'web', revision: 2, namespace: 'shop', dryRun: 'client', force: true, wait: 'watcher', waitForJobs: true, timeoutMs: 90_000, cleanupOnFail: true, historyMax: 4, engine: 'statemachine' },
    ],
    ['rollback web --engine=direct', { kind: 'rollback', release: 'web', ...ROLLBACK_DEFAULTS, engine: 'direct' }],
    ['test web', { kind: 'test', release: 'web', timeoutMs: 300_000, logs: false }],
    ['test web --logs --timeout 2m', { kind: 'test', release: 'web', timeoutMs: 120_000, logs: true }],
    ['unlock web', { kind: 'unlock', release: 'web', force: false }],
    ['unlock web --force --reason=crashed', { kind: 'unlock', release: 'web', force: true, reason: 'crashed' }],
  ])('reads `helmstep %s`', (line, want) => {
    expect(parse(line)).toEqual(want);
  });

  it('keeps a reason with spaces as one argument', () => {
    expect(parseCommandLine(['unlock', 'web', '--reason', 'lambda timed out'])).toEqual({ kind: 'unlock', release: 'web', force: false, reason: 'lambda timed out' });
  });
});

describe('parseCommandLine: help', () => {
  it.each<[string, Command]>([
    ['', { kind: 'help' }],
    ['--help', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['-n prod', { kind: 'help' }],
    ['history -h', { kind: 'help', command: 'history' }],
    ['-h upgrade', { kind: 'help', command: 'upgrade' }],
    ['get values --help', { kind: 'help', command: 'get values' }],
    ['help rollback', { kind: 'help', command: 'rollback' }],
    ['help get hooks', { kind: 'help', command: 'get hooks' }],
    ['get --help', { kind: 'help' }],
    // help before arity, as cobra
    ['install --help', { kind: 'help', command: 'install' }],
    ['upgrade web ./chart --set a=1 --help', { kind: 'help', command: 'upgrade' }],
  ])('reads `helmstep %s`', (line, want) => {
    expect(parse(line)).toEqual(want);
  });
});

describe('parseCommandLine: usage errors', () => {
  it.each<[string, string, string | undefined]>([
    // arity
    ['history', '"helmstep history" requires 1 argument, got 0', 'history'],
    ['history a b', '"helmstep history" requires 1 argument, got 2', 'history'],
    ['install web', '"helmstep install" requires 2 arguments, got 1', 'install'],
    ['upgrade web ./chart extra', '"helmstep upgrade" requires 2 arguments, got 3', 'upgrade'],
    ['upgrade web ./chart --wait watcher', '"helmstep upgrade" requires 2 arguments, got 3', 'upgrade'],
    ['rollback', '"helmstep rollback" requires 1 to 2 arguments, got 0', 'rollback'],
    ['rollback web 1 2', '"helmstep rollback" requires 1 to 2 arguments, got 3', 'rollback'],
    ['test', '"helmstep test" requires 1 argument, got 0', 'test'],
    ['unlock web other', '"helmstep unlock" requires 1 argument, got 2', 'unlock'],
    // how it runs, and the gate's durations
    ['upgrade web ./chart --engine=lambda', 'invalid argument "lambda" for "--engine" flag: must be statemachine or direct', 'upgrade'],
    ['upgrade web ./chart --bake 5', 'invalid argument "5" for "--bake" flag: time: missing unit in duration "5"', 'upgrade'],
    // unknown flags, per command, worded as pflag
    ['history web --bogus', 'unknown flag: --bogus', 'history'],
    ['history web --bogus=1', 'unknown flag: --bogus', 'history'],
    ['history web -x', "unknown shorthand flag: 'x' in -x", 'history'],
    ['history web -a', "unknown shorthand flag: 'a' in -a", 'history'],
    ['history web --all', 'unknown flag: --all', 'history'],
    ['get manifest web --all', 'unknown flag: --all', 'get manifest'],
    ['get values web -ax', "unknown shorthand flag: 'x' in -ax", 'get values'],
    ['install web ./chart --install', 'unknown flag: --install', 'install'],
    ['install web ./chart -i', "unknown shorthand flag: 'i' in -i", 'install'],
    ['rollback web --set a=1', 'unknown flag: --set', 'rollback'],
    ['rollback web --atomic', 'unknown flag: --atomic', 'rollback'],
    ['test web --wait', 'unknown flag: --wait', 'test'],
    ['unlock web --timeout 1m', 'unknown flag: --timeout', 'unlock'],
    ['status web -f values.yaml', "unknown shorthand flag: 'f' in -f", 'status'],
    // a command's flag before the verb is not a global flag (helm says the same)
    ['-o json history web', "unknown shorthand flag: 'o' in -o", undefined],
    ['--max 3 history web', 'unknown flag: --max', undefined],
    // missing values
    ['history web --max', 'flag needs an argument: --max', 'history'],
    ['upgrade web ./chart --timeout', 'flag needs an argument: --timeout', 'upgrade'],
    ['upgrade web ./chart --set', 'flag needs an argument: --set', 'upgrade'],
    ['history web -n', "flag needs an argument: 'n' in -n", undefined],
    ['history web --namespace', 'flag needs an argument: --namespace', undefined],
    // bad values
    ['history web -o xml', 'invalid argument "xml" for "-o, --output" flag: invalid format type', 'history'],
    ['history web --max lots', 'invalid argument "lots" for "--max" flag: strconv.ParseInt: parsing "lots": invalid syntax', 'history'],
    ['history web --max 1.5', 'invalid argument "1.5" for "--max" flag: strconv.ParseInt: parsing "1.5": invalid syntax', 'history'],
    ['history web --max 08', 'invalid argument "08" for "--max" flag: strconv.ParseInt: parsing "08": invalid syntax', 'history'],
    ['history web --max 99999999999999999999', 'invalid argument "99999999999999999999" for "--max" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range', 'history'],
    ['upgrade web ./chart --history-max ten', 'invalid argument "ten" for "--history-max" flag: strconv.ParseInt: parsing "ten": invalid syntax', 'upgrade'],
    ['upgrade web ./chart --history-max -1', 'invalid argument "-1" for "--history-max" flag: must not be negative', 'upgrade'],
    ['get values web --revision -1', 'invalid argument "-1" for "--revision" flag: must not be negative', 'get values'],
    ['get values web --all=yes', 'invalid argument "yes" for "-a, --all" flag: strconv.ParseBool: parsing "yes": invalid syntax', 'get values'],
    ['upgrade web ./chart --timeout 5x', 'invalid argument "5x" for "--timeout" flag: time: unknown unit "x" in duration "5x"', 'upgrade'],
    ['upgrade web ./chart --timeout 5', 'invalid argument "5" for "--timeout" flag: time: missing unit in duration "5"', 'upgrade'],
    ['test web --timeout 1d', 'invalid argument "1d" for "--timeout" flag: time: unknown unit "d" in duration "1d"', 'test'],
    ['rollback web --timeout=-1s', 'invalid argument "-1s" for "--timeout" flag: must not be negative', 'rollback'],
    ['install web ./chart --timeout=', 'invalid argument "" for "--timeout" flag: time: invalid duration ""', 'install'],
    ['upgrade web ./chart --wait=always', 'invalid argument "always" for "--wait" flag: invalid wait input "always". Valid inputs are watcher, hookOnly, and legacy', 'upgrade'],
    ['upgrade web ./chart --dry-run=maybe', 'invalid dry-run value ("maybe"). Must be "none", "server", or "client"', 'upgrade'],
    ['upgrade web ./chart --atomic=yes', 'invalid argument "yes" for "--atomic" flag: strconv.ParseBool: parsing "yes": invalid syntax', 'upgrade'],
    ['upgrade web ./chart -l tier', 'invalid argument "tier" for "-l, --labels" flag: tier must be formatted as key=value', 'upgrade'],
    ['upgrade web ./chart -l a=1,b=2,c', 'invalid argument "a=1,b=2,c" for "-l, --labels" flag: c must be formatted as key=value', 'upgrade'],
    [
      'upgrade web ./chart -l note=a,b',
      'invalid argument "note=a,b" for "-l, --labels" flag: label value "a,b" of "note" is not a valid Kubernetes label value (at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit)',
      'upgrade',
    ],
    [
      'upgrade web ./chart -l status=x',
      'invalid argument "status=x" for "-l, --labels" flag: user supplied labels contains system reserved label name. System labels: [name owner status version createdAt modifiedAt]',
      'upgrade',
    ],
    ['install web ./chart -l -bad=1', 'invalid argument "-bad=1" for "-l, --labels" flag: label key "-bad" is not a valid Kubernetes label name', 'install'],
    ['-n= history web', 'invalid argument "" for "-n, --namespace" flag: must not be empty', undefined],
    // positional values and names
    ['rollback web two', 'invalid argument "two" for REVISION: strconv.Atoi: parsing "two": invalid syntax', 'rollback'],
    ['rollback web -- -1', 'invalid argument "-1" for REVISION: must not be negative', 'rollback'],
    ['diff web one', 'invalid argument "one" for REVISION: strconv.Atoi: parsing "one": invalid syntax', 'diff'],
    ['diff web 1 2 --revision 3', 'give at most two revisions (positional or --revision)', 'diff'],
    [
      'install Web ./chart',
      'release name "Web": invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than 53',
      'install',
    ],
    // commands
    ['instal web ./chart', 'unknown command "instal" for "helmstep" (commands: history, status, get values, get manifest, get hooks, diff, install, upgrade, rollback, test, unlock)', undefined],
    ['get notes web', 'unknown command "get notes" for "helmstep" (commands: history, status, get values, get manifest, get hooks, diff, install, upgrade, rollback, test, unlock)', undefined],
    ['get', '"helmstep get" needs a subcommand: values, manifest or hooks', undefined],
    ['help nothing', 'unknown command "nothing" for "helmstep" (commands: history, status, get values, get manifest, get hooks, diff, install, upgrade, rollback, test, unlock)', undefined],
    ['--bogus', 'unknown flag: --bogus', undefined],
  ])('refuses `helmstep %s`', (line, message, command) => {
    const err = refusal(line);
    expect(err.message).toBe(message);
    expect(err.command).toBe(command);
  });

  it('takes a release name of 53 characters, not 54', () => {
    expect(parse(`unlock ${'a'.repeat(53)}`)).toMatchObject({ kind: 'unlock' });
    expect(refusal(`unlock ${'a'.repeat(54)}`).message).toMatch(/^release name "a{54}": invalid release name/);
  });

  it('refuses an empty release name and an empty chart', () => {
    expect(() => parseCommandLine(['history', ''])).toThrow('the release name must not be empty');
    expect(() => parseCommandLine(['install', 'web', ''])).toThrow('the chart must not be empty');
  });
});

describe('parseArgv: deprecation notices, worded as helm prints them', () => {
  it.each<[string, string[]]>([
    ['upgrade web ./chart', []],
    ['upgrade web ./chart --atomic', ['Flag --atomic has been deprecated, use --rollback-on-failure instead']],
    ['rollback web --force', []],
    ['unlock web --force', []],
    ['upgrade web ./chart --wait=true', ['level=WARN msg="--wait=true is deprecated (boolean value) and can be replaced with --wait=watcher"']],
    ['rollback web --dry-run=false', [`level=WARN msg="boolean '--dry-run=false' flag is deprecated and must be replaced with '--dry-run=none'"`]],
  ])('`helmstep %s`', (line, warnings) => {
    expect(parseArgv(words(line)).warnings).toEqual(warnings);
  });
});

describe('help pages', () => {
  it.each(COMMAND_NAMES)('%s lists every flag it accepts, with helm-style types and defaults', (name) => {
    const page = commandHelp(name);
    for (const spec of FLAGS[name]) {
      if (spec.deprecated) expect(page).not.toContain(`--${spec.name} `);
      else expect(page).toMatch(new RegExp(`${spec.short ? `-${spec.short}, ` : ' {6}'}--${spec.name}\\b`));
    }
    expect(page).toContain('-n, --namespace string');
    expect(page).toContain('-h, --help');
  });

  it('prints pflag columns and defaults', () => {
    const page = commandHelp('upgrade');
    expect(page).toContain('Usage:  helmstep upgrade RELEASE_NAME CHART [flags]');
    expect(page).toMatch(/\n {6}--timeout duration +time to wait for any individual Kubernetes operation \(like Jobs for hooks\) \(default 5m0s\)\n/);
    expect(page).toMatch(/\n {6}--wait WaitStrategy\[=watcher\] +if specified, .* \(default hookOnly\)\n/);
    expect(page).toMatch(/\n {2}-f, --values strings +specify values in a YAML file/);
    expect(page).toMatch(/\n {6}--history-max int +limit the maximum number of revisions saved per release\. Use 0 for no limit \(default 10\)\n/);
    expect(page).not.toContain('--atomic');
    // sorted by name, as pflag prints them
    expect(page.indexOf('--cleanup-on-fail')).toBeLessThan(page.indexOf('--description'));
    expect(page.indexOf('--values')).toBeLessThan(page.indexOf('--wait '));
  });

  it('the main page names every command', () => {
    for (const name of COMMAND_NAMES) expect(MAIN_HELP).toContain(`\n  ${name} `);
  });
});

describe('run: action commands', () => {
  const runActionMock = vi.mocked(runAction);
  beforeEach(() => runActionMock.mockClear());

  async function helmstep(line: string, env: Record<string, string> = {}, signal?: AbortSignal) {
    let out = '';
    let err = '';
    const opened: unknown[] = [];
    // Only passed through to the action; a reading command finds no release in it.
    const store = { history: () => Promise.resolve([]) } as unknown as ReleaseStore;
    const code = await run(words(line), {
      out: { write: (s: string) => (out += s) },
      err: { write: (s: string) => (err += s) },
      env,
      ...(signal && { signal }),
      open: (opts) => {
        opened.push(opts);
        return { store, defaultNamespace: 'from-context' };
      },
    });
    return { code, out, err, opened, store };
  }

  it('hands the parsed command, the release and the context to runAction, and returns its exit code', async () => {
    runActionMock.mockResolvedValueOnce(1);
    const signal = new AbortController().signal;
    const r = await helmstep('upgrade web ./chart --install --kubeconfig /k --kube-context c', { HELM_NAMESPACE: 'shop' }, signal);
    expect(r.code).toBe(1);
    expect(r.opened).toEqual([{ kubeconfig: '/k', context: 'c' }]);
    expect(runActionMock).toHaveBeenCalledTimes(1);
    const [cmd, ref, ctx] = runActionMock.mock.calls[0]!;
    expect(cmd).toEqual(upgrade({ install: true, kubeconfig: '/k', kubeContext: 'c' }));
    expect(ref).toEqual({ namespace: 'shop', name: 'web' });
    expect(ctx).toMatchObject({ kubeconfig: '/k', kubeContext: 'c', env: { HELM_NAMESPACE: 'shop' }, signal });
    expect(ctx.store).toBe(r.store);
  });

  it('takes the namespace from -n, then $HELM_NAMESPACE, then the kube context', async () => {
    await helmstep('rollback web -n flag', { HELM_NAMESPACE: 'env' });
    await helmstep('rollback web', { HELM_NAMESPACE: 'env' });
    await helmstep('rollback web');
    expect(runActionMock.mock.calls.map((c) => c[1].namespace)).toEqual(['flag', 'env', 'from-context']);
  });

  it('prints deprecation notices on stderr before running', async () => {
    const r = await helmstep('install web ./chart --atomic');
    expect(r.code).toBe(0);
    expect(r.err).toBe('Flag --atomic has been deprecated, use --rollback-on-failure instead\n');
  });

  it('a usage error exits 2 with the usage line and never opens the cluster or runs the action', async () => {
    const r = await helmstep('upgrade web --wait');
    expect(r.code).toBe(2);
    expect(r.opened).toEqual([]);
    expect(runActionMock).not.toHaveBeenCalled();
    expect(r.err).toBe(
      'Error: "helmstep upgrade" requires 2 arguments, got 1\n\nUsage:  helmstep upgrade RELEASE_NAME CHART [flags]\n\nRun "helmstep upgrade --help" for the flags.\n',
    );
  });

  it('an action that throws is an error message and exit 1', async () => {
    runActionMock.mockRejectedValueOnce(new Error('apply failed'));
    const r = await helmstep('unlock web');
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: apply failed\n');
  });

  it('reading commands do not go through runAction', async () => {
    const r = await helmstep('history web');
    expect(r.code).toBe(1); // the empty store has no such release
    expect(runActionMock).not.toHaveBeenCalled();
  });
});
