/**
 * `helmstep ack RELEASE -n NS [--cluster NAME] [--reason TEXT]`: lifts the deploy freeze an alarm
 * rollback left on a release, so automatic deploys (webhooks) are accepted again. Through the same
 * DynamoDB as `helmstep serve` (HELMSTEP_DYNAMODB_ENDPOINT = serve's endpoint, else the local
 * state on disk), it deletes the freeze item on condition that it is the freeze it read, records
 * who and why beside it, and appends an audit event (actor cli:<user>@<host>, step Ack, outcome
 * succeeded, execution = the rollback execution that froze the release).
 */
import { hostname, userInfo } from 'node:os';

import { Command, CommanderError } from 'commander';

import { HelmstepError } from '../../release/errors.ts';
import { validateReleaseName } from '../../release/lifecycle.ts';
import { clusterName } from '../../local/cluster-name.ts';
import { releaseText, type ReleaseKey } from '../../triggers/targets.ts';
import { kubeContext } from './audit.ts';
import type { ServiceCommand } from './index.ts';

const USAGE = 'helmstep ack RELEASE [-n NAMESPACE] [--cluster NAME] [--reason TEXT] [--kubeconfig FILE] [--kube-context NAME]';

const HELP = `Acknowledge an alarm rollback: lift the release's freeze so webhooks may deploy it again.

Usage:
  ${USAGE}

Flags:
  -n, --namespace NS       the release's namespace (default $HELM_NAMESPACE, then the kube context's, then default)
      --cluster NAME       the cluster's name (default $HELMSTEP_CLUSTER_NAME, then the kube context's name)
      --reason TEXT        why it is safe to deploy again (kept with the acknowledgement)
      --kubeconfig FILE, --kube-context NAME   only to name the cluster and namespace; no cluster is contacted

The freeze lives in the local state's DynamoDB: set HELMSTEP_DYNAMODB_ENDPOINT to the endpoint
helmstep serve printed while it runs.
`;

class AckUsage extends HelmstepError {
  override readonly name = 'AckUsage';
  readonly reason = 'UsageError';
}

interface Flags {
  namespace?: string;
  cluster?: string;
  reason?: string;
  kubeconfig?: string;
  kubeContext?: string;
  help?: boolean;
}

function user(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export const ack: ServiceCommand = async (argv, deps) => {
  const program = new Command('ack')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .helpOption(false)
    .argument('[release]')
    .option('-h, --help')
    .option('-n, --namespace <ns>')
    .option('--cluster <name>')
    .option('--reason <text>')
    .option('--kubeconfig <file>')
    .option('--kube-context <name>');
  let flags: Flags;
  let release: string | undefined;
  try {
    program.parse([...argv], { from: 'user' });
    flags = program.opts<Flags>();
    release = program.args[0];
    if (!flags.help && release === undefined) throw new AckUsage('name the release to acknowledge');
    if (program.args.length > 1) throw new AckUsage(`unexpected argument "${program.args[1]}"`);
  } catch (e) {
    if (!(e instanceof CommanderError) && !(e instanceof AckUsage)) throw e;
    deps.err.write(`Error: ${e.message.replace(/^error: /, '')}\n\nUsage:  ${USAGE}\n\nRun "helmstep ack --help" for the flags.\n`);
    return 2;
  }
  if (flags.help) {
    deps.out.write(HELP);
    return 0;
  }

  let services: { close(): Promise<void> } | undefined;
  try {
    validateReleaseName(release!);
    const ctx = flags.namespace && flags.cluster ? {} : await kubeContext(flags, deps.env);
    const key: ReleaseKey = {
      cluster: flags.cluster ?? clusterName(deps.env, ctx.context),
      namespace: flags.namespace ?? (deps.env.HELM_NAMESPACE || undefined) ?? ctx.namespace ?? 'default',
      name: release!,
    };
    const [{ openLocalServices }, { createTriggersTable, DynamoTriggerStore }, { AuditStore }] = await Promise.all([
      import('../../local/state.ts'),
      import('../../triggers/dynamo.ts'),
      import('../../audit/store.ts'),
    ]);
    const opened = await openLocalServices(deps.env, {
      onWait: (dir) => deps.err.write(`helmstep: waiting for another helmstep process to release the local state in ${dir}\n`),
    });
    services = opened;
    await createTriggersTable(opened.dynamo, opened.tables.triggers);
    const store = new DynamoTriggerStore(opened.dynamo, opened.tables.triggers);
    const actor = `cli:${user()}@${hostname()}`.slice(0, 1024);
    const lifted = await store.ack(key);
    await store.recordAck(lifted, actor, flags.reason);
    const audit = new AuditStore({ client: opened.dynamo, tableName: opened.tables.audit, objects: opened.objects });
    await audit.append({
      release: { ...key },
      actor,
      trigger: { kind: 'cli', alarmId: lifted.alarmId.slice(0, 2048) },
      executionId: lifted.executionName,
      step: 'Ack',
      outcome: 'succeeded',
    });
    deps.out.write(
      `Lifted the freeze of ${releaseText(key)}: frozen since ${lifted.transitionTime} by alarm "${lifted.alarmName}" ` +
        `(rollback ${lifted.executionName}): ${lifted.reason}\n` +
        `${flags.reason ? `Reason: ${flags.reason}\n` : ''}Automatic deploys of the release are accepted again.\n`,
    );
    return 0;
  } catch (e) {
    deps.err.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (deps.env.HELMSTEP_DEBUG && e instanceof Error && e.stack) deps.err.write(`${e.stack}\n`);
    return 1;
  } finally {
    await services?.close();
  }
};
