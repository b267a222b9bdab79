import { CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AuditTable } from '../../lib/audit-table.ts';
import { HelmstepStack, type HelmstepProps } from '../../lib/helmstep-stack.ts';
import { PropsError } from '../../lib/props-error.ts';
import { helmstepApp, testApp, thrown } from './helpers.ts';

describe('HelmstepProps validation', () => {
  it('reports every problem in one PropsError, before building anything', () => {
    const app = testApp();
    const error = thrown(
      () =>
        new HelmstepStack(app, 'Helmstep', {
          clusterName: '-not a cluster-',
          auditTableName: 'x',
          removalPolicy: RemovalPolicy.SNAPSHOT,
        }),
    );

    expect(error).toBeInstanceOf(PropsError);
    const { propsName, problems, message } = error as PropsError;
    expect(propsName).toBe('HelmstepProps');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^clusterName must be an EKS cluster name .* got "-not a cluster-"$/);
    expect(problems[1]).toMatch(/^auditTableName must be 3-255 characters .* got "x"$/);
    expect(problems[2]).toMatch(/^removalPolicy must be one of retain, retain-on-update-or-delete, destroy .* got "snapshot"$/);
    expect(message).toBe(`Invalid HelmstepProps (3 problems):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    expect(app.node.children).toHaveLength(0);
  });

  it.each<[string, HelmstepProps, RegExp]>([
    ['an empty cluster name (-c clusterName=)', { clusterName: '' }, /^clusterName must be an EKS cluster name/],
    ['a cluster name over 100 characters', { clusterName: 'c'.repeat(101) }, /^clusterName/],
    ['a non-string cluster name (JS callers, JSON context)', { clusterName: 42 as unknown as string }, /got 42$/],
    ['a table name with a slash', { auditTableName: 'audit/log' }, /^auditTableName/],
    ['an unknown removal policy', { removalPolicy: 'forget' as RemovalPolicy }, /^removalPolicy .* got "forget"$/],
  ])('refuses %s', (_, props, expected) => {
    const error = thrown(() => new HelmstepStack(testApp(), 'Helmstep', props));
    expect(error).toBeInstanceOf(PropsError);
    expect((error as PropsError).problems).toEqual([expect.stringMatching(expected)]);
  });

  it('accepts valid literals, and leaves tokens to CloudFormation', () => {
    expect(
      () =>
        new HelmstepStack(testApp(), 'Helmstep', {
          clusterName: 'prod_eu-1',
          auditTableName: 'helmstep.audit-v1',
          removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        }),
    ).not.toThrow();
    const stack = new Stack(testApp(), 'Tokens');
    const name = new CfnParameter(stack, 'Name').valueAsString;
    expect(() => new AuditTable(stack, 'Audit', { tableName: name })).not.toThrow();
  });
});

describe('AuditTableProps validation', () => {
  it('reports contradictions and ranges together', () => {
    const stack = new Stack(testApp(), 'Test');
    const error = thrown(
      () =>
        new AuditTable(stack, 'Audit', {
          removalPolicy: RemovalPolicy.DESTROY,
          deletionProtection: true,
          pointInTimeRecoveryPeriodDays: 36,
        }),
    );
    expect(error).toBeInstanceOf(PropsError);
    expect((error as PropsError).problems).toEqual([
      expect.stringMatching(/^deletionProtection: true contradicts removalPolicy: DESTROY/),
      expect.stringMatching(/^pointInTimeRecoveryPeriodDays must be an integer from 1 to 35, got 36$/),
    ]);
    expect(stack.node.tryFindChild('Audit')).toBeUndefined();
  });

  it.each([0, 1.5, Number.NaN])('refuses a PITR window of %s days', (days) => {
    const error = thrown(() => new AuditTable(new Stack(testApp(), 'Test'), 'Audit', { pointInTimeRecoveryPeriodDays: days }));
    expect((error as PropsError).problems).toHaveLength(1);
  });
});

describe('clusterName', () => {
  it('when given, is a literal: tagged on the resources and output, no parameter', () => {
    const template = Template.fromStack(helmstepApp({ clusterName: 'prod-eu' }).stack);
    expect(template.findParameters('ClusterName')).toEqual({});
    template.hasOutput('ClusterName', { Value: 'prod-eu' });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: [{ Key: 'helmstep:cluster', Value: 'prod-eu' }],
    });
  });

  it('when missing, becomes a required ClusterName parameter with EKS naming rules', () => {
    const { stack } = helmstepApp({});
    const template = Template.fromStack(stack);
    template.hasParameter('ClusterName', {
      Type: 'String',
      Default: Match.absent(),
      AllowedPattern: '^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$',
    });
    template.hasOutput('ClusterName', { Value: { Ref: 'ClusterName' } });
  });
});
