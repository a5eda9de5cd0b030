// Statement code generation and assembly of the final JavaScript function source.
import type { Expr, PathExpr, Seg, Stmt } from './ast.js';
import type { CheckResult } from './checker.js';
import { gen, genValue, segs } from './codegen-expr.js';
import { Gen } from './gen.js';

export type Mode = 'condition' | 'value' | 'program';

export interface Generated {
  /** Body of `new Function("H", "K", "F", body)`; returns the compiled closure. */
  source: string;
  consts: unknown[];
  helpers: string[];
  fns: string[];
}

interface KeyAtom { code: string; isNum: boolean | null; lit: boolean }

/** Evaluate the keys of a write path: literal names, literal indexes, or checked dynamic keys. */
function keyAtoms(g: Gen, list: Seg[]): KeyAtom[] {
  return list.map((s) => {
    if (s.k === 'field') return { code: JSON.stringify(s.name), isNum: false, lit: true };
    if (s.expr.k === 'lit' && typeof s.expr.v === 'number') return { code: Gen.lit(s.expr.v), isNum: true, lit: true };
    const t = g.tmp();
    g.emit(`${t} = ${g.h('checkKey')}(${gen(g, s.expr)});`);
    return { code: t, isNum: null, lit: false };
  });
}

/** Navigate to (creating as needed) the container that holds the last key of `p`; returns [container, lastKey]. */
function parentForWrite(g: Gen, p: PathExpr): [string, KeyAtom] {
  const keys = keyAtoms(g, p.segs);
  let c: string;
  if (p.root === 'event') c = 'e';
  else {
    c = p.id!;
    const k0 = keys[0]!;
    const want = k0.isNum === null ? `typeof ${k0.code} === "number"` : String(k0.isNum);
    g.emit(`if (!${g.h('fitContainer')}(${c}, ${k0.code})) ${c} = ${want} ? [] : {};`);
  }
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!, next = keys[i + 1]!;
    const t = g.tmp();
    if (k.lit && k.isNum === false && next.isNum !== null) {
      // Literal field into an object container: inline read-or-create with per-site inline caches.
      // The generic child() helper's keyed load and store are shared by every site (megamorphic);
      // measured on the 10-statement remap: 0.8 -> 1.0 M events/s (loaded machine, best of runs).
      const key = JSON.parse(k.code) as string;
      g.emit(`${t} = ${g.readField(c, key, c === 'e')};`);
      if (next.isNum) g.emit(`if (!${g.h('isArray')}(${t})) { ${t} = []; ${c}[${k.code}] = ${t}; }`);
      else g.emit(`if (${t} === null || typeof ${t} !== "object" || ${g.h('isArray')}(${t})) { ${t} = {}; ${c}[${k.code}] = ${t}; }`);
    } else {
      const want = next.isNum === null ? `typeof ${next.code} === "number"` : String(next.isNum);
      g.emit(`${t} = ${g.h('child')}(${c}, ${k.code}, ${want});`);
    }
    c = t;
  }
  return [c, keys[keys.length - 1]!];
}

/** Emit `path = value` (value is already an atom, copied if needed). */
export function writePath(g: Gen, p: PathExpr, val: string): void {
  if (p.segs.length === 0) {
    if (p.root === 'event') g.emit(`${g.h('replaceEvent')}(e, ${val});`);
    else g.emit(`${p.id} = ${val};`);
    return;
  }
  const [c, k] = parentForWrite(g, p);
  // A literal field name was checked against __proto__/constructor/prototype at compile time and the
  // container is an object here, so a direct keyed store is safe (and faster than the generic helper).
  if (k.lit && k.isNum === false) g.emit(`${c}[${k.code}] = ${val};`);
  else g.emit(`${g.h('setKey')}(${c}, ${k.code}, ${val});`);
}

/** Read the parent of a path's last segment without creating anything; returns [parent, key]. */
function parentForRead(g: Gen, p: PathExpr): [string, string] {
  const parent = segs(g, p.root === 'event' ? 'e' : p.id!, p.segs.slice(0, -1), p.root === 'event');
  const last = p.segs[p.segs.length - 1]!;
  return [parent, last.k === 'field' ? JSON.stringify(last.name) : gen(g, last.expr)];
}

/** del / rename / copy / in-place merge; returns the atom of the call's value. */
export function genMutation(g: Gen, e: Extract<Expr, { k: 'call' }>): string {
  const t = g.tmp();
  const [a, b] = e.args as [PathExpr, PathExpr];
  switch (e.name) {
    case 'del': case 'rename': case 'copy': {
      const [pa, ka] = parentForRead(g, a);
      const last = a.segs[a.segs.length - 1]!;
      // Literal field name: one inline own-property read (the common case, value present) decides;
      // exists() is only consulted when the read gave null (absent, or present with a null value).
      if (last.k === 'field') {
        g.emit(`${t} = ${g.readField(pa, last.name, pa === 'e')};`);
        g.emit(`if (${t} !== null || ${g.h('exists')}(${pa}, ${ka})) {`);
        if (e.name !== 'copy') {
          g.emit(g.hardDelete ? `${g.h('delKeyHard')}(${pa}, ${ka});` : `${pa}[${ka}] = undefined;`);
        }
      } else {
        g.emit(`if (${g.h('exists')}(${pa}, ${ka})) {`);
        g.emit(e.name === 'copy' ? `${t} = ${g.h('dyn')}(${pa}, ${ka});` : `${t} = ${g.h(g.hardDelete ? 'delKeyHard' : 'delKey')}(${pa}, ${ka});`);
      }
      if (e.name !== 'del') writePath(g, b, e.name === 'copy' ? `${g.h('clone')}(${t})` : t);
      g.emit(`}`);
      if (e.name !== 'del') g.emit(`${t} = null;`);
      return t;
    }
    default: { // merge(path, value [, deep]) as a statement
      const v = gen(g, e.args[1]!);
      const deep = e.args[2] ? `${gen(g, e.args[2])} === true` : 'false';
      const p = a;
      if (p.segs.length === 0) {
        if (p.root === 'event') g.emit(`${g.h('mergeInto')}(e, ${v}, ${deep});`);
        else g.emit(`${p.id} = ${g.h('mergeValue')}(${p.id}, ${v}, ${deep});`);
      } else {
        const [c, k] = parentForWrite(g, p);
        g.emit(`${g.h('setKey')}(${c}, ${k.code}, ${g.h('mergeValue')}(${g.h('dyn')}(${c}, ${k.code}), ${v}, ${deep}));`);
      }
      g.emit(`${t} = null;`);
      return t;
    }
  }
}

function stmts(g: Gen, list: Stmt[], result: string | null): void {
  list.forEach((s, i) => stmt(g, s, result !== null && i === list.length - 1 ? result : null));
}

function stmt(g: Gen, s: Stmt, result: string | null): void {
  switch (s.k) {
    case 'assign': {
      const v = genValue(g, s.value);
      writePath(g, s.target, v);
      if (result) g.emit(`${result} = ${v};`);
      return;
    }
    case 'expr': {
      const a = gen(g, s.expr);
      if (result) g.emit(`${result} = ${a};`);
      return;
    }
    case 'abort':
      g.emit(`${g.h('abortWith')}(${s.reason ? gen(g, s.reason) : 'null'});`);
      return;
    case 'if': {
      const a = gen(g, s.test);
      g.emit(`if (${g.truthy(a, s.test)}) {`);
      stmts(g, s.then, result);
      g.emit('} else {');
      if (s.els) stmts(g, s.els, result);
      else if (result) g.emit(`${result} = null;`);
      g.emit('}');
      return;
    }
  }
}

export interface GenOptions {
  mode: Mode;
  /** REPL: variables are loaded from and saved to the object passed as the second argument; the last statement's value is returned. */
  repl?: boolean;
  hardDelete?: boolean;
}

export function generate(root: Expr | Stmt[], checked: CheckResult, opts: GenOptions): Generated {
  const g = new Gen();
  g.hardDelete = opts.hardDelete === true;
  let ret: string;
  if (Array.isArray(root)) {
    ret = opts.repl ? 'res' : '';
    stmts(g, root, opts.repl ? 'res' : null);
  } else if (opts.mode === 'condition' && root.k === 'logic') {
    // A top-level and/or chain returns as soon as it is decided: no result variable, no labelled block.
    const isAnd = root.op === 'and';
    for (const item of root.items) {
      const a = gen(g, item);
      g.emit(isAnd ? `if (!${g.truthy(a, item)}) return false;` : `if (${g.truthy(a, item)}) return true;`);
    }
    ret = isAnd ? 'true' : 'false';
  } else if (opts.mode === 'condition') {
    ret = g.truthy(gen(g, root), root);
  } else {
    // A value never aliases the event: containers read from it are copied (regexes/CIDRs become text),
    // so a caller may store the result into an event without sharing structure.
    ret = genValue(g, root);
  }
  const body = g.out;
  // Conditions and values run without a try/catch: every library function and helper throws only
  // ExprRuntimeError (functions.registry wraps the rest), and a try/catch in the compiled closure
  // measured ~10-15% slower on the condition bench. Programs keep the wrapper as a backstop (writes
  // can hit frozen objects), and the REPL needs its finally.
  const guarded = Array.isArray(root) || opts.repl === true;
  const wrapErr = guarded ? g.h('wrapErr') : '';
  const entry = guarded ? '' : `if (typeof e !== "object" || e === null) throw ${g.h('badEvent')}(e);`;
  const lines: string[] = ['"use strict";'];
  for (const h of [...g.helpers].sort()) lines.push(`const ${Gen.alias(h)} = H.${h};`);
  for (const f of [...g.fns].sort()) lines.push(`const f_${f} = F[${JSON.stringify(f)}];`);
  g.consts.forEach((_, i) => lines.push(`const k${i} = K[${i}];`));
  const vars = [...checked.vars.entries()];
  lines.push(`return function compiled(e${opts.repl ? ', V' : ''}) {`);
  const locals = [...g.tempNames(), 'tv', ...checked.lambdaIds];
  if (opts.repl) locals.push('res = null');
  lines.push(`let ${locals.join(', ')};`);
  for (const [name, id] of vars) lines.push(opts.repl ? `let ${id} = V[${JSON.stringify(name)}] ?? null;` : `let ${id} = null;`);
  if (entry) lines.push(entry);
  if (guarded) lines.push('try {');
  lines.push(...body);
  if (ret) lines.push(`return ${ret};`);
  if (guarded) {
    const save = opts.repl && vars.length ? ` finally { ${vars.map(([n, id]) => `V[${JSON.stringify(n)}] = ${id};`).join(' ')} }` : '';
    lines.push(`} catch (x) { throw ${wrapErr}(x); }${save}`);
  }
  lines.push('};');
  return { source: lines.join('\n'), consts: g.consts, helpers: [...g.helpers], fns: [...g.fns] };
}
