import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { AUDIT_TABLE_SCHEMA, AuditTable, type AuditTableProps } from '../../lib/audit-table.ts';
import { helmstepApp, testApp } from './helpers.ts';

function auditTemplate(props?: AuditTableProps): { template: Template; audit: AuditTable; stack: Stack } {
  const stack = new Stack(testApp(), 'Test');
  const audit = new AuditTable(stack, 'Audit', props);
  return { template: Template.fromStack(stack), audit, stack };
}

describe('AuditTable in the helmstep stack', () => {
  const { stack } = helmstepApp();
  const template = Template.fromStack(stack);

  it('is one table keyed by release (pk) and revision/event (sk), both strings', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: AUDIT_TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: AUDIT_TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('has the auditor indexes byActor (actorKey, timeKey) and byTime (dayKey, timeKey), projecting everything, and byRevision', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byActor',
          KeySchema: [
            { AttributeName: 'actorKey', KeyType: 'HASH' },
            { AttributeName: 'timeKey', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'byTime',
          KeySchema: [
            { AttributeName: 'dayKey', KeyType: 'HASH' },
            { AttributeName: 'timeKey', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'byRevision',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'revision', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: [
              'status', 'digest', 'size', 'labels', 'chart', 'chartVersion', 'appVersion', 'description', 'lastDeployed', 'recordedAt', 'storage', 'objectKey',
            ],
          },
        },
      ],
    });
  });

  it('lists revisions from the sparse index byRevision: keyed on pk and the number revision, projecting the summary but never the body', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([{ AttributeName: 'revision', AttributeType: 'N' }]),
    });
    const table = Object.values(template.findResources('AWS::DynamoDB::Table'))[0] as {
      Properties: { GlobalSecondaryIndexes: { IndexName: string; Projection: { NonKeyAttributes?: string[] } }[] };
    };
    const byRevision = table.Properties.GlobalSecondaryIndexes.find((g) => g.IndexName === 'byRevision')!;
    expect(byRevision.Projection.NonKeyAttributes).toEqual([...AUDIT_TABLE_SCHEMA.byRevision.nonKeyAttributes]);
    expect(byRevision.Projection.NonKeyAttributes).not.toContain('record');
  });

  it('keeps 35 days of point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
    });
  });

  it('is encrypted with its own customer-managed KMS key, which rotates', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0];
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('survives stack deletion and replacement: deletion protection, and RETAIN on the table and its key', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('never expires items: no TTL, no stream that could feed deletes', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: Match.absent(),
      StreamSpecification: Match.absent(),
    });
  });
});

describe('AuditTable props', () => {
  it('with removalPolicy DESTROY (throwaway stacks) deletes table and key and drops deletion protection', () => {
    const { template } = auditTemplate({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  it('uses a key it is given instead of creating one', () => {
    const stack = new Stack(testApp(), 'Test');
    const key = new Key(stack, 'TeamKey', { enableKeyRotation: true });
    const audit = new AuditTable(stack, 'Audit', { encryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(audit.encryptionKey).toBe(key);
  });

  it('takes a table name and a shorter PITR window', () => {
    const { template } = auditTemplate({ tableName: 'helmstep-audit', pointInTimeRecoveryPeriodDays: 7 });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'helmstep-audit',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
    });
  });
});

describe('AuditTable grants', () => {
  /** Every action a role's inline policies allow, flattened. */
  function allowedActions(template: Template): string[] {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: { Effect: string; Action: string | string[] }[] } };
    }[];
    return policies.flatMap((p) =>
      p.Properties.PolicyDocument.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
        Array.isArray(s.Action) ? s.Action : [s.Action],
      ),
    );
  }

  it('grantAppend allows PutItem but nothing that rewrites history (Update, Delete, BatchWrite)', () => {
    const stack = new Stack(testApp(), 'Test');
    const audit = new AuditTable(stack, 'Audit');
    const writer = new Role(stack, 'Writer', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    audit.grantAppend(writer);
    const actions = allowedActions(Template.fromStack(stack));
    expect(actions).toContain('dynamodb:PutItem');
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:PutItem', 'dynamodb:DescribeTable']);
    expect(actions).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt']));
  });

  it('grantRead allows reads only', () => {
    const stack = new Stack(testApp(), 'Test');
    const audit = new AuditTable(stack, 'Audit');
    const auditor = new Role(stack, 'Auditor', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    audit.grantRead(auditor);
    const dynamo = allowedActions(Template.fromStack(stack)).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamo).toContain('dynamodb:Query');
    expect(dynamo.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
  });
});
