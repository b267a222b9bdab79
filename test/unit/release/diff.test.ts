import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { diffLines, splitLines, unifiedDiff } from '../../../src/release/diff.ts';

/** Longest common subsequence length by dynamic programming: the oracle for minimality. */
function lcs(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i]![j] = a[i - 1] === b[j - 1] ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!);
  return dp[a.length]![b.length]!;
}

/** Applies a unified diff to the old lines, using only the hunk headers and bodies. */
function applyPatch(oldLines: string[], patch: string): string[] {
  if (patch === '') return oldLines;
  const lines = splitLines(patch).slice(2);
  const out: string[] = [];
  let pos = 0; // next old line (0-based) not yet copied
  for (let i = 0; i < lines.length; i++) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$/.exec(lines[i]!);
    if (!m) throw new Error(`bad header ${lines[i]}`);
    const oldStart = Number(m[1]);
    const oldLen = m[2] === undefined ? 1 : Number(m[2]);
    const start = oldLen === 0 ? oldStart : oldStart - 1; // GNU: empty range names the line before
    while (pos < start) out.push(oldLines[pos++]!);
    while (i + 1 < lines.length && !lines[i + 1]!.startsWith('@@')) {
      const l = lines[++i]!;
      if (l[0] === ' ') {
        expect(l.slice(1)).toBe(oldLines[pos]);
        out.push(oldLines[pos++]!);
      } else if (l[0] === '-') {
        expect(l.slice(1)).toBe(oldLines[pos]);
        pos++;
      } else out.push(l.slice(1));
    }
  }
  while (pos < oldLines.length) out.push(oldLines[pos++]!);
  return out;
}

const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 30 });

describe('diffLines (Myers)', () => {
  it('reconstructs both sides and is minimal (keeps an LCS)', () => {
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const ops = diffLines(a, b);
        expect(ops.filter((o) => o.kind !== '+').map((o) => o.line)).toEqual(a);
        expect(ops.filter((o) => o.kind !== '-').map((o) => o.line)).toEqual(b);
        expect(ops.filter((o) => o.kind === ' ').length).toBe(lcs(a, b));
      }),
      { numRuns: 500 },
    );
  });

  it('stays correct (if not minimal) for very different large inputs', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}`);
    const ops = diffLines(a, b);
    expect(ops.filter((o) => o.kind !== '+').map((o) => o.line)).toEqual(a);
    expect(ops.filter((o) => o.kind !== '-').map((o) => o.line)).toEqual(b);
  });
});

describe('unifiedDiff', () => {
  it('hunks apply back to the new text, for any context size', () => {
    fc.assert(
      fc.property(lines, lines, fc.integer({ min: 0, max: 4 }), (a, b, ctx) => {
        const toText = (l: string[]) => l.map((x) => x + '\n').join('');
        const patch = unifiedDiff(toText(a), toText(b), 'a', 'b', ctx);
        expect(applyPatch(a, patch)).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });

  it('uses GNU headers: separate hunks beyond 2×context, implied length 1, empty ranges', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'].join('\n') + '\n';
    const b = ['1', 'two', '3', '4', '5', '6', '7', '8', '9', '10', '11', 'twelve'].join('\n') + '\n';
    expect(unifiedDiff(a, b, 'old', 'new', 1)).toBe(
      '--- old\n+++ new\n@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n@@ -11,2 +11,2 @@\n 11\n-12\n+twelve\n',
    );
    expect(unifiedDiff('', 'x\n', 'old', 'new')).toBe('--- old\n+++ new\n@@ -0,0 +1 @@\n+x\n');
    expect(unifiedDiff('x\n', 'x\n', 'old', 'new')).toBe('');
  });
});
