/**
 * A reader for the YAML that kubeconfigs are written in (kubectl's, clouds' and certificate
 * generators' output): block mappings and sequences of one-line scalars. It exists for speed:
 * the first parse by the `yaml` package runs much cold code and costs a read command more than
 * its HTTP request. Anything outside that subset — flow collections, anchors, tags, block or
 * multi-line scalars, numbers and other typed scalars, unusual keys — makes it answer
 * undefined, and the caller parses with `yaml` instead. Pure.
 */

type Value = string | boolean | null | Value[] | { [key: string]: Value };

interface Line {
  readonly indent: number;
  /** The line without its indentation and trailing comment or spaces. */
  readonly text: string;
}

/** Thrown inside the reader when the text leaves the subset; never escapes parseKubeconfigYaml. */
class Unsupported extends Error {}

const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;
// A plain scalar that could resolve to anything but a string (number, special float, YAML 1.1
// boolean), or that starts with an indicator character, is not read here.
const NOT_PLAIN_STRING = /^(?:[?:,[\]{}#&*!|>'"%@`]|-(?: |$)|[-+]?[.0-9]|(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|True|TRUE|False|FALSE|Null|NULL)$)/;

function lines(text: string): Line[] {
  const out: Line[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const content = raw.trimEnd();
    const body = content.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    if (/^\t/.test(raw) || /^ *\t/.test(raw)) throw new Unsupported('tab indentation');
    if (body === '---' || body === '...' || body.startsWith('%') || body.startsWith('--- ')) throw new Unsupported('document markers');
    out.push({ indent: content.length - body.length, text: stripComment(body) });
  }
  return out;
}

/** The text before a ` #` comment, outside quotes. */
function stripComment(s: string): string {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || s[i - 1] === ' ')) {
      return s.slice(0, i).trimEnd();
    }
  }
  return s;
}

function scalar(s: string): Value {
  if (s === '' || s === '~' || s === 'null') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'$/.exec(s);
    if (!m) throw new Unsupported('single-quoted scalar');
    return m[1]!.replaceAll("''", "'");
  }
  if (s.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"$/.exec(s);
    if (!m) throw new Unsupported('double-quoted scalar');
    return m[1]!.replace(/\\(.)/g, (_all, c: string) => {
      const escaped: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t' };
      const out = escaped[c];
      if (out === undefined) throw new Unsupported('escape');
      return out;
    });
  }
  if (NOT_PLAIN_STRING.test(s) || s.includes(': ') || s.endsWith(':') || s.includes(' #')) throw new Unsupported(`plain scalar ${s}`);
  return s;
}

/** `key: rest` or `key:`; undefined when the text is not a mapping entry. */
function entry(text: string): { key: string; rest: string } | undefined {
  const i = text.indexOf(':');
  if (i <= 0 || (i + 1 < text.length && text[i + 1] !== ' ')) return undefined;
  const key = text.slice(0, i);
  if (!PLAIN_KEY.test(key) || NOT_PLAIN_STRING.test(key) || key === 'null' || key === 'true' || key === 'false' || key === '<<') {
    throw new Unsupported(`key ${key}`);
  }
  return { key, rest: text.slice(i + 1).trim() };
}

class Reader {
  private i = 0;
  constructor(private readonly ls: readonly Line[]) {}

  done(): boolean {
    return this.i >= this.ls.length;
  }

  /** A block (mapping or sequence) whose lines start at exactly `indent`. */
  block(indent: number): Value {
    const first = this.ls[this.i];
    if (!first || first.indent !== indent) throw new Unsupported('indentation');
    return first.text === '-' || first.text.startsWith('- ') ? this.sequence(indent) : this.mapping(indent, undefined);
  }

  /** A value after `key:` with nothing else on its line: a nested block, or null. */
  private nested(parent: number, sequenceAllowedAtParent: boolean): Value {
    const next = this.ls[this.i];
    if (!next) return null;
    if (next.indent > parent) return this.block(next.indent);
    // kubectl writes `clusters:` then `- name: …` at the key's own indentation.
    if (sequenceAllowedAtParent && next.indent === parent && (next.text === '-' || next.text.startsWith('- '))) return this.sequence(parent);
    return null;
  }

  /** Mapping entries at `indent`; `firstText` is an entry already taken from a `- ` line. */
  private mapping(indent: number, firstText: string | undefined): Value {
    const out: Record<string, Value> = {};
    let text = firstText;
    for (;;) {
      if (text === undefined) {
        const line = this.ls[this.i];
        if (!line || line.indent < indent) break;
        if (line.indent > indent) throw new Unsupported('indentation');
        if (line.text === '-' || line.text.startsWith('- ')) break;
        text = line.text;
        this.i++;
      }
      const e = entry(text);
      if (!e) throw new Unsupported('mapping entry');
      if (Object.hasOwn(out, e.key)) throw new Unsupported('duplicate key');
      out[e.key] = e.rest === '' ? this.nested(indent, true) : this.inline(e.rest);
      text = undefined;
    }
    return out;
  }

  private sequence(indent: number): Value[] {
    const out: Value[] = [];
    for (;;) {
      const line = this.ls[this.i];
      if (!line || line.indent !== indent || !(line.text === '-' || line.text.startsWith('- '))) break;
      this.i++;
      const rest = line.text.slice(1).trimStart();
      if (rest === '') out.push(this.nested(indent, false));
      else if (rest === '-' || rest.startsWith('- ')) throw new Unsupported('nested compact sequence');
      else if (entry(rest)) out.push(this.mapping(indent + 1 + (line.text.length - 1 - rest.length), rest));
      else out.push(this.inline(rest));
    }
    return out;
  }

  private inline(rest: string): Value {
    if (rest === '[]') return [];
    if (rest === '{}') return {};
    return scalar(rest);
  }
}

/** The document as `yaml`'s parse would give it, or undefined when the text is outside the subset. */
export function parseKubeconfigYaml(text: string): unknown {
  try {
    const ls = lines(text);
    if (ls.length === 0) return undefined;
    const r = new Reader(ls);
    const doc = r.block(ls[0]!.indent);
    return r.done() ? doc : undefined;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}
