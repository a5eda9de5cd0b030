// Parser plumbing: token access, newline rules, depth limits and error construction.
import type { Expr } from './ast.js';
import { compileError, type ExpressionError, type SourcePosition } from './errors.js';
import { tokenize, type Token } from './lexer.js';

/** Maximum nesting depth of expressions and blocks; deeper input is a compile error, never a stack overflow. */
export const MAX_DEPTH = 200;

const NO_CONTINUE_AFTER_NL = new Set(['-', '[', '(', '.']);

export class ParserBase {
  protected readonly toks: Token[];
  protected p = 0;
  protected depth = 0;
  /** Newlines end statements (program mode, outside brackets). */
  protected nlSig: boolean;
  /** A `{` starts a block, not a map literal (inside `if` conditions). */
  protected noMap = false;

  constructor(protected readonly src: string, protected readonly origin: SourcePosition | undefined, protected readonly program: boolean) {
    this.toks = tokenize(src, origin);
    this.nlSig = program;
  }

  // ---- token helpers ----
  protected peek(o = 0): Token { return this.toks[Math.min(this.p + o, this.toks.length - 1)]!; }
  protected next(): Token { return this.toks[this.p++]!; }
  protected get prevEnd(): number { return this.p > 0 ? this.toks[this.p - 1]!.end : 0; }
  protected isOp(v: string, t = this.peek()): boolean { return t.kind === 'op' && t.value === v; }
  protected isWord(v: string, t = this.peek()): boolean { return t.kind === 'word' && t.value === v; }
  /** May the expression continue with this (binary/postfix) token? */
  protected cont(t = this.peek()): boolean {
    return !(this.nlSig && t.nl && t.kind === 'op' && NO_CONTINUE_AFTER_NL.has(t.value as string));
  }
  protected describe(t: Token): string {
    switch (t.kind) {
      case 'eof': return 'end of input';
      case 'str': return 'a string';
      case 'num': return 'a number';
      case 'regex': return 'a regex';
      case 'cidr': return 'a CIDR';
      default: return `"${t.value}"`;
    }
  }
  err(start: number, end: number, msg: string, hint?: string, incomplete = false): ExpressionError {
    return compileError(this.src, start, end, msg, this.origin, hint, incomplete);
  }
  protected errAt(t: Token, msg: string, hint?: string): ExpressionError {
    return this.err(t.start, t.end, msg, hint, t.kind === 'eof');
  }
  protected expectOp(v: string, context: string): Token {
    const t = this.peek();
    if (!this.isOp(v, t)) throw this.errAt(t, `expected "${v}" ${context}, found ${this.describe(t)}`);
    return this.next();
  }
  expectEnd(what: string, hint?: string): void {
    const t = this.peek();
    if (t.kind !== 'eof') throw this.errAt(t, `unexpected ${this.describe(t)} after the ${what}`, hint);
  }
  protected enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) {
      throw this.err(t.start, t.end, `expression is nested too deeply (more than ${MAX_DEPTH} levels)`,
        'split it into several statements or variables');
    }
  }
  /** Record a composite node's depth; left-deep operator chains count too, so codegen recursion stays bounded. */
  protected mk<N extends Expr>(node: N, children: Expr[], at: { start: number; end: number }): N {
    let d = 0;
    for (const c of children) d = Math.max(d, c.d ?? 1);
    if (d + 1 > MAX_DEPTH) {
      throw this.err(at.start, at.end, `expression is nested too deeply (more than ${MAX_DEPTH} levels)`,
        'long chains of operators: use `in [...]` for many alternatives, or split into variables');
    }
    node.d = d + 1;
    return node;
  }
  protected withNl<R>(nlSig: boolean, noMap: boolean, f: () => R): R {
    const a = this.nlSig, b = this.noMap;
    this.nlSig = nlSig; this.noMap = noMap;
    try { return f(); } finally { this.nlSig = a; this.noMap = b; }
  }
}
