/**
 * STIX 2.1 indicators: the bundle's `indicator` objects and the part of the STIX patterning
 * language that names single values. A pattern is used when it is a disjunction (OR, at either
 * level) of comparisons `=`, `IN (...)` or (for addresses) `ISSUBSET '<cidr>'` on these paths:
 *
 *   ipv4-addr:value, ipv6-addr:value            an address or a network
 *   network-traffic:src_ref.value / dst_ref.value   an address
 *   domain-name:value                           a domain (and everything below it)
 *   url:value                                   a URL
 *   file:hashes.MD5 / 'SHA-1' / 'SHA-256'       a hash (SHA1, SHA256 spelled without the dash too)
 *
 * Anything else (AND, FOLLOWEDBY, qualifiers such as WITHIN or REPEATS, MATCHES/LIKE, other paths,
 * other pattern types such as YARA or Sigma) cannot be decided on one value, so the indicator is
 * counted as unsupported rather than turned into a looser match. A disjunction with some
 * supported comparisons keeps those (each is sufficient on its own) and reports the others.
 */
import { toTime } from '../../../ocsf/map-kit.js';
import type { Slicer } from '../../../enrich/resource.js';
import { newMeta, resetMeta, type IndexBuilder, type Want } from './store.js';

export interface PatternTerm { want: Want; value: string }
export interface ParsedPattern { terms: PatternTerm[]; /** Comparisons left out, by reason. */ ignored: string[] }

export class PatternError extends Error {}

type Tok =
  | { t: '[' | ']' | '(' | ')' | ',' }
  | { t: 'str'; v: string }
  | { t: 'op'; v: string }
  | { t: 'word'; v: string };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'FOLLOWEDBY', 'IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET', 'EXISTS', 'WITHIN', 'REPEATS', 'TIMES', 'START', 'STOP', 'SECONDS']);

/** Letters, digits and `_ - : . *`: the characters of keywords, numbers and object paths. */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 58 || c === 46 || c === 42;
}

function tokenize(p: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = p.length;
  const readString = (): string => {
    // 'text' with \' and \\ escapes
    let s = '';
    i++;
    for (;;) {
      if (i >= n) throw new PatternError('unterminated string');
      const c = p[i]!;
      if (c === '\\') { if (i + 1 >= n) throw new PatternError('unterminated string'); s += p[i + 1]!; i += 2; continue; }
      if (c === "'") { i++; return s; }
      s += c;
      i++;
    }
  };
  while (i < n) {
    const c = p[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '[' || c === ']' || c === '(' || c === ')' || c === ',') { out.push({ t: c }); i++; continue; }
    if (c === "'") { out.push({ t: 'str', v: readString() }); continue; }
    if (c === '=' || c === '!' || c === '<' || c === '>') {
      const two = p.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') { out.push({ t: 'op', v: two }); i += 2; continue; }
      if (c === '!') throw new PatternError('unexpected "!"');
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    // A word: a keyword, a number, a typed literal prefix (t'...', h'...', b'...') or an object
    // path, whose parts may be quoted (`file:hashes.'SHA-256'`) or indexed (`values[*]`).
    let w = '';
    while (i < n) {
      const d = p[i]!;
      if (isWordChar(p.charCodeAt(i))) { w += d; i++; continue; }
      if (d === "'" && w.endsWith('.')) { w += `'${readString()}'`; continue; }
      if (d === "'" && (w === 't' || w === 'h' || w === 'b')) { w += `'${readString()}'`; break; }
      if (d === '[' && w.indexOf(':') >= 0) {
        const close = p.indexOf(']', i);
        if (close < 0) throw new PatternError('unclosed "["');
        w += p.slice(i, close + 1);
        i = close + 1;
        continue;
      }
      break;
    }
    if (!w) throw new PatternError(`unexpected ${JSON.stringify(c)}`);
    out.push({ t: 'word', v: w });
  }
  return out;
}

/** The indicator type a supported object path holds, or null. */
function pathWant(path: string): Want | null {
  switch (path) {
    case 'ipv4-addr:value': case 'ipv6-addr:value':
    case 'network-traffic:src_ref.value': case 'network-traffic:dst_ref.value':
      return 'ip';
    case 'domain-name:value': return 'domain';
    case 'url:value': return 'url';
  }
  const m = /^file:hashes\.(?:'([^']+)'|([A-Za-z0-9-]+))$/.exec(path);
  if (m) {
    switch ((m[1] ?? m[2]!).toUpperCase().replace('-', '')) {
      case 'MD5': return 'md5';
      case 'SHA1': return 'sha1';
      case 'SHA256': return 'sha256';
    }
  }
  return null;
}

class PatternParser {
  private i = 0;
  readonly terms: PatternTerm[] = [];
  readonly ignored: string[] = [];
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok | undefined { return this.toks[this.i]; }
  private next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new PatternError('the pattern ends early');
    return t;
  }
  private isWord(t: Tok | undefined, w: string): boolean { return t !== undefined && t.t === 'word' && t.v.toUpperCase() === w; }
  private expect(t: Tok['t']): void {
    const x = this.next();
    if (x.t !== t) throw new PatternError(`expected "${t}"`);
  }

  parse(): void {
    this.observations();
    if (this.i < this.toks.length) {
      const t = this.toks[this.i]!;
      throw new PatternError(t.t === 'word' ? `${t.v.toUpperCase()} between observations` : 'unexpected text after the pattern');
    }
  }

  /** obs (OR obs)* — AND / FOLLOWEDBY between observations are unsupported. */
  private observations(): void {
    this.observation();
    while (this.isWord(this.peek(), 'OR')) { this.i++; this.observation(); }
  }

  private observation(): void {
    const t = this.next();
    if (t.t === '(') { this.observations(); this.expect(')'); return this.qualifiers(); }
    if (t.t !== '[') throw new PatternError('expected "["');
    this.comparisons();
    this.expect(']');
    this.qualifiers();
  }

  private qualifiers(): void {
    const t = this.peek();
    if (t && t.t === 'word' && ['WITHIN', 'REPEATS', 'START'].includes(t.v.toUpperCase())) throw new PatternError(`qualifier ${t.v.toUpperCase()}`);
  }

  /** comparison (OR comparison)* inside one observation; AND is unsupported. */
  private comparisons(): void {
    this.comparison();
    for (;;) {
      const t = this.peek();
      if (this.isWord(t, 'OR')) { this.i++; this.comparison(); continue; }
      if (this.isWord(t, 'AND')) throw new PatternError('AND');
      return;
    }
  }

  private comparison(): void {
    const t = this.next();
    if (t.t === '(') { this.comparisons(); this.expect(')'); return; }
    if (t.t !== 'word' || KEYWORDS.has(t.v.toUpperCase())) throw new PatternError(t.t === 'word' ? t.v.toUpperCase() : 'expected an object path');
    const path = t.v;
    let op = this.next();
    if (op.t === 'word' && op.v.toUpperCase() === 'NOT') throw new PatternError('NOT');
    let opText: string;
    if (op.t === 'op') opText = op.v;
    else if (op.t === 'word') opText = op.v.toUpperCase();
    else throw new PatternError(`expected an operator after ${path}`);
    const values: string[] = [];
    if (opText === 'IN') {
      this.expect('(');
      for (;;) {
        const v = this.next();
        if (v.t === 'str') values.push(v.v);
        else if (v.t === 'word') values.push('\u0000'); // not a string literal
        else throw new PatternError('expected a value in IN (...)');
        op = this.next();
        if (op.t === ')') break;
        if (op.t !== ',') throw new PatternError('expected "," or ")" in IN (...)');
      }
    } else {
      const v = this.next();
      if (v.t === 'str') values.push(v.v);
      else if (v.t === 'word') values.push('\u0000');
      else throw new PatternError(`expected a value after ${path} ${opText}`);
    }
    const want = pathWant(path);
    if (want === null) { this.ignored.push(`path ${path}`); return; }
    if (!(opText === '=' || opText === 'IN' || (opText === 'ISSUBSET' && want === 'ip'))) { this.ignored.push(`operator ${opText}`); return; }
    for (const v of values) {
      if (v === '\u0000') { this.ignored.push('a value that is not a string'); continue; }
      this.terms.push({ want: opText === 'ISSUBSET' ? 'cidr' : want, value: v });
    }
  }
}

/** The values a pattern names, or a PatternError saying why it cannot be used. */
export function parseStixPattern(pattern: string): ParsedPattern {
  const p = new PatternParser(tokenize(pattern));
  p.parse();
  return { terms: p.terms, ignored: p.ignored };
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj { return v !== null && typeof v === 'object' && !Array.isArray(v); }

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

/** The objects of a bundle (`{type: bundle, objects}`), a TAXII envelope (`{objects}`), a list or one object. */
function objectsOf(doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc;
  if (isObj(doc)) {
    if (Array.isArray(doc.objects)) return doc.objects;
    if (doc.type === 'indicator') return [doc];
  }
  throw new Error('not a STIX bundle: expected {"type": "bundle", "objects": [...]}, a list of objects or one indicator');
}

/** Add the indicators of a STIX 2.1 document to `b`. */
export async function parseStix(body: Buffer, b: IndexBuilder, slicer: Slicer): Promise<void> {
  let doc: unknown;
  // One JSON document: JSON.parse cannot be sliced (a 50 MB bundle holds the loop ~0.5 s once per change).
  try { doc = JSON.parse(body.toString('utf8')); } catch (e) { throw new Error(`not JSON: ${(e as Error).message}`); }
  const objects = objectsOf(doc);
  // A bundle may carry several versions of one indicator: only the latest `modified` counts.
  const latest = new Map<string, string>();
  for (const o of objects) {
    if (!isObj(o) || o.type !== 'indicator' || typeof o.id !== 'string') continue;
    const m = typeof o.modified === 'string' ? o.modified : '';
    const cur = latest.get(o.id);
    if (cur === undefined || m > cur) latest.set(o.id, m);
  }
  const meta = newMeta();
  for (const o of objects) {
    const tick = slicer.tick();
    if (tick) await tick;
    if (!isObj(o) || o.type !== 'indicator') continue;
    const id = typeof o.id === 'string' ? o.id : '(no id)';
    if (typeof o.id === 'string' && (typeof o.modified === 'string' ? o.modified : '') !== latest.get(o.id)) continue;
    if (o.revoked === true) { b.problem('skipped', 'revoked', id); continue; }
    const ptype = typeof o.pattern_type === 'string' ? o.pattern_type : 'stix';
    if (ptype !== 'stix') { b.problem('unsupported', `pattern_type ${ptype}`, id); continue; }
    if (typeof o.pattern !== 'string') { b.problem('invalid', 'no pattern', id); continue; }
    let parsed: ParsedPattern;
    try { parsed = parseStixPattern(o.pattern); } catch (e) {
      b.problem('unsupported', `pattern with ${(e as Error).message}`, `${id}: ${o.pattern}`);
      continue;
    }
    for (const why of parsed.ignored) b.problem('unsupported', `comparison on ${why}`, `${id}: ${o.pattern}`);
    if (parsed.terms.length === 0) continue;
    resetMeta(meta);
    meta.validFrom = toTime(o.valid_from) ?? NaN;
    meta.firstSeen = meta.validFrom;
    meta.expires = toTime(o.valid_until) ?? NaN;
    if (typeof o.confidence === 'number') meta.confidence = o.confidence;
    const desc = typeof o.description === 'string' && o.description ? o.description : typeof o.name === 'string' && o.name ? o.name : undefined;
    meta.description = desc;
    const tags = [...strings(o.indicator_types), ...strings(o.labels)];
    if (tags.length) meta.tags = [...new Set(tags)];
    for (const t of parsed.terms) b.add(t.value, t.want, meta);
  }
}
