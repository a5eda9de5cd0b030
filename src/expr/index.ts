// Sluice expression language: public API.
//
//   compileCondition(".class_uid == 3002 and .src_endpoint.ip in 10.0.0.0/8")  -> (event) => boolean
//   compileValue('.actor.user.name ?? "unknown"')                            -> (event) => unknown
//   compileProgram('.user.name = lower(.user.name)\ndel(.raw)')                -> (event) => void (mutates)
//
// Pipeline: lexer -> parser (AST with offsets) -> checker (types, functions, variables, literals) ->
// codegen (JavaScript source from the checked AST) -> new Function, built once per distinct source.
// See docs/language.md for the language and docs/decisions/0003-expression-language.md for the design.
import { T, type Expr, type Stmt } from './ast.js';
import { SPECIAL_FORMS, check } from './checker.js';
import { generate, type Mode } from './codegen.js';
import { ExprAbort, ExpressionError, compileError, type SourcePosition } from './errors.js';
import { lookup, registeredNames } from './functions/index.js';
import { parseExpression, parseProgram } from './parser.js';
import * as runtime from './runtime.js';

export { ExprAbort, ExprRuntimeError, ExpressionError, type SourcePosition } from './errors.js';

export type Event = Record<string, unknown>;

export interface CompileOptions {
  /** Where the expression text starts in its config file; compile errors report file:line:col from it. */
  origin?: SourcePosition;
  /** Resolves secret("NAME") at compile time. Default: environment variables. */
  secrets?: (name: string) => string | undefined;
  /**
   * del()/rename() remove keys with the `delete` operator instead of leaving an `undefined` tombstone.
   * Off by default: `delete` costs ~2.5 µs per call in V8 and makes the event a slow dictionary object.
   * Tombstones are invisible to JSON.stringify and to the language, but visible to Object.keys / `in`.
   */
  hardDelete?: boolean;
}

const H = Object.freeze({ ...runtime, ExprAbort });
const F: Record<string, unknown> = Object.create(null);
for (const name of registeredNames()) F[name] = lookup(name)!.impl;
Object.freeze(F);

type Factory = (h: typeof H, k: unknown[], f: Record<string, unknown>) => (...a: unknown[]) => unknown;
/** Generated source -> factory. Identical expressions (common across a pipeline) are parsed by V8 once;
 * constants are still per compile. Bounded so a long-running process that compiles user input stays small. */
const factories = new Map<string, Factory>();
const MAX_FACTORIES = 10_000;

const envSecrets = (name: string): string | undefined => process.env[name];

interface Built { fn: (...a: unknown[]) => unknown; vars: string[]; source: string }

function build(src: string, mode: Mode, opts: CompileOptions | undefined, replVars?: string[]): Built {
  if (typeof src !== 'string') throw new TypeError('expression source must be a string');
  const origin = opts?.origin;
  try {
    let root: Expr | Stmt[];
    if (mode === 'program') root = parseProgram(src, origin);
    else root = parseExpression(src, origin);
    const checkOpts: Parameters<typeof check>[1] = {
      src, program: mode === 'program', secrets: opts?.secrets ?? envSecrets,
    };
    if (origin) checkOpts.origin = origin;
    if (replVars) checkOpts.replVars = replVars;
    const checked = check(root, checkOpts);
    if (mode === 'condition' && !Array.isArray(root) && root.t !== undefined && (root.t & (T.BOOL | T.NULL)) === 0) {
      throw compileError(src, root.start, root.end, 'a condition must be a boolean expression', origin,
        'compare the value, e.g. .count > 0, or test presence with exists(.field)');
    }
    const g = generate(root, checked, { mode, repl: replVars !== undefined, hardDelete: opts?.hardDelete === true });
    let factory = factories.get(g.source);
    if (!factory) {
      factory = new Function('H', 'K', 'F', g.source) as Factory;
      if (factories.size >= MAX_FACTORIES) factories.clear();
      factories.set(g.source, factory);
    }
    return { fn: factory(H, g.consts, F), vars: [...checked.vars.keys()], source: g.source };
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    // Defensive: never let an internal failure (e.g. stack exhaustion) escape as anything but a compile error.
    throw compileError(src, 0, src.length, `cannot compile expression: ${(err as Error).message}`, origin);
  }
}

/** Compile a condition. The closure returns true when the value is truthy: everything except
 * `false` and `null` (a missing field is null). Runtime errors throw ExprRuntimeError. */
export function compileCondition(src: string, opts?: CompileOptions): (event: Event) => boolean {
  return build(src, 'condition', opts).fn as (event: Event) => boolean;
}

/** Compile an expression that computes a value. The result is JSON-compatible and never aliases the
 * event (objects and lists read from it are copied; regexes and CIDRs become their text). */
export function compileValue(src: string, opts?: CompileOptions): (event: Event) => unknown {
  return build(src, 'value', opts).fn as (event: Event) => unknown;
}

/** Compile a remap program; the closure modifies the event in place and throws ExprAbort / ExprRuntimeError. */
export function compileProgram(src: string, opts?: CompileOptions): (event: Event) => void {
  return build(src, 'program', opts).fn as (event: Event) => void;
}

/** Every function name the language knows (library functions and built-in forms), sorted. */
export function functionNames(): string[] {
  return [...new Set([...registeredNames(), ...SPECIAL_FORMS])].sort();
}

// ---- extras (not part of the cross-module contract) ----

/** REPL support: a program whose variables persist in `vars` between calls and whose last statement's value is returned. */
export function compileReplProgram(src: string, knownVars: string[], opts?: CompileOptions):
  { run: (event: Event, vars: Record<string, unknown>) => unknown; vars: string[] } {
  const b = build(src, 'program', opts, knownVars);
  return { run: b.fn as (event: Event, vars: Record<string, unknown>) => unknown, vars: b.vars };
}

/** The generated JavaScript for an expression (debugging and tests). */
export function generatedSource(src: string, mode: Mode = 'value', opts?: CompileOptions): string {
  return build(src, mode, opts).source;
}
