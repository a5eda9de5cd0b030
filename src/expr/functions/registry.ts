// Function registry: signature (arity, static parameter types, result type), fallibility and implementation.
// Conventions, applied by every function (see docs/language.md "Functions"):
//   * transforms propagate null: lower(null) is null, to_int(null) is null;
//   * predicates answer false for null: starts_with(null, "a") is false;
//   * a non-null argument of the wrong type is a runtime error (no silent coercion).
import { T } from '../ast.js';
import { ExprRuntimeError } from '../errors.js';
import { typeName } from '../values.js';

export type Impl = (...args: any[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface FnDef {
  name: string;
  min: number;
  max: number;
  /** Accepted static types per parameter; the last entry repeats for variadic functions. */
  params: number[];
  /** Static result type. */
  ret: number;
  /** May fail at run time on valid-looking input (parsers, decoders): marked in the docs. Every call is
   * treated as possibly failing by `??` (a wrong-typed argument is a runtime error too). */
  fallible: boolean;
  /** Always returns a newly built value, so assigning it needs no defensive copy. */
  fresh: boolean;
  impl: Impl;
}

const registry = new Map<string, FnDef>();

/** Turn anything an implementation throws into ExprRuntimeError: compiled conditions and values run
 * without a try/catch of their own (see codegen.ts), so functions keep that promise themselves. */
function guard(name: string, impl: Impl): Impl {
  return (...args: unknown[]) => {
    try {
      return impl(...args);
    } catch (err) {
      if (err instanceof ExprRuntimeError) throw err;
      const msg = err instanceof RangeError && /call stack/i.test(err.message) ? 'value nested too deeply' : (err as Error)?.message ?? String(err);
      throw new ExprRuntimeError(`${name}: ${msg}`);
    }
  };
}

export function def(
  name: string, params: number[], ret: number, impl: Impl,
  opts: { min?: number; max?: number; fallible?: boolean; fresh?: boolean; safe?: boolean } = {},
): void {
  if (registry.has(name)) throw new Error(`duplicate function ${name}`);
  const min = opts.min ?? params.length;
  // an optional argument may be given as null to mean "the default"
  params = params.map((p, i) => (i >= min ? p | T.NULL : p));
  registry.set(name, {
    name, params, ret,
    // `safe`: small functions that provably throw only ExprRuntimeError stay unwrapped (hot paths)
    impl: opts.safe ? impl : guard(name, impl),
    min,
    max: opts.max ?? params.length,
    fallible: opts.fallible ?? false,
    fresh: opts.fresh ?? false,
  });
}

export function lookup(name: string): FnDef | undefined {
  return registry.get(name);
}

export function registeredNames(): string[] {
  return [...registry.keys()];
}

// ---- argument helpers for implementations ----

export function fail(fn: string, msg: string): ExprRuntimeError {
  return new ExprRuntimeError(`${fn}: ${msg}`);
}

export function wrongType(fn: string, what: string, v: unknown): ExprRuntimeError {
  return fail(fn, `expected ${what}, got ${typeName(v)}`);
}

export function str(fn: string, v: unknown, what = 'a string'): string {
  if (typeof v !== 'string') throw wrongType(fn, what, v);
  return v;
}

export function num(fn: string, v: unknown, what = 'a number'): number {
  if (typeof v !== 'number') throw wrongType(fn, what, v);
  return v;
}

export function int(fn: string, v: unknown, what = 'an integer'): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(fn, what, v);
  return v;
}

export function optStr(fn: string, v: unknown, dflt: string): string {
  return v === undefined || v === null ? dflt : str(fn, v);
}

export function list(fn: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw wrongType(fn, 'a list', v);
  return v;
}

export function obj(fn: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeName(v) !== 'object') throw wrongType(fn, 'an object', v);
  return v as Record<string, unknown>;
}

export { T };
export const S = T.STR, N = T.NUM, B = T.BOOL, A = T.ARR, O = T.OBJ, R = T.REGEX, C = T.CIDR, Z = T.NULL, ANY = T.ANY;
