import type { SerializedError } from 'vitest';
import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts the tests of a run; a module that failed before running any test counts as one failure. */
export function countTests(testModules: readonly TestModule[]): RunCounts {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const mod of testModules) {
    let any = false;
    for (const t of mod.children.allTests()) {
      any = true;
      const state = t.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
      else counts.skipped++;
    }
    if (!any && mod.state() === 'failed') counts.failed++;
  }
  return counts;
}

/**
 * The closing line. Unhandled errors (an error thrown outside any test, a rejected promise no
 * test awaited) fail a vitest run without failing a test: each counts as a failure here. A run
 * that ended failed or interrupted never reads "0 failed".
 */
export function closingLine(counts: RunCounts, unhandledErrors: number, reason: TestRunEndReason): string {
  let failed = counts.failed + unhandledErrors;
  const notes: string[] = [];
  if (unhandledErrors > 0) notes.push(`${unhandledErrors} unhandled error${unhandledErrors === 1 ? '' : 's'}`);
  if (reason !== 'passed' && failed === 0) {
    failed = 1;
    notes.push(`run ${reason}`);
  }
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
  const why = notes.length > 0 ? ` (${notes.join(', ')})` : '';
  return `tests: ${counts.passed} passed, ${failed} failed${skipped}${why}`;
}

/**
 * Prints one plain closing line, `tests: N passed, N failed[, N skipped]`, after vitest's own
 * summary, so that any CI log reader can count the run without knowing vitest.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly SerializedError[], reason: TestRunEndReason): void {
    process.stdout.write(`\n${closingLine(countTests(testModules), unhandledErrors.length, reason)}\n`);
  }
}
