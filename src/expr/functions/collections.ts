// Collections: objects (maps) and lists. Results are new values; inputs are never modified.
import { MAX_VALUE_DEPTH, clone, eq, isArray, keysOf, mergeInto, rt, safeSet } from '../runtime.js';
import { A, ANY, B, N, O, S, Z, def, fail, int, list, obj, str, wrongType } from './registry.js';

def('keys', [O | Z], A | Z, (o: unknown) => (o === null ? null : keysOf(obj('keys', o))), { fresh: true });
def('values', [O | Z], A | Z, (o: unknown) => {
  if (o === null) return null;
  const m = obj('values', o);
  return keysOf(m).map((k) => clone(m[k]));
}, { fresh: true });

function flattenObj(o: Record<string, unknown>, sep: string, prefix: string, out: Record<string, unknown>, depth: number): void {
  if (depth > MAX_VALUE_DEPTH) throw rt(`flatten: value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  for (const k of keysOf(o)) {
    const v = o[k];
    const key = prefix === '' ? k : prefix + sep + k;
    if (v !== null && typeof v === 'object' && !isArray(v) && keysOf(v).length > 0) {
      flattenObj(v as Record<string, unknown>, sep, key, out, depth + 1);
    } else {
      safeSet(out, key, clone(v));
    }
  }
}
function flattenList(l: unknown[], out: unknown[], depth: number): void {
  if (depth > MAX_VALUE_DEPTH) throw rt(`flatten: value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  for (const x of l) {
    if (isArray(x)) flattenList(x, out, depth + 1);
    else out.push(clone(x));
  }
}
def('flatten', [O | A | Z, S], O | A | Z, (v: unknown, sep?: unknown) => {
  if (v === null) return null;
  if (isArray(v)) {
    const out: unknown[] = [];
    flattenList(v, out, 0);
    return out;
  }
  const out: Record<string, unknown> = {};
  flattenObj(obj('flatten', v), sep === undefined ? '.' : str('flatten', sep, 'a string separator'), '', out, 0);
  return out;
}, { min: 1, fresh: true });

def('merge', [O | Z, O | Z, B], O, (a: unknown, b: unknown, deep?: unknown) => {
  const out: Record<string, unknown> = {};
  const d = deep === undefined || deep === null ? false : deep === true;
  if (deep !== undefined && deep !== null && typeof deep !== 'boolean') throw wrongType('merge', 'a boolean "deep" flag', deep);
  if (a !== null) mergeInto(out, obj('merge', a), d);
  if (b !== null) mergeInto(out, obj('merge', b), d);
  return out;
}, { min: 2, fresh: true });

function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.getPrototypeOf(v) !== null && (v as object).constructor === Object && keysOf(v as object).length === 0;
}
function compactValue(v: unknown, depth: number): unknown {
  if (depth > MAX_VALUE_DEPTH) throw rt(`compact: value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const c = compactValue(x, depth + 1);
      if (!isEmptyValue(c)) out.push(c);
    }
    return out;
  }
  if (v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const out: Record<string, unknown> = {};
    for (const k of keysOf(v)) {
      const c = compactValue((v as Record<string, unknown>)[k], depth + 1);
      if (!isEmptyValue(c)) safeSet(out, k, c);
    }
    return out;
  }
  return clone(v);
}
def('compact', [O | A | Z], O | A | Z, (v: unknown) => {
  if (v === null) return null;
  if (!isArray(v)) obj('compact', v);
  return compactValue(v, 0);
}, { fresh: true });

def('unique', [A | Z], A | Z, (l: unknown) => {
  if (l === null) return null;
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  for (const x of list('unique', l)) {
    if (x === null || typeof x !== 'object') {
      if (seen.has(x ?? null)) continue;
      seen.add(x ?? null);
      out.push(x ?? null);
    } else if (!out.some((y) => eq(x, y))) {
      out.push(clone(x));
    }
    if (out.length > 100_000) throw fail('unique', 'list too long');
  }
  return out;
}, { fresh: true });

def('push', [A | Z, ANY], A, (l: unknown, item: unknown) => {
  const base = l === null ? [] : list('push', l);
  const out = clone(base) as unknown[];
  out.push(clone(item));
  return out;
}, { fresh: true });

def('slice', [A | S | Z, N, N], A | S | Z, (v: unknown, start: unknown, end?: unknown) => {
  if (v === null) return null;
  if (!isArray(v) && typeof v !== 'string') throw wrongType('slice', 'a list or string', v);
  const len = v.length;
  const norm = (i: number) => Math.max(0, Math.min(len, i < 0 ? len + i : i));
  const a = norm(int('slice', start, 'an integer start'));
  const b = end === undefined || end === null ? len : norm(int('slice', end, 'an integer end'));
  if (typeof v === 'string') return b > a ? v.slice(a, b) : '';
  return b > a ? (clone(v.slice(a, b)) as unknown[]) : [];
}, { min: 2, fresh: true });

