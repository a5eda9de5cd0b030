/**
 * Compiles Sigma rules into closures, once; `match(event)` then runs for every rule on every
 * event, so everything that can be decided at compile time is.
 *
 * - Each detection item becomes one closure over precomputed path readers and one scalar test.
 *   The event value is lower-cased once per item (not per value), through a per-path one-slot
 *   cache so that the many rules that test the same field of the same event lower it once:
 *   toLowerCase of a 120-character command line costs ~48 ns, a cache hit ~9 ns (measured on
 *   Node 20, 2-core bench machine).
 * - Values become the cheapest test that is exactly equivalent to the Sigma string: `===` or a
 *   Set for equalities, startsWith/endsWith/includes for one-sided wildcards, a segment scan for
 *   `*`-only patterns, a small wildcard automaton when `?` occurs. RE2 only for `re`.
 * - Long OR lists switch form where measured faster: a Set from 3 equalities (12 ns vs ~3 ns per
 *   `===`), a literal-alternation RegExp from 4 `contains` (x5: 127 vs 243 ns, x20: 357 vs 869
 *   ns; literal alternation cannot backtrack catastrophically, so it needs no RE2), an
 *   Aho-Corasick automaton from 12 (AUTOMATON_CONTAINS), and a
 *   one-character dispatch table for 6+ startswith/endswith (20 endsWith: ~240 ns; the table
 *   reads one character and tries the 1-2 suffixes that end with it).
 * - Nothing is allocated per event except what toLowerCase/String(number) return.
 *
 * Semantics live in modifiers.ts (shared with interpret.ts, the plain cross-check).
 */
import RE2 from 're2';
import { Cidr, CidrSet } from '../expr/values.js';
import { checkReferences, ConditionError, matchIdentifiers, parseCondition } from './condition.js';
import {
  ANY, compare, KEYWORD_MAX_DEPTH, ModifierError, numberOf, ONE, planItem, regexLiterals, timePartOf,
  type Glob, type ItemPlan, type PlanOptions, type ValueTest,
} from './modifiers.js';
import { LiteralScanner } from './literal-scan.js';
import type { Condition, DetectionItem, RuleError, Search, SigmaFilter, SigmaRule } from './types.js';

export type SigmaEvent = Record<string, unknown>;
export type Predicate = (e: SigmaEvent) => boolean;

export interface CompiledRule {
  rule: SigmaRule;
  match(e: SigmaEvent): boolean;
}

export type CompileOptions = PlanOptions;

/** A rule (or filter) that cannot run: every problem found, each with its place. */
export class SigmaCompileError extends Error {
  override name = 'SigmaCompileError';
  constructor(readonly errors: RuleError[]) {
    super(errors.map((e) => `${e.place ? `${e.place.file}:${e.place.line}:${e.place.col}` : e.file}: ${e.message}`).join('\n'));
  }
}

// ---------------------------------------------------------------------------------------------
// Event paths

const PROTO_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

function own(o: Record<string, unknown>, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

// A snapshot of the top-level fields of the event being matched. A field read by name is a
// megamorphic property load, and V8's cache for those holds a few thousand (object shape, name)
// pairs: with hundreds of names (a pipeline gives each Sigma field three paths, one per rendering)
// over dozens of event shapes, it thrashes and every read takes the slow path, ~80 ns (measured on
// the OTRF Windows datasets: 78 shapes, 360 names), most of them reads of absent fields. Walking
// the event's own keys once and keeping the values of the names readers use costs ~1 ns per key;
// readers of the prepared event then read an array. SigmaEngine prepares each event it matches.
const topIds = new Map<string, number>();
const snapValues: unknown[] = [];
/** The ids set in the snapshot, the first snapCount of them (a count, not `length = 0`: see releaseEvent). */
const snapSet: number[] = [];
let snapCount = 0;
let snapEvent: SigmaEvent | null = null;

function topId(name: string): number {
  let id = topIds.get(name);
  if (id === undefined) {
    id = topIds.size;
    topIds.set(name, id);
    snapValues.push(undefined);
  }
  return id;
}

/**
 * The snapshot id of a top-level name (registering it): SigmaEngine files its scans by it, so
 * that it finds the scans an event needs from the ids prepareEvent saw, without a second walk.
 */
export function topNameId(name: string): number {
  return topId(name);
}

/**
 * Makes readers read `e`'s top-level fields from a snapshot taken now, until releaseEvent. Only
 * enumerable properties are seen (events are data); `e` must not change in between.
 */
export function prepareEvent(e: SigmaEvent): void {
  if (snapEvent !== null) releaseEvent();
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return;
  let n = 0;
  for (const k in e) {
    const id = topIds.get(k);
    if (id !== undefined) { snapValues[id] = e[k]; snapSet[n++] = id; }
  }
  snapCount = n;
  snapEvent = e;
}

/**
 * The snapshot ids of the prepared event's fields: the first preparedCount() entries of the
 * array returned (which is reused; read it before the next prepareEvent).
 */
export function preparedIds(): readonly number[] {
  return snapSet;
}

export function preparedCount(): number {
  return snapCount;
}

export function releaseEvent(): void {
  // Setting an array's length is a runtime call ("set length", with the engine's work lists: 3.3%
  // of matching with 100 rules, profiled); the ids are overwritten by the next prepareEvent instead.
  for (let i = 0; i < snapCount; i++) snapValues[snapSet[i]!] = undefined;
  snapCount = 0;
  snapEvent = null;
}

/**
 * A reader for one field path: the exact (flat) key first (`{"a.b": 1}`), then the nested path
 * (`{a: {b: 1}}`). An array met mid-path is walked through (any element). Keys that Object.prototype also has
 * (`constructor`) are read as own properties only; others use a plain property read, which is
 * the same on JSON data and cheaper (measured ~12-16 ns vs ~21 ns per read through a reader).
 * Top-level fields of a prepared event are read from its snapshot (above).
 */
export function pathReader(path: string): (e: SigmaEvent) => unknown {
  const parts = path.split('.');
  const safe = parts.some((p) => PROTO_KEYS.has(p)) || PROTO_KEYS.has(path);
  const get = safe ? own : (o: Record<string, unknown>, k: string) => o[k];
  if (parts.length === 1) {
    if (safe) return (e) => { const v = own(e, path); return typeof v === 'function' ? undefined : v; };
    const id = topId(path);
    return (e) => { const v = e === snapEvent ? snapValues[id] : e[path]; return typeof v === 'function' ? undefined : v; };
  }
  // Through an array mid-path (OCSF `resources[].type`, `observables[].name`) every element is
  // read and the values found come back as one array, so an item matches when any element does.
  const through = (arr: unknown[], from: number): unknown[] | undefined => {
    const found: unknown[] = [];
    for (const x of arr) {
      let v: unknown = x;
      for (let i = from; i < parts.length; i++) {
        if (v === null || typeof v !== 'object') { v = undefined; break; }
        if (Array.isArray(v)) { v = through(v, i); break; }
        v = get(v as Record<string, unknown>, parts[i]!);
      }
      if (v === undefined || typeof v === 'function') continue;
      if (Array.isArray(v)) found.push(...v); else found.push(v);
    }
    return found.length ? found : undefined;
  };
  const head = parts[0]!;
  const fullId = safe ? -1 : topId(path), headId = safe ? -1 : topId(head);
  return (e) => {
    const snap = e === snapEvent && !safe;
    let v = snap ? snapValues[fullId] : get(e, path);
    if (v === undefined) {
      if (e === null || typeof e !== 'object' || Array.isArray(e)) return undefined;
      v = snap ? snapValues[headId] : get(e, head);
      for (let i = 1; i < parts.length; i++) {
        if (v === null || typeof v !== 'object') return undefined;
        if (Array.isArray(v)) return through(v, i);
        v = get(v as Record<string, unknown>, parts[i]!);
      }
    }
    return typeof v === 'function' ? undefined : v;
  };
}

/** Reads one path of an event the way compiled rules do (for prefilters and alerts). */
export function readPath(e: SigmaEvent, path: string): unknown {
  return pathReader(path)(e);
}

// The lower-casing cache: one slot per distinct path. `===` on the same string object is a
// pointer compare, and a different string of another length fails at once.
const slotOf = new Map<string, number>();
const cacheRaw: string[] = [];
const cacheLow: string[] = [];

/** The lower-casing cache slot of a path (SigmaEngine lowers scanned fields through it too). */
export function slotFor(path: string): number {
  let s = slotOf.get(path);
  if (s === undefined) {
    s = slotOf.size;
    slotOf.set(path, s);
    cacheRaw.push('');
    cacheLow.push('');
  }
  return s;
}

/** `s.toLowerCase()`, remembered in the path's slot until another string is lowered there. */
export function lowerAt(slot: number, s: string): string {
  if (cacheRaw[slot] === s) return cacheLow[slot]!;
  const low = s.toLowerCase();
  cacheRaw[slot] = s;
  cacheLow[slot] = low;
  return low;
}

// ---------------------------------------------------------------------------------------------
// Strings

type StrTest = (s: string) => boolean;
const ALWAYS: StrTest = () => true;
const NEVER: StrTest = () => false;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function anyOf(tests: StrTest[]): StrTest {
  if (tests.length === 0) return NEVER;
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) { const [a, b] = tests as [StrTest, StrTest]; return (s) => a(s) || b(s); }
  return (s) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(s)) return true;
    return false;
  };
}

function distinct(xs: string[]): string[] {
  return xs.length > 1 ? [...new Set(xs)] : xs;
}

/** startswith (fromEnd false) / endswith (true) over many literals: dispatch on one character. */
function affixTable(lits: string[], fromEnd: boolean): StrTest {
  const min = Math.min(...lits.map((l) => l.length));
  let bestK = 0;
  let bestN = 0;
  for (let k = 0; k < Math.min(min, 16); k++) {
    const n = new Set(lits.map((l) => l.charCodeAt(fromEnd ? l.length - 1 - k : k))).size;
    if (n > bestN) { bestN = n; bestK = k; }
  }
  const table = new Map<number, string[]>();
  for (const l of lits) {
    const c = l.charCodeAt(fromEnd ? l.length - 1 - bestK : bestK);
    const list = table.get(c);
    if (list) list.push(l); else table.set(c, [l]);
  }
  const k = bestK;
  if (fromEnd) {
    return (s) => {
      const list = table.get(s.charCodeAt(s.length - 1 - k));
      if (list === undefined) return false;
      for (let i = 0; i < list.length; i++) if (s.endsWith(list[i]!)) return true;
      return false;
    };
  }
  return (s) => {
    const list = table.get(s.charCodeAt(k));
    if (list === undefined) return false;
    for (let i = 0; i < list.length; i++) if (s.startsWith(list[i]!)) return true;
    return false;
  };
}

/** A glob of literals and `*` only: anchored ends by startsWith/endsWith, the middle by indexOf in order. */
function starGlob(g: Glob): StrTest {
  const head = typeof g[0] === 'string' ? g[0] : null;
  const tail = g.length > 1 && typeof g[g.length - 1] === 'string' ? (g[g.length - 1] as string) : null;
  const mid = g.slice(head === null ? 0 : 1, tail === null ? g.length : g.length - 1).filter((t): t is string => typeof t === 'string');
  const headLen = head?.length ?? 0;
  const tailLen = tail?.length ?? 0;
  return (s) => {
    if (s.length < headLen + tailLen) return false;
    if (head !== null && !s.startsWith(head)) return false;
    if (tail !== null && !s.endsWith(tail)) return false;
    let pos = headLen;
    const end = s.length - tailLen;
    for (let i = 0; i < mid.length; i++) {
      const m = mid[i]!;
      const at = s.indexOf(m, pos);
      if (at < 0 || at + m.length > end) return false;
      pos = at + m.length;
    }
    return true;
  };
}

/**
 * From this many `contains`, one Aho-Corasick pass (literal-scan.ts) instead of the alternation
 * RegExp, which tries every alternative at every position. SigmaHQ's PowerShell module rule with
 * 229 script names on ContextInfo (~5.7 KB on OTRF events) was 2.8 µs of every event, averaged,
 * with 100 rules. Per lower-cased value, best of 5 (OTRF command lines and paths, 38 characters;
 * ContextInfo): 8 values 221 vs 152 ns, 16 vs 21 µs; 12: 375 -> 163 ns, 22.5 -> 21.9 µs; 16: 524
 * -> 102 ns, 30.5 -> 10.1 µs; 229: 8.5 µs -> 206 ns, 301 -> 22 µs. Built on first use, so a load
 * does not pay for it; all of SigmaHQ's items of 12+ values would hold ~23 MB of tables.
 */
const AUTOMATON_CONTAINS = 12;

const K_LIT = 0, K_ANY = 1, K_ONE = 2;

/** A glob with `?`: the linear-space wildcard automaton (backtracks only to the last `*`). */
function wildGlob(g: Glob): StrTest {
  let text = '';
  const kinds: number[] = [];
  for (const t of g) {
    if (t === ANY) { text += '*'; kinds.push(K_ANY); } else if (t === ONE) { text += '?'; kinds.push(K_ONE); } else {
      text += t;
      for (let i = 0; i < t.length; i++) kinds.push(K_LIT);
    }
  }
  const kind = Uint8Array.from(kinds);
  const m = kind.length;
  // The automaton is O(length x pattern) on a miss (~2 µs for 16 pattern characters on a
  // 60-character command line); its longest literal must occur anyway, and includes rejects
  // almost every event for ~40 ns.
  const need = g.reduce<string>((a, t) => (typeof t === 'string' && t.length > a.length ? t : a), '');
  return (s) => {
    if (need !== '' && !s.includes(need)) return false;
    const n = s.length;
    let i = 0, j = 0, star = -1, mark = 0;
    while (i < n) {
      if (j < m && (kind[j] === K_ONE || (kind[j] === K_LIT && text.charCodeAt(j) === s.charCodeAt(i)))) { i++; j++; }
      else if (j < m && kind[j] === K_ANY) { star = j++; mark = i; }
      else if (star >= 0) { j = star + 1; i = ++mark; }
      else return false;
    }
    while (j < m && kind[j] === K_ANY) j++;
    return j === m;
  };
}

/** OR over globs, each in its cheapest exact form. */
export function globsTest(globs: readonly Glob[]): StrTest {
  // Arrays, deduplicated at the end, rather than four Sets per item (most items have one value):
  // the Sets and their iterators were ~12 of the 517 MB a corpus load allocated (sampled).
  const eqs: string[] = [];
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const containing: string[] = [];
  const other: StrTest[] = [];
  for (let i = 0; i < globs.length; i++) {
    const g = globs[i]!;
    const a = g[0], b = g[1], c = g[2];
    if (g.length === 0) eqs.push('');
    else if (g.length === 1 && typeof a === 'string') eqs.push(a);
    else if (g.length === 1 && a === ANY) return ALWAYS;
    else if (g.length === 2 && typeof a === 'string' && b === ANY) prefixes.push(a);
    else if (g.length === 2 && a === ANY && typeof b === 'string') suffixes.push(b);
    else if (g.length === 3 && a === ANY && typeof b === 'string' && c === ANY) containing.push(b);
    else other.push(g.includes(ONE) ? wildGlob(g) : starGlob(g));
  }
  const eq = distinct(eqs), prefix = distinct(prefixes), suffix = distinct(suffixes), contains = distinct(containing);
  const tests: StrTest[] = [];
  if (eq.length >= 3) { const set = new Set(eq); tests.push((s) => set.has(s)); } else for (const l of eq) tests.push((s) => s === l);
  if (prefix.length >= 6) tests.push(affixTable(prefix, false));
  else for (const l of prefix) tests.push((s) => s.startsWith(l));
  if (suffix.length >= 6) tests.push(affixTable(suffix, true));
  else for (const l of suffix) tests.push((s) => s.endsWith(l));
  const cs = contains;
  if (cs.length >= AUTOMATON_CONTAINS) {
    // Built on first use: most such items never see an event, and a load stays fast.
    let sc: LiteralScanner | undefined;
    tests.push((s) => (sc ??= new LiteralScanner(cs)).any(s));
  } else if (cs.length >= 4) {
    const re = new RegExp(cs.map(escapeRegExp).join('|'));
    tests.push((s) => re.test(s));
  } else for (const l of cs) tests.push((s) => s.includes(l));
  tests.push(...other);
  return anyOf(tests);
}

// ---------------------------------------------------------------------------------------------
// Values

/** A test of one scalar event value: `raw` is its text (strings, numbers, booleans) or null, `low` its lower case when needed. */
type ScalarTest = (x: unknown, low: string | null, raw: string | null, e: SigmaEvent) => boolean;
const NO: ScalarTest = () => false;

interface CompiledValue {
  test: ScalarTest;
  needLow: boolean;
  /** Set when the value is only case-insensitive globs: the item can test lower-cased strings directly. */
  lowOnly?: StrTest;
}

const PLAIN_RE = /^(\^?)((?:[^\\^$.|?*+()[\]{}]|\\[\\^$.|?*+()[\]{}/-])*)(\$?)$/;
const NON_ASCII = /[^\x00-\x7f]/;

/** Compiles a Sigma regular expression on RE2 (unanchored search, `i` `m` `s` flags). */
export function compileRegex(source: string, flags: string): RE2 {
  try {
    return new RE2(source, flags + 'u');
  } catch (err) {
    const why = (err as Error).message;
    const hint = /perl operator|escape sequence|\\[1-9]/.test(why) ? ' (RE2 has no lookaround, backreferences or possessive quantifiers; rewrite the expression or split it into several values)' : '';
    throw new ModifierError(`regular expression ${JSON.stringify(source)} cannot be compiled: ${why}${hint}`);
  }
}

/**
 * A regular expression that is plain text (optionally anchored) runs as a string method: RE2
 * transcodes its input to UTF-8 on every call (~1-2 µs vs ~20 ns for startsWith). With `i` this
 * only holds for ASCII text on ASCII input; other input goes to RE2, whose case folding differs
 * from toLowerCase.
 */
function regexTest(source: string, flags: string): CompiledValue {
  const re = compileRegex(source, flags);
  const ci = flags.includes('i');
  const m = PLAIN_RE.exec(source);
  const fast = m !== null && !/[^is]/.test(flags) && !(ci && NON_ASCII.test(source));
  if (fast) {
    let lit = m[2]!.replace(/\\(.)/g, '$1');
    if (ci) lit = lit.toLowerCase();
    const start = m[1] === '^', end = m[3] === '$';
    const str: StrTest = start && end ? (s) => s === lit : start ? (s) => s.startsWith(lit) : end ? (s) => s.endsWith(lit) : (s) => s.includes(lit);
    if (!ci) return { test: (_x, _l, raw) => raw !== null && str(raw), needLow: false };
    return { test: (_x, low, raw) => raw !== null && (NON_ASCII.test(raw) ? re.test(raw) : str(low!)), needLow: true };
  }
  // Otherwise RE2 runs only when the text holds a literal the expression cannot match without.
  // node-re2 re-encodes each new input string to UTF-8 on every call (measured ~2.3 µs per call
  // on a 60-character command line it has not seen, ~250 ns on the same string again), so
  // skipping it with includes (~40 ns) is what makes regex rules cheap on non-matching events.
  const lits = regexLiterals(source);
  if (lits === null) return { test: (_x, _l, raw) => raw !== null && re.test(raw), needLow: false };
  if (!ci) {
    return { test: (_x, _l, raw) => raw !== null && anyIncluded(raw, lits) && re.test(raw), needLow: false };
  }
  if (lits.some((l) => NON_ASCII.test(l))) return { test: (_x, _l, raw) => raw !== null && re.test(raw), needLow: false };
  const low = lits.map((l) => l.toLowerCase());
  // For ASCII input, RE2's case folding is toLowerCase; other input goes straight to RE2.
  return { test: (_x, l, raw) => raw !== null && (NON_ASCII.test(raw) || anyIncluded(l!, low)) && re.test(raw), needLow: true };
}

function anyIncluded(s: string, lits: readonly string[]): boolean {
  for (let i = 0; i < lits.length; i++) if (s.includes(lits[i]!)) return true;
  return false;
}

function stringOf(x: unknown): string | null {
  return typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : null;
}

function fieldrefTest(t: Extract<ValueTest, { kind: 'ref' }>): ScalarTest {
  const readers = t.refs.map(pathReader);
  // Any of the referenced field's paths (a pipeline may map it to several renderings).
  const read = readers.length === 1 ? readers[0]! : (e: SigmaEvent): unknown => {
    for (let i = 0; i < readers.length; i++) { const v = readers[i]!(e); if (v !== undefined) return v; }
    return undefined;
  };
  const cased = t.cased;
  const one = (xs: string, y: unknown): boolean => {
    let ys = stringOf(y);
    if (ys === null) return false;
    if (!cased) ys = ys.toLowerCase();
    switch (t.pos) {
      case 'eq': return xs === ys;
      case 'contains': return xs.includes(ys);
      case 'startswith': return xs.startsWith(ys);
      default: return xs.endsWith(ys);
    }
  };
  return (_x, low, raw, e) => {
    if (raw === null) return false;
    const xs = cased ? raw : low!;
    const y = read(e);
    if (Array.isArray(y)) {
      for (let i = 0; i < y.length; i++) if (one(xs, y[i])) return true;
      return false;
    }
    return one(xs, y);
  };
}

/** OR over the alternatives of one or more values. */
function compileAlternatives(alts: readonly ValueTest[]): CompiledValue {
  const lowGlobs: Glob[] = [];
  const casedGlobs: Glob[] = [];
  const cidrs: Cidr[] = [];
  const parts: ScalarTest[] = [];
  let needLow = false;
  for (const t of alts) {
    switch (t.kind) {
      case 'glob': (t.cased ? casedGlobs : lowGlobs).push(t.glob); break;
      case 'cidr': cidrs.push(Cidr.parse(t.cidr)!); break;
      case 're': { const r = regexTest(t.source, t.flags); parts.push(r.test); needLow ||= r.needLow; break; }
      case 'cmp': {
        const { op, value, part } = t;
        parts.push(part === null
          ? (x) => { const n = numberOf(x); return n === n && compare(op, n, value); }
          : (x) => { const n = timePartOf(x, part); return n === n && compare(op, n, value); });
        break;
      }
      case 'ref': parts.push(fieldrefTest(t)); needLow ||= !t.cased; break;
    }
  }
  if (lowGlobs.length) {
    const st = globsTest(lowGlobs);
    if (parts.length === 0 && casedGlobs.length === 0 && cidrs.length === 0) return { test: (_x, low) => low !== null && st(low), needLow: true, lowOnly: st };
    parts.unshift((_x, low) => low !== null && st(low));
    needLow = true;
  }
  if (casedGlobs.length) {
    const st = globsTest(casedGlobs);
    parts.unshift((_x, _l, raw) => raw !== null && st(raw));
  }
  if (cidrs.length) {
    const set = new CidrSet(cidrs);
    parts.push((x) => set.contains(x));
  }
  if (parts.length === 0) return { test: NO, needLow };
  if (parts.length === 1) return { test: parts[0]!, needLow };
  return {
    test: (x, low, raw, e) => {
      for (let i = 0; i < parts.length; i++) if (parts[i]!(x, low, raw, e)) return true;
      return false;
    },
    needLow,
  };
}

// ---------------------------------------------------------------------------------------------
// Detection items

function anyString(v: unknown, t: ScalarTest, needLow: boolean, e: SigmaEvent, depth: number): boolean {
  if (typeof v === 'string') return t(v, needLow ? v.toLowerCase() : null, v, e);
  if (v === null || typeof v !== 'object' || depth >= KEYWORD_MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (anyString(v[i], t, needLow, e, depth + 1)) return true;
    return false;
  }
  for (const k in v as Record<string, unknown>) {
    if (Object.prototype.hasOwnProperty.call(v, k) && anyString((v as Record<string, unknown>)[k], t, needLow, e, depth + 1)) return true;
  }
  return false;
}

/**
 * For a keyword item of case-insensitive globs: a RegExp that fails on a string only if no glob
 * can match the string's lower case, so most strings are dismissed without lowering them. A
 * keyword search tests every string of the event, each lowered for each keyword item: SigmaHQ's
 * Mimikatz keyword rule (20 contains) is a candidate for every Windows event, ~15% of matching
 * with all 2,409 rules; on the OTRF events' strings (best of 8 interleaved rounds): lower-case +
 * alternation 1,860 -> 1,300 ns per event. Exact: each glob that matches contains its longest literal token, and with ASCII literals
 * `/lit/i` finds it in `s` iff `s.toLowerCase()` contains it, unless `s` has one of the two
 * characters whose lower case is ASCII (İ U+0130 -> "i̇", Kelvin sign U+212A -> "k"), which the
 * RegExp also matches (non-Unicode `i` folds neither to ASCII). null: not every glob has an ASCII literal.
 */
function keywordPrefilter(alts: readonly ValueTest[]): RegExp | null {
  const lits = new Set<string>();
  for (const t of alts) {
    if (t.kind !== 'glob' || t.cased) return null;
    let best = '';
    for (const tok of t.glob) if (typeof tok === 'string' && tok.length > best.length) best = tok;
    if (best === '' || NON_ASCII.test(best)) return null;
    lits.add(best);
  }
  if (lits.size === 0) return null;
  return new RegExp(`${[...lits].map(escapeRegExp).join('|')}|[\u0130\u212a]`, 'i');
}

/** anyString for a lowOnly test `st` with its keywordPrefilter `pre`. */
function anyStringPre(v: unknown, pre: RegExp, st: StrTest, depth: number): boolean {
  if (typeof v === 'string') return pre.test(v) && st(v.toLowerCase());
  if (v === null || typeof v !== 'object' || depth >= KEYWORD_MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (anyStringPre(v[i], pre, st, depth + 1)) return true;
    return false;
  }
  for (const k in v as Record<string, unknown>) {
    if (Object.prototype.hasOwnProperty.call(v, k) && anyStringPre((v as Record<string, unknown>)[k], pre, st, depth + 1)) return true;
  }
  return false;
}

/** Runs `t` on one scalar, preparing its text (and lower case, cached per path slot) once. */
function scalarMatch(x: unknown, t: ScalarTest, needLow: boolean, slot: number, e: SigmaEvent): boolean {
  let raw: string | null;
  if (typeof x === 'string') raw = x;
  else if (typeof x === 'number' || typeof x === 'boolean') raw = String(x);
  else raw = null;
  const low = needLow && raw !== null ? (slot >= 0 ? lowerAt(slot, raw) : raw.toLowerCase()) : null;
  return t(x, low, raw, e);
}

/** ∃ element of `r` (or `r` itself) satisfying `t`. */
function someElement(r: unknown, t: ScalarTest, needLow: boolean, slot: number, e: SigmaEvent): boolean {
  if (!Array.isArray(r)) return scalarMatch(r, t, needLow, slot, e);
  for (let i = 0; i < r.length; i++) if (scalarMatch(r[i], t, needLow, -1, e)) return true;
  return false;
}

function negated(t: ScalarTest): ScalarTest {
  return (x, low, raw, e) => x !== null && x !== undefined && !t(x, low, raw, e);
}

/** The compiled form of one detection item. Throws ModifierError (bad regex, placeholder). */
export function compileItem(item: DetectionItem, opts: CompileOptions = {}): Predicate {
  const s = sharedItem(item, opts);
  return (s.pred ??= compilePlan(s.plan));
}

// One plan and one predicate per distinct item during a load. Items recur across rules (a pipeline
// adds the same EventID/Channel conditions to every rule of a log source, rules share selections):
// the SigmaHQ corpus through the windows pipeline has 17,255 items, 7,770 distinct, and each was
// planned twice (compiling, then necessaryLiterals). Sharing takes ~10% off building the engine for
// its 2,409 Windows rules (median of 10 cold runs on a 2-core VM: 1.26 s -> 1.14 s), keys included.
// Predicates are pure functions of the event, so rules can share them. The table lives only until
// the current synchronous load is over (cleared on setImmediate), so it never keeps dropped rules
// alive.
interface SharedItem { plan: ItemPlan; pred?: Predicate }
let sharedItems = new WeakMap<object, Map<string, SharedItem>>();
let clearScheduled = false;
/** planItem reads only these options; without them, all callers share one table. */
const NO_PLACEHOLDERS = {};

function sharedItem(item: DetectionItem, opts: CompileOptions): SharedItem {
  // Long lists (hash lists of thousands) recur rarely and make long keys: planned on their own.
  if (item.values.length > 64) return { plan: planItem(item, opts) };
  let key: string | null = JSON.stringify([item.field, item.modifiers, item.values, item.paths ?? null, item.refPaths ?? null]);
  // JSON writes NaN and Infinity as null and -0 as 0: such values are planned on their own.
  for (const v of item.values) if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) key = null;
  if (key === null) return { plan: planItem(item, opts) };
  const owner = opts.placeholders === undefined && opts.unknownPlaceholders === undefined ? NO_PLACEHOLDERS : opts;
  let table = sharedItems.get(owner);
  if (table === undefined) {
    sharedItems.set(owner, (table = new Map()));
    if (!clearScheduled) {
      clearScheduled = true;
      setImmediate(() => { sharedItems = new WeakMap(); clearScheduled = false; }).unref();
    }
  }
  let s = table.get(key);
  if (s === undefined) table.set(key, (s = { plan: planItem(item, opts) }));
  return s;
}

function compilePlan(plan: ItemPlan): Predicate {
  const readers = plan.paths.map(pathReader);
  if (plan.kind === 'null') {
    return (e) => {
      for (let i = 0; i < readers.length; i++) { const v = readers[i]!(e); if (v !== undefined && v !== null) return false; }
      return true;
    };
  }
  if (plan.kind === 'exists') {
    const want = plan.exists;
    return (e) => {
      for (let i = 0; i < readers.length; i++) if (readers[i]!(e) !== undefined) return want;
      return !want;
    };
  }
  // One test per written value; without `all` and `neq`, all alternatives merge into one test so
  // the Set / alternation / table forms span the whole list.
  const values: CompiledValue[] = !plan.all && !plan.negate
    ? [compileAlternatives(plan.values.flat())]
    : plan.values.map((alts) => {
      const c = compileAlternatives(alts);
      return plan.negate ? { test: negated(c.test), needLow: c.needLow } : c;
    });
  const tests = values.map((v) => v.test);
  const needLow = values.some((v) => v.needLow);
  const all = plan.all;
  const one = tests.length === 1 ? tests[0]! : all
    ? null
    : ((x, low, raw, e) => {
      for (let i = 0; i < tests.length; i++) if (tests[i]!(x, low, raw, e)) return true;
      return false;
    }) as ScalarTest;

  if (plan.field === null) {
    const st = values.length === 1 ? values[0]!.lowOnly : undefined;
    const pre = st !== undefined ? keywordPrefilter(plan.values.flat()) : null;
    if (pre !== null) return (e) => anyStringPre(e, pre, st!, 0);
    if (one !== null) return (e) => anyString(e, one, needLow, e, 0);
    return (e) => {
      for (let i = 0; i < tests.length; i++) if (!anyString(e, tests[i]!, needLow, e, 0)) return false;
      return true;
    };
  }
  const slots = plan.paths.map(slotFor);
  const lowOnly = values.length === 1 ? values[0]!.lowOnly : undefined;
  if (lowOnly !== undefined && readers.length === 1) {
    // The common item (`Image|endswith: ...` on one path): a string value goes straight to the
    // string test, skipping three calls of the general path, and a plain key is read in place
    // rather than through a reader. Measured on the 1,183 SigmaHQ process_creation rules: -16%
    // per event, half of it from the in-place read. Anything but a string (a function-valued
    // key included) takes the general path, which rejects what is not text.
    const read = readers[0]!, slot = slots[0]!, st = lowOnly, t = one!;
    const key = plan.paths[0]!;
    if (!key.includes('.') && !PROTO_KEYS.has(key)) {
      const id = topId(key);
      return (e) => {
        const r = e === snapEvent ? snapValues[id] : e[key];
        if (typeof r === 'string') return st(lowerAt(slot, r));
        return r !== undefined && r !== null && someElement(r, t, true, slot, e);
      };
    }
    return (e) => {
      const r = read(e);
      if (typeof r === 'string') return st(lowerAt(slot, r));
      return r !== undefined && r !== null && someElement(r, t, true, slot, e);
    };
  }
  if (one !== null && readers.length === 1) {
    const read = readers[0]!, slot = slots[0]!;
    return (e) => {
      const r = read(e);
      return r !== undefined && someElement(r, one, needLow, slot, e);
    };
  }
  if (one !== null) {
    return (e) => {
      for (let p = 0; p < readers.length; p++) {
        const r = readers[p]!(e);
        if (r !== undefined && someElement(r, one, needLow, slots[p]!, e)) return true;
      }
      return false;
    };
  }
  // all: on some path, every value is met by some element.
  return (e) => {
    for (let p = 0; p < readers.length; p++) {
      const r = readers[p]!(e);
      if (r === undefined) continue;
      let ok = true;
      for (let i = 0; i < tests.length && ok; i++) ok = someElement(r, tests[i]!, needLow, slots[p]!, e);
      if (ok) return true;
    }
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Searches, conditions, rules

function andAll(ps: Predicate[]): Predicate {
  if (ps.length === 0) return () => true;
  if (ps.length === 1) return ps[0]!;
  if (ps.length === 2) { const [a, b] = ps as [Predicate, Predicate]; return (e) => a(e) && b(e); }
  return (e) => {
    for (let i = 0; i < ps.length; i++) if (!ps[i]!(e)) return false;
    return true;
  };
}

function orAll(ps: Predicate[]): Predicate {
  if (ps.length === 0) return () => false;
  if (ps.length === 1) return ps[0]!;
  if (ps.length === 2) { const [a, b] = ps as [Predicate, Predicate]; return (e) => a(e) || b(e); }
  return (e) => {
    for (let i = 0; i < ps.length; i++) if (ps[i]!(e)) return true;
    return false;
  };
}

function compileSearchInto(search: Search, opts: CompileOptions, fail: (item: DetectionItem, message: string) => void): Predicate {
  return orAll(search.groups.map((g) => andAll(g.map((item) => {
    try {
      return compileItem(item, opts);
    } catch (err) {
      if (!(err instanceof ModifierError)) throw err;
      fail(item, err.message);
      return () => false;
    }
  }))));
}

/** A search identifier's definition as a predicate (the engine ANDs `rule.conditions` with these). */
export function compileSearch(search: Search, opts: CompileOptions = {}): Predicate {
  const errors: RuleError[] = [];
  const p = compileSearchInto(search, opts, (item, message) => errors.push({ file: item.place?.file ?? '', ...(item.place ? { place: item.place } : {}), message }));
  if (errors.length) throw new SigmaCompileError(errors);
  return p;
}

function compileCondition(c: Condition, searches: Map<string, Predicate>, names: string[]): Predicate {
  switch (c.op) {
    case 'and': return andAll(c.args.map((a) => compileCondition(a, searches, names)));
    case 'or': return orAll(c.args.map((a) => compileCondition(a, searches, names)));
    case 'not': { const a = compileCondition(c.arg, searches, names); return (e) => !a(e); }
    case 'ref': return searches.get(c.name)!;
    case 'of': {
      const ps = matchIdentifiers(c.pattern, names).map((n) => searches.get(n)!);
      if (c.quantifier === 'all') return andAll(ps);
      if (c.quantifier === 1) return orAll(ps);
      const need = c.quantifier;
      return (e) => {
        let n = 0;
        for (let i = 0; i < ps.length; i++) if (ps[i]!(e) && ++n >= need) return true;
        return false;
      };
    }
  }
}

interface DetectionLike { file: string; id?: string; title: string; place: { file: string; line: number; col: number }; detection: Record<string, Search>; condition: string[] }

function compileDetection(doc: DetectionLike, opts: CompileOptions, errors: RuleError[]): Predicate {
  const rule = doc.id ?? doc.title;
  const fail = (item: DetectionItem, message: string) => errors.push({ file: doc.file, place: item.place ?? doc.place, rule, message });
  const searches = new Map<string, Predicate>();
  for (const [name, s] of Object.entries(doc.detection)) searches.set(name, compileSearchInto(s, opts, fail));
  const names = [...searches.keys()];
  const conds: Predicate[] = [];
  for (const text of doc.condition) {
    let c: Condition;
    try {
      c = parseCondition(text);
    } catch (err) {
      if (!(err instanceof ConditionError)) throw err;
      errors.push({ file: doc.file, place: doc.place, rule, message: `condition "${text}": ${err.message} (column ${err.column})` });
      continue;
    }
    const refs = checkReferences(c, names);
    if (refs.length) {
      for (const r of refs) errors.push({ file: doc.file, place: doc.place, rule, message: `condition "${text}": ${r.message}` });
      continue;
    }
    conds.push(compileCondition(c, searches, names));
  }
  if (doc.condition.length === 0) errors.push({ file: doc.file, place: doc.place, rule, message: 'the detection has no condition' });
  return orAll(conds);
}

/** The filters that name this rule (by id or name). */
export function filtersFor(rule: SigmaRule, filters: readonly SigmaFilter[]): SigmaFilter[] {
  return filters.filter((f) => (rule.id !== undefined && f.rules.includes(rule.id)) || (rule.name !== undefined && f.rules.includes(rule.name)));
}

/**
 * Compiles a rule: (any of its conditions) AND its added `conditions` AND NOT each filter that
 * names it. Throws SigmaCompileError listing every problem (bad regex, unknown placeholder, ...).
 */
export function compileRule(rule: SigmaRule, filters: readonly SigmaFilter[] = [], opts: CompileOptions = {}): CompiledRule {
  const errors: RuleError[] = [];
  const main = compileDetection(rule, opts, errors);
  // Added conditions go first: pipelines add cheap, selective tests (EventID, class_uid).
  const parts: Predicate[] = rule.conditions.map((c, i) => {
    const p = compileSearchInto(c.search, opts, (item, message) => errors.push({ file: rule.file, place: item.place ?? rule.place, rule: rule.id ?? rule.title, message: `${c.origin || `conditions[${i}]`}: ${message}` }));
    return c.negate ? (e: SigmaEvent) => !p(e) : p;
  });
  parts.push(main);
  for (const f of filtersFor(rule, filters)) {
    const p = compileDetection(f, opts, errors);
    parts.push((e) => !p(e));
  }
  if (errors.length) throw new SigmaCompileError(errors);
  return { rule, match: andAll(parts) };
}

// ---------------------------------------------------------------------------------------------
// Prefilter literals

export interface LiteralRequirement { path: string; literals: string[] }
type Need = LiteralRequirement[] | null;

/**
 * An item with more alternatives, or more literals, than this gives no prefilter literals (another
 * item of the rule may). The engine's automata grow with literals x distinct characters: SigmaHQ's
 * vulnerable-driver hash list (4,432 hashes) and its emoji rules (3,000 characters, each a
 * character class of its own) made the Windows rules' automata 131 MB; with this bound, 14 MB.
 * The ~20 rules concerned are evaluated whenever their log source matches (a Set or one
 * alternation each).
 */
const MAX_ITEM_LITERALS = 128;

/** Final sigma lower-cases by context, so a cased match of a literal with Σ does not imply its lower case occurs. */
const CONTEXTUAL_LOWER = /\u03a3/;

function globNeed(t: Extract<ValueTest, { kind: 'glob' }>): string | null {
  let best: string | null = null;
  for (const tok of t.glob) {
    if (typeof tok !== 'string') continue;
    if (t.cased && CONTEXTUAL_LOWER.test(tok)) continue;
    const lit = t.cased ? tok.toLowerCase() : tok;
    if (best === null || lit.length > best.length) best = lit;
  }
  return best;
}

/**
 * Literals a regular expression needs, lower-cased. Case-sensitive: any literal without Σ. With
 * `i`, only ASCII literals without k and s: RE2 folds K (Kelvin sign) to k and ſ (long s) to s,
 * which toLowerCase does not, and no other character folds to ASCII.
 */
function regexNeed(t: Extract<ValueTest, { kind: 're' }>): string[] | null {
  const lits = regexLiterals(t.source);
  if (lits === null) return null;
  const ci = t.flags.includes('i');
  for (const l of lits) {
    if (ci ? /[^\x00-\x7f]|[ks]/i.test(l) : CONTEXTUAL_LOWER.test(l)) return null;
  }
  return lits.map((l) => l.toLowerCase());
}

/** Literals one written value needs (any of them), or null. */
function valueNeed(alts: readonly ValueTest[]): string[] | null {
  const out = new Set<string>();
  for (const t of alts) {
    let ls: string[] | null;
    if (t.kind === 'glob') { const l = globNeed(t); ls = l === null ? null : [l]; } else if (t.kind === 're') ls = regexNeed(t);
    else return null;
    if (ls === null) return null;
    for (const l of ls) out.add(l);
  }
  return [...out];
}

function score(n: LiteralRequirement[]): number {
  // Shorter literals match more events; more of them too. Prefer the set whose weakest literal is longest.
  let min = Infinity, count = 0;
  for (const r of n) for (const l of r.literals) { min = Math.min(min, l.length); count++; }
  return min * 1000 - count;
}

function best(needs: Need[]): Need {
  let out: Need = null;
  for (const n of needs) if (n !== null && (out === null || score(n) > score(out))) out = n;
  return out;
}

function union(needs: Need[]): Need {
  // One need (a search of one group, a condition of one search): itself, when its paths are
  // distinct (each entry's literals are distinct already). Saves the Map and Sets of most calls,
  // which were ~15 of the 517 MB a corpus load allocated (sampled).
  if (needs.length === 1) {
    const n = needs[0]!;
    if (n === null || n.length === 0) return null;
    let distinct = true;
    for (let i = 1; i < n.length && distinct; i++) for (let j = 0; j < i; j++) if (n[j]!.path === n[i]!.path) { distinct = false; break; }
    if (distinct) return n;
  }
  const byPath = new Map<string, Set<string>>();
  for (const n of needs) {
    if (n === null) return null;
    for (const r of n) {
      const s = byPath.get(r.path) ?? new Set<string>();
      for (const l of r.literals) s.add(l);
      byPath.set(r.path, s);
    }
  }
  if (byPath.size === 0) return null;
  return [...byPath].map(([path, s]) => ({ path, literals: [...s] }));
}

function itemNeed(item: DetectionItem, opts: CompileOptions): Need {
  if (item.field === null) return null;
  let plan: ItemPlan;
  try {
    plan = sharedItem(item, opts).plan;
  } catch {
    return null;
  }
  if (plan.kind !== 'values' || plan.negate || plan.paths.length === 0) return null;
  if (!plan.all) {
    // Too many alternatives (MAX_ITEM_LITERALS): no need to work out their literals.
    let alternatives = 0;
    for (const alts of plan.values) alternatives += alts.length;
    if (alternatives > MAX_ITEM_LITERALS) return null;
  }
  const per = plan.values.map(valueNeed);
  let lits: string[] | null;
  if (plan.all) {
    lits = null;
    for (const p of per) if (p !== null && p.length > 0 && (lits === null || Math.min(...p.map((l) => l.length)) > Math.min(...lits.map((l) => l.length)))) lits = p;
  } else {
    lits = per.some((p) => p === null) ? null : [...new Set(per.flat() as string[])];
  }
  if (lits === null || lits.length === 0 || lits.length > MAX_ITEM_LITERALS || lits.some((l) => l === '')) return null;
  return plan.paths.map((path) => ({ path, literals: lits! }));
}

function searchNeed(s: Search, opts: CompileOptions): Need {
  return union(s.groups.map((g) => best(g.map((i) => itemNeed(i, opts)))));
}

function conditionNeed(c: Condition, s: Map<string, Need>, names: string[]): Need {
  switch (c.op) {
    case 'and': return best(c.args.map((a) => conditionNeed(a, s, names)));
    case 'or': return union(c.args.map((a) => conditionNeed(a, s, names)));
    case 'not': return null;
    case 'ref': return s.get(c.name) ?? null;
    case 'of': {
      const ns = matchIdentifiers(c.pattern, names).map((n) => s.get(n) ?? null);
      return c.quantifier === 'all' ? best(ns) : union(ns);
    }
  }
}

/**
 * Substrings the rule needs: it can only match an event when, for at least one entry, the
 * lower-cased text of the value at `path` contains one of the entry's literals. "The text" is
 * the string itself, String() of a number or boolean, or that of any element of an array
 * (read with readPath: flat key first, then nested). null: the rule needs nothing such.
 */
export function necessaryLiterals(rule: SigmaRule, opts: CompileOptions = {}): LiteralRequirement[] | null {
  const searches = new Map<string, Need>();
  for (const [name, s] of Object.entries(rule.detection)) searches.set(name, searchNeed(s, opts));
  const names = Object.keys(rule.detection);
  const conds: Need[] = [];
  for (const text of rule.condition) {
    try {
      conds.push(conditionNeed(parseCondition(text), searches, names));
    } catch {
      return null;
    }
  }
  const main = union(conds);
  // The rule's own literals first: those of conditions a pipeline adds (the log source as an event
  // id and channel, `microsoft-windows-sysmon/operational`) occur in every event of that log source,
  // which the engine's log source index selects already, yet won on length: with them, 774 of the
  // 2,399 SigmaHQ Windows rules passed the prefilter on an ordinary Sysmon process creation.
  if (main !== null) return main;
  return best(rule.conditions.filter((c) => !c.negate).map((c) => searchNeed(c.search, opts)));
}
