// Recursive-descent parser: tokens -> AST.
//
// Precedence, lowest first:
//   cond ? a : b          (right associative)
//   or  ||                (n-ary, short-circuit)
//   and &&                (n-ary, short-circuit)
//   not                   (prefix keyword: `not .a == 1` is `not (.a == 1)`)
//   == != < <= > >= =~ !~ in `not in`   (non-associative: `a < b < c` is an error)
//   ??                    (left associative; catches null AND runtime errors of its left side)
//   + -
//   * / %
//   - !                   (prefix)
//   postfix: .field  ["key"]  [index]  call(...)
//
// In programs a newline ends a statement unless the expression is unfinished: a line may continue
// with a binary operator (`and`, `==`, `??`, `+`...), but never with `-`, `[`, `(` or `.`, which
// could start a new statement. Inside (...), [...] and {...} newlines are insignificant.
import type { BinOp, Expr, PathExpr, Seg, Stmt } from './ast.js';
import type { SourcePosition } from './errors.js';
import type { Token } from './lexer.js';
import { ParserBase } from './parser-base.js';

export { MAX_DEPTH } from './parser-base.js';

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'if', 'else', 'let', 'abort', 'true', 'false', 'null']);
const VAR_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Binary operator precedence; `not` (3) is a prefix handled by notExpr. */
const PREC: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, {
  'or': 1, '||': 1, 'and': 2, '&&': 2,
  '==': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, '=~': 4, '!~': 4, 'in': 4,
  '??': 5, '+': 6, '-': 6, '*': 7, '/': 7, '%': 7,
});

export function parseExpression(src: string, origin?: SourcePosition): Expr {
  const p = new Parser(src, origin, false);
  const e = p.expr();
  p.expectEnd('expression', 'an expression is a single value; combine conditions with `and` / `or`');
  return e;
}

export function parseProgram(src: string, origin?: SourcePosition): Stmt[] {
  const p = new Parser(src, origin, true);
  const stmts = p.stmts(false);
  p.expectEnd('program');
  return stmts;
}

class Parser extends ParserBase {
  // ---- statements ----
  stmts(inBlock: boolean): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      while (this.isOp(';')) this.next();
      const t = this.peek();
      if (t.kind === 'eof' || (inBlock && this.isOp('}', t))) return out;
      out.push(this.stmt());
      const n = this.peek();
      if (n.kind === 'eof' || this.isOp(';', n) || (inBlock && this.isOp('}', n)) || (n.nl && this.nlSig)) continue;
      throw this.errAt(n, `expected a newline or ";" after the statement, found ${this.describe(n)}`);
    }
  }

  private stmt(): Stmt {
    const t = this.peek();
    this.enter(t);
    try {
      if (this.isWord('let', t)) {
        this.next();
        const nameTok = this.next();
        if (nameTok.kind !== 'word' || !VAR_RE.test(nameTok.value as string) || KEYWORDS.has(nameTok.value as string)) {
          throw this.errAt(nameTok, `expected a variable name after "let", found ${this.describe(nameTok)}`);
        }
        this.expectOp('=', 'after the variable name');
        const value = this.expr();
        const target: PathExpr = { k: 'path', root: nameTok.value as string, segs: [], start: nameTok.start, end: nameTok.end };
        return { k: 'assign', target, value, decl: true, start: t.start, end: value.end };
      }
      if (this.isWord('abort', t)) {
        this.next();
        const n = this.peek();
        const bare = n.kind === 'eof' || this.isOp(';', n) || this.isOp('}', n) || n.nl;
        const reason = bare ? null : this.expr();
        return { k: 'abort', reason, start: t.start, end: reason ? reason.end : t.end };
      }
      if (this.isWord('if', t)) {
        const node = this.ifExpr();
        return { k: 'if', test: node.test, then: node.then, els: node.els, start: node.start, end: node.end };
      }
      const e = this.expr();
      if (this.isOp('=')) {
        this.next();
        if (e.k !== 'path') {
          throw this.err(e.start, e.end, 'cannot assign to this expression',
            'assignment targets are event paths (.field, .a.b[0]) or variables');
        }
        const value = this.expr();
        return { k: 'assign', target: e, value, decl: false, start: e.start, end: value.end };
      }
      return { k: 'expr', expr: e, start: e.start, end: e.end };
    } finally {
      this.depth--;
    }
  }

  private block(): Stmt[] {
    this.expectOp('{', 'to start a block');
    const body = this.withNl(this.program, false, () => this.stmts(true));
    this.expectOp('}', 'to close the block');
    return body;
  }

  private ifExpr(): Extract<Expr, { k: 'if' }> {
    const start = this.next(); // 'if'
    const test = this.withNl(this.nlSig, true, () => this.expr());
    const then = this.block();
    let els: Stmt[] | null = null;
    if (this.isWord('else')) {
      this.next();
      if (this.isWord('if')) {
        const t = this.peek();
        this.enter(t);
        const inner = this.ifExpr();
        this.depth--;
        els = [{ k: 'if', test: inner.test, then: inner.then, els: inner.els, start: inner.start, end: inner.end }];
      } else {
        els = this.block();
      }
    }
    return { k: 'if', test, then, els, start: start.start, end: this.prevEnd };
  }

  // ---- expressions ----
  expr(): Expr {
    const t = this.peek();
    this.enter(t);
    try {
      const c = this.binary(1);
      if (this.isOp('?') && this.cont()) {
        this.next();
        const then = this.expr();
        this.expectOp(':', 'in the conditional expression `cond ? a : b`');
        const els = this.expr();
        return this.mk({ k: 'cond', test: c, then, els, start: c.start, end: els.end }, [c, then, els], c);
      }
      return c;
    } finally {
      this.depth--;
    }
  }

  /** The binary operator at the cursor (not consumed), or null. */
  private binOp(): { op: string; prec: number; tokens: number; start: number; end: number } | null {
    const t = this.peek();
    if (!this.cont(t)) return null;
    if (t.kind === 'op') {
      const prec = PREC[t.value as string];
      return prec ? { op: t.value as string, prec, tokens: 1, start: t.start, end: t.end } : null;
    }
    if (t.kind !== 'word') return null;
    if (t.value === 'not') {
      const n = this.peek(1);
      return this.isWord('in', n) ? { op: 'not in', prec: 4, tokens: 2, start: t.start, end: n.end } : null;
    }
    const prec = PREC[t.value as string];
    return prec ? { op: t.value as string, prec, tokens: 1, start: t.start, end: t.end } : null;
  }

  /**
   * Precedence climbing over the binary operators (see the table at the top of this file): one call
   * per operand instead of one per precedence level, which matters for cold compile time.
   */
  private binary(minPrec: number): Expr {
    let left = this.notExpr();
    for (;;) {
      const op = this.binOp();
      if (!op || op.prec < minPrec) return left;
      for (let i = 0; i < op.tokens; i++) this.next();
      if (op.prec === 4) {
        const right = this.binary(5);
        left = this.mk({ k: 'bin', op: op.op as BinOp, l: left, r: right, opStart: op.start, opEnd: op.end, start: left.start, end: right.end }, [left, right], op);
        const again = this.binOp();
        if (again && again.prec === 4) {
          throw this.err(again.start, again.end, 'comparison operators cannot be chained', 'combine comparisons with `and`, e.g. `a < b and b < c`');
        }
        continue;
      }
      const right = this.binary(op.prec + 1);
      if (op.prec <= 2) {
        // and / or are n-ary: a long chain stays one flat node (no nesting, no deep recursion later)
        const kind = op.prec === 1 ? 'or' : 'and';
        if (left.k === 'logic' && left.op === kind) {
          left.items.push(right);
          left.end = right.end;
          left = this.mk(left, left.items, op);
        } else {
          left = this.mk({ k: 'logic', op: kind, items: [left, right], start: left.start, end: right.end }, [left, right], op);
        }
        continue;
      }
      left = this.mk({ k: 'bin', op: op.op as BinOp, l: left, r: right, opStart: op.start, opEnd: op.end, start: left.start, end: right.end }, [left, right], op);
    }
  }

  /** Prefix `not`: binds looser than comparisons (`not .a == 1` is `not (.a == 1)`). */
  private notExpr(): Expr {
    const t = this.peek();
    if (!this.isWord('not', t)) return this.unary();
    this.enter(t);
    try {
      this.next();
      const arg = this.binary(3);
      return this.mk({ k: 'unary', op: '!', arg, start: t.start, end: arg.end }, [arg], t);
    } finally {
      this.depth--;
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isOp('-', t) || this.isOp('!', t)) {
      this.enter(t);
      try {
        this.next();
        const arg = this.unary();
        if (t.value === '-' && arg.k === 'lit' && typeof arg.v === 'number') {
          return { k: 'lit', v: -arg.v, start: t.start, end: arg.end };
        }
        return this.mk({ k: 'unary', op: t.value as '-' | '!', arg, start: t.start, end: arg.end }, [arg], t);
      } finally {
        this.depth--;
      }
    }
    return this.postfix();
  }

  /** Path segments after a primary: `.name`, `."quoted"`, `[expr]`. */
  private segs(into: Seg[], children: Expr[]): void {
    for (;;) {
      const t = this.peek();
      if (this.isOp('.', t) && t.start === this.prevEnd) {
        const n = this.peek(1);
        if (n.start !== t.end || (n.kind !== 'word' && n.kind !== 'str')) {
          throw this.errAt(n, `expected a field name after "."`, 'quote unusual names: .["odd key"] or ."odd key"');
        }
        this.next(); this.next();
        into.push({ k: 'field', name: n.value as string, start: t.start, end: n.end });
        continue;
      }
      if (this.isOp('[', t) && this.cont(t)) {
        this.next();
        const idx = this.withNl(false, false, () => this.expr());
        const close = this.expectOp(']', 'to close the index');
        if (idx.k === 'lit' && typeof idx.v === 'string') into.push({ k: 'field', name: idx.v, start: t.start, end: close.end });
        else { into.push({ k: 'index', expr: idx, start: t.start, end: close.end }); children.push(idx); }
        continue;
      }
      return;
    }
  }

  private postfix(): Expr {
    const e = this.primary();
    const t = this.peek();
    const more = (this.isOp('.', t) && t.start === this.prevEnd) || (this.isOp('[', t) && this.cont(t));
    if (!more) return e;
    const children: Expr[] = [e];
    if (e.k === 'path') {
      this.segs(e.segs, children);
      e.end = this.prevEnd;
      return this.mk(e, children, e);
    }
    const segs: Seg[] = [];
    this.segs(segs, children);
    return this.mk({ k: 'member', obj: e, segs, start: e.start, end: this.prevEnd }, children, e);
  }

  private list<R>(close: string, context: string, item: () => R): R[] {
    const out: R[] = [];
    while (!this.isOp(close)) {
      out.push(item());
      if (this.isOp(',')) { this.next(); continue; }
      if (!this.isOp(close)) {
        const t = this.peek();
        throw this.errAt(t, `expected "," or "${close}" ${context}, found ${this.describe(t)}`);
      }
    }
    this.next();
    return out;
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'num': case 'str':
        this.next();
        return { k: 'lit', v: t.value, start: t.start, end: t.end };
      case 'regex':
        this.next();
        return { k: 'regex', source: t.value as string, flags: t.flags ?? '', start: t.start, end: t.end };
      case 'cidr':
        this.next();
        return { k: 'cidr', text: t.value as string, start: t.start, end: t.end };
      case 'word': return this.wordPrimary(t);
      case 'eof':
        throw this.errAt(t, 'expected an expression, found end of input');
      default: break;
    }
    if (this.isOp('.', t)) {
      this.next();
      const n = this.peek();
      const path: PathExpr = { k: 'path', root: 'event', segs: [], start: t.start, end: t.end };
      if (n.start === t.end && (n.kind === 'word' || n.kind === 'str')) {
        this.next();
        path.segs.push({ k: 'field', name: n.value as string, start: t.start, end: n.end });
        path.end = n.end;
      }
      return path;
    }
    if (this.isOp('(', t)) {
      this.next();
      const e = this.withNl(false, false, () => this.expr());
      this.expectOp(')', 'to close the parenthesis');
      return e;
    }
    if (this.isOp('[', t)) {
      this.next();
      const items = this.withNl(false, false, () => this.list(']', 'in the list', () => this.expr()));
      return this.mk({ k: 'list', items, start: t.start, end: this.prevEnd }, items, t);
    }
    if (this.isOp('{', t)) {
      if (this.noMap) {
        throw this.errAt(t, 'unexpected "{" in the condition', 'wrap a map literal in parentheses: if .x == ({"a": 1}) { ... }');
      }
      this.next();
      const seen = new Set<string>();
      const entries = this.withNl(false, false, () => this.list('}', 'in the map', () => {
        const k = this.next();
        if (k.kind !== 'str' && k.kind !== 'word') throw this.errAt(k, `expected a map key (a string or a name), found ${this.describe(k)}`);
        const key = k.value as string;
        if (seen.has(key)) throw this.errAt(k, `duplicate key "${key}" in the map literal`);
        seen.add(key);
        this.expectOp(':', 'after the map key');
        const value = this.expr();
        return { key, value, start: k.start, end: value.end };
      }));
      return this.mk({ k: 'map', entries, start: t.start, end: this.prevEnd }, entries.map((e) => e.value), t);
    }
    throw this.errAt(t, `expected an expression, found ${this.describe(t)}`);
  }

  private wordPrimary(t: Token): Expr {
    const w = t.value as string;
    if (w === 'true' || w === 'false') { this.next(); return { k: 'lit', v: w === 'true', start: t.start, end: t.end }; }
    if (w === 'null') { this.next(); return { k: 'lit', v: null, start: t.start, end: t.end }; }
    if (w === 'if') return this.ifExpr();
    if (KEYWORDS.has(w)) {
      throw this.errAt(t, `unexpected keyword "${w}"`, w === 'abort' || w === 'let' ? `"${w}" is a statement: it is only allowed in remap programs` : undefined);
    }
    this.next();
    const n = this.peek();
    if (this.isOp('(', n) && this.cont(n)) {
      this.next();
      const args = this.withNl(false, false, () => this.list(')', 'in the argument list', () => this.expr()));
      return this.mk({ k: 'call', name: w, args, nameEnd: t.end, start: t.start, end: this.prevEnd }, args, t);
    }
    if (!VAR_RE.test(w)) throw this.errAt(t, `invalid variable name "${w}"`, `event fields start with a dot: .${w}`);
    return { k: 'path', root: w, segs: [], start: t.start, end: t.end };
  }
}
