/**
 * YAML exactly as helm prints it: sigs.k8s.io/yaml's Marshal, i.e. Go's encoding/json, then
 * JSONToYAML, which re-reads the JSON with go-yaml v2 (so numbers become int, uint or float,
 * every key a string) and emits it with go-yaml v2's libyaml port: keys in its "natural" order
 * (`a9` before `a10`), sequences unindented under a key, strings that would read back as another
 * type double-quoted, plain and quoted scalars folded past column 80, multi-line strings as `|`
 * literals, keys over 128 bytes as `? key`.
 *
 * This is a port of the parts of go-yaml v2 (encode.go, resolve.go, sorter.go, emitterc.go) that
 * JSON data can reach; the comments name the Go functions they follow.
 */
import { goJson } from './go-json.ts';

// ---------------------------------------------------------------------------------------------
// JSON → YAML nodes (resolve.go)

type Style = 'plain' | 'single' | 'double' | 'literal';

interface ScalarNode {
  readonly kind: 'scalar';
  readonly text: string;
  /** The style encode.go asks for; the emitter may still pick another. */
  readonly style: Style;
}
interface MapNode {
  readonly kind: 'map';
  readonly entries: readonly (readonly [ScalarNode, Node])[];
}
interface SeqNode {
  readonly kind: 'seq';
  readonly items: readonly Node[];
}
type Node = ScalarNode | MapNode | SeqNode;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** strconv.FormatFloat(f, 'g', -1, 64). */
export function goFormatFloatG(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant = '', expText = '0'] = f.toExponential().split('e');
  const neg = mant.startsWith('-') ? '-' : '';
  const digits = mant.replace('-', '').replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${neg}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${neg}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${neg}${intPart}${frac ? `.${frac}` : ''}`;
}

/** How go-yaml reads back the number Go's encoding/json wrote for `n`, then prints it. */
function numberText(n: number): string {
  const json = goJson(n);
  if (/^-?\d+$/.test(json)) {
    const b = BigInt(json);
    if ((b >= INT64_MIN && b <= INT64_MAX) || (b >= 0n && b <= UINT64_MAX)) return b.toString();
  }
  return goFormatFloatG(n);
}

/** strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64) succeed (syntax and range). */
function parsesAsGoInt(s: string): boolean {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(s);
  if (!m) return false;
  const sign = m[1] ?? '';
  let v: bigint;
  if (m[2] !== undefined) v = BigInt(`0x${m[2]}`);
  else if (m[3] !== undefined) v = BigInt(`0o${m[3]}`);
  else if (m[4] !== undefined) v = BigInt(`0b${m[4]}`);
  else if (m[5] !== undefined) v = m[5].length > 1 ? BigInt(`0o${m[5].slice(1)}`) : 0n;
  else v = BigInt(m[6]!);
  if (sign === '-') v = -v;
  if (v >= INT64_MIN && v <= INT64_MAX) return true;
  return sign === '' && v >= 0n && v <= UINT64_MAX;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** go-yaml's parseTimestamp with its allowed formats (time.Parse, 1–2 digit fields). */
function isTimestamp(s: string): boolean {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?))?$/.exec(
      s,
    );
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const daysIn = new Date(Date.UTC(2000, month, 0)).getUTCDate(); // leap-year February
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && !leap ? 28 : daysIn)) return false;
  const h = Number(m[4] ?? m[7] ?? 0);
  const mi = Number(m[5] ?? m[8] ?? 0);
  const sec = Number(m[6] ?? m[9] ?? 0);
  return h < 24 && mi < 60 && sec < 60;
}

const RESOLVE_MAP = new Set([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'],
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'],
  ...['', '~', 'null', 'Null', 'NULL'],
  ...['.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF'],
  '<<',
]);

/** resolve("", s) returns !!str: the string reads back as a string when written plainly. */
function resolvesToString(s: string): boolean {
  const c = s[0];
  let hint: string;
  if (s === '') hint = 'N';
  else if (c === '+' || c === '-') hint = 'S';
  else if (c! >= '0' && c! <= '9') hint = 'D';
  else if ('yYnNtTfFoO~'.includes(c!)) hint = 'M';
  else if (c === '.') hint = '.';
  else return true;
  if (RESOLVE_MAP.has(s)) return false;
  if (hint === '.') return !(/^\.\d+([eE][-+]?\d+)?$/.test(s) && Number.isFinite(Number(s)));
  if (hint === 'D' || hint === 'S') {
    if (isTimestamp(s)) return false;
    const plain = s.replaceAll('_', '');
    if (parsesAsGoInt(plain)) return false;
    if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return false;
    const bin = /^(-?)0b([01]+)$/.exec(plain);
    if (bin) {
      const v = BigInt(`0b${bin[2]}`) * (bin[1] ? -1n : 1n);
      if ((v >= INT64_MIN && v <= INT64_MAX) || (v >= 0n && v <= UINT64_MAX)) return false;
    }
  }
  return true;
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/**
 * go-yaml reads the JSON text as YAML: a raw NEL (U+0085, the only line break Go's JSON leaves
 * unescaped) inside a double-quoted scalar is line folding — the spaces around it go, one break
 * becomes a space, n breaks n−1 newlines.
 */
function foldNel(s: string): string {
  if (!s.includes('\u0085')) return s;
  return s.replace(/ *\u0085[ \u0085]*/g, (m) => {
    const breaks = [...m].filter((c) => c === '\u0085').length;
    return breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
  });
}

/** encode.go stringv: the style asked of the emitter for a string (as go-yaml read it back). */
function stringNode(raw: string): ScalarNode {
  const s = foldNel(raw);
  const canUsePlain = resolvesToString(s) && !BASE60_FLOAT.test(s);
  return { kind: 'scalar', text: s, style: s.includes('\n') ? 'literal' : canUsePlain ? 'plain' : 'double' };
}

const isLetter = (c: string) => /\p{L}/u.test(c);
const isDigit = (c: string) => /\p{Nd}/u.test(c);

/** sorter.go keyList.Less for two string keys. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i]!;
    const bc = br[i]!;
    if (ac === bc) continue;
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return ac.codePointAt(0)! < bc.codePointAt(0)!;
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = BigInt.asIntN(64, an * 10n + BigInt(ar[ai]!.codePointAt(0)! - 48));
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = BigInt.asIntN(64, bn * 10n + BigInt(br[bi]!.codePointAt(0)! - 48));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac.codePointAt(0)! < bc.codePointAt(0)!;
  }
  return ar.length < br.length;
}

function toNode(v: unknown): Node {
  if (v === null || v === undefined) return { kind: 'scalar', text: 'null', style: 'plain' };
  if (typeof v === 'boolean') return { kind: 'scalar', text: v ? 'true' : 'false', style: 'plain' };
  if (typeof v === 'number') return { kind: 'scalar', text: numberText(v), style: 'plain' };
  if (typeof v === 'string') return stringNode(v);
  if (Array.isArray(v)) return { kind: 'seq', items: v.map(toNode) };
  if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
    keys.sort((a, b) => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0));
    return { kind: 'map', entries: keys.map((k) => [stringNode(k), toNode((v as Record<string, unknown>)[k])] as const) };
  }
  throw new TypeError(`yaml: cannot marshal ${typeof v}`);
}

// ---------------------------------------------------------------------------------------------
// The emitter (emitterc.go), block style only, best_indent 2, best_width 80, unicode on.

const BEST_INDENT = 2;
const BEST_WIDTH = 80;

const isBreak = (c: string | undefined) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isSpace = (c: string | undefined) => c === ' ';
const isBlank = (c: string | undefined) => c === ' ' || c === '\t';
const isBlankz = (c: string | undefined) => isBlank(c) || isBreak(c) || c === '\0' || c === undefined;

function isPrintable(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

interface ScalarAnalysis {
  readonly multiline: boolean;
  readonly blockPlainAllowed: boolean;
  readonly singleQuotedAllowed: boolean;
  readonly blockAllowed: boolean;
}

/** yaml_emitter_analyze_scalar (the flow-context flags are not needed: empty collections only). */
function analyzeScalar(value: readonly string[]): ScalarAnalysis {
  if (value.length === 0) return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  const head = value.slice(0, 3).join('');
  if (head === '---' || head === '...') blockIndicators = true;
  let precededByWhitespace = true;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const followedByWhitespace = i + 1 >= value.length || isBlank(value[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      else if ((c === '?' || c === ':' || c === '-') && followedByWhitespace) blockIndicators = true;
    } else if (c === ':' && followedByWhitespace) blockIndicators = true;
    else if (c === '#' && precededByWhitespace) blockIndicators = true;
    if (!isPrintable(c)) special = true;
    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (i === value.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === value.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(c);
  }
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || special) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

class Emitter {
  private out = '';
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private whitespace = true;
  private indention = true;

  text(): string {
    return this.out;
  }

  // -- primitives (put, put_break, write, write_break)
  private put(c: string): void {
    this.out += c;
    this.column++;
  }
  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }
  private writeBreak(c: string): void {
    if (c === '\n') this.putBreak();
    else {
      this.out += c;
      this.column = 0;
    }
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }
  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  /** yaml_emitter_write_indent */
  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  /** yaml_emitter_write_indicator */
  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const c of indicator) this.put(c);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  // -- nodes

  /** The end of the document (yaml_emitter_emit_document_end's write_indent). */
  finish(): void {
    this.indent = -1;
    this.writeIndent();
  }

  node(n: Node, ctx: { mapping: boolean; simpleKey: boolean }): void {
    if (n.kind === 'scalar') return this.scalar(n, ctx.simpleKey);
    if (n.kind === 'seq') {
      if (n.items.length === 0) return this.emptyFlow('[', ']');
      this.increaseIndent(false, ctx.mapping && !this.indention);
      for (const item of n.items) {
        this.writeIndent();
        this.writeIndicator('-', true, false, true);
        this.node(item, { mapping: false, simpleKey: false });
      }
      return this.popIndent();
    }
    if (n.entries.length === 0) return this.emptyFlow('{', '}');
    this.increaseIndent(false, false);
    for (const [key, value] of n.entries) {
      this.writeIndent();
      const chars = Array.from(key.text);
      const simple = !analyzeScalar(chars).multiline && Buffer.byteLength(key.text, 'utf8') <= 128;
      if (simple) {
        this.scalar(key, true);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.node(key, { mapping: true, simpleKey: false });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(value, { mapping: true, simpleKey: false });
    }
    this.popIndent();
  }

  private emptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.writeIndicator(close, false, false, false);
  }

  /** yaml_emitter_select_scalar_style + process_scalar, inside emit_scalar's indent increase. */
  private scalar(n: ScalarNode, simpleKey: boolean): void {
    const value = Array.from(n.text);
    const a = analyzeScalar(value);
    let style = n.style;
    if (simpleKey && a.multiline) style = 'double';
    if (style === 'plain') {
      if (!a.blockPlainAllowed) style = 'single';
      if (value.length === 0 && simpleKey) style = 'single';
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!a.blockAllowed || simpleKey)) style = 'double';
    this.increaseIndent(true, false);
    const allowBreaks = !simpleKey;
    if (style === 'plain') this.plain(value, allowBreaks);
    else if (style === 'single') this.singleQuoted(value, allowBreaks);
    else if (style === 'double') this.doubleQuoted(value, allowBreaks);
    else this.literal(value);
    this.popIndent();
  }

  private plain(value: readonly string[], allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    let spaces = false;
    for (let i = 0; i < value.length; i++) {
      const c = value[i]!;
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && !isSpace(value[i + 1])) this.writeIndent();
        else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        this.indention = false;
        spaces = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private singleQuoted(value: readonly string[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < value.length; i++) {
      const c = value[i]!;
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < value.length - 1 && !isSpace(value[i + 1])) {
          this.writeIndent();
        } else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (c === "'") this.put("'");
        this.put(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private doubleQuoted(value: readonly string[], allowBreaks: boolean): void {
    const ESCAPES: Record<number, string> = {
      0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e',
      0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
    };
    // go-yaml's is_bom looks at the string's first bytes whatever the index: a leading BOM
    // escapes every character.
    const bom = value[0] === '\ufeff';
    let spaces = false;
    this.writeIndicator('"', true, false, false);
    for (let i = 0; i < value.length; i++) {
      const c = value[i]!;
      if (!isPrintable(c) || bom || isBreak(c) || c === '"' || c === '\\') {
        const v = c.codePointAt(0)!;
        this.put('\\');
        const short = ESCAPES[v];
        if (short !== undefined) this.put(short);
        else {
          const [letter, width] = v <= 0xff ? ['x', 2] : v <= 0xffff ? ['u', 4] : ['U', 8];
          this.put(letter);
          for (const d of v.toString(16).toUpperCase().padStart(width, '0')) this.put(d);
        }
        spaces = false;
      } else if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < value.length - 1) {
          this.writeIndent();
          if (isSpace(value[i + 1])) this.put('\\');
        } else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private literal(value: readonly string[]): void {
    this.writeIndicator('|', true, false, false);
    // yaml_emitter_write_block_scalar_hints
    if (isSpace(value[0]) || isBreak(value[0])) this.writeIndicator(String(BEST_INDENT), false, false, false);
    let chomp = '';
    const last = value.length - 1;
    if (value.length === 0 || !isBreak(value[last])) chomp = '-';
    else if (last === 0 || isBreak(value[last - 1])) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of value) {
      if (isBreak(c)) {
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

/** sigs.k8s.io/yaml.Marshal of a JSON-compatible value (helm's `-o yaml` and values output). */
export function goYaml(value: unknown): string {
  const e = new Emitter();
  e.node(toNode(value), { mapping: false, simpleKey: false });
  e.finish();
  return e.text();
}
