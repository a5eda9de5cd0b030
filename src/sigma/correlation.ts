/**
 * Sigma correlation rules (specification 2.1) evaluated on the live stream.
 *
 * `compileCorrelation` checks a correlation document's `correlation` section once and turns it
 * into a CompiledCorrelation; `CorrelationEngine` is fed every match of the rules those
 * correlations reference and says which correlations fire. The engine keeps all its state in
 * memory, bounded, per correlation and group (the values of the `group-by` fields).
 *
 * How a condition is evaluated depends on what it asks, because a stream cannot wait for "the end
 * of the data" the way a query can:
 *
 * - reach (only `gt`/`gte` bounds): evaluated on every match over a sliding window: the matches
 *   of the group in [newest match time - timespan, newest match time], both ends included. When
 *   it holds the correlation fires and the group's window is emptied, so the next alert needs the
 *   condition to be reached again by new matches (the specification says nothing about this;
 *   without the reset a busy group would alert on every further match).
 * - settle (any `lt`, `lte`, `eq` or `neq`): "fewer than 3" or "exactly 5" is only known when the
 *   window is over. The window opens at the group's first match and closes one timespan later;
 *   then the condition is evaluated once over everything in it, the group is cleared, and the next
 *   match opens a new window. Closing is noticed by `expire(now)` (which therefore returns alerts)
 *   or by a later match of the same group.
 * - share (`value_percentile` without `percentile`): see below; evaluated for each match.
 *
 * Out-of-order matches: a match older than its group's newest match is put in time order; one
 * older than newest - timespan (or, in a settle window, one that would stretch the window beyond
 * the timespan) is too late and is dropped and counted (`stats().late`). Nothing waits for
 * stragglers, so a match that arrives after its window fired or closed starts a new window.
 *
 * Memory, per group:
 * - Match counts (and sums) live in time slots one timespan/maxValuesPerGroup wide: matches in
 *   the same slot share an entry that keeps the earliest time. So at most maxValuesPerGroup + 2
 *   entries however fast a group matches, exact times when matches are sparse, and when they are
 *   dense a match leaves the window at most one slot (0.1% of the timespan by default) early. A
 *   plain ring of timestamps would be exact but unbounded (100k logins a minute is 100k numbers).
 * - value_count: a map of distinct value -> last seen, at most maxValuesPerGroup (the least
 *   recently seen is dropped and counted in `valuesDropped`).
 * - value_percentile: the last maxValuesPerGroup values of the window (older ones are dropped and
 *   counted), kept sorted too, so the percentile is exact over that sample.
 * - temporal: the newest match time per rule; temporal_ordered keeps the match times per rule (at
 *   most maxValuesPerGroup each) because finding an ordered chain needs more than the last one.
 * - At most maxEventsPerAlert sample events (the newest) for the alert.
 * At most maxGroupsPerRule groups per correlation: the least recently matched group is evicted
 * (`stats().evicted`); an evicted settle window never reports.
 *
 * Decisions where the specification is silent or ambiguous:
 * - A match whose event lacks a group-by field (absent or null) is not counted (most query
 *   backends drop such rows from a grouped aggregation, and lumping all "unknown user" events
 *   together would correlate unrelated activity). An empty string is a value. Counted in
 *   `stats().missingGroupBy`.
 * - Fields are read as the exact flat key first (`id.orig_h`), then as a nested path.
 * - value_count/value_sum/value_avg/value_percentile skip a match whose `field` is missing (or,
 *   for the numeric ones, not a number or numeric string): counted in `stats().missingField`.
 * - `field` as a list (value_count only) counts distinct combinations ("linked by an AND").
 * - value_percentile: with `condition.percentile: P` (as pySigma and its backends read it) the
 *   value is the P-th percentile (nearest rank) of the numeric field over the window. Without it
 *   the specification's own example (`field: Image`, `lte: 1`: a process name that is at most 1%
 *   of a computer's processes) only makes sense as a share: the value is the percentage of the
 *   window's matches that carry the current match's value, checked for every match. Such a group
 *   is not cleared on firing: its history is the baseline.
 * - temporal and temporal_ordered count distinct rules (default: all of them); temporal_ordered
 *   counts the longest chain of rules in the listed order with non-decreasing times.
 * - `generate` is read at the top level (the specification and schema) or inside the section (as
 *   pySigma does). A referenced rule's own alerts are suppressed only when every correlation
 *   referencing it leaves `generate` false: losing a stand-alone alert is worse than an extra one.
 *   This applies to correlations referenced by other correlations (chains) as well: their alerts
 *   feed the outer correlation and are returned only if some referencing correlation generates.
 * - group-by may be absent (pySigma allows it; the prose says "optionally"): one group for all.
 *   Unknown attributes in the section are errors, so a misspelt `groupby` cannot silently mean that.
 * - `w` (weeks) is accepted in timespans besides the specification's s/m/h/d.
 */

import { parseTimespan } from './timespan.js';
import type { Place, RuleError, SigmaCorrelation } from './types.js';

export const CORRELATION_TYPES = [
  'event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export type CompareOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
const OPS: readonly CompareOp[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'];

/** One comparison of the condition; all of them must hold. */
export interface Bound {
  op: CompareOp;
  value: number;
}

export type EvaluationMode = 'reach' | 'settle' | 'share';

export interface CompiledCorrelation {
  doc: SigmaCorrelation;
  /** How alerts and messages name it: id, else name, else title. */
  label: string;
  type: CorrelationType;
  /** Referenced rules (ids or names, base rules or other correlations), in the order written. */
  rules: string[];
  /** Group-by fields or alias names. Empty: one group. */
  groupBy: string[];
  /** alias -> (rule id or name -> event field). */
  aliases: Map<string, Map<string, string>>;
  timespanMs: number;
  condition: Bound[];
  /** value_* types: the field(s) aggregated. */
  field: string[] | null;
  /** value_percentile: the percentile (0-100), or null for the share reading. */
  percentile: number | null;
  generate: boolean;
  mode: EvaluationMode;
}

export type CompileResult = { ok: true; rule: CompiledCorrelation } | { ok: false; error: RuleError };

const SECTION_KEYS = ['type', 'rules', 'group-by', 'timespan', 'condition', 'aliases', 'generate'];
const CONDITION_KEYS = [...OPS, 'field', 'percentile'];
const COUNTING: ReadonlySet<CorrelationType> = new Set(['event_count', 'value_count', 'temporal', 'temporal_ordered']);
const NEEDS_FIELD: ReadonlySet<CorrelationType> = new Set(['value_count', 'value_sum', 'value_avg', 'value_percentile']);

/** Validate a correlation document's section and compile it; the error names the document and the attribute. */
export function compileCorrelation(doc: SigmaCorrelation): CompileResult {
  const fail = (message: string): CompileResult => ({ ok: false, error: ruleError(doc, message) });
  const sec = doc.correlation as unknown;
  if (!isMap(sec)) return fail('the correlation section must be a mapping with type, rules, timespan and (for most types) condition and group-by');

  for (const key of Object.keys(sec)) {
    if (!SECTION_KEYS.includes(key)) {
      return fail(`correlation: unknown attribute '${key}'${suggest(key, SECTION_KEYS)}; the section takes ${SECTION_KEYS.join(', ')}`);
    }
  }

  // type
  const rawType = sec['type'];
  if (rawType === undefined) return fail(`correlation.type is missing; use one of ${CORRELATION_TYPES.join(', ')}`);
  if (typeof rawType !== 'string' || !(CORRELATION_TYPES as readonly string[]).includes(rawType)) {
    return fail(`correlation.type: ${show(rawType)} is not a correlation type${typeof rawType === 'string' ? suggest(rawType, CORRELATION_TYPES) : ''}; use one of ${CORRELATION_TYPES.join(', ')}`);
  }
  const type = rawType as CorrelationType;
  const temporal = type === 'temporal' || type === 'temporal_ordered';

  // rules
  const rawRules = sec['rules'];
  if (rawRules === undefined) return fail('correlation.rules is missing; list the ids or names of the rules to correlate');
  const ruleList = typeof rawRules === 'string' ? [rawRules] : rawRules;
  if (!Array.isArray(ruleList)) return fail(`correlation.rules must be a list of rule ids or names, found ${show(rawRules)}`);
  if (ruleList.length === 0) return fail('correlation.rules is empty; list the ids or names of the rules to correlate');
  const rules: string[] = [];
  for (let i = 0; i < ruleList.length; i++) {
    const r = ruleList[i] as unknown;
    if (typeof r !== 'string' || r.trim() === '') return fail(`correlation.rules[${i}] must be a rule id or name, found ${show(r)}`);
    if (rules.includes(r)) return fail(`correlation.rules lists '${r}' twice; each rule once`);
    rules.push(r);
  }
  if (temporal && rules.length < 2) return fail(`correlation.rules: a ${type} correlation relates at least two rules, found only '${rules[0]}'; use event_count for one rule`);

  // timespan
  if (sec['timespan'] === undefined) return fail('correlation.timespan is missing; give the window, e.g. timespan: 5m');
  const ts = parseTimespan(sec['timespan']);
  if (!ts.ok) return fail(`correlation.timespan: ${ts.message}`);

  // group-by
  const rawGroup = sec['group-by'];
  const groupList = rawGroup === undefined || rawGroup === null ? [] : typeof rawGroup === 'string' ? [rawGroup] : rawGroup;
  if (!Array.isArray(groupList)) return fail(`correlation.group-by must be a list of field names, found ${show(rawGroup)}`);
  const groupBy: string[] = [];
  for (let i = 0; i < groupList.length; i++) {
    const f = groupList[i] as unknown;
    if (typeof f !== 'string' || f === '') return fail(`correlation.group-by[${i}] must be a field name, found ${show(f)}`);
    if (groupBy.includes(f)) return fail(`correlation.group-by lists '${f}' twice`);
    groupBy.push(f);
  }

  // aliases
  const aliases = new Map<string, Map<string, string>>();
  const rawAliases = sec['aliases'];
  if (rawAliases !== undefined && rawAliases !== null) {
    if (!isMap(rawAliases)) return fail(`correlation.aliases must map each alias to {rule name: field}, found ${show(rawAliases)}`);
    for (const [alias, mapping] of Object.entries(rawAliases)) {
      if (!isMap(mapping) || Object.keys(mapping).length === 0) {
        return fail(`correlation.aliases.${alias} must map rule names to the event field that holds '${alias}' in that rule's events, found ${show(mapping)}`);
      }
      const m = new Map<string, string>();
      for (const [rule, field] of Object.entries(mapping)) {
        if (typeof field !== 'string' || field === '') return fail(`correlation.aliases.${alias}.${rule} must be a field name, found ${show(field)}`);
        m.set(rule, field);
      }
      aliases.set(alias, m);
    }
  }

  // generate: top level per the specification, inside the section as pySigma reads it
  const topGen = doc.raw['generate'];
  const secGen = sec['generate'];
  for (const [where, g] of [['generate', topGen], ['correlation.generate', secGen]] as const) {
    if (g !== undefined && typeof g !== 'boolean') return fail(`${where} must be true or false, found ${show(g)}`);
  }
  if (typeof topGen === 'boolean' && typeof secGen === 'boolean' && topGen !== secGen) {
    return fail(`generate is ${topGen} but correlation.generate is ${secGen}; keep one of them`);
  }
  const generate = (topGen ?? secGen ?? false) as boolean;

  // condition
  const rawCond = sec['condition'];
  let condition: Bound[] = [];
  let field: string[] | null = null;
  let percentile: number | null = null;
  if (rawCond === undefined || rawCond === null) {
    if (!temporal) {
      const eg = NEEDS_FIELD.has(type) ? '{ field: bytes_sent, gt: 1000000 }' : '{ gte: 10 }';
      return fail(`correlation.condition is missing; a ${type} correlation needs one, e.g. condition: ${eg}`);
    }
    condition = [{ op: 'gte', value: rules.length }];
  } else {
    if (!isMap(rawCond)) return fail(`correlation.condition must be a mapping such as { gte: 10 }, found ${show(rawCond)}`);
    for (const key of Object.keys(rawCond)) {
      if (!CONDITION_KEYS.includes(key)) return fail(`correlation.condition: unknown attribute '${key}'${suggest(key, CONDITION_KEYS)}; use gt, gte, lt, lte, eq, neq, field (and percentile for value_percentile)`);
    }
    const integral = COUNTING.has(type);
    for (const op of OPS) {
      const v = rawCond[op];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail(`correlation.condition.${op} must be a number, found ${show(v)}`);
      if (integral && (!Number.isInteger(v) || v < 0)) return fail(`correlation.condition.${op}: a ${type} counts ${temporal ? 'rules' : 'events'}, so ${v} must be a whole number 0 or more`);
      condition.push({ op, value: v });
    }
    if (condition.length === 0) return fail('correlation.condition has no comparison; add one of gt, gte, lt, lte, eq, neq (e.g. gte: 10)');

    const rawField = rawCond['field'];
    if (NEEDS_FIELD.has(type)) {
      if (rawField === undefined) return fail(`correlation.condition.field is missing; a ${type} correlation needs the field it aggregates`);
      const list = typeof rawField === 'string' ? [rawField] : rawField;
      if (!Array.isArray(list) || list.length === 0 || list.some((f) => typeof f !== 'string' || f === '')) {
        return fail(`correlation.condition.field must be a field name${type === 'value_count' ? ' or a list of field names' : ''}, found ${show(rawField)}`);
      }
      if (list.length > 1 && type !== 'value_count') return fail(`correlation.condition.field: a ${type} aggregates one numeric field, found a list of ${list.length}`);
      field = list as string[];
    } else if (rawField !== undefined) {
      return fail(`correlation.condition.field has no meaning for ${type} (only value_count, value_sum, value_avg and value_percentile aggregate a field); remove it`);
    }

    const rawPct = rawCond['percentile'];
    if (rawPct !== undefined) {
      if (type !== 'value_percentile') return fail(`correlation.condition.percentile only applies to value_percentile, not ${type}; remove it`);
      if (typeof rawPct !== 'number' || !Number.isInteger(rawPct) || rawPct < 0 || rawPct > 100) return fail(`correlation.condition.percentile must be a whole number from 0 to 100 (50 is the median), found ${show(rawPct)}`);
      percentile = rawPct;
    }
    const asShare = type === 'value_percentile' && percentile === null;
    const never = unsatisfiable(condition, integral, temporal ? rules.length : asShare ? 100 : Infinity);
    if (never !== null) return fail(`correlation.condition can never be met: ${never}`);
  }

  const share = type === 'value_percentile' && percentile === null;
  const mode: EvaluationMode = share ? 'share' : condition.every((b) => b.op === 'gt' || b.op === 'gte') ? 'reach' : 'settle';
  return {
    ok: true,
    rule: {
      doc, label: doc.id ?? doc.name ?? doc.title, type, rules, groupBy, aliases,
      timespanMs: ts.ms, condition, field, percentile, generate, mode,
    },
  };
}

/** Why the bounds (ANDed) exclude every value in [0, max] (counts) or every number, or null. */
function unsatisfiable(bounds: Bound[], integral: boolean, max: number): string | null {
  let lo = integral ? 0 : -Infinity;
  let loStrict = false;
  let hi = max;
  let hiStrict = false;
  for (const { op, value } of bounds) {
    if (op === 'gt' || op === 'gte' || op === 'eq') {
      const strict = op === 'gt';
      if (value > lo || (value === lo && strict)) { lo = value; loStrict = strict; }
    }
    if (op === 'lt' || op === 'lte' || op === 'eq') {
      const strict = op === 'lt';
      if (value < hi || (value === hi && strict)) { hi = value; hiStrict = strict; }
    }
  }
  if (integral) {
    if (loStrict) { lo = Math.floor(lo) + 1; loStrict = false; }
    if (hiStrict) { hi = Math.ceil(hi) - 1; hiStrict = false; }
  }
  const written = bounds.map((b) => `${b.op}: ${b.value}`).join(', ');
  const empty = lo > hi || (lo === hi && (loStrict || hiStrict));
  if (empty) {
    if (max !== Infinity && lo > max) return `${written} asks for more than ${max}, the most a ${max === 100 ? 'share (in percent)' : `correlation of ${max} rules`} can reach`;
    return `${written} leaves no possible value`;
  }
  const eq = bounds.find((b) => b.op === 'eq');
  if (eq !== undefined && bounds.some((b) => b.op === 'neq' && b.value === eq.value)) return `${written} asks for a value equal and not equal to ${eq.value}`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// The engine

export interface CorrelationMatch {
  ruleId?: string;
  ruleName?: string;
  event: Record<string, unknown>;
  /** Event time, ms since the epoch. Not a finite number: the engine's clock (`options.now`). */
  time: number;
}

export interface CorrelationAlert {
  correlation: SigmaCorrelation;
  /** id, name or title of the correlation. */
  label: string;
  type: CorrelationType;
  /** The group-by fields (alias names where aliases are used) and their values. */
  group: Record<string, unknown>;
  /** Count, distinct count, distinct rules / chain length (temporal), sum, average, percentile or share (%). */
  value: number;
  /** Time of the oldest and newest match in the window, ms. */
  first: number;
  last: number;
  /** The base rules involved (as the correlations reference them; chains are flattened). */
  rules: string[];
  /** Up to maxEventsPerAlert matched events, oldest first (share: the event that fired). */
  events: Record<string, unknown>[];
  /** How many matches the window held. */
  eventCount: number;
}

export interface CorrelationEngineOptions {
  /** Groups kept per correlation; the least recently matched is evicted beyond it. Default 10,000. */
  maxGroupsPerRule?: number;
  /** Distinct values (value_count), samples (value_percentile, share), count slots and per-rule times kept per group. Default 1,000. */
  maxValuesPerGroup?: number;
  /** Sample events kept per group for its alert. Default 10 (at least the rule count for temporal types). */
  maxEventsPerAlert?: number;
  /** The clock for matches without a usable time and for `expire()` without an argument. Default Date.now. */
  now?: () => number;
  /**
   * A match dated further than this ahead of the clock is taken as happening now (counted in
   * `futureClamped`): one event from a host whose clock runs hours ahead would otherwise push its
   * group's window into the future and make every correct match of the group "too late". Default 60,000.
   */
  maxClockSkewMs?: number;
}

export interface CorrelationStats {
  /** Groups held now, all correlations. */
  groups: number;
  /** Groups evicted to stay under maxGroupsPerRule. */
  evicted: number;
  /** Matches too old for their group's window, dropped. */
  late: number;
  /** Matches without a value for a group-by field, not counted. */
  missingGroupBy: number;
  /** Matches without a usable value for condition.field, not counted. */
  missingField: number;
  /** Distinct values, samples or rule times dropped to stay under maxValuesPerGroup. */
  valuesDropped: number;
  /** Correlations that fired (returned or not). */
  fired: number;
  /** Of those, alerts not returned because every correlation referencing them has generate: false. */
  suppressed: number;
  /** Matches dated more than maxClockSkewMs ahead of the clock, taken as happening now. */
  futureClamped: number;
  /** Correlations disabled by problems() (duplicate id/name, reference cycle). */
  disabled: number;
}

const DEFAULT_MAX_GROUPS = 10_000;
const DEFAULT_MAX_VALUES = 1_000;
const DEFAULT_MAX_EVENTS = 10;

export class CorrelationEngine {
  private readonly runners: Runner[] = [];
  /** rule id or name -> the correlations listening to it and at which position of their `rules`. */
  private readonly index = new Map<string, Listener[]>();
  private readonly correlationKeys = new Set<string>();
  private readonly issues: RuleError[] = [];
  private readonly clock: () => number;
  private readonly counters: Counters = { evicted: 0, late: 0, missingGroupBy: 0, missingField: 0, valuesDropped: 0, fired: 0, suppressed: 0, futureClamped: 0 };
  private readonly maxSkew: number;
  private disabled = 0;

  constructor(correlations: CompiledCorrelation[], options: CorrelationEngineOptions = {}) {
    const limits: Limits = {
      maxGroups: positiveInt(options.maxGroupsPerRule, DEFAULT_MAX_GROUPS, 'maxGroupsPerRule'),
      maxValues: positiveInt(options.maxValuesPerGroup, DEFAULT_MAX_VALUES, 'maxValuesPerGroup'),
      maxEvents: positiveInt(options.maxEventsPerAlert, DEFAULT_MAX_EVENTS, 'maxEventsPerAlert'),
    };
    this.clock = options.now ?? Date.now;
    this.maxSkew = options.maxClockSkewMs ?? 60_000;
    if (!(this.maxSkew >= 0)) throw new RangeError(`correlation engine: maxClockSkewMs must be 0 or more, got ${options.maxClockSkewMs}`);

    // Ids and names must be unique among correlations, or a chain would not know what it listens to.
    const owner = new Map<string, CompiledCorrelation>();
    const accepted: CompiledCorrelation[] = [];
    for (const c of correlations) {
      const clash = keysOf(c).find((k) => owner.has(k));
      if (clash !== undefined) {
        const other = owner.get(clash)!;
        this.issues.push(ruleError(c.doc, `correlation '${clash}' is also the id or name of the correlation at ${where(other.doc)}; ids and names must be unique; this one is disabled`));
        this.disabled++;
        continue;
      }
      for (const k of keysOf(c)) owner.set(k, c);
      accepted.push(c);
    }

    // A correlation that (through others) references itself would feed its own alerts back forever.
    const inCycle = findCycles(accepted, owner);
    for (const c of accepted) {
      if (inCycle.has(c)) {
        this.issues.push(ruleError(c.doc, `correlation '${c.label}' references itself through ${cyclePath(c, owner)}; break the cycle; this one is disabled`));
        this.disabled++;
        continue;
      }
      const r = new Runner(c, limits, this.counters);
      this.runners.push(r);
      for (const k of keysOf(c)) this.correlationKeys.add(k);
      c.rules.forEach((ref, ri) => {
        let list = this.index.get(ref);
        if (list === undefined) this.index.set(ref, (list = []));
        list.push({ runner: r, ri });
      });
      if (c.type === 'value_count' && c.mode === 'reach') {
        const need = Math.max(...c.condition.map((b) => (b.op === 'gt' ? b.value + 1 : b.value)));
        if (need > limits.maxValues) {
          this.issues.push(ruleError(c.doc, `correlation '${c.label}' needs ${need} distinct values but a group keeps at most ${limits.maxValues} (maxValuesPerGroup); it cannot fire until the limit is raised`));
        }
      }
    }
    for (const r of this.runners) {
      const [key, other] = keysOf(r.c);
      // Without an id or a name nothing can reference it, so it always reports.
      r.emits = key === undefined || !this.suppressBaseAlert(key, other);
      r.chained = key !== undefined && (this.index.has(key) || (other !== undefined && this.index.has(other)));
    }
  }

  /** Correlations left out, and correlations that cannot fire with the limits given: for the operator. */
  problems(): RuleError[] {
    return this.issues.slice();
  }

  /** The ids and names of the rules (not correlations) whose matches the engine wants. */
  referenced(): Set<string> {
    const out = new Set<string>();
    for (const ref of this.index.keys()) if (!this.correlationKeys.has(ref)) out.add(ref);
    return out;
  }

  /**
   * Whether a rule's (or correlation's) own alerts should be withheld: it is referenced, and every
   * correlation referencing it (by this id or by its other name) leaves `generate` false.
   */
  suppressBaseAlert(idOrName: string, otherName?: string): boolean {
    const seen = new Set<Runner>();
    for (const key of [idOrName, otherName]) {
      if (key === undefined) continue;
      for (const l of this.index.get(key) ?? []) seen.add(l.runner);
    }
    if (seen.size === 0) return false;
    for (const r of seen) if (r.c.generate) return false;
    return true;
  }

  /** Feed one match of a referenced rule; returns the correlations that fire because of it. */
  observe(m: CorrelationMatch): CorrelationAlert[] {
    const out: CorrelationAlert[] = [];
    let time = m.time;
    if (!Number.isFinite(time)) {
      time = this.clock();
    } else {
      const now = this.clock();
      if (time > now + this.maxSkew) {
        time = now;
        this.counters.futureClamped++;
      }
    }
    this.dispatch(m.ruleId, m.ruleName, m.event, time, null, 0, out);
    return out;
  }

  /**
   * Forget windows that ended before `now` (same clock as match times) and close settle windows
   * (`lt`, `eq`, ...): their alerts are returned. Call it on an interval.
   */
  expire(now: number = this.clock()): CorrelationAlert[] {
    const out: CorrelationAlert[] = [];
    for (const r of this.runners) r.expire(now, out, this);
    return out;
  }

  stats(): CorrelationStats {
    let groups = 0;
    for (const r of this.runners) groups += r.groups.size;
    return { groups, ...this.counters, disabled: this.disabled };
  }

  /** @internal A match (or a fired inner correlation, depth > 0) reaches the correlations that reference it. */
  dispatch(id: string | undefined, name: string | undefined, event: Record<string, unknown>, time: number, via: string[] | null, depth: number, out: CorrelationAlert[]): void {
    if (depth > this.runners.length) return; // cannot happen without a cycle; cycles were refused
    const byId = id === undefined ? undefined : this.index.get(id);
    const byName = name === undefined || name === id ? undefined : this.index.get(name);
    if (byId !== undefined) for (const l of byId) l.runner.add(l.ri, id, name, event, time, via, depth, out, this);
    if (byName !== undefined) {
      for (const l of byName) {
        // A correlation listing both the id and the name of one rule counts its match once.
        if (byId !== undefined && byId.some((o) => o.runner === l.runner)) continue;
        l.runner.add(l.ri, id, name, event, time, via, depth, out, this);
      }
    }
  }
}

interface Listener {
  runner: Runner;
  ri: number;
}

interface Limits {
  maxGroups: number;
  maxValues: number;
  maxEvents: number;
}

type Counters = Omit<CorrelationStats, 'groups' | 'disabled'>;

interface Path {
  flat: string;
  /** Null when the name has no dot: nothing to walk. */
  parts: string[] | null;
}

interface GroupField {
  name: string;
  plain: Path;
  /** Alias: rule id or name -> path. */
  alias: Map<string, Path> | null;
}

/** One correlation's groups and how to evaluate them. */
class Runner {
  readonly groups = new Map<string, Group>();
  /** Whether its alerts are returned (see suppressBaseAlert). */
  emits = true;
  /** Whether another correlation listens to it: only then is a fired alert turned into a match. */
  chained = false;
  private readonly span: number;
  private readonly slotMs: number;
  private readonly fields: GroupField[];
  private readonly valuePaths: Path[] | null;
  private readonly scratch: unknown[];
  private readonly sampleCap: number;

  constructor(readonly c: CompiledCorrelation, private readonly limits: Limits, private readonly counters: Counters) {
    this.span = c.timespanMs;
    this.slotMs = Math.max(1, Math.ceil(c.timespanMs / limits.maxValues));
    this.fields = c.groupBy.map((name) => {
      const alias = c.aliases.get(name);
      return {
        name,
        plain: toPath(name),
        alias: alias === undefined ? null : new Map([...alias].map(([rule, f]) => [rule, toPath(f)])),
      };
    });
    this.valuePaths = c.field === null ? null : c.field.map(toPath);
    this.scratch = new Array<unknown>(this.fields.length);
    const temporal = c.type === 'temporal' || c.type === 'temporal_ordered';
    this.sampleCap = temporal ? Math.max(limits.maxEvents, c.rules.length) : limits.maxEvents;
  }

  add(ri: number, id: string | undefined, name: string | undefined, event: Record<string, unknown>, time: number, via: string[] | null, depth: number, out: CorrelationAlert[], engine: CorrelationEngine): void {
    const c = this.c;
    // The aggregated value first: a match without it must not create a group.
    let num = 0;
    let valueKey: string | null = null;
    if (this.valuePaths !== null) {
      if (c.type === 'value_count' || c.mode === 'share') {
        valueKey = tupleKey(this.valuePaths, event);
        if (valueKey === null) { this.counters.missingField++; return; }
      } else {
        num = toNumber(readPath(event, this.valuePaths[0]!));
        if (Number.isNaN(num)) { this.counters.missingField++; return; }
      }
    }

    const key = this.groupKey(ri, id, name, event);
    if (key === null) { this.counters.missingGroupBy++; return; }
    let g = this.groups.get(key);
    if (g === undefined) {
      g = this.newGroup(key);
    } else {
      // Re-inserting keeps the Map in least-recently-matched order, so eviction takes the first key.
      this.groups.delete(key);
      this.groups.set(key, g);
    }

    if (c.mode === 'settle') {
      if (time > g.start + this.span) {
        this.groups.delete(key);
        this.close(g, out, engine, depth);
        g = this.newGroup(key);
      } else if (time < g.start && g.newest - time > this.span) {
        this.counters.late++;
        return;
      }
      if (time < g.start) g.start = time;
      if (time > g.newest) g.newest = time;
      this.record(g, ri, time, num, valueKey, event, via);
      return;
    }

    if (time < g.newest - this.span) {
      this.counters.late++;
      return;
    }
    if (time > g.newest) g.newest = time;
    const from = g.newest - this.span;
    // Pruning before recording frees room, so a bounded structure drops only what left the window.
    this.prune(g, from);
    this.record(g, ri, time, num, valueKey, event, via);
    if (c.mode === 'share') {
      const total = g.shareTimes!.size;
      const value = (100 * (g.shareCounts!.get(valueKey!) ?? 0)) / total;
      if (holds(c.condition, value)) {
        const alert = this.alert(g, value, g.shareTimes!.firstTime(), g.newest, [event], total, from);
        this.fire(alert, out, engine, depth);
      }
      return;
    }
    const value = this.value(g, from);
    if (holds(c.condition, value)) {
      const alert = this.alert(g, value, g.slots.firstTime(), g.newest, null, g.slots.total, from);
      this.groups.delete(key);
      this.fire(alert, out, engine, depth);
    }
  }

  expire(now: number, out: CorrelationAlert[], engine: CorrelationEngine): void {
    for (const [key, g] of this.groups) {
      if (this.c.mode === 'settle') {
        if (now > g.start + this.span) {
          this.groups.delete(key);
          this.close(g, out, engine, 0);
        }
      } else if (g.newest < now - this.span) {
        this.groups.delete(key);
      }
    }
  }

  private newGroup(key: string): Group {
    if (this.groups.size >= this.limits.maxGroups) {
      const oldest = this.groups.keys().next().value as string;
      this.groups.delete(oldest);
      this.counters.evicted++;
    }
    const c = this.c;
    const g = new Group(this.scratch.slice(), c.rules.length, c.type, c.mode);
    this.groups.set(key, g);
    return g;
  }

  /** The group key of a match, or null when a group-by field has no value. */
  private groupKey(ri: number, id: string | undefined, name: string | undefined, event: Record<string, unknown>): string | null {
    const fields = this.fields;
    if (fields.length === 0) return '';
    const ref = this.c.rules[ri]!;
    let key = '';
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      let path = f.plain;
      if (f.alias !== null) {
        path = (name !== undefined ? f.alias.get(name) : undefined) ?? (id !== undefined ? f.alias.get(id) : undefined) ?? f.alias.get(ref) ?? f.plain;
      }
      const v = readPath(event, path);
      const k = valueKeyOf(v);
      if (k === null) return null;
      this.scratch[i] = v;
      // Length-prefixed parts cannot collide however the values are spelt.
      key = fields.length === 1 ? k : key + k.length + ':' + k;
    }
    return key;
  }

  private record(g: Group, ri: number, time: number, num: number, valueKey: string | null, event: Record<string, unknown>, via: string[] | null): void {
    const c = this.c;
    const dropped = this.counters;
    g.slots.add(time, this.slotMs, num);
    if (time > g.ruleLast[ri]!) g.ruleLast[ri] = time;
    if (via !== null) g.ruleVia[ri] = via;
    g.addSample(time, ri, event, this.sampleCap, c.type === 'temporal' || c.type === 'temporal_ordered');
    if (g.distinct !== null) {
      if (g.distinctAdd(valueKey!, time, this.limits.maxValues)) dropped.valuesDropped++;
    } else if (g.ordered !== null) {
      if (insertSortedBounded(g.ordered[ri]!, time, this.limits.maxValues)) dropped.valuesDropped++;
    } else if (g.samples !== null) {
      if (g.samples.add(time, num, this.limits.maxValues)) dropped.valuesDropped++;
    } else if (g.shareTimes !== null) {
      if (g.shareAdd(time, valueKey!, this.limits.maxValues)) dropped.valuesDropped++;
    }
  }

  /** Drop everything older than `from` (reach and share windows slide). */
  private prune(g: Group, from: number): void {
    g.slots.pruneBefore(from);
    if (g.distinct !== null) g.distinctPrune(from);
    if (g.ordered !== null) for (const times of g.ordered) dropBefore(times, from);
    if (g.samples !== null) g.samples.pruneBefore(from);
    if (g.shareTimes !== null) g.sharePrune(from);
  }

  /** The aggregate over the group's window (matches at or after `from`). */
  private value(g: Group, from: number): number {
    switch (this.c.type) {
      case 'event_count':
        return g.slots.total;
      case 'value_count':
        return g.distinct!.size;
      case 'value_sum':
        return g.slots.sum;
      case 'value_avg':
        return g.slots.total === 0 ? 0 : g.slots.sum / g.slots.total;
      case 'value_percentile':
        return g.samples!.percentile(this.c.percentile!);
      case 'temporal': {
        let n = 0;
        for (const t of g.ruleLast) if (t >= from) n++;
        return n;
      }
      case 'temporal_ordered':
        return longestOrderedChain(g.ordered!, from);
    }
  }

  /** End of a settle window: evaluate once over all of it. */
  private close(g: Group, out: CorrelationAlert[], engine: CorrelationEngine, depth: number): void {
    if (g.slots.total === 0) return;
    const value = this.value(g, g.start);
    if (holds(this.c.condition, value)) this.fire(this.alert(g, value, g.start, g.newest, null, g.slots.total, g.start), out, engine, depth);
  }

  private alert(g: Group, value: number, first: number, last: number, events: Record<string, unknown>[] | null, eventCount: number, from: number): CorrelationAlert {
    const c = this.c;
    const group: Record<string, unknown> = {};
    for (let i = 0; i < this.fields.length; i++) group[this.fields[i]!.name] = g.values[i];
    const rules = new Set<string>();
    for (let ri = 0; ri < c.rules.length; ri++) {
      const t = g.ruleLast[ri]!;
      if (t === -Infinity || t < from) continue;
      const via = g.ruleVia[ri];
      if (via) for (const r of via) rules.add(r);
      else rules.add(c.rules[ri]!);
    }
    return {
      correlation: c.doc, label: c.label, type: c.type, group, value, first, last,
      rules: [...rules],
      events: events ?? g.sampleEvents(from),
      eventCount,
    };
  }

  private fire(alert: CorrelationAlert, out: CorrelationAlert[], engine: CorrelationEngine, depth: number): void {
    this.counters.fired++;
    if (this.emits) out.push(alert);
    else this.counters.suppressed++;
    if (!this.chained) return;
    // Chains: the outer correlation sees this alert as a match of this correlation, carrying the
    // group values under this correlation's group-by names over the newest event.
    const doc = this.c.doc;
    const last = alert.events[alert.events.length - 1];
    const event: Record<string, unknown> = Object.assign({}, last, alert.group);
    engine.dispatch(doc.id, doc.name, event, alert.last, alert.rules, depth + 1, out);
  }
}

interface Sample {
  t: number;
  ri: number;
  event: Record<string, unknown>;
}

/** One group's window. Every field is set in the constructor so all groups share one shape. */
class Group {
  newest = -Infinity;
  /** Settle mode: the window's first match (its anchor). */
  start = Infinity;
  readonly slots = new Slots();
  /** Per rule position: its newest match time (temporal counts these). */
  readonly ruleLast: number[];
  /** Per rule position: the base rules behind a chained correlation's match. */
  readonly ruleVia: (string[] | null)[];
  /** The newest matched events, in time order, for the alert. */
  readonly recent: Sample[] = [];
  /** value_count: value -> last seen, oldest first unless `distinctUnordered`. */
  distinct: Map<string, number> | null = null;
  distinctUnordered = false;
  distinctNewest = -Infinity;
  /** temporal_ordered: per rule position, its match times ascending. */
  ordered: number[][] | null = null;
  /** value_percentile with a percentile. */
  samples: NumericWindow | null = null;
  /** value_percentile as a share: the window's values in time order and their counts. */
  shareTimes: TimeQueue<string> | null = null;
  shareCounts: Map<string, number> | null = null;

  constructor(readonly values: unknown[], rules: number, type: CorrelationType, mode: EvaluationMode) {
    this.ruleLast = new Array<number>(rules).fill(-Infinity);
    this.ruleVia = new Array<string[] | null>(rules).fill(null);
    if (type === 'value_count') this.distinct = new Map();
    else if (type === 'temporal_ordered') this.ordered = Array.from({ length: rules }, () => []);
    else if (mode === 'share') { this.shareTimes = new TimeQueue(); this.shareCounts = new Map(); }
    else if (type === 'value_percentile') this.samples = new NumericWindow();
  }

  /**
   * Keep the newest `cap` events. Temporal types keep every rule represented: the event dropped is
   * the oldest one whose rule has a newer event in the list.
   */
  addSample(t: number, ri: number, event: Record<string, unknown>, cap: number, keepRules: boolean): void {
    const list = this.recent;
    let s: Sample;
    if (list.length < cap) {
      s = { t, ri, event };
    } else {
      let victim = 0;
      if (keepRules) {
        for (let i = 0; i < list.length; i++) {
          const r = list[i]!.ri;
          if (list.some((o, j) => j > i && o.ri === r)) { victim = i; break; }
        }
      }
      s = list.splice(victim, 1)[0]!;
      s.t = t; s.ri = ri; s.event = event;
    }
    let i = list.length;
    while (i > 0 && list[i - 1]!.t > t) i--;
    list.splice(i, 0, s);
  }

  sampleEvents(from: number): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const s of this.recent) if (s.t >= from) out.push(s.event);
    return out;
  }

  /** Returns true when a value had to be dropped to stay under `cap`. */
  distinctAdd(value: string, t: number, cap: number): boolean {
    const d = this.distinct!;
    const seen = d.get(value);
    if (seen !== undefined && t <= seen) return false;
    let dropped = false;
    if (seen !== undefined) {
      d.delete(value); // re-inserted below: the map stays ordered by last seen
    } else if (d.size >= cap) {
      this.distinctPrune(Infinity, 1);
      dropped = true;
    }
    // Only a match older than the newest one can break the order; it is rare, so it is repaired lazily.
    if (t < this.distinctNewest) this.distinctUnordered = true;
    else this.distinctNewest = t;
    d.set(value, t);
    return dropped;
  }

  /** Drop values last seen before `from` (or, with `count`, that many of the oldest). */
  distinctPrune(from: number, count = Infinity): void {
    const d = this.distinct!;
    if (this.distinctUnordered) {
      const sorted = [...d].sort((a, b) => a[1] - b[1]);
      d.clear();
      for (const [k, t] of sorted) d.set(k, t);
      this.distinctUnordered = false;
    }
    for (const [k, t] of d) {
      if (count <= 0 || t >= from) break;
      d.delete(k);
      count--;
    }
  }

  /** Returns true when an old observation had to be dropped to stay under `cap`. */
  shareAdd(t: number, value: string, cap: number): boolean {
    const q = this.shareTimes!;
    let dropped = false;
    if (q.size >= cap) {
      this.shareForget(q.shift());
      dropped = true;
    }
    q.insert(t, value);
    const counts = this.shareCounts!;
    counts.set(value, (counts.get(value) ?? 0) + 1);
    return dropped;
  }

  sharePrune(from: number): void {
    const q = this.shareTimes!;
    while (q.size > 0 && q.firstTime() < from) this.shareForget(q.shift());
  }

  private shareForget(value: string): void {
    const counts = this.shareCounts!;
    const n = counts.get(value)! - 1;
    if (n === 0) counts.delete(value);
    else counts.set(value, n);
  }
}

/**
 * Match counts and sums in time order, one entry per slot of `width` ms (see the header). Parallel
 * number arrays with a moving head: no object per match, and dropping the oldest is O(1).
 */
class Slots {
  private t: number[] = [];
  private n: number[] = [];
  private s: number[] = [];
  private head = 0;
  total = 0;
  sum = 0;

  add(time: number, width: number, value: number): void {
    this.total++;
    this.sum += value;
    const t = this.t;
    const slotStart = Math.floor(time / width) * width;
    let i = t.length - 1;
    while (i >= this.head && t[i]! > time) {
      if (t[i]! >= slotStart && t[i]! < slotStart + width) break;
      i--;
    }
    if (i >= this.head && t[i]! >= slotStart && t[i]! < slotStart + width) {
      this.n[i]!++;
      this.s[i]! += value;
      if (time < t[i]!) t[i] = time; // the entry leaves the window with its earliest match
      return;
    }
    if (i === t.length - 1) {
      t.push(time); this.n.push(1); this.s.push(value);
    } else {
      t.splice(i + 1, 0, time); this.n.splice(i + 1, 0, 1); this.s.splice(i + 1, 0, value);
    }
  }

  pruneBefore(from: number): void {
    const t = this.t;
    while (this.head < t.length && t[this.head]! < from) {
      this.total -= this.n[this.head]!;
      this.sum -= this.s[this.head]!;
      this.head++;
    }
    if (this.head === t.length) {
      // Empty: also clears the rounding a running sum of fractions accumulates.
      this.t = []; this.n = []; this.s = []; this.head = 0; this.total = 0; this.sum = 0;
    } else if (this.head > 64 && this.head * 2 > t.length) {
      this.t = t.slice(this.head); this.n = this.n.slice(this.head); this.s = this.s.slice(this.head); this.head = 0;
    }
  }

  firstTime(): number {
    return this.head < this.t.length ? this.t[this.head]! : Infinity;
  }
}

/** Items in time order with a moving head. */
class TimeQueue<T> {
  private t: number[] = [];
  private v: T[] = [];
  private head = 0;

  get size(): number {
    return this.t.length - this.head;
  }

  firstTime(): number {
    return this.t[this.head]!;
  }

  insert(time: number, value: T): void {
    const t = this.t;
    let i = t.length;
    while (i > this.head && t[i - 1]! > time) i--;
    if (i === t.length) { t.push(time); this.v.push(value); } else { t.splice(i, 0, time); this.v.splice(i, 0, value); }
  }

  shift(): T {
    const value = this.v[this.head]!;
    this.head++;
    if (this.head === this.t.length) { this.t = []; this.v = []; this.head = 0; } else if (this.head > 64 && this.head * 2 > this.t.length) {
      this.t = this.t.slice(this.head); this.v = this.v.slice(this.head); this.head = 0;
    }
    return value;
  }
}

/** The window's numbers in time order and sorted, for an exact percentile of what is kept. */
class NumericWindow {
  private readonly byTime = new TimeQueue<number>();
  private readonly sorted: number[] = [];

  add(time: number, value: number, cap: number): boolean {
    let dropped = false;
    if (this.byTime.size >= cap) {
      this.removeSorted(this.byTime.shift());
      dropped = true;
    }
    this.byTime.insert(time, value);
    this.sorted.splice(lowerBound(this.sorted, value), 0, value);
    return dropped;
  }

  pruneBefore(from: number): void {
    while (this.byTime.size > 0 && this.byTime.firstTime() < from) this.removeSorted(this.byTime.shift());
  }

  /** Nearest rank: the smallest value with at least p% of the values at or below it. */
  percentile(p: number): number {
    const n = this.sorted.length;
    if (n === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * n));
    return this.sorted[rank - 1]!;
  }

  private removeSorted(value: number): void {
    this.sorted.splice(lowerBound(this.sorted, value), 1);
  }
}

function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Insert keeping ascending order; drop the oldest beyond `cap` (returns true then). */
function insertSortedBounded(a: number[], t: number, cap: number): boolean {
  let i = a.length;
  while (i > 0 && a[i - 1]! > t) i--;
  a.splice(i, 0, t);
  if (a.length > cap) { a.shift(); return true; }
  return false;
}

function dropBefore(a: number[], from: number): void {
  let k = 0;
  while (k < a.length && a[k]! < from) k++;
  if (k > 0) a.splice(0, k);
}

/**
 * The most rules that matched in the listed order (times non-decreasing) at or after `from`.
 * end[L] is the earliest time a chain of L rules can end, over the rules seen so far: taking the
 * earliest possible end leaves the most room for the rules after it.
 */
function longestOrderedChain(times: number[][], from: number): number {
  const end = new Array<number>(times.length + 1).fill(Infinity);
  end[0] = from;
  let best = 0;
  for (let j = 0; j < times.length; j++) {
    const tj = times[j]!;
    if (tj.length === 0) continue;
    for (let L = Math.min(best, j) + 1; L >= 1; L--) {
      const after = end[L - 1]!;
      if (after === Infinity) continue;
      const k = lowerBound(tj, after);
      if (k < tj.length && tj[k]! < end[L]!) {
        end[L] = tj[k]!;
        if (L > best) best = L;
      }
    }
  }
  return best;
}

function holds(bounds: Bound[], v: number): boolean {
  if (Number.isNaN(v)) return false;
  for (const b of bounds) {
    switch (b.op) {
      case 'gt': if (!(v > b.value)) return false; break;
      case 'gte': if (!(v >= b.value)) return false; break;
      case 'lt': if (!(v < b.value)) return false; break;
      case 'lte': if (!(v <= b.value)) return false; break;
      case 'eq': if (v !== b.value) return false; break;
      case 'neq': if (v === b.value) return false; break;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Field access and keys

function toPath(name: string): Path {
  return { flat: name, parts: name.includes('.') ? name.split('.') : null };
}

/** The exact flat key first (`id.orig_h` as one key), then the nested path. */
function readPath(event: Record<string, unknown>, p: Path): unknown {
  const direct = event[p.flat];
  if (direct !== undefined || p.parts === null) return direct;
  let cur: unknown = event;
  for (const part of p.parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A value as a group or distinct-value key; null when absent (undefined, null, or inherited junk like a function). */
function valueKeyOf(v: unknown): string | null {
  switch (typeof v) {
    case 'string': return v;
    case 'number': case 'bigint': return String(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return null;
      try { return JSON.stringify(v); } catch { return String(v); }
    }
    default: return null;
  }
}

function tupleKey(paths: Path[], event: Record<string, unknown>): string | null {
  if (paths.length === 1) return valueKeyOf(readPath(event, paths[0]!));
  let key = '';
  for (const p of paths) {
    const k = valueKeyOf(readPath(event, p));
    if (k === null) return null;
    key += k.length + ':' + k;
  }
  return key;
}

/** Numbers, and strings that spell one (`"1024"`, as many logs carry them); NaN otherwise. */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : NaN;
  }
  if (typeof v === 'bigint') return Number(v);
  return NaN;
}

// ---------------------------------------------------------------------------------------------
// Helpers for the engine's set-up and for messages

function keysOf(c: CompiledCorrelation): string[] {
  const out: string[] = [];
  if (c.doc.id !== undefined) out.push(c.doc.id);
  if (c.doc.name !== undefined && c.doc.name !== c.doc.id) out.push(c.doc.name);
  return out;
}

function findCycles(cs: CompiledCorrelation[], owner: Map<string, CompiledCorrelation>): Set<CompiledCorrelation> {
  const inCycle = new Set<CompiledCorrelation>();
  for (const start of cs) {
    // Is `start` reachable from its own references?
    const seen = new Set<CompiledCorrelation>();
    const stack = start.rules.map((r) => owner.get(r)).filter((x): x is CompiledCorrelation => x !== undefined);
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (c === start) { inCycle.add(start); break; }
      if (seen.has(c)) continue;
      seen.add(c);
      for (const r of c.rules) { const o = owner.get(r); if (o !== undefined) stack.push(o); }
    }
  }
  return inCycle;
}

function cyclePath(start: CompiledCorrelation, owner: Map<string, CompiledCorrelation>): string {
  const path: string[] = [start.label];
  const seen = new Set<CompiledCorrelation>([start]);
  let c = start;
  for (;;) {
    const next = c.rules.map((r) => owner.get(r)).find((o) => o !== undefined && (o === start || !seen.has(o)));
    if (next === undefined) break;
    path.push(next.label);
    if (next === start) break;
    seen.add(next);
    c = next;
  }
  return path.join(' -> ');
}

function ruleError(doc: SigmaCorrelation, message: string): RuleError {
  const e: RuleError = { file: doc.file, place: doc.place, message };
  const rule = doc.id ?? doc.name ?? doc.title;
  if (rule !== undefined) e.rule = rule;
  return e;
}

function where(doc: SigmaCorrelation): string {
  const p: Place = doc.place;
  return `${p.file}:${p.line}:${p.col}`;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

function positiveInt(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`correlation engine: ${name} must be a whole number 1 or more, got ${v}`);
  return v;
}

/** `; did you mean 'group-by'?` for a near miss (case, - and _ ignored, or up to two edits). */
function suggest(word: string, choices: readonly string[]): string {
  const norm = (s: string) => s.toLowerCase().replace(/[-_ ]/g, '');
  let best: string | null = null;
  let bestD = 3;
  for (const c of choices) {
    const d = norm(c) === norm(word) ? 0 : editDistance(word.toLowerCase(), c);
    if (d < bestD) { bestD = d; best = c; }
  }
  return best === null ? '' : `; did you mean '${best}'?`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
