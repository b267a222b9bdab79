import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { HELMSTEP_STACK_ID } from '../../lib/app.ts';
import { KubectlLayer } from '../../lib/kubectl-layer.ts';
import type { PropsError } from '../../lib/props-error.ts';
import { helmstepApp, thrown } from './helpers.ts';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');

describe('the CDK app', () => {
  it('has the kubectl/helm layer, with the binaries where the step Lambdas will look', () => {
    const { stack } = helmstepApp();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      Description: `${KubectlLayer.KUBECTL_PATH} 1.34.5; ${KubectlLayer.HELM_PATH} 4.1.3`,
    });
    template.hasOutput('KubectlLayerArn', {});
  });

  it('has no Lambda functions or state machines yet (they come with the pipeline)', () => {
    const template = Template.fromStack(helmstepApp().stack);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
  });

  it('reads clusterName, auditTableName and removalPolicy from context, and validates them', () => {
    const { stack } = helmstepApp({ clusterName: 'staging', auditTableName: 'audit-staging', removalPolicy: 'destroy' });
    expect(stack.clusterName).toBe('staging');
    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', {
      Properties: { TableName: 'audit-staging', DeletionProtectionEnabled: false },
      DeletionPolicy: 'Delete',
    });

    const error = thrown(() => helmstepApp({ clusterName: '', removalPolicy: 'snapshot' }));
    expect((error as PropsError).problems).toHaveLength(2);
  });

  it('synthesizes from bin/helmstep.ts offline, as `cdk synth` runs it', async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'helmstep-synth-'));
    try {
      await run(process.execPath, ['--import', 'tsx', 'bin/helmstep.ts'], {
        cwd: repo,
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ clusterName: 'prod-eu', 'aws:cdk:disable-asset-staging': true }),
        },
      });
      const template = JSON.parse(await readFile(join(outdir, `${HELMSTEP_STACK_ID}.template.json`), 'utf8')) as {
        Resources: Record<string, { Type: string }>;
      };
      // (AWS::CDK::Metadata is added only when the CLI asks for version reporting.)
      const types = Object.values(template.Resources).map((r) => r.Type);
      expect(types.filter((t) => t !== 'AWS::CDK::Metadata').sort()).toEqual([
        'AWS::DynamoDB::Table',
        'AWS::KMS::Key',
        'AWS::Lambda::LayerVersion',
      ]);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});
