// Checker: resolves functions and variables, checks arity and the types that are known at compile time,
// compiles regex and CIDR literals, resolves secrets, and annotates nodes with static type and fallibility.
// Code is generated only from a tree that passed this checker.
import { T, typeMaskName, type CallExpr, type Expr, type PathExpr, type Stmt } from './ast.js';
import { compileError, type ExpressionError, type SourcePosition } from './errors.js';
import { lookup, registeredNames } from './functions/index.js';
import { FORBIDDEN_KEYS } from './runtime.js';
import { Cidr, regexLiteral } from './values.js';

/** Forms the compiler handles itself (lazy arguments, lambdas, paths, statements). */
export const SPECIAL_FORMS = ['any', 'all', 'filter', 'map', 'exists', 'del', 'rename', 'copy', 'try', 'coalesce', 'secret'];
const LAMBDA_FORMS = new Set(['any', 'all', 'filter', 'map']);
const STATEMENT_FORMS = new Set(['del', 'rename', 'copy']);

export interface CheckOptions {
  src: string;
  origin?: SourcePosition;
  program: boolean;
  secrets: (name: string) => string | undefined;
  /** REPL: variables that already exist from earlier lines. */
  replVars?: string[];
}

export interface CheckResult {
  /** Program variables: name -> generated JS identifier. */
  vars: Map<string, string>;
  /** Lambda variables' JS identifiers (declared at function top). */
  lambdaIds: string[];
}

const single = (t: number) => t !== 0 && (t & (t - 1)) === 0;
const known = (t: number | undefined) => t !== undefined && t !== T.ANY && single(t);

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

export function suggest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const c of candidates) {
    const dist = levenshtein(name, c);
    if (dist < bestD) { best = c; bestD = dist; }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

export function check(root: Expr | Stmt[], opts: CheckOptions): CheckResult {
  const c = new Checker(opts);
  if (Array.isArray(root)) c.stmts(root, true);
  else c.expr(root);
  return { vars: c.vars, lambdaIds: c.lambdaIds };
}

class Checker {
  readonly vars = new Map<string, string>();
  readonly lambdaIds: string[] = [];
  private readonly scopes: Map<string, string>[] = [];
  constructor(private readonly o: CheckOptions) {
    for (const v of o.replVars ?? []) this.vars.set(v, `v_${v}`);
  }

  private err(at: { start: number; end: number }, msg: string, hint?: string): ExpressionError {
    return compileError(this.o.src, at.start, at.end, msg, this.o.origin, hint);
  }

  // ---- statements ----
  stmts(list: Stmt[], top: boolean): void {
    for (const s of list) this.stmt(s, top && s === list[list.length - 1]);
  }

  private stmt(s: Stmt, last: boolean): void {
    switch (s.k) {
      case 'assign': {
        this.expr(s.value);
        this.target(s.target, s.value);
        return;
      }
      case 'abort':
        if (s.reason) this.expr(s.reason);
        return;
      case 'if':
        this.expr(s.test);
        this.stmts(s.then, false);
        if (s.els) this.stmts(s.els, false);
        return;
      case 'expr': {
        const e = s.expr;
        if (e.k === 'call' && e.name === 'merge' && e.args[0]?.k === 'path' && this.o.program) e.inPlace = true;
        this.expr(e);
        if (e.k === 'bin' && e.op === '==' && !(this.o.replVars && last)) {
          throw this.err({ start: e.opStart, end: e.opEnd }, 'the result of this comparison is unused', 'to assign a value use "=", e.g. .a = 1');
        }
        return;
      }
    }
  }

  private target(p: PathExpr, value: Expr): void {
    if (p.root !== 'event') {
      if (this.scopes.some((s) => s.has(p.root as string))) throw this.err(p, `cannot assign to the loop variable "${p.root}"`);
      if (!this.vars.has(p.root)) this.vars.set(p.root, `v_${p.root}`);
      p.id = this.vars.get(p.root)!;
    } else if (p.segs.length === 0) {
      if (value.t !== undefined && (value.t & T.OBJ) === 0) {
        throw this.err(value, `the event must be an object, cannot assign ${typeMaskName(value.t)} to "."`);
      }
    } else if (p.segs[0]!.k === 'index' && p.segs[0]!.expr.k === 'lit' && typeof p.segs[0]!.expr.v === 'number') {
      throw this.err(p.segs[0]!, 'the event is an object: its first path segment must be a field name');
    }
    for (const seg of p.segs) {
      if (seg.k === 'field') {
        if (FORBIDDEN_KEYS.has(seg.name)) {
          throw this.err(seg, `refusing to assign to the field "${seg.name}"`, '"__proto__", "constructor" and "prototype" cannot be written');
        }
      } else {
        this.expr(seg.expr);
      }
    }
  }

  // ---- expressions ----
  expr(e: Expr): void {
    switch (e.k) {
      case 'lit':
        e.t = e.v === null ? T.NULL : typeof e.v === 'boolean' ? T.BOOL : typeof e.v === 'number' ? T.NUM : T.STR;
        e.fb = false;
        return;
      case 'regex':
        try {
          e.re = regexLiteral(e.source, e.flags);
        } catch (err) {
          throw this.err(e, `invalid regular expression: ${(err as Error).message}`, 'patterns use RE2 syntax (no backreferences or lookaround)');
        }
        e.t = T.REGEX; e.fb = false;
        return;
      case 'cidr': {
        const c = Cidr.parse(e.text);
        if (!c) throw this.err(e, `invalid CIDR literal ${e.text}`);
        e.cidr = c; e.t = T.CIDR; e.fb = false;
        return;
      }
      case 'list':
        for (const x of e.items) this.expr(x);
        e.t = T.ARR; e.fb = e.items.some((x) => x.fb);
        return;
      case 'map':
        for (const x of e.entries) this.expr(x.value);
        e.t = T.OBJ; e.fb = e.entries.some((x) => x.value.fb);
        return;
      case 'path':
        if (e.root !== 'event') {
          const name = e.root;
          let id: string | undefined;
          for (let i = this.scopes.length - 1; i >= 0 && !id; i--) id = this.scopes[i]!.get(name);
          id ??= this.vars.get(name);
          if (!id) {
            const hint = lookup(name) || SPECIAL_FORMS.includes(name) ? `${name} is a function: call it as ${name}(...)` : `event fields start with a dot: .${name}`;
            throw this.err({ start: e.start, end: e.start + name.length }, `unknown variable "${name}"`, hint);
          }
          e.id = id;
        }
        e.fb = false;
        for (const s of e.segs) if (s.k === 'index') { this.expr(s.expr); e.fb ||= !!s.expr.fb || !known(s.expr.t); }
        e.t = e.root === 'event' && e.segs.length === 0 ? T.OBJ : T.ANY;
        return;
      case 'member':
        this.expr(e.obj);
        e.fb = !!e.obj.fb;
        for (const s of e.segs) if (s.k === 'index') { this.expr(s.expr); e.fb ||= !!s.expr.fb || !known(s.expr.t); }
        e.t = T.ANY;
        return;
      case 'unary':
        this.expr(e.arg);
        if (e.op === '-') {
          if (known(e.arg.t) && e.arg.t !== T.NUM) throw this.err(e, `cannot negate ${typeMaskName(e.arg.t!)}`);
          e.t = T.NUM; e.fb = e.arg.t !== T.NUM || !!e.arg.fb;
        } else {
          e.t = T.BOOL; e.fb = !!e.arg.fb;
        }
        return;
      case 'logic':
        for (const x of e.items) this.expr(x);
        e.t = T.BOOL; e.fb = e.items.some((x) => x.fb);
        return;
      case 'cond':
        this.expr(e.test); this.expr(e.then); this.expr(e.els);
        e.t = e.then.t! | e.els.t!; e.fb = !!(e.test.fb || e.then.fb || e.els.fb);
        return;
      case 'if': {
        this.expr(e.test);
        let t = e.els ? 0 : T.NULL;
        let fb = !!e.test.fb;
        for (const block of e.els ? [e.then, e.els] : [e.then]) {
          const only = block.length === 1 ? block[0]! : null;
          if (!only || (only.k !== 'expr' && only.k !== 'if')) {
            throw this.err(e, 'each branch of an if expression must be a single expression',
              'use an if statement in a remap program, or `cond ? a : b`');
          }
          const inner: Expr = only.k === 'expr' ? only.expr : { ...only, k: 'if' };
          if (only.k === 'if') block[0] = { k: 'expr', expr: inner, start: only.start, end: only.end };
          this.expr(inner);
          t |= inner.t!; fb ||= !!inner.fb;
        }
        e.t = t; e.fb = fb;
        return;
      }
      case 'bin': return this.bin(e);
      case 'call': return this.call(e);
    }
  }

  private bin(e: Extract<Expr, { k: 'bin' }>): void {
    this.expr(e.l); this.expr(e.r);
    const lt = e.l.t!, rt = e.r.t!;
    const opSpan = { start: e.opStart, end: e.opEnd };
    const both = known(lt) && known(rt);
    const fb = !!(e.l.fb || e.r.fb);
    switch (e.op) {
      case '+':
        if (both && (lt !== rt || !(lt & (T.NUM | T.STR | T.ARR)))) {
          throw this.err(opSpan, `cannot add ${typeMaskName(lt)} and ${typeMaskName(rt)}`,
            lt === T.STR || rt === T.STR ? 'convert explicitly, e.g. "port " + to_string(.port)' : undefined);
        }
        e.t = lt === rt && both ? lt : T.NUM | T.STR | T.ARR;
        e.fb = fb || !(both && lt === rt);
        return;
      case '-': case '*': case '/': case '%':
        for (const [side, t] of [[e.l, lt], [e.r, rt]] as const) {
          if (known(t) && t !== T.NUM) throw this.err(side, `"${e.op}" needs numbers, this is ${typeMaskName(t)}`);
        }
        e.t = T.NUM;
        e.fb = fb || !(lt === T.NUM && rt === T.NUM) || e.op === '/' || e.op === '%';
        return;
      case '<': case '<=': case '>': case '>=':
        if (both && (lt !== rt || !(lt & (T.NUM | T.STR)))) {
          throw this.err(opSpan, `cannot order ${typeMaskName(lt)} and ${typeMaskName(rt)}`,
            'ordering is defined between two numbers or two strings; other combinations are always false');
        }
        e.t = T.BOOL; e.fb = fb;
        return;
      case '==': case '!=':
        if (both && (lt & rt) === 0 && lt !== T.NULL && rt !== T.NULL) {
          throw this.err(opSpan, `comparing ${typeMaskName(lt)} with ${typeMaskName(rt)} is always ${e.op === '==' ? 'false' : 'true'}`,
            'values are never converted implicitly; use to_int() / to_string()');
        }
        e.t = T.BOOL; e.fb = fb;
        return;
      case 'in': case 'not in': {
        const ok = T.ARR | T.OBJ | T.STR | T.CIDR | T.NULL;
        if (known(rt) && !(rt & ok)) throw this.err(e.r, `"in" needs a list, map, string or CIDR on the right, this is ${typeMaskName(rt)}`);
        e.t = T.BOOL; e.fb = fb || (rt & ~ok) !== 0;
        return;
      }
      case '=~': case '!~':
        if (known(rt) && !(rt & (T.REGEX | T.STR))) throw this.err(e.r, `the right side of ${e.op} must be a regex, this is ${typeMaskName(rt)}`);
        if (known(lt) && !(lt & (T.STR | T.NULL))) throw this.err(e.l, `the left side of ${e.op} must be a string, this is ${typeMaskName(lt)}`);
        e.t = T.BOOL; e.fb = fb || rt !== T.REGEX;
        return;
      case '??':
        e.t = (lt & ~T.NULL) | rt; e.fb = !!e.r.fb;
        return;
    }
  }

  private isPath(a: Expr | undefined, what: string, call: CallExpr, allowRoot = false): PathExpr {
    if (!a || a.k !== 'path' || (!allowRoot && a.segs.length === 0)) {
      throw this.err(a ?? call, `${call.name}() needs ${what} such as .a.b`);
    }
    return a;
  }

  private arity(e: CallExpr, min: number, max: number): void {
    const n = e.args.length;
    if (n < min || n > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      throw this.err({ start: e.start, end: e.end }, `${e.name}() takes ${want} argument${want === '1' ? '' : 's'}, got ${n}`);
    }
  }

  private call(e: CallExpr): void {
    const name = e.name;
    const nameSpan = { start: e.start, end: e.nameEnd };
    if (LAMBDA_FORMS.has(name)) return this.lambda(e);
    if (STATEMENT_FORMS.has(name) && !this.o.program) {
      throw this.err(nameSpan, `${name}() changes the event: it is only allowed in remap programs`);
    }
    switch (name) {
      case 'exists': {
        this.arity(e, 1, 1);
        const p = this.isPath(e.args[0], 'a path', e);
        this.expr(p);
        e.t = T.BOOL; e.fb = !!p.fb;
        return;
      }
      case 'del': case 'rename': case 'copy': {
        this.arity(e, name === 'del' ? 1 : 2, name === 'del' ? 1 : 2);
        for (const a of e.args) this.expr(this.isPath(a, 'a path', e));
        if (name !== 'del') this.target(e.args[1] as PathExpr, e.args[0]!);
        e.t = name === 'del' ? T.ANY : T.NULL; e.fb = true;
        return;
      }
      case 'try':
        this.arity(e, 2, 2);
        for (const a of e.args) this.expr(a);
        e.t = e.args[0]!.t! | e.args[1]!.t!; e.fb = !!e.args[1]!.fb;
        return;
      case 'coalesce':
        this.arity(e, 1, Infinity);
        for (const a of e.args) this.expr(a);
        e.t = e.args.reduce((t, a) => (t & ~T.NULL) | a.t!, 0);
        e.fb = e.args.some((a) => a.fb);
        return;
      case 'secret':
        throw this.err(nameSpan, 'secret() can only be used as the key argument of hmac_sha256()', 'secrets are never readable as values');
      default: break;
    }
    const def = lookup(name);
    if (!def) {
      throw this.err(nameSpan, `unknown function "${name}"`, (() => {
        const s = suggest(name, [...registeredNames(), ...SPECIAL_FORMS]);
        return s ? `did you mean "${s}"?` : 'run `sluice repl` and type :functions for the list';
      })());
    }
    this.arity(e, def.min, def.max);
    // Any library call can fail at run time (wrong-typed values, invalid input): `??` must guard it.
    const fb = true;
    e.args.forEach((a, i) => {
      if (name === 'hmac_sha256' && i === 1 && a.k === 'call' && a.name === 'secret') {
        this.secret(a);
        return;
      }
      this.expr(a);
      const want = def.params[Math.min(i, def.params.length - 1)] ?? T.ANY;
      if (known(a.t) && (a.t! & want) === 0) {
        throw this.err(a, `argument ${i + 1} of ${name}() must be ${typeMaskName(want & ~T.NULL)}, this is ${typeMaskName(a.t!)}`);
      }
    });
    if (e.inPlace) this.target(e.args[0] as PathExpr, e.args[1]!);
    e.t = def.ret; e.fb = fb;
  }

  private secret(e: CallExpr): void {
    this.arity(e, 1, 1);
    const a = e.args[0]!;
    if (a.k !== 'lit' || typeof a.v !== 'string') throw this.err(a, 'secret() takes the secret name as a string literal');
    const v = this.o.secrets(a.v);
    if (v === undefined) throw this.err(e, `secret "${a.v}" is not set`, `the default resolver reads the environment variable ${a.v}`);
    e.secret = v;
    e.t = T.STR; e.fb = false;
  }

  private lambda(e: CallExpr): void {
    const name = e.name;
    this.arity(e, 2, 3);
    const list = e.args[0]!;
    this.expr(list);
    if (known(list.t) && !(list.t! & (T.ARR | T.NULL))) throw this.err(list, `${name}() needs a list, this is ${typeMaskName(list.t!)}`);
    if (e.args.length === 2) {
      if (name === 'filter' || name === 'map') {
        throw this.err(e, `${name}() takes a list, a variable name and an expression: ${name}(.items, x, ...)`);
      }
      this.expr(e.args[1]!);
      e.t = T.BOOL; e.fb = true;
      return;
    }
    const v = e.args[1]!;
    if (v.k !== 'path' || v.root === 'event' || v.segs.length > 0) {
      throw this.err(v, `the second argument of ${name}() must be a variable name, e.g. ${name}(.tags, x, x == "admin")`);
    }
    const id = `l${this.lambdaIds.length}_${v.root}`;
    this.lambdaIds.push(id);
    v.id = id;
    e.lambdaId = id;
    this.scopes.push(new Map([[v.root, id]]));
    try {
      this.expr(e.args[2]!);
    } finally {
      this.scopes.pop();
    }
    e.t = name === 'filter' || name === 'map' ? T.ARR : T.BOOL;
    e.fb = true;
  }
}
