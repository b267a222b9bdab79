import { describe, expect, it } from 'vitest';
import type { TestModule } from 'vitest/node';

import { closingLine, countTests } from '../../harness/summary-reporter.ts';

/** Just enough of vitest's TestModule for the counter. */
function mod(states: string[], moduleState = 'passed'): TestModule {
  return {
    state: () => moduleState,
    children: { allTests: () => states.map((state) => ({ result: () => ({ state }) }))[Symbol.iterator]() },
  } as unknown as TestModule;
}

describe('the closing line', () => {
  it('counts tests by state, and a module that failed before any test as one failure', () => {
    const counts = countTests([mod(['passed', 'failed', 'skipped', 'pending']), mod([], 'failed'), mod([], 'passed')]);
    expect(counts).toEqual({ passed: 1, failed: 2, skipped: 2 });
    expect(closingLine(counts, 0, 'failed')).toBe('tests: 1 passed, 2 failed, 2 skipped');
  });

  it('counts unhandled errors as failures: a run of passing tests that failed on one is not "0 failed"', () => {
    expect(closingLine({ passed: 5, failed: 0, skipped: 0 }, 2, 'failed')).toBe('tests: 5 passed, 2 failed (2 unhandled errors)');
    expect(closingLine({ passed: 5, failed: 1, skipped: 0 }, 1, 'failed')).toBe('tests: 5 passed, 2 failed (1 unhandled error)');
  });

  it('a run that failed or was interrupted for any other reason counts one failure', () => {
    expect(closingLine({ passed: 3, failed: 0, skipped: 0 }, 0, 'failed')).toBe('tests: 3 passed, 1 failed (run failed)');
    expect(closingLine({ passed: 3, failed: 0, skipped: 0 }, 0, 'interrupted')).toBe('tests: 3 passed, 1 failed (run interrupted)');
    expect(closingLine({ passed: 3, failed: 0, skipped: 0 }, 0, 'passed')).toBe('tests: 3 passed, 0 failed');
  });
});
