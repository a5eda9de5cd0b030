// String functions.
import { eq, keysOf } from '../runtime.js';
import { Regex, regexFrom } from '../values.js';
import { A, ANY, B, N, R, S, Z, def, fail, int, list, str, wrongType, T } from './registry.js';

const SN = S | Z;

def('lower', [SN], SN, (s: unknown) => (s === null ? null : str('lower', s).toLowerCase()), { safe: true });
def('upper', [SN], SN, (s: unknown) => (s === null ? null : str('upper', s).toUpperCase()), { safe: true });
def('trim', [SN], SN, (s: unknown) => (s === null ? null : str('trim', s).trim()), { safe: true });
def('trim_start', [SN], SN, (s: unknown) => (s === null ? null : str('trim_start', s).trimStart()), { safe: true });
def('trim_end', [SN], SN, (s: unknown) => (s === null ? null : str('trim_end', s).trimEnd()), { safe: true });

def('split', [SN, S | R, N], A | Z, (s: unknown, sep: unknown, limit?: unknown) => {
  if (s === null) return null;
  const text = str('split', s);
  const lim = limit === undefined || limit === null ? -1 : int('split', limit, 'an integer limit');
  let parts: string[];
  if (sep instanceof Regex) parts = text.split(sep.g);
  else parts = text.split(str('split', sep, 'a string or regex separator'));
  if (lim >= 0 && parts.length > lim) {
    if (lim === 0) return [];
    // keep the remainder in the last part, like most log tools expect ("a=b=c" split on "=" with limit 2 -> ["a", "b=c"])
    if (typeof sep === 'string') return [...parts.slice(0, lim - 1), parts.slice(lim - 1).join(sep)];
    return parts.slice(0, lim);
  }
  return parts;
}, { min: 2, fresh: true });

def('join', [A | Z, S], SN, (l: unknown, sep?: unknown) => {
  if (l === null) return null;
  const items = list('join', l);
  const s = sep === undefined ? '' : str('join', sep, 'a string separator');
  for (const x of items) if (typeof x !== 'string') throw wrongType('join', 'a list of strings (convert items with to_string)', x);
  return items.join(s);
}, { min: 1 });

def('contains', [S | A | Z, ANY], B, (h: unknown, needle: unknown) => {
  if (h === null) return false;
  if (Array.isArray(h)) return h.some((x) => eq(x ?? null, needle));
  const hay = str('contains', h, 'a string or a list');
  return typeof needle === 'string' && hay.includes(needle);
});

def('starts_with', [SN, S], B, (s: unknown, p: unknown) => {
  // null subject -> false (predicate convention); kept tiny so V8 inlines it into compiled conditions
  if (typeof s === 'string' && typeof p === 'string') return s.startsWith(p);
  if (s === null) return false;
  throw wrongType('starts_with', 'strings', typeof s === 'string' ? p : s);
}, { safe: true });
def('ends_with', [SN, S], B, (s: unknown, p: unknown) => {
  if (typeof s === 'string' && typeof p === 'string') return s.endsWith(p);
  if (s === null) return false;
  throw wrongType('ends_with', 'strings', typeof s === 'string' ? p : s);
}, { safe: true });

def('replace', [SN, S | R, S, N], SN, (s: unknown, pat: unknown, rep: unknown, count?: unknown) => {
  if (s === null) return null;
  const text = str('replace', s);
  const r = str('replace', rep, 'a string replacement');
  const n = count === undefined || count === null ? -1 : int('replace', count, 'an integer count');
  if (pat instanceof Regex) {
    if (n < 0) return text.replace(pat.g, r);
    let done = 0;
    return text.replace(pat.g, (...m: unknown[]) => {
      if (done++ >= n) return m[0] as string;
      // expand $1 / $<name> for the replaced occurrences
      return (m[0] as string).replace(pat.re, r);
    });
  }
  const p = str('replace', pat, 'a string or regex pattern');
  if (p === '') throw fail('replace', 'the pattern must not be empty');
  if (n < 0) return text.split(p).join(r);
  const parts = text.split(p);
  if (parts.length - 1 <= n) return parts.join(r);
  return parts.slice(0, n + 1).join(r) + p + parts.slice(n + 1).join(p);
}, { min: 3 });

function clampIndex(i: number, len: number): number {
  if (i < 0) i += len;
  return Math.max(0, Math.min(len, i));
}

def('substring', [SN, N, N], SN, (s: unknown, start: unknown, end?: unknown) => {
  if (s === null) return null;
  const text = str('substring', s);
  const a = clampIndex(int('substring', start, 'an integer start'), text.length);
  const b = end === undefined || end === null ? text.length : clampIndex(int('substring', end, 'an integer end'), text.length);
  return b > a ? text.slice(a, b) : '';
}, { min: 2 });

def('len', [S | A | T.OBJ | Z], N | Z, (v: unknown) => {
  if (v === null) return null;
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (typeof v === 'object' && !(v instanceof Regex)) return keysOf(v).length;
  throw wrongType('len', 'a string, list or object', v);
});

def('truncate', [SN, N, S], SN, (s: unknown, n: unknown, suffix?: unknown) => {
  if (s === null) return null;
  const text = str('truncate', s);
  const max = int('truncate', n, 'an integer length');
  if (max < 0) throw fail('truncate', 'the length must not be negative');
  if (text.length <= max) return text;
  return text.slice(0, max) + (suffix === undefined ? '' : str('truncate', suffix, 'a string suffix'));
}, { min: 2 });

// ---- regex ----

def('match', [SN, R | S], B, (s: unknown, re: unknown) => {
  const r = regexFrom(re, 'match');
  if (s === null) return false;
  return r.test(str('match', s));
});

function groupsOf(m: RegExpExecArray): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const g = m.groups;
  if (g) for (const k of Object.keys(g)) out[k] = g[k] ?? null;
  else for (let i = 1; i < m.length; i++) out[String(i)] = m[i] ?? null;
  return out;
}

def('capture', [SN, R | S], T.OBJ | Z, (s: unknown, re: unknown) => {
  const r = regexFrom(re, 'capture');
  if (s === null) return null;
  const m = r.re.exec(str('capture', s));
  return m ? groupsOf(m) : null;
}, { fresh: true });

def('capture_all', [SN, R | S], A | Z, (s: unknown, re: unknown) => {
  const r = regexFrom(re, 'capture_all');
  if (s === null) return null;
  const out: Record<string, unknown>[] = [];
  for (const m of str('capture_all', s).matchAll(r.g)) {
    out.push(groupsOf(m as RegExpExecArray));
    if (out.length >= 10_000) break;
  }
  return out;
}, { fresh: true });
