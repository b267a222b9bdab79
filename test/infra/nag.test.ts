import { Validations } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { helmstepApp } from './helpers.ts';

/** Every acknowledgement recorded with `Validations.of(x).acknowledge(...)` under `root`. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason })),
      ),
  );
}

describe('cdk-nag (AwsSolutions)', () => {
  it('finds nothing unacknowledged in the stack', () => {
    const { app } = helmstepApp();
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('is registered as a validation plugin: synth succeeds clean and fails on a finding', () => {
    const clean = helmstepApp();
    expect(() => clean.app.synth()).not.toThrow();

    // Negative control: proves the plugin is wired in, so "no findings" above means something.
    const dirty = helmstepApp();
    new Key(dirty.stack, 'UnrotatedKey', { enableKeyRotation: false });
    expect(() => dirty.app.synth()).toThrow(/AwsSolutions-KMS5/);
  });

  it('has a written reason for every acknowledgement', () => {
    const { app } = helmstepApp();
    for (const ack of acknowledgements(app)) {
      expect(ack.reason.trim().length, `${ack.id} at ${ack.path}`).toBeGreaterThan(20);
    }
  });
});
