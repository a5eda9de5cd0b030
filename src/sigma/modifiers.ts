/**
 * Sigma value modifiers: what `Field|mod1|mod2: values` means, turned into plain data (an
 * ItemPlan) that the compiler (compile.ts) and the plain interpreter (interpret.ts) both consume.
 * Keeping the meaning of modifiers in one place means the two matchers can only differ in how
 * they match, which is exactly what the property test cross-checks.
 *
 * The decisions this module makes (Sigma 2.1 leaves them to the tool):
 * - Strings are Sigma strings: `*` any run, `?` one UTF-16 unit, `\*` `\?` `\\` escapes, any
 *   other backslash is literal. Matching is case-insensitive (both sides lower-cased) unless
 *   `cased`; Base64 output is always matched case-sensitively, because its case carries the data.
 * - Numbers and booleans without string modifiers compare by their text: `EventID: 4688`
 *   matches 4688 and "4688". Only lt/lte/gt/gte and the time modifiers compare numerically.
 * - Modifiers apply in the order written (`utf16le|base64offset|contains`). A modifier that
 *   expands one value into several (windash, base64offset, expand) makes alternatives that are
 *   ORed even under `all`, as pySigma does.
 * - windash expands, like pySigma, the `-` or `/` that starts a command-line flag (no word
 *   character before it, one after it) into all five dashes of the appendix.
 * - `neq` negates each value: the field must exist and differ. Values stay ORed unless `all`
 *   (as everywhere in Sigma), so "differs from each of several" is `neq|all`.
 * - `re` searches (unanchored) on RE2; `i` `m` `s` are its flags. `re` already matches anywhere,
 *   so contains/startswith/endswith with it are errors rather than silently meaningless.
 * - `expand` replaces `%name%` with the configured values (each a Sigma string, ORed);
 *   `\%` is a literal percent. An unknown placeholder is an error, or with
 *   `unknownPlaceholders: 'match-nothing'` that alternative matches nothing.
 * - Time modifiers read the written date/time digits of an ISO 8601 string (no time zone
 *   conversion, as the appendix warns) or a number of epoch seconds (below 1e11) / milliseconds
 *   (UTC). They compare for equality, or with lt/lte/gt/gte/neq.
 */
import { Cidr } from '../expr/values.js';
import { closest } from '../core/text.js';
import type { DetectionItem, SigmaValue } from './types.js';

/** A Sigma string after escapes: literal runs and the two wildcards. */
export const ANY: unique symbol = Symbol('*');
export const ONE: unique symbol = Symbol('?');
export type GlobToken = string | typeof ANY | typeof ONE;
/** Adjacent literals are merged, no empty literal, no two ANY in a row. */
export type Glob = GlobToken[];

export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
export type CompareOp = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';
export type FieldrefPosition = 'eq' | 'contains' | 'startswith' | 'endswith';

/** One alternative a value of an event field is tested against. */
export type ValueTest =
  /** `cased: false`: the literals are already lower-cased; compare with the lower-cased value. */
  | { kind: 'glob'; glob: Glob; cased: boolean }
  | { kind: 're'; source: string; flags: string }
  | { kind: 'cidr'; cidr: string }
  | { kind: 'cmp'; op: CompareOp; value: number; part: TimePart | null }
  /** `refs`: the paths the referenced field is read at (any of them). */
  | { kind: 'ref'; ref: string; refs: string[]; pos: FieldrefPosition; cased: boolean };

/**
 * A detection item made ready to match. `values[i]` are the alternatives of the i-th written
 * value (ORed); the values are ORed, or ANDed with `all`.
 */
export interface ItemPlan {
  field: string | null;
  /** Event paths (none for keywords, which search every string of the event). */
  paths: string[];
  /** 'null': absent or null on every path; 'exists': present (or not) on some path. */
  kind: 'values' | 'null' | 'exists';
  exists: boolean;
  all: boolean;
  negate: boolean;
  values: ValueTest[][];
}

export interface PlanOptions {
  /** Values for `expand` placeholders, by name without the percent signs. */
  placeholders?: Record<string, readonly SigmaValue[]>;
  /** 'error' (default): an unknown placeholder fails the rule. 'match-nothing': it matches nothing. */
  unknownPlaceholders?: 'error' | 'match-nothing';
}

/**
 * Keyword searches read every string of the event down to this depth of nested objects and
 * arrays: deeper data is not a log record, and the bound keeps recursion off the stack limit.
 */
export const KEYWORD_MAX_DEPTH = 32;

/** A value that cannot be turned into tests (unknown placeholder, too many windash variants). */
export class ModifierError extends Error {
  override name = 'ModifierError';
}

const ALIASES: Record<string, string> = { wide: 'utf16le', ignorecase: 'i', multiline: 'm', dotall: 's' };
const TIME_PARTS = new Set<string>(['minute', 'hour', 'day', 'week', 'month', 'year']);
const COMPARES = new Set<string>(['lt', 'lte', 'gt', 'gte']);
const POSITIONS = new Set<string>(['contains', 'startswith', 'endswith']);
const UTF16 = new Set<string>(['utf16le', 'utf16be', 'utf16']);
const BASE64 = new Set<string>(['base64', 'base64offset']);
const RE_FLAGS = new Set<string>(['i', 'm', 's']);
/** Every modifier of the Sigma 2.1 appendix, plus pySigma's long names of the re flags. */
export const KNOWN_MODIFIERS: readonly string[] = [
  'all', 'contains', 'startswith', 'endswith', 'exists', 'cased', 'neq', 'windash', 're', 'i', 'm', 's',
  'ignorecase', 'multiline', 'dotall', 'base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide',
  'lt', 'lte', 'gt', 'gte', 'minute', 'hour', 'day', 'week', 'month', 'year', 'cidr', 'expand', 'fieldref',
];
const KNOWN = new Set(KNOWN_MODIFIERS);

/** `wide` -> `utf16le`, `ignorecase` -> `i`, ... */
export function canonicalModifier(m: string): string {
  return ALIASES[m] ?? m;
}

/** Decimal text, as a number field may be written in a log line: `42`, `-1.5`, ` 3e2 `. */
const NUMERIC = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** The number a value stands for in lt/lte/gt/gte, or NaN. */
export function numberOf(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && NUMERIC.test(x)) return Number(x);
  return NaN;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/;
const DAY_MS = 86_400_000;

/** ISO 8601 week number of a calendar date (weeks start on Monday; week 1 holds January 4th). */
function isoWeek(y: number, m: number, d: number): number {
  const t = Date.UTC(y, m - 1, d);
  const dow = (new Date(t).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = t + (3 - dow) * DAY_MS;
  const jan1 = Date.UTC(new Date(thursday).getUTCFullYear(), 0, 1);
  return Math.floor((thursday - jan1) / DAY_MS / 7) + 1;
}

/** The time part of a timestamp, or NaN when the value is not one (or lacks that part). */
export function timePartOf(x: unknown, part: TimePart): number {
  let y: number, mo: number, d: number, h: number, mi: number;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return NaN;
    const dt = new Date(Math.abs(x) < 1e11 ? x * 1000 : x);
    if (Number.isNaN(dt.getTime())) return NaN;
    y = dt.getUTCFullYear(); mo = dt.getUTCMonth() + 1; d = dt.getUTCDate();
    h = dt.getUTCHours(); mi = dt.getUTCMinutes();
  } else if (typeof x === 'string') {
    const m = ISO.exec(x);
    if (!m) return NaN;
    y = Number(m[1]); mo = Number(m[2]); d = Number(m[3]);
    h = m[4] === undefined ? NaN : Number(m[4]);
    mi = m[5] === undefined ? NaN : Number(m[5]);
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
  } else return NaN;
  switch (part) {
    case 'minute': return mi;
    case 'hour': return h;
    case 'day': return d;
    case 'week': return isoWeek(y, mo, d);
    case 'month': return mo;
    default: return y;
  }
}

const RE_META = new Set([...'\\^$.|?*+()[]{}']);

/**
 * Literal text a regular expression cannot match without: for each top-level alternative, its
 * longest run of plain characters that no quantifier makes optional. A match of the expression
 * contains (case-sensitively, as written) at least one of the returned strings. null when some
 * alternative has no such run, or the expression uses constructs this reading does not follow
 * (inline flags, which could make the literals case-insensitive).
 */
export function regexLiterals(source: string): string[] | null {
  if (source.length > 4096) return null;
  const branches: string[] = [];
  let best = '';
  let run = '';
  let depth = 0;
  const endRun = () => { if (run.length > best.length) best = run; run = ''; };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    let lit: string | null = null;
    let next = i + 1;
    if (c === '\\') {
      const n = source[i + 1];
      // \Q...\E quotes metacharacters, and an escaped surrogate is half a character: not followed here.
      if (n === undefined || n === 'Q' || /[\ud800-\udfff]/.test(n)) return null;
      next = i + 2;
      if (/[A-Za-z0-9]/.test(n)) {
        // A class (\d \s \pL \p{Greek}), an assertion (\b \A) or a code (\x41 \x{263a} \101): not plain text.
        if ((n === 'p' || n === 'P' || n === 'x') && source[next] === '{') next = source.indexOf('}', next) + 1 || source.length;
        else if (n === 'p' || n === 'P') next++;
        else if (n === 'x') next += 2;
        else if (/[0-7]/.test(n)) while (next < i + 4 && /[0-7]/.test(source[next] ?? '')) next++;
      } else lit = n;
    } else if (c === '[') {
      // Skip the class: its members are alternatives, not literal text.
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      if (j >= source.length) return null;
      next = j + 1;
    } else if (c === '(') {
      if (source[i + 1] === '?' && source[i + 2] !== ':') return null;
      depth++;
      next = source[i + 1] === '?' ? i + 3 : i + 1;
    } else if (c === ')') {
      depth--;
    } else if (c === '{') {
      // A counted repetition {n}, {n,}, {n,m}: its digits are not text.
      const q = /^\{\d+(?:,\d*)?\}/.exec(source.slice(i));
      if (q) next = i + q[0].length;
    } else if (c === '|') {
      if (depth === 0) { endRun(); if (!best) return null; branches.push(best); best = ''; continue; }
    } else if (!RE_META.has(c)) {
      lit = c;
      // Keep a surrogate pair whole, so a quantifier after it drops both halves.
      const code = c.charCodeAt(0);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < source.length) { lit += source[i + 1]; next = i + 2; }
    }
    if (depth > 0 || lit === null) { endRun(); i = next - 1; continue; }
    // A quantifier after this character may make it optional or repeat it.
    const q = source[next];
    if (q === '?' || q === '*' || (q === '{' && /^\{0+[,}]/.test(source.slice(next)))) { endRun(); i = next - 1; continue; }
    run += lit;
    if (q === '+' || q === '{') endRun();
    i = next - 1;
  }
  endRun();
  if (!best) return null;
  branches.push(best);
  return branches;
}

/** `a <op> b`, the comparison of the cmp test. */
export function compare(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'lt': return a < b;
    case 'lte': return a <= b;
    case 'gt': return a > b;
    default: return a >= b;
  }
}

/** The placeholder of an `expand` value (`%name%`), kept apart until the names are known. */
interface Placeholder { placeholder: string }
type RawToken = GlobToken | Placeholder;
const PLACEHOLDER_NAME = /^[A-Za-z0-9_.-]+$/;

const SPECIAL = /[\\*?%]/;

/**
 * Reads a Sigma string: wildcards, backslash escapes and (with `expand`) `%placeholders%`.
 * The result is not normalized yet (see normalizeGlob).
 */
function tokenize(text: string, expand: boolean): RawToken[] {
  // Literal runs are sliced, not built a character at a time, and text without `\ * ? %` is one
  // token: per-character concatenation was 35 of the 517 MB loading SigmaHQ's corpus allocated
  // (sampled), now too little to be listed.
  if (!SPECIAL.test(text)) return text === '' ? [] : [text];
  const out: RawToken[] = [];
  let lit = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      const n = text[i + 1];
      if (n === '*' || n === '?' || n === '\\' || (expand && n === '%')) { lit += text.slice(from, i) + n; i++; from = i + 1; }
    } else if (c === 42 /* * */ || c === 63 /* ? */) {
      lit += text.slice(from, i);
      if (lit) { out.push(lit); lit = ''; }
      out.push(c === 42 ? ANY : ONE);
      from = i + 1;
    } else if (c === 37 /* % */ && expand) {
      const close = text.indexOf('%', i + 1);
      const name = close < 0 ? '' : text.slice(i + 1, close);
      if (PLACEHOLDER_NAME.test(name)) {
        lit += text.slice(from, i);
        if (lit) { out.push(lit); lit = ''; }
        out.push({ placeholder: name });
        i = close;
        from = i + 1;
      }
    }
  }
  lit += text.slice(from);
  if (lit) out.push(lit);
  return out;
}
/** Merges adjacent literals, drops empty ones, collapses `**`. */
export function normalizeGlob(tokens: readonly GlobToken[]): Glob {
  const out: Glob = [];
  for (const t of tokens) {
    const last = out[out.length - 1];
    if (typeof t === 'string') {
      if (t === '') continue;
      if (typeof last === 'string') out[out.length - 1] = last + t; else out.push(t);
    } else if (!(t === ANY && last === ANY)) out.push(t);
  }
  return out;
}

/** A Sigma string (as written in a rule) as a glob. */
export function parseGlob(text: string): Glob {
  return normalizeGlob(tokenize(text, false) as GlobToken[]);
}

/**
 * The text a plain Sigma string stands for, escapes removed (`C:\\Windows` -> `C:\Windows`,
 * `a\*` -> `a*`), or null when it has wildcards. Indexes keyed by exact values need this, not the
 * written text.
 */
export function sigmaLiteral(text: string): string | null {
  const g = parseGlob(text);
  if (g.length === 0) return '';
  return g.length === 1 && typeof g[0] === 'string' ? g[0] : null;
}

/** True when the string has an unescaped `*` or `?`. */
export function hasWildcard(text: string): boolean {
  return tokenize(text, false).some((t) => t === ANY || t === ONE);
}

/** Writes a glob back as a Sigma string (escaping what needs it), for messages and explain(). */
export function globText(glob: Glob): string {
  return glob.map((t) => (t === ANY ? '*' : t === ONE ? '?' : t.replace(/[\\*?]/g, (c) => '\\' + c))).join('');
}

const WINDASH = /(?<![\p{L}\p{N}_])[-/](?=[\p{L}\p{N}_])/gu;
export const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'] as const;
/** 5^5 variants of one value is already far more than any real rule needs. */
const MAX_WINDASH_POSITIONS = 5;

function windash(glob: Glob): Glob[] {
  // Split each literal at its flag dashes; every dash position multiplies the variants by five.
  const parts: Array<GlobToken | null> = []; // null marks a dash position
  let positions = 0;
  for (const t of glob) {
    if (typeof t !== 'string') { parts.push(t); continue; }
    let last = 0;
    for (const m of t.matchAll(WINDASH)) {
      if (m.index! > last) parts.push(t.slice(last, m.index));
      parts.push(null);
      positions++;
      last = m.index! + 1;
    }
    if (last < t.length) parts.push(t.slice(last));
  }
  if (positions > MAX_WINDASH_POSITIONS) {
    throw new ModifierError(`windash would expand ${globText(glob)} into 5^${positions} variants (at most ${MAX_WINDASH_POSITIONS} flag dashes per value); split the value`);
  }
  let variants: GlobToken[][] = [[]];
  for (const p of parts) {
    if (p === null) variants = variants.flatMap((v) => DASHES.map((d) => [...v, d]));
    else for (const v of variants) v.push(p);
  }
  return variants.map(normalizeGlob);
}

function encodeText(text: string, enc: string | null): Buffer {
  if (enc === null) return Buffer.from(text, 'utf8');
  const le = Buffer.from(text, 'utf16le');
  if (enc === 'utf16le') return le;
  if (enc === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  const be = Buffer.from(le);
  for (let i = 0; i + 1 < be.length; i += 2) { const a = be[i]!; be[i] = be[i + 1]!; be[i + 1] = a; }
  return be;
}

const B64_START = [0, 2, 3];
/** Characters to drop at the end, by (byte length + shift) % 3: the last group also holds unknown bytes. */
const B64_END_TRIM = [0, 3, 2];

/** The three encodings of `bytes` at byte offsets 0, 1 and 2 of a longer Base64 text, minus the unstable edges. */
export function base64Offsets(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString('base64');
    const trim = B64_END_TRIM[(bytes.length + i) % 3]!;
    out.push(enc.slice(B64_START[i]!, enc.length - trim));
  }
  return out;
}

function valueText(v: SigmaValue): string {
  return typeof v === 'string' ? v : String(v);
}

interface Flags {
  all: boolean; negate: boolean; cased: boolean; expand: boolean; windash: boolean;
  pos: string | null; enc: string | null; b64: string | null;
  re: boolean; reFlags: string; cidr: boolean; exists: boolean;
  cmp: CompareOp | null; part: TimePart | null; fieldref: boolean;
}

function flagsOf(modifiers: readonly string[]): Flags {
  const f: Flags = {
    all: false, negate: false, cased: false, expand: false, windash: false, pos: null, enc: null, b64: null,
    re: false, reFlags: '', cidr: false, exists: false, cmp: null, part: null, fieldref: false,
  };
  for (const raw of modifiers) {
    const m = canonicalModifier(raw);
    if (m === 'all') f.all = true;
    else if (m === 'neq') f.negate = true;
    else if (m === 'cased') f.cased = true;
    else if (m === 'expand') f.expand = true;
    else if (m === 'windash') f.windash = true;
    else if (POSITIONS.has(m)) f.pos = m;
    else if (UTF16.has(m)) f.enc = m;
    else if (BASE64.has(m)) f.b64 = m;
    else if (m === 're') f.re = true;
    else if (RE_FLAGS.has(m)) { if (!f.reFlags.includes(m)) f.reFlags += m; }
    else if (m === 'cidr') f.cidr = true;
    else if (m === 'exists') f.exists = true;
    else if (COMPARES.has(m)) f.cmp = m as CompareOp;
    else if (TIME_PARTS.has(m)) f.part = m as TimePart;
    else if (m === 'fieldref') f.fieldref = true;
  }
  return f;
}

/**
 * Whether an item is of the commonest kind, which no check below can fault: non-null values and
 * at most one of contains/startswith/endswith, with or without all. Both the parser and planItem
 * check every item; this answer saves the full checks' allocations (a Set, closures, strings) for
 * 97% of SigmaHQ's 10,423 items (checkItem: 53 ms self time of a cold corpus load, profiled).
 */
function plainItem(modifiers: readonly string[], values: readonly SigmaValue[]): boolean {
  if (values.length === 0) return false;
  let pos = 0, all = 0;
  for (const m of modifiers) {
    if (m === 'contains' || m === 'startswith' || m === 'endswith') pos++;
    else if (m === 'all') all++;
    else return false;
  }
  if (pos > 1 || all > 1) return false;
  for (const v of values) if (v === null) return modifiers.length === 0 && values.length === 1;
  return true;
}

/**
 * Static checks of a detection item: unknown modifiers, combinations that cannot work, and
 * values of the wrong kind. Returns messages (empty: fine). The parser reports them with the
 * item's place; planItem assumes they passed.
 */
export function checkItem(field: string | null, modifiers: readonly string[], values: readonly SigmaValue[]): string[] {
  if (plainItem(modifiers, values)) return [];
  const errs: string[] = [];
  const key = `${field ?? ''}${modifiers.map((m) => `|${m}`).join('')}`;
  const seen = new Set<string>();
  const canon: string[] = [];
  for (const m of modifiers) {
    if (!KNOWN.has(m)) {
      const hint = closest(m, KNOWN_MODIFIERS);
      errs.push(`unknown modifier "${m}" in "${key}"; ${hint ? `did you mean "${hint}"?` : `Sigma 2.1 modifiers are ${KNOWN_MODIFIERS.filter((k) => !ALIASES[k]).join(', ')}`}`);
      continue;
    }
    const c = canonicalModifier(m);
    if (seen.has(c)) errs.push(`modifier "${m}" appears twice in "${key}"`);
    seen.add(c);
    canon.push(c);
  }
  if (errs.length) return errs;
  if (values.length === 0) return [`"${key}" has an empty list of values; give at least one value or remove the line`];
  const has = (m: string) => seen.has(m);
  const count = (set: Set<string>) => canon.filter((m) => set.has(m)).length;
  const index = (m: string) => canon.indexOf(m);
  const others = (allowed: string[]) => canon.filter((m) => !allowed.includes(m));
  const nulls = values.filter((v) => v === null).length;
  if (nulls > 0) {
    if (values.length > 1) errs.push(`"${key}": null cannot be part of a list of values; put "${field}: null" in its own selection`);
    else if (canon.some((m) => m !== 'all')) errs.push(`"${key}": null takes no modifiers (it means "absent or null"); use "${field}|exists: false" or drop the modifiers`);
    return errs;
  }
  const keyword = field === null;
  if (keyword) {
    const bad = canon.filter((m) => ['exists', 'cidr', 'fieldref', 'neq', ...COMPARES, ...TIME_PARTS].includes(m));
    if (bad.length) errs.push(`"${key}": ${bad.join(', ')} need a field; keyword searches (no field name) cannot use ${bad.length > 1 ? 'them' : 'it'}`);
  }
  if (has('exists')) {
    if (others(['exists']).length) errs.push(`"${key}": exists takes no other modifier`);
    if (values.length !== 1 || typeof values[0] !== 'boolean') errs.push(`"${key}": exists needs one value, true or false`);
    return errs;
  }
  for (const [set, what] of [[POSITIONS, 'contains, startswith and endswith'], [UTF16, 'utf16le, utf16be, utf16 and wide'], [BASE64, 'base64 and base64offset'], [COMPARES, 'lt, lte, gt and gte'], [TIME_PARTS, 'the time modifiers']] as const) {
    if (count(set) > 1) errs.push(`"${key}": use only one of ${what}`);
  }
  if (has('re')) {
    const bad = others(['re', 'all', 'neq', ...RE_FLAGS]);
    if (bad.length) {
      const why = bad.some((m) => POSITIONS.has(m)) ? ' (a regular expression already matches anywhere in the value; anchor it with ^ or $ instead)' : bad.includes('cased') ? ' (regular expressions are case-sensitive; add |i for case-insensitive)' : '';
      errs.push(`"${key}": re cannot be combined with ${bad.join(', ')}${why}`);
    }
    if (index('re') > 0 && canon.slice(0, index('re')).some((m) => m !== 'all' && m !== 'neq')) errs.push(`"${key}": re must come before its flags i, m, s`);
  } else {
    const flags = canon.filter((m) => RE_FLAGS.has(m));
    if (flags.length) errs.push(`"${key}": ${flags.join(', ')} ${flags.length > 1 ? 'are flags' : 'is a flag'} of re; write "${field ?? ''}|re|${flags.join('|')}"`);
  }
  if (has('cidr')) {
    const bad = others(['cidr', 'all', 'neq']);
    if (bad.length) errs.push(`"${key}": cidr cannot be combined with ${bad.join(', ')}`);
    for (const v of values) if (typeof v !== 'string' || !Cidr.parse(v)) errs.push(`"${key}": ${JSON.stringify(v)} is not an IPv4 or IPv6 network (like 10.0.0.0/8 or 2001:db8::/32)`);
  }
  const numeric = count(COMPARES) > 0 || count(TIME_PARTS) > 0;
  if (numeric) {
    const bad = others(['all', 'neq', ...COMPARES, ...TIME_PARTS]);
    if (bad.length) errs.push(`"${key}": ${canon.filter((m) => COMPARES.has(m) || TIME_PARTS.has(m)).join(', ')} compare numbers and cannot be combined with ${bad.join(', ')}`);
    if (has('neq') && count(COMPARES)) errs.push(`"${key}": neq cannot be combined with lt, lte, gt or gte`);
    for (const v of values) if (Number.isNaN(numberOf(v))) errs.push(`"${key}": ${JSON.stringify(v)} is not a number`);
  }
  if (has('fieldref')) {
    const bad = others(['fieldref', 'all', 'neq', 'cased', ...POSITIONS]);
    if (bad.length) errs.push(`"${key}": fieldref cannot be combined with ${bad.join(', ')}`);
    for (const v of values) if (typeof v !== 'string' || v === '' || hasWildcard(v)) errs.push(`"${key}": fieldref needs field names without wildcards, not ${JSON.stringify(v)}`);
  }
  const b64 = canon.findIndex((m) => BASE64.has(m));
  if (b64 >= 0) {
    const name = canon[b64]!;
    const early = canon.slice(0, b64).filter((m) => POSITIONS.has(m));
    const late = canon.slice(b64 + 1).filter((m) => UTF16.has(m) || m === 'windash' || m === 'expand');
    if (early.length) errs.push(`"${key}": ${early.join(', ')} before ${name} would encode its wildcards; write "${name}|${early.join('|')}"`);
    if (late.length) errs.push(`"${key}": ${late.join(', ')} must come before ${name} (after it, it would change the encoded text)`);
    if (!has('expand')) for (const v of values) if (typeof v === 'string' && hasWildcard(v)) errs.push(`"${key}": ${name} cannot encode the wildcards in ${JSON.stringify(v)}; escape them (\\* \\?) or drop them`);
  }
  return errs;
}

/** The string alternatives of one written value (after expand, windash and encodings). */
function stringAlternatives(v: SigmaValue, f: Flags, keyword: boolean, opts: PlanOptions): ValueTest[] {
  let globs: Glob[];
  if (typeof v !== 'string') globs = [[valueText(v)]];
  else if (!f.expand) globs = [normalizeGlob(tokenize(v, false) as GlobToken[])];
  else globs = expandPlaceholders(tokenize(v, true), opts);
  if (f.windash) globs = globs.flatMap(windash);
  let cased = f.cased;
  if (f.b64 !== null) {
    cased = true;
    globs = globs.flatMap((g) => {
      if (g.some((t) => typeof t !== 'string')) {
        throw new ModifierError(`${f.b64} cannot encode the wildcards in ${JSON.stringify(globText(g))}; escape them (\\* \\?) or drop them`);
      }
      const bytes = encodeText(g.join(''), f.enc);
      return f.b64 === 'base64' ? [[bytes.toString('base64')]] : base64Offsets(bytes).map((s) => [s]);
    });
  } else if (f.enc !== null) {
    // No Base64 after it: the value is matched as the encoded bytes read one byte per character.
    const enc = f.enc;
    globs = globs.map((g) => g.map((t) => (typeof t === 'string' ? encodeText(t, enc).toString('latin1') : t)));
  }
  const pos = f.pos ?? (keyword ? 'contains' : null);
  const head = pos === 'contains' || pos === 'endswith', tail = pos === 'contains' || pos === 'startswith';
  const out: ValueTest[] = [];
  for (const g of globs) out.push({ kind: 'glob', glob: positioned(g, head, tail, !cased), cased });
  return out;
}

/**
 * normalizeGlob of `g` with `*` before (head) and after (tail), lower-cased (literals lowered once
 * merged: lower-casing is context-sensitive, final sigma). One array where a copy for each step
 * made stringAlternatives the largest allocator of a corpus load (49 -> 28 MB of 517, sampled).
 */
function positioned(g: readonly GlobToken[], head: boolean, tail: boolean, lower: boolean): Glob {
  const out: Glob = head ? [ANY] : [];
  for (const t of g) {
    const last = out[out.length - 1];
    if (typeof t === 'string') {
      if (t === '') continue;
      if (typeof last === 'string') out[out.length - 1] = last + t; else out.push(t);
    } else if (!(t === ANY && last === ANY)) out.push(t);
  }
  if (tail && out[out.length - 1] !== ANY) out.push(ANY);
  if (lower) for (let i = 0; i < out.length; i++) { const t = out[i]!; if (typeof t === 'string') out[i] = t.toLowerCase(); }
  return out;
}

function expandPlaceholders(tokens: RawToken[], opts: PlanOptions): Glob[] {
  let variants: GlobToken[][] = [[]];
  for (const t of tokens) {
    if (typeof t === 'string' || t === ANY || t === ONE) {
      for (const v of variants) v.push(t);
      continue;
    }
    const values = opts.placeholders?.[t.placeholder];
    if (values === undefined) {
      if (opts.unknownPlaceholders === 'match-nothing') return [];
      const known = Object.keys(opts.placeholders ?? {});
      throw new ModifierError(`unknown placeholder %${t.placeholder}%: ${known.length ? `the configured placeholders are ${known.map((k) => `%${k}%`).join(', ')}` : 'no placeholders are configured'}; configure its values or escape the percent sign (\\%)`);
    }
    const globs = values.map((pv) => (typeof pv === 'string' ? (tokenize(pv, false) as GlobToken[]) : [valueText(pv)]));
    variants = variants.flatMap((v) => globs.map((g) => [...v, ...g]));
  }
  return variants.map(normalizeGlob);
}

/**
 * Turns a detection item into tests. Throws ModifierError when checkItem finds a problem (items
 * may come from pipelines, not only from the parser) or for what only shows now (placeholders).
 */
export function planItem(item: DetectionItem, opts: PlanOptions = {}): ItemPlan {
  const problems = checkItem(item.field, item.modifiers, item.values);
  if (problems.length) throw new ModifierError(problems.join('; '));
  const f = flagsOf(item.modifiers);
  const keyword = item.field === null;
  const paths = keyword ? [] : item.paths ?? [item.field!];
  const plan: ItemPlan = { field: item.field, paths, kind: 'values', exists: false, all: f.all, negate: f.negate, values: [] };
  if (item.values.length === 1 && item.values[0] === null) { plan.kind = 'null'; return plan; }
  if (f.exists) { plan.kind = 'exists'; plan.exists = item.values[0] === true; return plan; }
  for (const v of item.values) {
    if (f.re) plan.values.push([{ kind: 're', source: valueText(v), flags: f.reFlags }]);
    else if (f.cidr) plan.values.push([{ kind: 'cidr', cidr: valueText(v) }]);
    else if (f.cmp !== null || f.part !== null) plan.values.push([{ kind: 'cmp', op: f.cmp ?? 'eq', value: numberOf(v), part: f.part }]);
    else if (f.fieldref) { const ref = valueText(v); plan.values.push([{ kind: 'ref', ref, refs: item.refPaths?.[ref] ?? [ref], pos: (f.pos ?? 'eq') as FieldrefPosition, cased: f.cased }]); }
    else plan.values.push(stringAlternatives(v, f, keyword, opts));
  }
  return plan;
}
