// Runtime helpers called by generated code. They implement the language's typing rules
// (see docs/language.md "Types and operators"): no implicit conversions, null-safe reads,
// own-property-only access, and safe writes.
import { ExprAbort, ExprRuntimeError } from './errors.js';
import { Cidr, CidrSet, Regex, regexFrom, typeName } from './values.js';

export { parseIPv4 } from './values.js';

export const hasOwn = Object.hasOwn;
export const isArray = Array.isArray;
export const getProto = Object.getPrototypeOf;
export const OP = Object.prototype;

/** Values nested deeper than this make recursive operations (==, copies, flatten...) fail cleanly. */
export const MAX_VALUE_DEPTH = 256;
/** Path segments that can never be written: they would reach or replace prototypes. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Own enumerable keys that hold a value. `del()` leaves an `undefined` tombstone instead of using the
 * `delete` operator (see delKey), so every key enumeration in the language skips undefined values,
 * exactly like JSON.stringify does.
 */
export function keysOf(o: object): string[] {
  const ks = Object.keys(o);
  for (let i = 0; i < ks.length; i++) {
    if ((o as Record<string, unknown>)[ks[i]!] === undefined) return ks.filter((k) => (o as Record<string, unknown>)[k] !== undefined);
  }
  return ks;
}

export function rt(msg: string): ExprRuntimeError {
  return new ExprRuntimeError(msg);
}

export function truthy(v: unknown): boolean {
  return v !== null && v !== undefined && v !== false;
}

/** Own, enumerable-or-not data read of a field; non-objects, arrays and missing keys give null. */
export function field(o: unknown, k: string): unknown {
  if (o === null || typeof o !== 'object' || isArray(o) || !hasOwn(o, k)) return null;
  const v = (o as Record<string, unknown>)[k];
  return v === undefined ? null : v;
}

/** `x[i]` with an integer: lists (negative counts from the end) and strings (UTF-16 code units). */
export function index(o: unknown, i: number): unknown {
  if (!Number.isInteger(i)) return null;
  if (isArray(o)) {
    const j = i < 0 ? o.length + i : i;
    if (j < 0 || j >= o.length) return null;
    const v = o[j];
    return v === undefined ? null : v;
  }
  if (typeof o === 'string') {
    const j = i < 0 ? o.length + i : i;
    return j >= 0 && j < o.length ? o[j]! : null;
  }
  return null;
}

/** `x[expr]` where expr is only known at run time: a string is a field name, a number an index. */
export function dyn(o: unknown, k: unknown): unknown {
  if (typeof k === 'string') return field(o, k);
  if (typeof k === 'number') return index(o, k);
  if (k === null) return null;
  throw rt(`an index must be a string or a number, got ${typeName(k)}`);
}

/** Structural equality; values of different types are never equal (no coercion). */
export function eq(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (a === undefined) return b === null;
  if (b === undefined) return a === null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (depth > MAX_VALUE_DEPTH) throw rt(`value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (isArray(a)) {
    if (!isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!eq(a[i] ?? null, b[i] ?? null, depth + 1)) return false;
    return true;
  }
  if (isArray(b)) return false;
  if (a instanceof Regex || a instanceof Cidr || b instanceof Regex || b instanceof Cidr) {
    return a.constructor === b.constructor && String(a) === String(b);
  }
  const ka = keysOf(a), kb = keysOf(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!hasOwn(b, k) || (b as Record<string, unknown>)[k] === undefined) return false;
    if (!eq((a as Record<string, unknown>)[k] ?? null, (b as Record<string, unknown>)[k] ?? null, depth + 1)) return false;
  }
  return true;
}

/** Ordering is defined between two numbers or two strings only; anything else is unordered (NaN),
 * which makes every ordering comparison false. */
export function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return NaN;
}
export const lt = (a: unknown, b: unknown): boolean => cmp(a, b) < 0;
export const le = (a: unknown, b: unknown): boolean => cmp(a, b) <= 0;
export const gt = (a: unknown, b: unknown): boolean => cmp(a, b) > 0;
export const ge = (a: unknown, b: unknown): boolean => cmp(a, b) >= 0;

function arith(op: string, a: unknown, b: unknown): never {
  const hint = (typeof a === 'string') !== (typeof b === 'string') ? ' (convert with to_string() or to_int())' : '';
  throw rt(`cannot apply "${op}" to ${typeName(a)} and ${typeName(b)}${hint}`);
}
export function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (isArray(a) && isArray(b)) return a.concat(b);
  return arith('+', a, b);
}
export function sub(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return arith('-', a, b);
}
export function mul(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  return arith('*', a, b);
}
export function div(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) throw rt('division by zero');
    return a / b;
  }
  return arith('/', a, b);
}
export function mod(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) throw rt('modulo by zero');
    return a % b;
  }
  return arith('%', a, b);
}
export function neg(a: unknown): number {
  if (typeof a === 'number') return -a;
  throw rt(`cannot negate ${typeName(a)}`);
}

/** `a in b`: list membership, map key, CIDR membership, substring. null on the right is false. */
export function inOp(a: unknown, b: unknown): boolean {
  if (b === null || b === undefined) return false;
  if (isArray(b)) {
    for (const x of b) {
      if (x instanceof Cidr ? x.contains(a) : eq(a, x ?? null)) return true;
    }
    return false;
  }
  if (b instanceof Cidr || b instanceof CidrSet) return b.contains(a);
  if (typeof b === 'string') return typeof a === 'string' && b.includes(a);
  if (typeof b === 'object' && !(b instanceof Regex)) return typeof a === 'string' && hasOwn(b, a) && (b as Record<string, unknown>)[a] !== undefined;
  throw rt(`"in" needs a list, map, string or CIDR on the right, got ${typeName(b)}`);
}

/** `s =~ re`: false when s is not a string. */
export function matchOp(s: unknown, re: unknown): boolean {
  const r = regexFrom(re, '=~');
  return typeof s === 'string' && r.test(s);
}

/** Predicate form of any()/all(): a regex matches, a CIDR contains, anything else is compared with ==. */
export function predicate(item: unknown, p: unknown): boolean {
  if (p instanceof Regex) return typeof item === 'string' && p.test(item);
  if (p instanceof Cidr || p instanceof CidrSet) return p.contains(item);
  return eq(item ?? null, p);
}

/** Does the container have this key (even with a null value)? */
export function exists(o: unknown, k: unknown): boolean {
  if (typeof k === 'number') {
    if (typeof o === 'string' || isArray(o)) {
      const j = k < 0 ? o.length + k : k;
      return Number.isInteger(j) && j >= 0 && j < o.length;
    }
    return false;
  }
  return typeof k === 'string' && o !== null && typeof o === 'object' && !isArray(o) && hasOwn(o, k) && (o as Record<string, unknown>)[k] !== undefined;
}

/** Refuse writes through keys that reach prototypes (dynamic keys; literal ones are refused at compile time). */
export function checkKey(k: unknown): string | number {
  if (typeof k === 'number') {
    if (!Number.isInteger(k)) throw rt(`list index must be an integer, got ${k}`);
    return k;
  }
  if (typeof k !== 'string') throw rt(`a path segment must be a string or a number, got ${typeName(k)}`);
  if (FORBIDDEN_KEYS.has(k)) throw rt(`refusing to write the field "${k}"`);
  return k;
}

const MAX_GROW = 10_000;
/** Set `container[key] = v`; key was checked (literal at compile time or via checkKey). */
export function setKey(c: unknown, key: string | number, v: unknown): void {
  if (typeof key === 'number') {
    const a = c as unknown[];
    const j = key < 0 ? a.length + key : key;
    if (j < 0) throw rt(`list index ${key} is out of range`);
    if (j - a.length > MAX_GROW) throw rt(`list index ${key} is too far past the end of the list`);
    while (a.length < j) a.push(null);
    a[j] = v;
    return;
  }
  (c as Record<string, unknown>)[key] = v;
}

/** The child container at `key`, created (replacing any non-container value) when needed. */
export function child(c: unknown, key: string | number, wantArray: boolean): unknown {
  const cur = typeof key === 'number' ? index(c, key) : field(c, key);
  if (wantArray ? isArray(cur) : (cur !== null && typeof cur === 'object' && !isArray(cur) && !(cur instanceof Regex) && !(cur instanceof Cidr))) {
    return cur;
  }
  const fresh = wantArray ? [] : {};
  setKey(c, key, fresh);
  return fresh;
}

/** Is `c` a container that `key` can be written into? */
export function fitContainer(c: unknown, key: string | number): boolean {
  return typeof key === 'number' ? isArray(c) : c !== null && typeof c === 'object' && !isArray(c);
}

/**
 * Remove `key` from a container, returning the removed value (null when absent).
 * Objects get an `undefined` tombstone rather than `delete`: measured on fresh JSON.parse'd events,
 * V8's `delete` of a non-last property costs ~2.5 µs and turns the object into a dictionary (later
 * reads ~10x slower, in every downstream component); the tombstone costs ~20 ns and keeps the object
 * fast. JSON.stringify omits undefined values and the language treats them as absent. Programs
 * compiled with `hardDelete: true` use the `delete` operator instead (delKeyHard).
 */
export function delKey(c: unknown, key: unknown): unknown {
  if (typeof key === 'number') return delIndex(c, key);
  if (typeof key !== 'string' || c === null || typeof c !== 'object' || isArray(c) || !hasOwn(c, key)) return null;
  const v = (c as Record<string, unknown>)[key];
  if (v === undefined) return null;
  (c as Record<string, unknown>)[key] = undefined;
  return v;
}

export function delKeyHard(c: unknown, key: unknown): unknown {
  if (typeof key === 'number') return delIndex(c, key);
  if (typeof key !== 'string' || c === null || typeof c !== 'object' || isArray(c) || !hasOwn(c, key)) return null;
  const v = (c as Record<string, unknown>)[key];
  delete (c as Record<string, unknown>)[key];
  return v === undefined ? null : v;
}

function delIndex(c: unknown, key: number): unknown {
  if (!isArray(c)) return null;
  const j = key < 0 ? c.length + key : key;
  if (!Number.isInteger(j) || j < 0 || j >= c.length) return null;
  return c.splice(j, 1)[0] ?? null;
}

/** Define an own data property; `__proto__` becomes a plain key instead of changing the prototype. */
export function safeSet(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

/** Deep copy for value semantics (assignments never alias). Regexes and CIDRs become strings. */
export function clone(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object') return v === undefined ? null : v;
  if (depth > MAX_VALUE_DEPTH) throw rt(`value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = clone(v[i], depth + 1);
    return out;
  }
  if (v instanceof Regex || v instanceof Cidr) return v.toString();
  if (v instanceof CidrSet) return v.items.map((c) => c.toString());
  const out: Record<string, unknown> = {};
  for (const k of keysOf(v)) safeSet(out, k, clone((v as Record<string, unknown>)[k], depth + 1));
  return out;
}

/** Deep copy that keeps regexes and CIDRs as values: list and map literals are built with it, so a
 * list of networks still works with `in`; assignment then stores them as text (clone). */
export function copyValue(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object') return v === undefined ? null : v;
  if (v instanceof Regex || v instanceof Cidr || v instanceof CidrSet) return v;
  if (depth > MAX_VALUE_DEPTH) throw rt(`value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyValue(v[i], depth + 1);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of keysOf(v)) safeSet(out, k, copyValue((v as Record<string, unknown>)[k], depth + 1));
  return out;
}

/** Merge `src` into `target` in place; `deep` merges nested maps instead of replacing them. */
export function mergeInto(target: Record<string, unknown>, src: unknown, deep: boolean, depth = 0): void {
  if (src === null || src === undefined) return;
  if (typeof src !== 'object' || isArray(src) || src instanceof Regex || src instanceof Cidr) {
    throw rt(`merge: expected an object to merge, got ${typeName(src)}`);
  }
  if (depth > MAX_VALUE_DEPTH) throw rt(`value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  for (const k of keysOf(src)) {
    const v = (src as Record<string, unknown>)[k];
    const cur = hasOwn(target, k) ? target[k] : undefined;
    if (deep && v !== null && typeof v === 'object' && !isArray(v) && cur !== null && typeof cur === 'object' && !isArray(cur)) {
      mergeInto(cur as Record<string, unknown>, v, true, depth + 1);
    } else {
      safeSet(target, k, clone(v, depth + 1));
    }
  }
}

/** In-place merge of `v` into the current value `cur`; returns the value to store back. */
export function mergeValue(cur: unknown, v: unknown, deep: boolean): unknown {
  if (cur !== null && typeof cur === 'object' && !isArray(cur) && !(cur instanceof Regex) && !(cur instanceof Cidr)) {
    mergeInto(cur as Record<string, unknown>, v, deep);
    return cur;
  }
  if (v === null || v === undefined) return cur ?? null;
  const out: Record<string, unknown> = {};
  mergeInto(out, v, deep);
  return out;
}

/** `. = value`: replace the event's contents in place. */
export function replaceEvent(e: Record<string, unknown>, v: unknown): void {
  if (v === null || typeof v !== 'object' || isArray(v) || v instanceof Regex || v instanceof Cidr) {
    throw rt(`the event must be an object, cannot assign ${typeName(v)} to "."`);
  }
  const copy = clone(v) as Record<string, unknown>;
  for (const k of Object.keys(e)) e[k] = undefined; // tombstones, see delKey
  for (const k of Object.keys(copy)) safeSet(e, k, copy[k]);
}

/** Normalise anything thrown inside compiled code into ExprRuntimeError (aborts pass through). */
export function wrapErr(x: unknown): Error {
  if (x instanceof ExprRuntimeError || x instanceof ExprAbort) return x;
  if (x instanceof RangeError && /call stack/i.test(x.message)) return rt('value nested too deeply (stack exhausted)');
  return rt(x instanceof Error ? x.message : String(x));
}

/** Entry guard of conditions and values (they have no try/catch, see codegen.ts). */
export function badEvent(e: unknown): ExprRuntimeError {
  return rt(`the event must be an object, got ${typeName(e)}`);
}

/** The reason given to `abort`. */
export function abortWith(reason: unknown): never {
  if (reason === null || reason === undefined) throw new ExprAbort('aborted');
  throw new ExprAbort(typeof reason === 'string' ? reason : JSON.stringify(clone(reason)));
}

export function notList(fn: string, v: unknown): never {
  throw rt(`${fn}: expected a list, got ${typeName(v)}`);
}
