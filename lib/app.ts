import { Validations, type App, type RemovalPolicy } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HelmstepStack } from './helmstep-stack.ts';

/** The stack's construct id (and default CloudFormation stack name). */
export const HELMSTEP_STACK_ID = 'Helmstep';

/**
 * Wires helmstep into a CDK app: cdk-nag's AWS Solutions pack as a policy-validation plugin
 * (cdk-nag 3: findings fail synthesis; each accepted finding is acknowledged where it arises,
 * with its reason), then the stack, configured from context:
 *
 * - `clusterName` — the EKS cluster (`-c clusterName=prod-eu`); see `HelmstepProps.clusterName`
 * - `auditTableName` — optional physical name of the audit table
 * - `removalPolicy` — optional: `retain` (default), `retain-on-update-or-delete`, `destroy`
 *
 * Context values are passed as given; the stack's props validation reports bad ones.
 * `bin/helmstep.ts` and the infra tests share this function, so tests check what deploys.
 */
export function buildHelmstepApp(app: App): HelmstepStack {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

  const context = (key: string): unknown => app.node.tryGetContext(key) as unknown;
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  return new HelmstepStack(app, HELMSTEP_STACK_ID, {
    // Environment-agnostic unless the CLI knows the account/region (it does not offline).
    ...(account && region ? { env: { account, region } } : {}),
    clusterName: context('clusterName') as string | undefined,
    auditTableName: context('auditTableName') as string | undefined,
    removalPolicy: context('removalPolicy') as RemovalPolicy | undefined,
  });
}
