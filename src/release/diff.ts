/**
 * A small Myers line diff with unified output (GNU `diff -u` hunk headers).
 * Kept in-house: helmstep only needs line diffs of manifests and values YAML.
 */

export type DiffOp = { readonly kind: ' ' | '-' | '+'; readonly line: string };

/** Splits text into lines; a final newline does not create an empty last line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Past this many differences the remaining middle is emitted as delete-all/insert-all:
 * still a correct diff, just not minimal, and memory stays bounded (the trace is O(D²)).
 */
const MAX_EDIT_DISTANCE = 2000;

/** Minimal edit script between two line arrays (Myers 1986, greedy forward pass + backtrack). */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  // Common prefix and suffix are cheap and make the search space small for typical edits.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const ops: DiffOp[] = [];
  for (let i = 0; i < pre; i++) ops.push({ kind: ' ', line: a[i]! });
  ops.push(...myers(A, B));
  for (let i = a.length - suf; i < a.length; i++) ops.push({ kind: ' ', line: a[i]! });
  return ops;
}

function myers(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ kind: '+', line }));
  if (m === 0) return a.map((line) => ({ kind: '-', line }));
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) {
    // Too different: replace wholesale.
    return [...a.map((line) => ({ kind: '-' as const, line })), ...b.map((line) => ({ kind: '+' as const, line }))];
  }
  // Backtrack through the saved frontiers.
  const out: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ kind: ' ', line: a[--x]! });
      y--;
    }
    if (x === prevX) out.push({ kind: '+', line: b[--y]! });
    else out.push({ kind: '-', line: a[--x]! });
  }
  while (x > 0 && y > 0) {
    out.push({ kind: ' ', line: a[--x]! });
    y--;
  }
  return out.reverse();
}

function range(start: number, len: number): string {
  // GNU: an empty range names the line before it; a length of 1 is implied.
  if (len === 0) return `${start - 1},0`;
  return len === 1 ? `${start}` : `${start},${len}`;
}

/**
 * Unified diff of two texts, `context` lines around each change. Empty string when equal.
 */
export function unifiedDiff(
  oldText: string,
  newText: string,
  oldLabel: string,
  newLabel: string,
  context = 3,
): string {
  const ops = diffLines(splitLines(oldText), splitLines(newText));
  if (ops.every((o) => o.kind === ' ')) return '';
  const out = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  // Indices of changed ops, grouped into hunks whose gaps are ≤ 2*context.
  const changes: number[] = [];
  ops.forEach((o, i) => o.kind !== ' ' && changes.push(i));
  let h = 0;
  while (h < changes.length) {
    let end = h;
    while (end + 1 < changes.length && changes[end + 1]! - changes[end]! <= 2 * context) end++;
    const from = Math.max(0, changes[h]! - context);
    const to = Math.min(ops.length - 1, changes[end]! + context);
    // Line numbers at `from`.
    let oldLine = 1;
    let newLine = 1;
    for (let i = 0; i < from; i++) {
      if (ops[i]!.kind !== '+') oldLine++;
      if (ops[i]!.kind !== '-') newLine++;
    }
    let oldLen = 0;
    let newLen = 0;
    const body: string[] = [];
    for (let i = from; i <= to; i++) {
      const o = ops[i]!;
      if (o.kind !== '+') oldLen++;
      if (o.kind !== '-') newLen++;
      body.push(o.kind + o.line);
    }
    out.push(`@@ -${range(oldLine, oldLen)} +${range(newLine, newLen)} @@`, ...body);
    h = end + 1;
  }
  return out.join('\n') + '\n';
}
