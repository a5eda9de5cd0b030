/**
 * The YAML tree the Sigma reader (parse.ts) works on: mappings, sequences and scalars with the
 * offsets that become file:line:col in messages. Two ways to get one:
 *
 * - readFast: a reader for the block YAML Sigma rules are written in (block mappings and
 *   sequences, one-line plain and quoted scalars, `|` literal blocks, comments, `---`). It gives
 *   up (returns null) on anything else: flow collections, anchors and aliases, tags, folded or
 *   multi-line scalars, tabs, directives, duplicate keys, and whatever it does not read exactly as
 *   the `yaml` package does. On the SigmaHQ corpus (3,151 files) it reads ~99% of files, ~25x
 *   faster than `yaml`'s parseAllDocuments (which took ~2-4 s of the ~5-9 s it took to load the
 *   corpus, measured with the windows pipeline on a 2-core machine).
 * - fromYaml: the same tree from a document of the `yaml` package, for everything else (and for
 *   every file with a YAML error: the messages are the `yaml` package's).
 *
 * The two agree node for node (kind, value, scalar type and source, offsets): yaml-tree.test.ts
 * checks this on fixtures and generated documents.
 */
import { isAlias, isMap, isScalar, isSeq, type Document } from 'yaml';

export type ScalarType = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE' | 'BLOCK_LITERAL' | 'BLOCK_FOLDED';

export interface YScalar {
  kind: 'scalar';
  /** Offset of the scalar's first character (the quote, or the `|` of a block scalar). */
  start: number;
  /** Offset just past the value (past the closing quote); meaningful for plain and quoted scalars. */
  end: number;
  /** null, boolean, number or string (YAML 1.2 core schema); other types only from tagged `yaml` input. */
  value: unknown;
  type: ScalarType;
  /** The text the value was resolved from (`0x17` for 23). */
  source: string;
}
export interface YPair { key: YNode | null; value: YNode | null }
export interface YMap { kind: 'map'; start: number; items: YPair[] }
export interface YSeq { kind: 'seq'; start: number; items: Array<YNode | null> }
export type YNode = YScalar | YMap | YSeq;

/**
 * The JavaScript value of a node, as `yaml`'s toJS gives it. With `memo`, a node met twice (an
 * alias) gives one shared value; trees from readFast share no nodes and need none.
 */
export function toJS(n: YNode | null, memo?: Map<YNode, unknown>): unknown {
  if (n === null) return null;
  if (n.kind === 'scalar') return n.value;
  const seen = memo?.get(n);
  if (seen !== undefined) return seen;
  if (n.kind === 'seq') {
    const a: unknown[] = [];
    memo?.set(n, a);
    for (const it of n.items) a.push(toJS(it, memo));
    return a;
  }
  const o: Record<string, unknown> = {};
  memo?.set(n, o);
  for (const { key, value } of n.items) {
    const jk = toJS(key, memo);
    const k = jk === null ? '' : typeof jk === 'object' ? JSON.stringify(jk) : String(jk);
    const v = toJS(value, memo);
    // As `yaml` does: keys Object.prototype has (`__proto__`, `constructor`) become own properties.
    if (k in o) Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
    else o[k] = v;
  }
  return o;
}

/** The tree of a parsed `yaml` document node. Aliases become the node they name (shared). */
export function fromYaml(n: unknown, doc: Document.Parsed, memo: Map<unknown, YNode> = new Map()): YNode | null {
  if (n === null || n === undefined) return null;
  if (isAlias(n)) {
    const target = n.resolve(doc);
    return target === undefined ? null : fromYaml(target, doc, memo);
  }
  const seen = memo.get(n);
  if (seen !== undefined) return seen;
  if (isScalar(n)) {
    const start = n.range?.[0] ?? 0;
    const s: YScalar = { kind: 'scalar', start, end: n.range?.[1] ?? start, value: n.value, type: (n.type ?? 'PLAIN') as ScalarType, source: typeof n.source === 'string' ? n.source : '' };
    memo.set(n, s);
    return s;
  }
  if (isMap(n)) {
    const m: YMap = { kind: 'map', start: n.range?.[0] ?? 0, items: [] };
    memo.set(n, m);
    for (const p of n.items) m.items.push({ key: fromYaml(p.key, doc, memo), value: fromYaml(p.value, doc, memo) });
    return m;
  }
  if (isSeq(n)) {
    const s: YSeq = { kind: 'seq', start: n.range?.[0] ?? 0, items: [] };
    memo.set(n, s);
    for (const it of n.items) s.items.push(fromYaml(it, doc, memo));
    return s;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The fast reader

export interface FastParse {
  /** One root per document (null: an empty document). */
  docs: Array<YNode | null>;
  /** Offset of the start of every line, as yaml's LineCounter holds them. */
  lineStarts: number[];
}

/** Tabs, control characters, BOM, line separators and a lone CR: left to `yaml`. */
const UNSUPPORTED_TEXT = /[\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]|\r(?!\n)/;

/** Thrown (one shared value: nothing allocated) to give up on a text. */
const GIVE_UP = { giveUp: true };

const SP = 32, HASH = 35, DASH = 45, COLON = 58, SQUOTE = 39, DQUOTE = 34, PIPE = 124, BACKSLASH = 92;
/** Characters a plain scalar cannot start with (YAML c-indicator, minus `-` `?` `:` which may start one when followed by a non-space). */
const INDICATOR = new Uint8Array(128);
for (const c of ',[]{}#&*!|>\'"%@`') INDICATOR[c.charCodeAt(0)] = 1;

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', N: '\u0085',
  _: '\u00a0', L: '\u2028', P: '\u2029', ' ': ' ', '"': '"', '/': '/', '\\': '\\',
};

const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const HEX_RE = /^0x[0-9a-fA-F]+$/;
const NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value under the YAML 1.2 core schema, tested in `yaml`'s order. */
export function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Only these first characters can start a non-string (`~`, null, true, false, digits, signs, `.`).
  if (s.length > 0 && c !== 126 && c !== 110 && c !== 78 && c !== 116 && c !== 84 && c !== 102 && c !== 70 && c !== 43 && c !== 45 && c !== 46 && !(c >= 48 && c <= 57)) return s;
  if (NULL_RE.test(s)) return null;
  if (BOOL_RE.test(s)) return c === 116 || c === 84;
  if (OCT_RE.test(s)) return parseInt(s.substring(2), 8);
  if (INT_RE.test(s)) return parseInt(s, 10);
  if (HEX_RE.test(s)) return parseInt(s.substring(2), 16);
  if (NAN_RE.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (EXP_RE.test(s) || FLOAT_RE.test(s)) return parseFloat(s);
  return s;
}

/**
 * Reads `text` when it is in the subset described above, else returns null (read it with `yaml`).
 * Never returns a tree for a text `yaml` reports an error in.
 */
export function readFast(text: string): FastParse | null {
  if (UNSUPPORTED_TEXT.test(text)) return null;
  try {
    return new FastReader(text).read();
  } catch (e) {
    if (e === GIVE_UP) return null;
    throw e;
  }
}

const BLANK = 0, COMMENT = 1, CONTENT = 2;

class FastReader {
  private readonly ls: number[] = [];
  private readonly le: number[] = [];
  private readonly ind: number[] = [];
  private readonly kind: number[] = [];
  /** End (exclusive line index) of the current document, and the next line not yet read. */
  private end = 0;
  private li = 0;

  constructor(private readonly text: string) {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      let e = nl < 0 ? text.length : nl;
      if (e > start && text.charCodeAt(e - 1) === 13) e--;
      let p = start;
      while (p < e && text.charCodeAt(p) === SP) p++;
      this.ls.push(start);
      this.le.push(e);
      this.ind.push(p - start);
      this.kind.push(p === e ? BLANK : text.charCodeAt(p) === HASH ? COMMENT : CONTENT);
      if (nl < 0) break;
      start = nl + 1;
    }
  }

  read(): FastParse {
    const docs: Array<YNode | null> = [];
    const n = this.ls.length;
    let from = 0;
    let marked = false;
    for (let l = 0; l < n; l++) {
      if (!this.isMarker(l)) continue;
      // Lines before the first `---` are a document only if they hold something.
      if (marked || this.nextContentIn(from, l) < l) docs.push(this.document(from, l));
      marked = true;
      from = l + 1;
    }
    if (marked || this.nextContentIn(from, n) < n) docs.push(this.document(from, n));
    return { docs, lineStarts: this.ls };
  }

  /** A `---` line (alone, or with a comment); gives up on `...` and directives. */
  private isMarker(l: number): boolean {
    const { text } = this;
    const s = this.ls[l]!, e = this.le[l]!;
    if (s === e) return false;
    const c = text.charCodeAt(s);
    if (c === 37 /* % */) throw GIVE_UP;
    if (c !== DASH && c !== 46 /* . */) return false;
    if (!text.startsWith(c === DASH ? '---' : '...', s) || (s + 3 < e && text.charCodeAt(s + 3) !== SP)) return false;
    if (c !== DASH) throw GIVE_UP;
    let p = s + 3;
    while (p < e && text.charCodeAt(p) === SP) p++;
    if (p < e && text.charCodeAt(p) !== HASH) throw GIVE_UP; // content after ---
    return true;
  }

  private nextContentIn(from: number, to: number): number {
    let l = from;
    while (l < to && this.kind[l] !== CONTENT) l++;
    return l;
  }

  private nextContent(from: number): number {
    return this.nextContentIn(from, this.end);
  }

  private document(from: number, to: number): YNode | null {
    this.end = to;
    const first = this.nextContent(from);
    if (first >= to) return null;
    const root = this.node(first, this.ind[first]!, -1);
    if (root.kind !== 'map') throw GIVE_UP; // the Sigma reader reports these; let `yaml` place them
    if (this.nextContent(this.li) < to) throw GIVE_UP;
    return root;
  }

  private isSeqItem(l: number, col: number): boolean {
    const p = this.ls[l]! + col;
    return this.text.charCodeAt(p) === DASH && (p + 1 >= this.le[l]! || this.text.charCodeAt(p + 1) === SP);
  }

  /** The node whose first character is at line l, column col; `parent` is the enclosing indentation. */
  private node(l: number, col: number, parent: number): YNode {
    if (this.isSeqItem(l, col)) {
      if (col !== this.ind[l]) throw GIVE_UP; // "- - x": a sequence in a sequence item
      return this.seq(l, col, false);
    }
    const key = this.keyAt(l, col);
    if (key !== null) return this.map(l, col, key);
    return this.inline(l, this.ls[l]! + col, parent);
  }

  /** A mapping key at line l, column col (`key:` followed by a space or the end of the line), or null. */
  private keyAt(l: number, col: number): { node: YScalar; after: number } | null {
    const { text } = this;
    const p0 = this.ls[l]! + col, e = this.le[l]!;
    const c = text.charCodeAt(p0);
    let node: YScalar;
    let p: number;
    if (c === SQUOTE || c === DQUOTE) {
      node = this.quoted(l, p0);
      p = node.end;
      while (p < e && text.charCodeAt(p) === SP) p++;
      if (p >= e || text.charCodeAt(p) !== COLON) return null;
    } else {
      if (c < 128 && INDICATOR[c] === 1) return null;
      if ((c === DASH || c === 63 /* ? */ || c === COLON) && (p0 + 1 >= e || text.charCodeAt(p0 + 1) === SP)) return null;
      let colon = -1;
      for (p = p0; p < e; p++) {
        const ch = text.charCodeAt(p);
        if (ch === COLON && (p + 1 >= e || text.charCodeAt(p + 1) === SP)) { colon = p; break; }
        if (ch === HASH && text.charCodeAt(p - 1) === SP) return null;
      }
      if (colon < 0) return null;
      let ke = colon;
      while (ke > p0 && text.charCodeAt(ke - 1) === SP) ke--;
      const source = text.slice(p0, ke);
      if (source.length > 1000 || source === '<<' || typeof resolvePlain(source) !== 'string') throw GIVE_UP;
      node = { kind: 'scalar', start: p0, end: ke, value: source, type: 'PLAIN', source };
    }
    if (p + 1 < e && text.charCodeAt(p + 1) !== SP) return null;
    return { node, after: p + 1 };
  }

  /** A block mapping at column col whose first key (on line l) is `first`. */
  private map(l: number, col: number, first: { node: YScalar; after: number }): YMap {
    const m: YMap = { kind: 'map', start: this.ls[l]! + col, items: [] };
    const keys = new Set<string>();
    let line = l, key = first;
    for (;;) {
      const k = key.node.value as string;
      if (keys.has(k)) throw GIVE_UP; // `yaml` reports duplicate keys
      keys.add(k);
      m.items.push({ key: key.node, value: this.valueAfter(line, key.after, col) });
      const next = this.nextContent(this.li);
      if (next >= this.end || this.ind[next]! < col) return m;
      if (this.ind[next]! > col) throw GIVE_UP;
      const nk = this.keyAt(next, col);
      if (nk === null) throw GIVE_UP;
      line = next;
      key = nk;
    }
  }

  /** The value of a mapping entry whose `:` ends just before `pos` on line l; `parent` is the mapping's column. */
  private valueAfter(l: number, pos: number, parent: number): YNode {
    const { text } = this;
    const e = this.le[l]!;
    let p = pos;
    while (p < e && text.charCodeAt(p) === SP) p++;
    if (p < e && text.charCodeAt(p) !== HASH) return this.inline(l, p, parent);
    const next = this.nextContent(l + 1);
    if (next < this.end) {
      const ni = this.ind[next]!;
      if (ni > parent) return this.node(next, ni, parent);
      if (ni === parent && this.isSeqItem(next, ni)) return this.seq(next, ni, true);
    }
    this.li = l + 1;
    return { kind: 'scalar', start: p, end: p, value: null, type: 'PLAIN', source: '' };
  }

  /** A block sequence whose items start at column col; `sameIndent`: the value of a key in that column. */
  private seq(l: number, col: number, sameIndent: boolean): YSeq {
    const { text } = this;
    const s: YSeq = { kind: 'seq', start: this.ls[l]! + col, items: [] };
    let line = l;
    for (;;) {
      const e = this.le[line]!;
      let p = this.ls[line]! + col + 1;
      while (p < e && text.charCodeAt(p) === SP) p++;
      if (p >= e || text.charCodeAt(p) === HASH) {
        const next = this.nextContent(line + 1);
        if (next < this.end && this.ind[next]! > col) s.items.push(this.node(next, this.ind[next]!, col));
        else {
          s.items.push({ kind: 'scalar', start: p, end: p, value: null, type: 'PLAIN', source: '' });
          this.li = line + 1;
        }
      } else {
        const c = p - this.ls[line]!;
        if (this.isSeqItem(line, c)) throw GIVE_UP;
        s.items.push(this.node(line, c, col));
      }
      const next = this.nextContent(this.li);
      if (next >= this.end) return s;
      const ni = this.ind[next]!;
      if (ni === col && this.isSeqItem(next, col)) { line = next; continue; }
      if (ni < col || (ni === col && sameIndent)) return s;
      throw GIVE_UP;
    }
  }

  /** A scalar starting at offset p of line l, the rest of the line being at most a comment. */
  private inline(l: number, p: number, parent: number): YScalar {
    const { text } = this;
    const e = this.le[l]!;
    const c = text.charCodeAt(p);
    let node: YScalar;
    if (c === PIPE) return this.literal(l, p, parent);
    if (c === SQUOTE || c === DQUOTE) {
      node = this.quoted(l, p);
      let q = node.end;
      while (q < e && text.charCodeAt(q) === SP) q++;
      if (q < e && (text.charCodeAt(q) !== HASH || q === node.end)) throw GIVE_UP;
    } else {
      if (c < 128 && INDICATOR[c] === 1) throw GIVE_UP;
      if ((c === DASH || c === 63 || c === COLON) && (p + 1 >= e || text.charCodeAt(p + 1) === SP)) throw GIVE_UP;
      let q = p;
      for (; q < e; q++) {
        const ch = text.charCodeAt(q);
        if (ch === COLON && (q + 1 >= e || text.charCodeAt(q + 1) === SP)) throw GIVE_UP; // a mapping on the same line
        if (ch === HASH && text.charCodeAt(q - 1) === SP) break;
      }
      while (q > p && text.charCodeAt(q - 1) === SP) q--;
      const source = text.slice(p, q);
      node = { kind: 'scalar', start: p, end: q, value: resolvePlain(source), type: 'PLAIN', source };
    }
    this.li = l + 1;
    // A more indented line next would continue the scalar (folded) or be an error.
    const next = this.nextContent(this.li);
    if (next < this.end && this.ind[next]! > parent) throw GIVE_UP;
    return node;
  }

  /** A one-line quoted scalar at offset p of line l. */
  private quoted(l: number, p: number): YScalar {
    const { text } = this;
    const e = this.le[l]!;
    const dq = text.charCodeAt(p) === DQUOTE;
    let out = '';
    let run = p + 1;
    for (let q = p + 1; q < e; q++) {
      const ch = text.charCodeAt(q);
      if (!dq) {
        if (ch !== SQUOTE) continue;
        out += text.slice(run, q);
        if (q + 1 < e && text.charCodeAt(q + 1) === SQUOTE) { out += "'"; q++; run = q + 1; continue; }
        return { kind: 'scalar', start: p, end: q + 1, value: out, type: 'QUOTE_SINGLE', source: out };
      }
      if (ch === DQUOTE) {
        out += text.slice(run, q);
        return { kind: 'scalar', start: p, end: q + 1, value: out, type: 'QUOTE_DOUBLE', source: out };
      }
      if (ch !== BACKSLASH) continue;
      out += text.slice(run, q);
      if (q + 1 >= e) throw GIVE_UP; // an escaped line break
      const n = text[q + 1]!;
      const simple = ESCAPES[n];
      if (simple !== undefined) { out += simple; q++; }
      else if (n === 'x' || n === 'u' || n === 'U') {
        const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
        const hex = text.slice(q + 2, q + 2 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) throw GIVE_UP;
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) throw GIVE_UP;
        out += String.fromCodePoint(code);
        q += 1 + len;
      } else throw GIVE_UP;
      run = q + 1;
    }
    throw GIVE_UP; // no closing quote on this line
  }

  /** A `|` or `|-` literal block scalar whose header is at offset p of line l. */
  private literal(l: number, p: number, parent: number): YScalar {
    const { text, ls, le, ind, kind } = this;
    let q = p + 1;
    const e = le[l]!;
    const strip = q < e && text.charCodeAt(q) === DASH;
    if (strip) q++;
    const h = q;
    while (q < e && text.charCodeAt(q) === SP) q++;
    if (q < e && (text.charCodeAt(q) !== HASH || q === h)) throw GIVE_UP; // keep (+), indentation indicator, ...
    let k = l + 1;
    let leadingBlank = 0;
    let widestBlank = 0;
    while (k < this.end && kind[k] === BLANK) { widestBlank = Math.max(widestBlank, le[k]! - ls[k]!); leadingBlank++; k++; }
    if (k >= this.end || ind[k]! <= parent) throw GIVE_UP; // an empty block scalar
    const ci = ind[k]!;
    if (widestBlank > ci) throw GIVE_UP;
    const parts: string[] = [];
    for (let i = 0; i < leadingBlank; i++) parts.push('');
    for (; k < this.end; k++) {
      if (kind[k] === BLANK) {
        if (le[k]! - ls[k]! > ci) throw GIVE_UP; // spaces that would be content
        parts.push('');
        continue;
      }
      if (ind[k]! < ci) break;
      parts.push(text.slice(ls[k]! + ci, le[k]!));
    }
    let n = parts.length;
    while (n > 0 && parts[n - 1] === '') n--;
    parts.length = n;
    const value = parts.join('\n') + (strip ? '' : '\n');
    this.li = k;
    const next = this.nextContent(k);
    if (next < this.end && ind[next]! > parent) throw GIVE_UP;
    return { kind: 'scalar', start: p, end: p, value, type: 'BLOCK_LITERAL', source: value };
  }
}
