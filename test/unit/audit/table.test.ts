import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';

import { KEYS } from '../../../src/audit/keys.ts';
import { AuditTableMismatch, auditTableProblems, tableMismatch } from '../../../src/audit/table.ts';

const keys = (hash: string, range: string) => [
  { AttributeName: hash, KeyType: 'HASH' as const },
  { AttributeName: range, KeyType: 'RANGE' as const },
];

/** The table createAuditTable makes, as DescribeTable shows it. */
function good(): TableDescription {
  return {
    KeySchema: keys('pk', 'sk'),
    AttributeDefinitions: [
      ...['pk', 'sk', 'actorKey', 'dayKey', 'timeKey'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
      { AttributeName: 'revision', AttributeType: 'N' },
    ],
    GlobalSecondaryIndexes: [
      { IndexName: 'byActor', KeySchema: keys('actorKey', 'timeKey'), Projection: { ProjectionType: 'ALL' } },
      { IndexName: 'byTime', KeySchema: keys('dayKey', 'timeKey'), Projection: { ProjectionType: 'ALL' } },
      {
        IndexName: 'byRevision',
        KeySchema: keys('pk', 'revision'),
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...KEYS.byRevision.nonKeyAttributes] },
      },
    ],
  };
}

function withRevisionIndex(change: (g: NonNullable<TableDescription['GlobalSecondaryIndexes']>[number] | undefined) => unknown): TableDescription {
  const t = good();
  const gsis = t.GlobalSecondaryIndexes!;
  const i = gsis.findIndex((g) => g.IndexName === 'byRevision');
  const changed = change(gsis[i]) as (typeof gsis)[number] | undefined;
  t.GlobalSecondaryIndexes = changed ? gsis.map((g, j) => (j === i ? changed : g)) : gsis.filter((_, j) => j !== i);
  return t;
}

describe('auditTableProblems', () => {
  it('accepts the table createAuditTable makes, and a byRevision index projecting ALL', () => {
    expect(auditTableProblems(good())).toEqual([]);
    expect(auditTableProblems(withRevisionIndex((g) => ({ ...g, Projection: { ProjectionType: 'ALL' } })))).toEqual([]);
  });

  it('names a missing byRevision index, and tells an earlier helmstep’s table what to do', () => {
    const t = withRevisionIndex(() => undefined);
    const problems = auditTableProblems(t);
    expect(problems).toEqual(['no index byRevision']);
    const e = tableMismatch('helmstep-audit', problems);
    expect(e).toBeInstanceOf(AuditTableMismatch);
    expect(e.reason).toBe('AuditTableMismatch');
    expect(e.message).toMatch(/^table helmstep-audit is not the audit table this helmstep reads \(no index byRevision\); add the index byRevision: in AWS deploy the current helmstep stack/);
    expect(e.message).toMatch(/move its directory \(HELMSTEP_STATE_DIR\) aside and run helmstep audit reconcile -A/);
  });

  it('names a byRevision index that leaves out summary fields, has other keys, or a string revision', () => {
    expect(auditTableProblems(withRevisionIndex((g) => ({ ...g, Projection: { ProjectionType: 'KEYS_ONLY' } })))).toEqual([
      `index byRevision does not project ${KEYS.byRevision.nonKeyAttributes.join(', ')}`,
    ]);
    expect(
      auditTableProblems(
        withRevisionIndex((g) => ({ ...g, Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: KEYS.byRevision.nonKeyAttributes.filter((a) => a !== 'labels') } })),
      ),
    ).toEqual(['index byRevision does not project labels']);
    expect(auditTableProblems(withRevisionIndex((g) => ({ ...g, KeySchema: keys('pk', 'sk') })))).toEqual(['index byRevision keys pk:HASH,sk:RANGE, want pk:HASH,revision:RANGE']);
    const t = good();
    t.AttributeDefinitions = t.AttributeDefinitions!.map((d) => (d.AttributeName === 'revision' ? { ...d, AttributeType: 'S' } : d));
    expect(auditTableProblems(t)).toEqual(['attribute revision is of type S, want N (revision numbers)']);
  });

  it('calls a table that is no audit table at all just that', () => {
    const t = { ...good(), KeySchema: keys('id', 'sk'), GlobalSecondaryIndexes: [] };
    const e = tableMismatch('orders', auditTableProblems(t));
    expect(e.message).toBe(
      'table orders exists but is not an audit table (key schema id:HASH,sk:RANGE, want pk:HASH,sk:RANGE; no index byActor; no index byTime; no index byRevision); choose another table name or delete that table',
    );
  });
});
