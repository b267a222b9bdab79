/**
 * `helmstep serve`: the whole service on one machine (src/serve/app.ts) — webhooks, alarms, the
 * audit API and /metrics over HTTP, the local Step Functions engine, the local state — until
 * SIGINT/SIGTERM, then a graceful stop: no new work, executions in flight interrupted and finished
 * (failed or rolled back, never pending), dynalite closed, exit 0.
 *
 * Start-up lines go to stderr (`helmstep serve: ...`); the structured JSON logs to stdout.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Command, CommanderError } from 'commander';

import { HelmstepError } from '../../release/errors.ts';
import { stateDir } from '../../local/state.ts';
import { parseTargetsConfig, type TargetsConfig } from '../../triggers/targets.ts';
import type { RunDeps } from '../run.ts';
import type { ServiceCommand } from './index.ts';

const USAGE =
  'helmstep serve [--listen HOST:PORT] [--targets FILE] [--github-secret-file FILE] [--generic-secret-file FILE] [--token-file FILE] ' +
  '[--kubeconfig FILE] [--kube-context NAME] [--dynamodb ENDPOINT]';

const HELP = `Run helmstep as a service on this machine: webhooks and alarms start the state machines.

Usage:
  ${USAGE}

Routes:
  POST /webhooks/github        GitHub deliveries, signed with the webhook secret (X-Hub-Signature-256)
  POST /webhooks/generic       generic CI deliveries, HMAC-SHA256 over "<timestamp>.<body>"
  POST /alarms/eventbridge     CloudWatch Alarm State Change events            (Bearer token)
  POST /alarms/alertmanager    Alertmanager webhooks, version 4                 (Bearer token)
  GET  /audit/...              the auditor API                                  (Bearer token)
  GET  /metrics                Prometheus metrics
  GET  /healthz                200 while serving

Flags:
      --listen HOST:PORT           where to listen (default 127.0.0.1:8080; port 0 picks a free one)
      --targets FILE               the targets configuration, YAML or JSON (src/triggers/README.md)
      --github-secret-file FILE    the GitHub webhook secret, one per line while rotating (or $HELMSTEP_GITHUB_SECRET)
      --generic-secret-file FILE   the generic endpoint's secret, one per line (or $HELMSTEP_GENERIC_SECRET)
      --token-file FILE            the bearer token of the alarm and audit routes (or $HELMSTEP_SERVE_TOKEN;
                                   else <state dir>/serve.token, generated the first time)
      --kubeconfig FILE, --kube-context NAME   the cluster the state machines deploy to
      --dynamodb ENDPOINT          use this DynamoDB (an endpoint URL, or "aws") instead of dynalite on disk

The local state (lease, audit and triggers tables) is dynalite under $HELMSTEP_STATE_DIR; its endpoint
is printed, so other helmstep commands can share it with HELMSTEP_DYNAMODB_ENDPOINT.
`;

class ServeUsage extends HelmstepError {
  override readonly name = 'ServeUsage';
  readonly reason = 'UsageError';
}

/** A flag's file could not be read or says nothing usable. */
class ServeSetupFailed extends HelmstepError {
  override readonly name = 'ServeSetupFailed';
  readonly reason = 'ServeSetupFailed';
}

interface Flags {
  listen: string;
  targets?: string;
  githubSecretFile?: string;
  genericSecretFile?: string;
  tokenFile?: string;
  kubeconfig?: string;
  kubeContext?: string;
  dynamodb?: string;
}

function parse(argv: readonly string[]): Flags | 'help' {
  const program = new Command('serve')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .helpOption(false)
    .allowExcessArguments(false)
    .option('-h, --help')
    .option('--listen <hostport>', '', '127.0.0.1:8080')
    .option('--targets <file>')
    .option('--github-secret-file <file>')
    .option('--generic-secret-file <file>')
    .option('--token-file <file>')
    .option('--kubeconfig <file>')
    .option('--kube-context <name>')
    .option('--dynamodb <endpoint>');
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw new ServeUsage(e.message.replace(/^error: /, ''));
    throw e;
  }
  const opts = program.opts<Flags & { help?: boolean }>();
  return opts.help ? 'help' : opts;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ServeSetupFailed(`cannot read ${what} ${file}: ${(e as Error).message}; check the path`);
  }
}

/** Secrets: one per non-empty line of the file (several while rotating), else the variable's value. */
export function secretsFrom(file: string | undefined, envValue: string | undefined, what: string): string[] {
  const text = file !== undefined ? readText(file, what) : (envValue ?? '');
  const list = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (file !== undefined && list.length === 0) throw new ServeSetupFailed(`${what} ${file} is empty; put the secret in it`);
  return list;
}

/** --token-file, else $HELMSTEP_SERVE_TOKEN, else <state dir>/serve.token (made once, mode 0600). */
export function resolveToken(flags: Pick<Flags, 'tokenFile'>, env: RunDeps['env']): { token: string; file?: string; generated: boolean } {
  if (flags.tokenFile) {
    const token = readText(flags.tokenFile, 'the token file').trim();
    if (token.length < 16) throw new ServeSetupFailed(`the token in ${flags.tokenFile} is shorter than 16 characters; use a long random token (openssl rand -hex 32)`);
    return { token, file: flags.tokenFile, generated: false };
  }
  if (env.HELMSTEP_SERVE_TOKEN) {
    if (env.HELMSTEP_SERVE_TOKEN.length < 16) throw new ServeSetupFailed('HELMSTEP_SERVE_TOKEN is shorter than 16 characters; use a long random token');
    return { token: env.HELMSTEP_SERVE_TOKEN, generated: false };
  }
  const dir = stateDir(env);
  const file = join(dir, 'serve.token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, file, generated: false };
  }
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(32).toString('hex');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file, generated: true };
}

function waitFor(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return; // no way to be stopped but killing the process
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export const serve: ServiceCommand = async (argv, deps) => {
  let flags: Flags | 'help';
  try {
    flags = parse(argv);
  } catch (e) {
    deps.err.write(`Error: ${(e as Error).message}\n\nUsage:  ${USAGE}\n\nRun "helmstep serve --help" for the flags.\n`);
    return 2;
  }
  if (flags === 'help') {
    deps.out.write(HELP);
    return 0;
  }
  const say = (line: string) => deps.err.write(`helmstep serve: ${line}\n`);
  try {
    const config: TargetsConfig = flags.targets
      ? parseTargetsConfig(readText(flags.targets, 'the targets file'), flags.targets)
      : { targets: [], alarms: [] };
    if (!flags.targets) say('no --targets: no webhook deploys anything; alarms map to releases by their tags and labels only');
    const github = secretsFrom(flags.githubSecretFile, deps.env.HELMSTEP_GITHUB_SECRET, 'the GitHub secret file');
    const generic = secretsFrom(flags.genericSecretFile, deps.env.HELMSTEP_GENERIC_SECRET, 'the generic secret file');
    if (github.length === 0) say('no GitHub secret (--github-secret-file or HELMSTEP_GITHUB_SECRET): /webhooks/github refuses every delivery');
    if (generic.length === 0) say('no generic secret (--generic-secret-file or HELMSTEP_GENERIC_SECRET): /webhooks/generic refuses every delivery');
    const token = resolveToken(flags, deps.env);
    const env: RunDeps['env'] = { ...deps.env, ...(flags.dynamodb ? { HELMSTEP_DYNAMODB_ENDPOINT: flags.dynamodb } : {}) };
    const waitMs = Number(env.HELMSTEP_TEST_WAIT_MS ?? '');
    const [{ startServe }, { resolveHelm }] = await Promise.all([import('../../serve/app.ts'), import('../commands/actions.ts')]);
    const serving = await startServe({
      env,
      listen: flags.listen,
      config,
      configOrigin: flags.targets ?? '(none)',
      githubSecrets: github,
      genericSecrets: generic,
      token: token.token,
      helm: resolveHelm(env),
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
      ...(flags.kubeContext ? { kubeContext: flags.kubeContext } : {}),
      ...(Number.isFinite(waitMs) && waitMs >= 0 && env.HELMSTEP_TEST_WAIT_MS ? { waitMs, pollSeconds: 1 } : {}),
    });
    const served = serving.orchestration.cluster;
    say(`listening on ${serving.url} (cluster ${served}; ${config.targets.length - serving.skipped.length} targets, ${config.alarms.length} alarm mappings)`);
    for (const s of serving.skipped) say(`not served here (another cluster): ${s}`);
    say(`DynamoDB at ${serving.dynamoEndpoint}; other helmstep commands share it with: export HELMSTEP_DYNAMODB_ENDPOINT=${serving.dynamoEndpoint}`);
    if (token.generated) say(`generated the alarm and audit routes' token ${token.token} (kept in ${token.file}, mode 0600)`);
    else say(`alarm and audit routes take "Authorization: Bearer <token>" with the token ${token.file ? `in ${token.file}` : 'of HELMSTEP_SERVE_TOKEN'}`);

    await waitFor(deps.signal);
    const running = serving.executions.running().length;
    say(`stopping: no new work; ${running === 0 ? 'no execution in flight' : `interrupting ${running} execution(s) in flight and waiting for them to finish`}`);
    const interrupted = await serving.close();
    for (const i of interrupted) say(`execution ${i.name} (${i.machine}) ended ${i.status}${i.error ? `: ${i.error}` : ''}`);
    say('stopped');
    return 0;
  } catch (e) {
    deps.err.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (deps.env.HELMSTEP_DEBUG && e instanceof Error && e.stack) deps.err.write(`${e.stack}\n`);
    return 1;
  }
};
