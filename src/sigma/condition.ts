/**
 * Sigma condition expressions: `selection and not 1 of filter_*`.
 *
 * A hand-written recursive-descent parser (the grammar is four levels deep: or < and < not <
 * primary), so every error names the 1-based column of the token it stopped at. Keywords are
 * matched case-insensitively (`AND`, `Not`, `1 Of them`); identifiers are case-sensitive.
 * `any of x` is read as `1 of x`. The column of each parsed node is kept in a side table
 * (conditionColumn) so reference errors can point into the text without widening the shared
 * Condition type.
 */
import type { Condition } from './types.js';

export class ConditionError extends Error {
  override name = 'ConditionError';
  constructor(message: string, readonly column: number) {
    super(message);
  }
}

interface Token { text: string; col: number; kind: 'word' | '(' | ')' | 'end' }

const columns = new WeakMap<Condition, number>();

/** Where a node of a parsed condition starts (1-based column), when it came from parseCondition. */
export function conditionColumn(c: Condition): number | undefined {
  return columns.get(c);
}

function lex(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '(' || c === ')') { out.push({ text: c, col: i + 1, kind: c }); i++; continue; }
    if (c === '|') {
      throw new ConditionError('"|" starts a Sigma 1 aggregation (like "| count() by x > 5"), which Sigma 2 expresses as a correlation rule; move the aggregation into a correlation rule', i + 1);
    }
    const start = i;
    while (i < text.length && !/[\s()|]/.test(text[i]!)) i++;
    out.push({ text: text.slice(start, i), col: start + 1, kind: 'word' });
  }
  out.push({ text: '', col: text.length + 1, kind: 'end' });
  return out;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', 'any']);
const IDENT = /^[\p{L}\p{N}_.\-*]+$/u;

// Parsed conditions by text. A rule's condition is parsed when the rule is read, compiled and
// indexed, and SigmaHQ's rules share a few hundred distinct conditions ("selection", "all of
// selection_*"...), so a load parses each text once. The trees are never modified after parsing.
const parsed = new Map<string, Condition>();

/** Parses a condition. Throws ConditionError with the column of the problem. */
export function parseCondition(text: string): Condition {
  let c = parsed.get(text);
  if (c === undefined) {
    c = parseConditionText(text);
    if (parsed.size >= 10_000) parsed.clear();
    parsed.set(text, c);
  }
  return c;
}

function parseConditionText(text: string): Condition {
  const toks = lex(text);
  let p = 0;
  const peek = () => toks[p]!;
  const isKw = (t: Token, kw: string) => t.kind === 'word' && t.text.toLowerCase() === kw;
  const describe = (t: Token) => (t.kind === 'end' ? 'the end of the condition' : `"${t.text}"`);
  const at = <T extends Condition>(c: T, col: number): T => { columns.set(c, col); return c; };

  const orExpr = (): Condition => {
    const first = andExpr();
    const args = [first];
    while (isKw(peek(), 'or')) { p++; args.push(andExpr()); }
    return args.length === 1 ? first : at({ op: 'or', args }, columns.get(first)!);
  };
  const andExpr = (): Condition => {
    const first = notExpr();
    const args = [first];
    while (isKw(peek(), 'and')) { p++; args.push(notExpr()); }
    return args.length === 1 ? first : at({ op: 'and', args }, columns.get(first)!);
  };
  const notExpr = (): Condition => {
    const t = peek();
    if (isKw(t, 'not')) { p++; return at({ op: 'not', arg: notExpr() }, t.col); }
    return primary();
  };
  const primary = (): Condition => {
    const t = peek();
    if (t.kind === '(') {
      p++;
      const inner = orExpr();
      const close = peek();
      if (close.kind !== ')') throw new ConditionError(`expected ")" to close the "(" at column ${t.col}, found ${describe(close)}`, close.col);
      p++;
      return inner;
    }
    if (t.kind !== 'word') throw new ConditionError(`expected a search identifier, "not", "(" or "1 of ...", found ${describe(t)}`, t.col);
    const lower = t.text.toLowerCase();
    const next = toks[p + 1]!;
    if ((lower === 'all' || lower === 'any' || /^\d+$/.test(lower)) && isKw(next, 'of')) {
      p += 2;
      const target = peek();
      if (target.kind !== 'word' || (KEYWORDS.has(target.text.toLowerCase()) && target.text.toLowerCase() !== 'them')) {
        throw new ConditionError(`expected "them" or a search identifier pattern after "${t.text} of", found ${describe(target)}`, target.col);
      }
      if (target.text.toLowerCase() !== 'them' && !IDENT.test(target.text)) {
        throw new ConditionError(`"${target.text}" is not a search identifier pattern (letters, digits, _ - . and * only)`, target.col);
      }
      p++;
      const n = Number(lower);
      if (lower !== 'all' && lower !== 'any' && n < 1) throw new ConditionError(`"${t.text} of" can never match; use 1 or more`, t.col);
      const quantifier = lower === 'all' ? 'all' : lower === 'any' ? 1 : n;
      const pattern = target.text.toLowerCase() === 'them' ? 'them' : target.text;
      return at({ op: 'of', quantifier, pattern }, t.col);
    }
    if (KEYWORDS.has(lower)) {
      const hint = lower === 'of' ? ' ("of" needs a count before it, like "1 of selection*")' : lower === 'all' || lower === 'any' ? ` ("${t.text}" must be followed by "of")` : '';
      throw new ConditionError(`expected a search identifier, found the keyword "${t.text}"${hint}`, t.col);
    }
    if (/^\d+$/.test(t.text)) throw new ConditionError(`expected "of" after "${t.text}" (like "${t.text} of selection*"), found ${describe(next)}`, next.col);
    if (!IDENT.test(t.text)) throw new ConditionError(`"${t.text}" is not a search identifier (letters, digits, _ - . only)`, t.col);
    if (t.text.includes('*')) throw new ConditionError(`"${t.text}" has a wildcard; patterns need a count, like "1 of ${t.text}" or "all of ${t.text}"`, t.col);
    p++;
    return at({ op: 'ref', name: t.text }, t.col);
  };

  if (peek().kind === 'end') throw new ConditionError('the condition is empty; write which searches must match, like "selection and not filter"', 1);
  const c = orExpr();
  const rest = peek();
  if (rest.kind !== 'end') {
    const hint = rest.kind === 'word' && !KEYWORDS.has(rest.text.toLowerCase()) ? ' (a missing "and" or "or"?)' : '';
    throw new ConditionError(`unexpected ${describe(rest)}${hint}`, rest.col);
  }
  return c;
}

/** The search identifiers `them` or a pattern such as `selection_*` stands for. */
export function matchIdentifiers(pattern: string, identifiers: readonly string[]): string[] {
  if (pattern === 'them') return identifiers.filter((n) => !n.startsWith('_'));
  if (!pattern.includes('*')) return identifiers.filter((n) => n === pattern);
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return identifiers.filter((n) => re.test(n));
}

/** Every identifier or pattern the condition uses that names no search of the detection. */
export function checkReferences(c: Condition, identifiers: readonly string[]): Array<{ message: string; column?: number }> {
  const out: Array<{ message: string; column?: number }> = [];
  const walk = (n: Condition): void => {
    switch (n.op) {
      case 'and': case 'or': n.args.forEach(walk); return;
      case 'not': walk(n.arg); return;
      case 'ref':
        if (!identifiers.includes(n.name)) {
          out.push({ message: `the condition uses "${n.name}", which the detection does not define${listOf(identifiers)}`, column: columns.get(n) });
        }
        return;
      case 'of': {
        const m = matchIdentifiers(n.pattern, identifiers);
        if (m.length === 0) {
          const what = n.pattern === 'them' ? '"them" (every search not starting with _)' : `the pattern "${n.pattern}"`;
          out.push({ message: `${what} matches no search of the detection${listOf(identifiers)}`, column: columns.get(n) });
        } else if (typeof n.quantifier === 'number' && n.quantifier > m.length) {
          out.push({ message: `"${n.quantifier} of ${n.pattern}" can never match: only ${m.length} search${m.length > 1 ? 'es match' : ' matches'} (${m.join(', ')})`, column: columns.get(n) });
        }
      }
    }
  };
  walk(c);
  return out;
}

function listOf(ids: readonly string[]): string {
  return ids.length ? ` (it defines ${ids.join(', ')})` : ' (it defines no searches)';
}
