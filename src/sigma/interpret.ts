/**
 * A deliberately plain Sigma interpreter: walks the rule for each event with straightforward
 * recursion, no precompiled forms, no caches. It is the reference the compiler is cross-checked
 * against (property.test.ts) and the source of explain(), which tells an alert which detection
 * items matched. Slow by design; do not put it on the hot path.
 *
 * It shares only the meaning of modifiers (planItem, numberOf, timePartOf in modifiers.ts) and
 * the condition parser with the compiler; reading paths, matching wildcards, quantifiers and
 * conditions are written again here, the obvious way.
 */
import RE2 from 're2';
import { Cidr } from '../expr/values.js';
import { matchIdentifiers, parseCondition } from './condition.js';
import {
  ANY, compare, KEYWORD_MAX_DEPTH, numberOf, ONE, planItem, timePartOf,
  type Glob, type ItemPlan, type PlanOptions, type ValueTest,
} from './modifiers.js';
import type { Condition, DetectionItem, Search, SigmaFilter, SigmaRule } from './types.js';

export interface InterpretOptions extends PlanOptions {
  /** Filters to apply: those naming the rule's id or name add `and not <filter>`. */
  filters?: readonly SigmaFilter[];
}

type Event = Record<string, unknown>;

function ownValue(o: unknown, key: string): unknown {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(o, key)) return undefined;
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'function' ? undefined : v;
}

/**
 * The flat key `a.b.c` if the event has it, else the nested path. An array met mid-path is walked
 * through: every element is read on, and what is found comes back as one array.
 */
function read(e: Event, path: string): unknown {
  const flat = ownValue(e, path);
  if (flat !== undefined) return flat;
  const parts = path.split('.');
  let through = false;
  const found: unknown[] = [];
  let single: unknown;
  const go = (v: unknown, i: number): void => {
    if (i > 0 && i < parts.length && Array.isArray(v)) {
      through = true;
      for (const x of v) go(x, i);
      return;
    }
    if (i === parts.length) {
      if (!through) single = v;
      else if (Array.isArray(v)) found.push(...v);
      else if (v !== undefined) found.push(v);
      return;
    }
    go(ownValue(v, parts[i]!), i + 1);
  };
  go(e, 0);
  if (!through) return single;
  return found.length ? found : undefined;
}

function text(x: unknown): string | null {
  if (typeof x === 'string') return x;
  if (typeof x === 'number' || typeof x === 'boolean') return String(x);
  return null;
}

/** Wildcard match by dynamic programming over UTF-16 units: can[i][j] = glob[j..] matches s[i..]. */
function globMatch(glob: Glob, s: string): boolean {
  const pat: Array<string | typeof ANY | typeof ONE> = [];
  for (const t of glob) {
    if (typeof t === 'string') for (let i = 0; i < t.length; i++) pat.push(t[i]!);
    else pat.push(t);
  }
  const can: boolean[][] = [];
  for (let i = 0; i <= s.length; i++) can.push(new Array<boolean>(pat.length + 1).fill(false));
  can[s.length]![pat.length] = true;
  for (let j = pat.length - 1; j >= 0; j--) {
    for (let i = s.length; i >= 0; i--) {
      const p = pat[j]!;
      if (p === ANY) can[i]![j] = can[i]![j + 1]! || (i < s.length && can[i + 1]![j]!);
      else if (p === ONE) can[i]![j] = i < s.length && can[i + 1]![j + 1]!;
      else can[i]![j] = i < s.length && s[i] === p && can[i + 1]![j + 1]!;
    }
  }
  return can[0]![0]!;
}

function testValue(t: ValueTest, x: unknown, e: Event): boolean {
  const s = text(x);
  switch (t.kind) {
    case 'glob':
      if (s === null) return false;
      return globMatch(t.glob, t.cased ? s : s.toLowerCase());
    case 're':
      return s !== null && new RE2(t.source, t.flags + 'u').test(s);
    case 'cidr':
      return Cidr.parse(t.cidr)!.contains(x);
    case 'cmp': {
      const n = t.part === null ? numberOf(x) : timePartOf(x, t.part);
      return !Number.isNaN(n) && compare(t.op, n, t.value);
    }
    case 'ref': {
      if (s === null) return false;
      let other: unknown;
      for (const p of t.refs) { other = read(e, p); if (other !== undefined) break; }
      const candidates = Array.isArray(other) ? other : [other];
      return candidates.some((y) => {
        const ys = text(y);
        if (ys === null) return false;
        const a = t.cased ? s : s.toLowerCase();
        const b = t.cased ? ys : ys.toLowerCase();
        if (t.pos === 'eq') return a === b;
        if (t.pos === 'contains') return a.includes(b);
        if (t.pos === 'startswith') return a.startsWith(b);
        return a.endsWith(b);
      });
    }
  }
}

/** Does one written value (any of its alternatives, negated by neq) match the scalar x? */
function valueMatches(plan: ItemPlan, alts: ValueTest[], x: unknown, e: Event): boolean {
  const hit = alts.some((t) => testValue(t, x, e));
  if (plan.negate) return x !== null && x !== undefined && !hit;
  return hit;
}

function allStrings(v: unknown, depth: number, out: string[]): string[] {
  if (typeof v === 'string') out.push(v);
  else if (v !== null && typeof v === 'object' && depth < KEYWORD_MAX_DEPTH) {
    if (Array.isArray(v)) for (const x of v) allStrings(x, depth + 1, out);
    else for (const k of Object.keys(v)) allStrings((v as Record<string, unknown>)[k], depth + 1, out);
  }
  return out;
}

/** The (path, value) an item matched on, or null. */
function itemMatch(plan: ItemPlan, e: Event): { path?: string; value: unknown } | null {
  if (plan.kind === 'null') {
    const present = plan.paths.some((p) => { const v = read(e, p); return v !== undefined && v !== null; });
    return present ? null : { value: null };
  }
  if (plan.kind === 'exists') {
    const at = plan.paths.find((p) => read(e, p) !== undefined);
    if (plan.exists) return at === undefined ? null : { path: at, value: read(e, at) };
    return at === undefined ? { value: undefined } : null;
  }
  const quantified = (elements: unknown[]): boolean => {
    const valueOk = (alts: ValueTest[]) => elements.some((x) => valueMatches(plan, alts, x, e));
    return plan.all ? plan.values.every(valueOk) : plan.values.some(valueOk);
  };
  if (plan.field === null) {
    const strings = allStrings(e, 0, []);
    if (!quantified(strings)) return null;
    const hit = strings.find((s) => plan.values.some((alts) => valueMatches(plan, alts, s, e)));
    return { value: hit };
  }
  for (const path of plan.paths) {
    const r = read(e, path);
    if (r === undefined) continue;
    if (quantified(Array.isArray(r) ? r : [r])) return { path, value: r };
  }
  return null;
}

function groupMatches(group: DetectionItem[], e: Event, opts: PlanOptions): boolean {
  return group.every((item) => itemMatch(planItem(item, opts), e) !== null);
}

function searchMatches(search: Search, e: Event, opts: PlanOptions): boolean {
  return search.groups.some((g) => groupMatches(g, e, opts));
}

function evalCondition(c: Condition, detection: Record<string, Search>, e: Event, opts: PlanOptions): boolean {
  switch (c.op) {
    case 'and': return c.args.every((a) => evalCondition(a, detection, e, opts));
    case 'or': return c.args.some((a) => evalCondition(a, detection, e, opts));
    case 'not': return !evalCondition(c.arg, detection, e, opts);
    case 'ref': return searchMatches(detection[c.name]!, e, opts);
    case 'of': {
      const names = matchIdentifiers(c.pattern, Object.keys(detection));
      const hits = names.filter((n) => searchMatches(detection[n]!, e, opts)).length;
      return c.quantifier === 'all' ? hits === names.length : hits >= c.quantifier;
    }
  }
}

function detectionMatches(doc: { detection: Record<string, Search>; condition: string[] }, e: Event, opts: PlanOptions): boolean {
  return doc.condition.some((text) => evalCondition(parseCondition(text), doc.detection, e, opts));
}

/** Does the rule match the event? Same semantics as compileRule(rule, opts.filters, opts).match. */
export function interpret(rule: SigmaRule, e: Event, opts: InterpretOptions = {}): boolean {
  for (const c of rule.conditions) if (searchMatches(c.search, e, opts) === c.negate) return false;
  if (!detectionMatches(rule, e, opts)) return false;
  for (const f of opts.filters ?? []) {
    const named = (rule.id !== undefined && f.rules.includes(rule.id)) || (rule.name !== undefined && f.rules.includes(rule.name));
    if (named && detectionMatches(f, e, opts)) return false;
  }
  return true;
}

export interface Explanation {
  /** The search identifier. */
  search: string;
  /** The Sigma field (null: keywords). */
  field: string | null;
  /** The event path that matched, when the item reads one. */
  path?: string;
  /** The event value that matched (for keywords: the string that held the keyword). */
  value: unknown;
}

/**
 * The detection items that matched: for every search that matches the event, the items of each
 * of its groups that matched as a whole. For alerts, next to the rule that fired.
 */
export function explain(rule: SigmaRule, e: Event, opts: PlanOptions = {}): Explanation[] {
  const out: Explanation[] = [];
  for (const [name, search] of Object.entries(rule.detection)) {
    for (const group of search.groups) {
      const hits = group.map((item) => ({ item, hit: itemMatch(planItem(item, opts), e) }));
      if (hits.some((h) => h.hit === null)) continue;
      for (const { item, hit } of hits) {
        out.push({ search: name, field: item.field, ...(hit!.path !== undefined ? { path: hit!.path } : {}), value: hit!.value });
      }
    }
  }
  return out;
}
