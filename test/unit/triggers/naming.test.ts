import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { EXECUTION_KINDS, EXECUTION_NAME_PATTERN, alarmExecutionName, executionName } from '../../../src/triggers/naming.ts';

describe('executionName', () => {
  it('keeps an id that already fits readable: <kind>-<id>', () => {
    expect(executionName('github', '72d3162e-cc78-11e3-81ab-4c9367dc0958')).toBe('github-72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(executionName('generic', 'run_42')).toBe('generic-run_42');
  });

  it('hashes ids with other characters or too long, keeping a readable part (pinned)', () => {
    expect(executionName('generic', 'ci-run-4711.1')).toBe('generic_ci-run-4711-1_e27a4feb98d091cca9d63e90abb79b431856e767');
    const long = 'x'.repeat(74);
    expect(executionName('generic', long)).toMatch(/^generic_x{31}_[0-9a-f]{40}$/);
    expect(executionName('generic', 'x'.repeat(72))).toBe(`generic-${'x'.repeat(72)}`);
  });

  it('names an alarm transition after the alarm, unique per alarm and time', () => {
    const arn = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh';
    const a = alarmExecutionName(arn, '2019-10-02T17:04:40.989Z');
    expect(a).toMatch(/^alarm_ServerCpuTooHigh_[0-9a-f]{40}$/);
    expect(alarmExecutionName(arn, '2019-10-02T17:04:40.989Z')).toBe(a);
    expect(alarmExecutionName(arn, '2019-10-02T18:04:40.989Z')).not.toBe(a);
    expect(alarmExecutionName('alertmanager:HighErrorRate:3b15fd163d36582e', '2026-11-24T14:03:07.812Z')).toMatch(
      /^alarm_HighErrorRate-3b15fd163d36582e_[0-9a-f]{40}$/,
    );
  });

  it('is deterministic, within Step Functions rule, and never gives two ids one name', () => {
    const kind = fc.constantFrom(...EXECUTION_KINDS);
    const id = fc.oneof(fc.string({ maxLength: 120 }), fc.stringMatching(/^[A-Za-z0-9_-]{0,90}$/), fc.uuid());
    fc.assert(
      fc.property(kind, id, id, (k, a, b) => {
        const na = executionName(k, a);
        expect(na).toMatch(EXECUTION_NAME_PATTERN);
        expect(na.length).toBeLessThanOrEqual(80);
        expect(executionName(k, a)).toBe(na);
        if (a !== b) expect(executionName(k, b)).not.toBe(na);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps kinds apart: the same id under two kinds gives two names', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (id) => {
        const names = EXECUTION_KINDS.map((k) => executionName(k, id));
        expect(new Set(names).size).toBe(EXECUTION_KINDS.length);
      }),
    );
  });

  it('a plain id cannot impersonate the hashed form of another', () => {
    const hashed = executionName('generic', 'a.b');
    // The raw form of any id starts with "generic-", the hashed form with "generic_".
    expect(hashed.startsWith('generic_')).toBe(true);
    expect(executionName('generic', hashed.slice('generic_'.length))).not.toBe(hashed);
  });
});
