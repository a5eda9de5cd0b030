// AST node types. Every node carries the [start, end) offsets of its source text for error carets.
import type { Cidr, Regex } from './values.js';

export interface Span {
  start: number;
  end: number;
  /** Set by the checker: static type mask (see T). */
  t?: number;
  /** Set by the checker: evaluation may throw a runtime error. */
  fb?: boolean;
  /** Set by the parser: nesting depth of this node (bounded by MAX_DEPTH). */
  d?: number;
}

/** A path segment: `.name` / `."quoted"` / `["key"]` (field) or `[expr]` (index or dynamic key). */
export type Seg =
  | { k: 'field'; name: string; start: number; end: number }
  | { k: 'index'; expr: Expr; start: number; end: number };

export type Expr =
  | ({ k: 'lit'; v: null | boolean | number | string } & Span)
  | ({ k: 'regex'; source: string; flags: string; re?: Regex } & Span)
  | ({ k: 'cidr'; text: string; cidr?: Cidr } & Span)
  | ({ k: 'list'; items: Expr[] } & Span)
  | ({ k: 'map'; entries: { key: string; value: Expr; start: number; end: number }[] } & Span)
  /** `.a.b` (root event) or `x.a` / `x` (root variable). */
  | ({ k: 'path'; root: 'event' | string; segs: Seg[]; id?: string } & Span)
  /** postfix access on any other expression: `parse_url(.u).host` */
  | ({ k: 'member'; obj: Expr; segs: Seg[] } & Span)
  | ({ k: 'unary'; op: '-' | '!'; arg: Expr } & Span)
  | ({ k: 'bin'; op: BinOp; l: Expr; r: Expr; opStart: number; opEnd: number } & Span)
  | ({ k: 'logic'; op: 'and' | 'or'; items: Expr[] } & Span)
  | ({ k: 'cond'; test: Expr; then: Expr; els: Expr } & Span)
  | ({ k: 'if'; test: Expr; then: Stmt[]; els: Stmt[] | null } & Span)
  | ({
      k: 'call'; name: string; args: Expr[]; nameEnd: number;
      /** any/all/filter/map with a lambda variable: its generated JS name (set by the checker). */
      lambdaId?: string;
      /** secret("NAME") resolved at compile time; kept out of the generated source text. */
      secret?: string;
      /** merge(path, value) used as a statement: merges in place. */
      inPlace?: boolean;
    } & Span);

export type BinOp =
  | '+' | '-' | '*' | '/' | '%'
  | '==' | '!=' | '<' | '<=' | '>' | '>='
  | 'in' | 'not in' | '=~' | '!~' | '??';

export type Stmt =
  | ({ k: 'assign'; target: Extract<Expr, { k: 'path' }>; value: Expr; decl: boolean } & Span)
  | ({ k: 'expr'; expr: Expr } & Span)
  | ({ k: 'abort'; reason: Expr | null } & Span)
  | ({ k: 'if'; test: Expr; then: Stmt[]; els: Stmt[] | null } & Span);

export type PathExpr = Extract<Expr, { k: 'path' }>;
export type CallExpr = Extract<Expr, { k: 'call' }>;

/** Static type lattice used by the checker (bit set). */
export const T = {
  NULL: 1, BOOL: 2, NUM: 4, STR: 8, ARR: 16, OBJ: 32, REGEX: 64, CIDR: 128,
  ANY: 255,
} as const;

export function typeMaskName(m: number): string {
  const names: string[] = [];
  const all: [number, string][] = [
    [T.NULL, 'null'], [T.BOOL, 'boolean'], [T.NUM, 'number'], [T.STR, 'string'],
    [T.ARR, 'array'], [T.OBJ, 'object'], [T.REGEX, 'regex'], [T.CIDR, 'cidr'],
  ];
  for (const [bit, name] of all) if (m & bit) names.push(name);
  return names.join(' or ') || 'nothing';
}
