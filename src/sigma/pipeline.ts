/**
 * Sigma processing pipelines: YAML files (a subset of pySigma's format, so users can bring theirs)
 * that adapt rules written against Sigma's field names and log sources to the events Sluice
 * actually sees. A pipeline rewrites a parsed SigmaRule before it is compiled:
 *
 * - field-name transformations set `DetectionItem.paths`, the event paths a Sigma field is tested
 *   on (several paths = any may match: one field can live in several renderings of an event);
 * - `add_condition` appends searches to `rule.conditions`, ANDed with the rule (the log source as
 *   event ids and channels, OCSF class ids...), negated ones exclude;
 * - value transformations rewrite values; `change_logsource` rewrites the log source;
 * - `rule_failure` / `detection_item_failure` refuse rules the pipeline cannot serve, with a reason.
 *
 * Everything is checked and compiled when the file is read (conditions become predicates, regular
 * expressions are built once), and every problem is reported at once with file:line:col. Applying
 * pipelines never mutates the input rule: it works on a copy, in priority order (lower first, ties
 * in the order given), processing item by processing item, each seeing what the previous ones did,
 * as pySigma does. Applying runs once per rule at load time, so clarity wins over speed here.
 */
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Node } from 'yaml';
import type { DetectionItem, Logsource, Place, RuleError, Search, SigmaRule, SigmaValue } from './types.js';

// ---------------------------------------------------------------------------------------------
// Public model

export interface PipelineProblem {
  place: Place;
  message: string;
  hint?: string;
}

/** A pipeline file that cannot be used: every problem found, each with its place. */
export class PipelineError extends Error {
  constructor(readonly problems: PipelineProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'PipelineError';
  }
}

export function formatProblem(p: PipelineProblem): string {
  const head = `${p.place.file}:${p.place.line}:${p.place.col}: error: ${p.message}`;
  return p.hint ? `${head}\n  hint: ${p.hint}` : head;
}

export interface Pipeline {
  name: string;
  /** Lower runs first (pySigma's convention). */
  priority: number;
  file: string;
  vars: Record<string, SigmaValue[]>;
  items: ProcessingItem[];
  /** Keys read and deliberately ignored (query-backend settings), said once so users know. */
  notes: string[];
}

/** One entry of `transformations`, compiled. */
export interface ProcessingItem {
  id: string | undefined;
  type: string;
  place: Place;
  /** @internal */ readonly run: Run;
  /** @internal */ readonly ruleCond: RuleCond | undefined;
  /** @internal */ readonly fieldCond: FieldCond | undefined;
  /** @internal */ readonly itemCond: ItemCond | undefined;
}

/** Optional record of what applying did, for tools (coverage, explain): which items touched which detection items. */
export interface PipelineTrace {
  /** One entry per detection item of the result (detection and conditions), with the ids of the processing items that changed it. */
  items: Array<{ item: DetectionItem; appliedBy: string[] }>;
  /** Ids of the processing items applied to the rule (unnamed items appear as `<pipeline>#<n>`). */
  applied: string[];
}

// ---------------------------------------------------------------------------------------------
// Applying

interface State {
  rule: SigmaRule;
  pipeline: Pipeline;
  /** Processing item ids applied to the rule. */
  applied: Set<string>;
  /** Per detection item (of the working copy): ids of the processing items that changed it. */
  itemApplied: Map<DetectionItem, Set<string>>;
}

type Run = (st: State, pi: ProcessingItem) => boolean | RuleError;
type RuleCond = (st: State) => boolean;
type ItemCond = (d: DetectionItem, st: State) => boolean;
type FieldCond = (name: string, d: DetectionItem, st: State) => boolean;

/**
 * Apply pipelines to a rule, in priority order. Returns a new rule (the input is not changed), or
 * a RuleError when a pipeline refuses the rule (rule_failure, detection_item_failure, a value
 * placeholder without a value).
 */
export function applyPipelines(rule: SigmaRule, pipelines: readonly Pipeline[], trace?: PipelineTrace): SigmaRule | RuleError {
  const ordered = pipelines.map((p, i) => ({ p, i })).sort((a, b) => a.p.priority - b.p.priority || a.i - b.i);
  const st: State = { rule: cloneRule(rule), pipeline: ordered[0]?.p as Pipeline, applied: new Set(), itemApplied: new Map() };
  for (const { p } of ordered) {
    st.pipeline = p;
    for (let n = 0; n < p.items.length; n++) {
      const pi = p.items[n]!;
      if (pi.ruleCond && !pi.ruleCond(st)) continue;
      const r = pi.run(st, pi);
      if (typeof r === 'object') return r;
      if (r) st.applied.add(itemKey(p, pi, n));
    }
  }
  if (trace) {
    trace.applied = [...st.applied];
    trace.items = [];
    forEachItem(st.rule, (d) => { trace.items.push({ item: d, appliedBy: [...(st.itemApplied.get(d) ?? [])] }); });
  }
  return st.rule;
}

function itemKey(p: Pipeline, pi: ProcessingItem, n: number): string {
  return pi.id ?? `${p.name}#${n + 1}`;
}

function markItem(st: State, d: DetectionItem, pi: ProcessingItem): void {
  let s = st.itemApplied.get(d);
  if (!s) st.itemApplied.set(d, (s = new Set()));
  s.add(pi.id ?? `${st.pipeline.name}#${st.pipeline.items.indexOf(pi) + 1}`);
}

function cloneItem(d: DetectionItem): DetectionItem {
  const c: DetectionItem = { field: d.field, modifiers: d.modifiers.slice(), values: d.values.slice() };
  if (d.paths) c.paths = d.paths.slice();
  if (d.refPaths) c.refPaths = Object.fromEntries(Object.entries(d.refPaths).map(([k, v]) => [k, v.slice()]));
  if (d.place) c.place = d.place;
  return c;
}

function cloneSearch(s: Search): Search {
  return { groups: s.groups.map((g) => g.map(cloneItem)) };
}

function cloneRule(r: SigmaRule): SigmaRule {
  const detection: Record<string, Search> = {};
  for (const k of Object.keys(r.detection)) detection[k] = cloneSearch(r.detection[k]!);
  return {
    ...r,
    logsource: { ...r.logsource },
    detection,
    condition: r.condition.slice(),
    conditions: r.conditions.map((c) => ({ search: cloneSearch(c.search), negate: c.negate, origin: c.origin })),
    fields: r.fields.slice(),
    references: r.references.slice(),
    tags: r.tags.slice(),
    falsepositives: r.falsepositives.slice(),
  };
}

/** Every detection item of the rule: its searches, then the searches ANDed to it. */
function forEachItem(r: SigmaRule, fn: (d: DetectionItem) => void): void {
  // Index loops: run once per rule and transformation, mostly before the optimizer sees them,
  // where for...of allocates an iterator result per step (9 of the 517 MB a corpus load
  // allocated, sampled).
  const keys = Object.keys(r.detection);
  for (let i = 0; i < keys.length; i++) eachIn(r.detection[keys[i]!]!, fn);
  for (let i = 0; i < r.conditions.length; i++) eachIn(r.conditions[i]!.search, fn);
}

function eachIn(s: Search, fn: (d: DetectionItem) => void): void {
  for (let i = 0; i < s.groups.length; i++) { const g = s.groups[i]!; for (let j = 0; j < g.length; j++) fn(g[j]!); }
}

function allSearches(r: SigmaRule): Search[] {
  const out: Search[] = [];
  for (const k of Object.keys(r.detection)) out.push(r.detection[k]!);
  for (const c of r.conditions) out.push(c.search);
  return out;
}

function itemSelected(st: State, pi: ProcessingItem, d: DetectionItem): boolean {
  if (pi.itemCond && !pi.itemCond(d, st)) return false;
  // Field-name conditions on an item select it when its field (any of its current paths) matches;
  // a keyword item (no field) matches no field-name condition, as in pySigma.
  if (pi.fieldCond) {
    if (d.field === null) return false;
    const paths = d.paths ?? [d.field];
    return paths.some((p) => pi.fieldCond!(p, d, st));
  }
  return true;
}

function ruleName(r: SigmaRule): string {
  return r.id ?? r.title;
}

function refuse(st: State, pi: ProcessingItem, message: string, place?: Place): RuleError {
  const where = pi.id ? ` (${pi.id})` : '';
  return {
    file: st.rule.file,
    place: place ?? st.rule.place,
    rule: ruleName(st.rule),
    message: `pipeline "${st.pipeline.name}"${where} refused the rule: ${message}`,
  };
}

// Field-name transformations: each current path of each selected field item maps to one or more
// new paths (paths not selected by the field-name conditions stay as they are).
function fieldRun(map: (name: string) => string[] | undefined): Run {
  return (st, pi) => {
    let any = false;
    forEachItem(st.rule, (d) => {
      if (d.field === null) return;
      if (pi.itemCond && !pi.itemCond(d, st)) return;
      const rename = (p: string) => (!pi.fieldCond || pi.fieldCond(p, d, st) ? map(p) : undefined);
      const out = renamePaths(d.paths ?? [d.field], rename);
      // `|fieldref` values name fields too: they are renamed the same way.
      let refs: Record<string, string[]> | undefined;
      if (d.modifiers.includes('fieldref')) {
        for (const v of d.values) {
          if (typeof v !== 'string') continue;
          const r = renamePaths(d.refPaths?.[v] ?? [v], rename);
          if (r) (refs ??= { ...d.refPaths })[v] = r;
        }
      }
      if (!out && !refs) return;
      if (out) d.paths = out;
      if (refs) d.refPaths = refs;
      markItem(st, d, pi);
      any = true;
    });
    return any;
  };
}

/** Each path renamed to its targets (unrenamed ones kept, in place), or undefined when none was. */
function renamePaths(cur: readonly string[], rename: (p: string) => string[] | undefined): string[] | undefined {
  let out: string[] | undefined;
  for (let i = 0; i < cur.length; i++) {
    const p = cur[i]!;
    const m = rename(p);
    if (m === undefined) { if (out) out.push(p); continue; }
    if (!out) out = cur.slice(0, i);
    for (const x of m) out.push(x);
  }
  return out && [...new Set(out)];
}

// ---------------------------------------------------------------------------------------------
// Reading YAML with places

const TOP_KEYS = ['name', 'priority', 'vars', 'transformations', 'allowed_backends', 'postprocessing', 'finalizers'];
const IGNORED_TOP = new Set(['allowed_backends', 'postprocessing', 'finalizers']);
const COND_KEYS = [
  'id', 'type',
  'rule_conditions', 'rule_cond_op', 'rule_cond_not', 'rule_cond_expr',
  'detection_item_conditions', 'detection_item_cond_op', 'detection_item_cond_not', 'detection_item_cond_expr',
  'field_name_conditions', 'field_name_cond_op', 'field_name_cond_not', 'field_name_cond_expr',
];

class Reader {
  readonly problems: PipelineProblem[] = [];
  constructor(readonly file: string, private readonly lc: LineCounter) {}

  place(n: Node | null | undefined, fallback?: Place): Place {
    const off = n?.range?.[0];
    if (off === undefined) return fallback ?? { file: this.file, line: 1, col: 1 };
    const p = this.lc.linePos(off);
    return { file: this.file, line: p.line, col: p.col };
  }

  fail(n: Node | null | undefined, message: string, hint?: string, fallback?: Place): undefined {
    const p: PipelineProblem = { place: this.place(n, fallback), message };
    if (hint) p.hint = hint;
    this.problems.push(p);
    return undefined;
  }

  /** A map's entries with their key nodes; reports keys that are not in `allowed` (when given). */
  entries(n: Node | null | undefined, what: string, allowed?: readonly string[], fallback?: Place): Array<{ key: string; keyNode: Node; value: Node | null }> | undefined {
    if (!isMap(n)) return this.fail(n, `${what} must be a map (key: value lines), found ${describe(n)}`, undefined, fallback);
    const out: Array<{ key: string; keyNode: Node; value: Node | null }> = [];
    for (const pair of n.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      if (allowed && !allowed.includes(key)) {
        const near = closest(key, allowed);
        this.fail(keyNode, `unknown key "${key}" in ${what}`, near ? `did you mean "${near}"?` : `the keys allowed here are: ${allowed.join(', ')}`);
        continue;
      }
      out.push({ key, keyNode, value: pair.value as Node | null });
    }
    return out;
  }

  str(n: Node | null | undefined, what: string, fallback?: Place): string | undefined {
    if (isScalar(n) && typeof n.value === 'string') return n.value;
    if (isScalar(n) && (typeof n.value === 'number' || typeof n.value === 'boolean')) return String(n.value);
    return this.fail(n, `${what} must be a string, found ${describe(n)}`, undefined, fallback);
  }

  /** A string or a list of strings (never empty). */
  strs(n: Node | null | undefined, what: string, fallback?: Place): string[] | undefined {
    if (isSeq(n)) {
      if (n.items.length === 0) return this.fail(n, `${what} must not be an empty list`, undefined, fallback);
      const out: string[] = [];
      for (const x of n.items) { const s = this.str(x as Node, `each entry of ${what}`); if (s === undefined) return undefined; out.push(s); }
      return out;
    }
    const s = this.str(n, `${what} (a string or a list of strings)`, fallback);
    return s === undefined ? undefined : [s];
  }

  bool(n: Node | null | undefined, what: string): boolean | undefined {
    if (isScalar(n) && typeof n.value === 'boolean') return n.value;
    return this.fail(n, `${what} must be true or false, found ${describe(n)}`);
  }

  scalar(n: Node | null | undefined, what: string): SigmaValue | undefined {
    if (isScalar(n)) {
      const v = n.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    }
    return this.fail(n, `${what} must be a string, number, boolean or null, found ${describe(n)}`);
  }

  /** One scalar or a list of scalars. */
  scalars(n: Node | null | undefined, what: string): SigmaValue[] | undefined {
    if (isSeq(n)) {
      const out: SigmaValue[] = [];
      for (const x of n.items) { const v = this.scalar(x as Node, `each value of ${what}`); if (v === undefined) return undefined; out.push(v); }
      return out;
    }
    const v = this.scalar(n, what);
    return v === undefined ? undefined : [v];
  }
}

function describe(n: unknown): string {
  if (n === null || n === undefined) return 'nothing';
  if (isMap(n)) return 'a map';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) {
    const v = n.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
    return `${typeof v} ${String(v)}`;
  }
  return 'an unsupported YAML node';
}

function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) { bestD = d; best = o; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Parsing a pipeline

/** Parse a pipeline file's text. Throws PipelineError listing every problem with its place. */
export function parsePipeline(text: string, file: string): Pipeline {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const rd = new Reader(file, lc);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const p = lc.linePos(e.pos[0]);
      rd.problems.push({ place: { file, line: p.line, col: p.col }, message: `invalid YAML: ${e.message.split('\n')[0]}` });
    }
    throw new PipelineError(rd.problems);
  }
  const root = doc.contents as Node | null;
  const pipeline: Pipeline = { name: baseName(file), priority: 0, file, vars: {}, items: [], notes: [] };
  const top = rd.entries(root, 'a pipeline file', TOP_KEYS);
  let sawTransformations = false;
  for (const { key, keyNode, value } of top ?? []) {
    if (key === 'name') { const s = rd.str(value, 'name', rd.place(keyNode)); if (s !== undefined) pipeline.name = s; }
    else if (key === 'priority') {
      if (isScalar(value) && typeof value.value === 'number' && Number.isFinite(value.value)) pipeline.priority = value.value;
      else rd.fail(value, `priority must be a number, found ${describe(value)}`, 'lower priorities run first; the built-in pipelines use 50', rd.place(keyNode));
    } else if (key === 'vars') {
      for (const v of rd.entries(value, 'vars', undefined, rd.place(keyNode)) ?? []) {
        const vals = rd.scalars(v.value, `vars.${v.key}`);
        if (vals !== undefined) pipeline.vars[v.key] = vals;
      }
    } else if (key === 'transformations') {
      sawTransformations = true;
      if (!isSeq(value)) { rd.fail(value, `transformations must be a list, found ${describe(value)}`, undefined, rd.place(keyNode)); continue; }
      for (const n of value.items) {
        const pi = parseItem(rd, n as Node, pipeline);
        if (pi) pipeline.items.push(pi);
      }
    } else if (IGNORED_TOP.has(key)) {
      pipeline.notes.push(`${file}:${rd.place(keyNode).line}: "${key}" is for query backends and has no effect on Sluice's engine; ignored`);
    }
  }
  if (top && !sawTransformations) rd.fail(root, 'a pipeline needs a "transformations" list', 'add `transformations:` with at least one item, e.g. `- type: field_name_mapping`');
  if (rd.problems.length > 0) throw new PipelineError(rd.problems);
  return pipeline;
}

function baseName(file: string): string {
  const b = file.replace(/\\/g, '/').split('/').pop() ?? file;
  return b.replace(/\.ya?ml$/i, '');
}

type Params = Map<string, { keyNode: Node; value: Node | null }>;

interface TransformationSpec {
  /** Parameters besides the condition keys; `?` suffix = optional. */
  params: readonly string[];
  build(rd: Reader, p: Params, at: Place, pipeline: Pipeline): Run | undefined;
  /** Field-name conditions make sense (field and value transformations). */
  itemLevel: boolean;
}

function parseItem(rd: Reader, n: Node, pipeline: Pipeline): ProcessingItem | undefined {
  const at = rd.place(n);
  const entries = rd.entries(n, 'a transformation', undefined, at);
  if (!entries) return undefined;
  const byKey: Params = new Map();
  for (const e of entries) byKey.set(e.key, { keyNode: e.keyNode, value: e.value });
  const typeEntry = byKey.get('type');
  if (!typeEntry) return rd.fail(n, 'a transformation needs a "type"', `one of: ${Object.keys(SPECS).join(', ')}`);
  const type = rd.str(typeEntry.value, 'type');
  if (type === undefined) return undefined;
  const spec = SPECS[type];
  if (!spec) {
    if (IGNORED_TYPES[type]) {
      pipeline.notes.push(`${rd.file}:${at.line}: transformation type "${type}" ${IGNORED_TYPES[type]}; ignored`);
      return undefined;
    }
    const near = closest(type, Object.keys(SPECS));
    return rd.fail(typeEntry.value, `unknown transformation type "${type}"`, near ? `did you mean "${near}"? Sluice supports: ${Object.keys(SPECS).join(', ')}` : `Sluice supports: ${Object.keys(SPECS).join(', ')}`);
  }
  const names = spec.params.map((p) => p.replace(/\?$/, ''));
  const params: Params = new Map();
  for (const [k, v] of byKey) {
    if (COND_KEYS.includes(k)) continue;
    if (!names.includes(k)) {
      const near = closest(k, [...names, ...COND_KEYS]);
      rd.fail(v.keyNode, `unknown parameter "${k}" for a ${type} transformation`, near ? `did you mean "${near}"?` : names.length ? `its parameters are: ${names.join(', ')}` : `it takes no parameters besides the conditions`);
      continue;
    }
    params.set(k, v);
  }
  let complete = true;
  for (const p of spec.params) {
    if (!p.endsWith('?') && !params.has(p)) { rd.fail(n, `a ${type} transformation needs "${p}"`); complete = false; }
  }
  const idEntry = byKey.get('id');
  const id = idEntry ? rd.str(idEntry.value, 'id') : undefined;

  const ruleCond = parseConditions(rd, byKey, 'rule', RULE_CONDS);
  const itemCond = parseConditions(rd, byKey, 'detection_item', ITEM_CONDS);
  const fieldCond = parseConditions(rd, byKey, 'field_name', FIELD_CONDS);
  if (!spec.itemLevel) {
    for (const k of ['detection_item_conditions', 'field_name_conditions']) {
      const e = byKey.get(k);
      if (e) rd.fail(e.keyNode, `a ${type} transformation acts on the whole rule; "${k}" does not apply to it`, 'use rule_conditions');
    }
  }
  // Builders read their required parameters unchecked: only call one that has them all.
  const run = complete ? spec.build(rd, params, at, pipeline) : undefined;
  if (!run || ruleCond === null || itemCond === null || fieldCond === null) return undefined;
  return { id, type, place: at, run, ruleCond, itemCond, fieldCond } as ProcessingItem;
}

// ---------------------------------------------------------------------------------------------
// Conditions

type CondKind = 'rule' | 'detection_item' | 'field_name';
type Pred = (...args: never[]) => boolean;
type CondBuilder<P> = (rd: Reader, c: Params, at: Node) => P | undefined;

const RULE_CONDS: Record<string, { params: readonly string[]; build: CondBuilder<RuleCond> }> = {
  logsource: {
    params: ['category?', 'product?', 'service?'],
    build(rd, c, at) {
      // undefined: any value; null (Sluice extension, `service: null`): the rule must have none.
      const want: Record<'category' | 'product' | 'service', string | null | undefined> = { category: undefined, product: undefined, service: undefined };
      for (const k of ['category', 'product', 'service'] as const) {
        const e = c.get(k);
        if (!e) continue;
        if (isScalar(e.value) && e.value.value === null) { want[k] = null; continue; }
        const s = rd.str(e.value, k);
        if (s !== undefined) want[k] = s.toLowerCase();
      }
      if (want.category === undefined && want.product === undefined && want.service === undefined) return rd.fail(at, 'a logsource condition needs category, product or service');
      const ok = (have: string | undefined, w: string | null | undefined) =>
        w === undefined || (w === null ? have === undefined || have === '' : have?.toLowerCase() === w);
      return (st) => {
        const ls = st.rule.logsource;
        return ok(ls.category, want.category) && ok(ls.product, want.product) && ok(ls.service, want.service);
      };
    },
  },
  processing_item_applied: {
    params: ['processing_item_id'],
    build(rd, c) {
      const id = rd.str(c.get('processing_item_id')?.value, 'processing_item_id');
      return id === undefined ? undefined : (st) => st.applied.has(id);
    },
  },
  tag: {
    params: ['tag'],
    build(rd, c) {
      const tag = rd.str(c.get('tag')?.value, 'tag')?.toLowerCase();
      return tag === undefined ? undefined : (st) => st.rule.tags.some((t) => t.toLowerCase() === tag);
    },
  },
};

const ITEM_CONDS: Record<string, { params: readonly string[]; build: CondBuilder<ItemCond> }> = {
  match_string: {
    params: ['pattern', 'cond?', 'negate?'],
    build(rd, c) {
      const re = compileRegex(rd, c.get('pattern')?.value ?? null, 'pattern');
      const condNode = c.get('cond')?.value;
      const cond = condNode ? rd.str(condNode, 'cond') : 'any';
      if (cond !== undefined && cond !== 'any' && cond !== 'all') return rd.fail(condNode, `cond must be "any" or "all", found ${JSON.stringify(cond)}`);
      const negNode = c.get('negate')?.value;
      const negate = negNode ? rd.bool(negNode, 'negate') : false;
      if (!re || cond === undefined || negate === undefined) return undefined;
      // Only string values are tested; an item without string values matches "all" vacuously, as in pySigma.
      return (d) => {
        const strs = d.values.filter((v): v is string => typeof v === 'string');
        const hit = cond === 'all' ? strs.every((v) => re.test(v)) : strs.some((v) => re.test(v));
        return negate ? !hit : hit;
      };
    },
  },
  processing_item_applied: {
    params: ['processing_item_id'],
    build(rd, c) {
      const id = rd.str(c.get('processing_item_id')?.value, 'processing_item_id');
      return id === undefined ? undefined : (d, st) => st.itemApplied.get(d)?.has(id) === true;
    },
  },
  is_null: {
    params: ['cond?'],
    build(rd, c) {
      const condNode = c.get('cond')?.value;
      const cond = condNode ? rd.str(condNode, 'cond') : 'all';
      if (cond !== 'any' && cond !== 'all') return rd.fail(condNode, `cond must be "any" or "all"`);
      return (d) => (cond === 'all' ? d.values.every((v) => v === null) : d.values.some((v) => v === null));
    },
  },
};

const FIELD_CONDS: Record<string, { params: readonly string[]; build: CondBuilder<FieldCond> }> = {
  include_fields: { params: ['fields', 'mode?'], build: (rd, c) => fieldList(rd, c, false) },
  exclude_fields: { params: ['fields', 'mode?'], build: (rd, c) => fieldList(rd, c, true) },
  // pySigma files sometimes put this among the field-name conditions: the item was changed by that processing item.
  processing_item_applied: {
    params: ['processing_item_id'],
    build(rd, c) {
      const id = rd.str(c.get('processing_item_id')?.value, 'processing_item_id');
      return id === undefined ? undefined : (_n, d, st) => st.itemApplied.get(d)?.has(id) === true;
    },
  },
};

function fieldList(rd: Reader, c: Params, exclude: boolean): FieldCond | undefined {
  const fields = rd.strs(c.get('fields')?.value ?? null, 'fields');
  const modeNode = c.get('mode')?.value;
  const mode = modeNode ? rd.str(modeNode, 'mode') : 'plain';
  if (mode !== undefined && mode !== 'plain' && mode !== 're') return rd.fail(modeNode, `mode must be "plain" or "re", found ${JSON.stringify(mode)}`, 'plain compares names exactly; re matches a regular expression from the start of the name');
  if (!fields || mode === undefined) return undefined;
  if (mode === 'plain') {
    const set = new Set(fields);
    return exclude ? (n) => !set.has(n) : (n) => set.has(n);
  }
  const res: RegExp[] = [];
  const seq = c.get('fields')!.value;
  fields.forEach((f, i) => {
    // pySigma uses re.match: anchored at the start only.
    const node = isSeq(seq) ? (seq.items[i] as Node) : seq;
    const re = buildRegex(rd, node, `^(?:${pyRegex(f)})`);
    if (re) res.push(re);
  });
  if (res.length !== fields.length) return undefined;
  return exclude ? (n) => !res.some((r) => r.test(n)) : (n) => res.some((r) => r.test(n));
}

/** Parse `<kind>_conditions` with `_cond_op` / `_cond_not` / `_cond_expr`. null = errors reported. */
function parseConditions<P extends Pred>(
  rd: Reader, byKey: Params, kind: CondKind, table: Record<string, { params: readonly string[]; build: CondBuilder<P> }>,
): P | undefined | null {
  const list = byKey.get(`${kind}_conditions`);
  const opE = byKey.get(`${kind}_cond_op`);
  const notE = byKey.get(`${kind}_cond_not`);
  const exprE = byKey.get(`${kind}_cond_expr`);
  if (!list) {
    for (const e of [opE, notE, exprE]) if (e) rd.fail(e.keyNode, `"${String((e.keyNode as { value?: unknown }).value)}" without "${kind}_conditions"`, `add ${kind}_conditions or remove it`);
    return opE || notE || exprE ? null : undefined;
  }
  const named = new Map<string, P>();
  const preds: P[] = [];
  let ok = true;
  const one = (node: Node, label: string): P | undefined => {
    const entries = rd.entries(node, `a ${kind.replace('_', ' ')} condition`);
    if (!entries) return undefined;
    const c: Params = new Map();
    for (const e of entries) c.set(e.key, { keyNode: e.keyNode, value: e.value });
    const t = c.get('type');
    if (!t) return rd.fail(node, `condition ${label} needs a "type"`, `one of: ${Object.keys(table).join(', ')}`);
    const type = rd.str(t.value, 'type');
    if (type === undefined) return undefined;
    const spec = table[type];
    if (!spec) {
      const near = closest(type, Object.keys(table));
      return rd.fail(t.value, `unknown ${kind.replace('_', ' ')} condition type "${type}"`, `${near ? `did you mean "${near}"? ` : ''}supported: ${Object.keys(table).join(', ')}`);
    }
    const allowed = spec.params.map((p) => p.replace(/\?$/, ''));
    for (const [k, v] of c) {
      if (k === 'type' || allowed.includes(k)) continue;
      rd.fail(v.keyNode, `unknown parameter "${k}" for a ${type} condition`, allowed.length ? `its parameters are: ${allowed.join(', ')}` : undefined);
      ok = false;
    }
    for (const p of spec.params) if (!p.endsWith('?') && !c.has(p)) { rd.fail(node, `a ${type} condition needs "${p}"`); ok = false; }
    return spec.build(rd, c, node);
  };
  if (isSeq(list.value)) {
    list.value.items.forEach((x, i) => { const p = one(x as Node, `#${i + 1}`); if (p) preds.push(p); else ok = false; });
  } else if (isMap(list.value)) {
    for (const e of rd.entries(list.value, `${kind}_conditions`) ?? []) {
      const p = one(e.value as Node, `"${e.key}"`);
      if (p) { named.set(e.key, p); preds.push(p); } else ok = false;
    }
  } else {
    rd.fail(list.value, `${kind}_conditions must be a list (or a map of named conditions), found ${describe(list.value)}`, undefined, rd.place(list.keyNode));
    return null;
  }
  let op: 'and' | 'or' = 'and';
  if (opE) {
    const s = rd.str(opE.value, `${kind}_cond_op`);
    if (s === 'and' || s === 'or') op = s;
    else { rd.fail(opE.value, `${kind}_cond_op must be "and" or "or"`); ok = false; }
  }
  let negate = false;
  if (notE) { const b = rd.bool(notE.value, `${kind}_cond_not`); if (b === undefined) ok = false; else negate = b; }
  // Conditions take at most three arguments (FieldCond); fixed parameters rather than `...a`
  // spread into every call: the rest arrays and per-call closures were ~8% of what loading the
  // SigmaHQ corpus through the windows pipeline allocated (42 of 517 MB, sampled).
  type Fn3 = (a?: unknown, b?: unknown, c?: unknown) => boolean;
  let combined: Fn3 | undefined;
  if (exprE) {
    if (opE) { rd.fail(opE.keyNode, `${kind}_cond_op and ${kind}_cond_expr cannot both be given`, 'the expression says how the conditions combine'); ok = false; }
    if (!isMap(list.value)) { rd.fail(exprE.keyNode, `${kind}_cond_expr needs ${kind}_conditions as a map of named conditions`, 'write the conditions as `name: {type: ...}` and refer to the names in the expression'); return null; }
    const src = rd.str(exprE.value, `${kind}_cond_expr`);
    if (src === undefined) return null;
    const expr = parseCondExpr(rd, src, exprE.value as Node, new Set(named.keys()));
    if (!expr) return null;
    combined = (a, b, c) => expr((name) => (named.get(name) as unknown as Fn3)(a, b, c));
  } else {
    const ps = preds as unknown as Fn3[];
    combined = op === 'and'
      ? (a, b, c) => { for (let i = 0; i < ps.length; i++) if (!ps[i]!(a, b, c)) return false; return true; }
      : (a, b, c) => { for (let i = 0; i < ps.length; i++) if (ps[i]!(a, b, c)) return true; return false; };
  }
  if (!ok) return null;
  if (preds.length === 0) return undefined;
  const c = combined;
  return (negate ? (a?: unknown, b?: unknown, d?: unknown) => !c(a, b, d) : c) as unknown as P;
}

type Expr = (value: (name: string) => boolean) => boolean;

/** `a and not (b or c)`: names, and, or, not, parentheses; `and` binds tighter than `or`. */
function parseCondExpr(rd: Reader, src: string, node: Node, names: Set<string>): Expr | undefined {
  const toks = src.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  let bad: string | undefined;
  const used = new Set<string>();
  const primary = (): Expr | undefined => {
    const t = toks[i++];
    if (t === undefined) { bad ??= 'the expression ends too early'; return undefined; }
    if (t === '(') { const e = orE(); if (toks[i++] !== ')') bad ??= 'a "(" is not closed'; return e; }
    if (t.toLowerCase() === 'not') { const e = primary(); return e && ((v) => !e(v)); }
    if (t === ')' || t.toLowerCase() === 'and' || t.toLowerCase() === 'or') { bad ??= `unexpected "${t}"`; return undefined; }
    if (!names.has(t)) { bad ??= `"${t}" is not one of the named conditions (${[...names].join(', ')})`; return undefined; }
    used.add(t);
    return (v) => v(t);
  };
  const andE = (): Expr | undefined => {
    let l = primary();
    while (toks[i]?.toLowerCase() === 'and') { i++; const r = primary(); const a = l; l = a && r && ((v) => a(v) && r(v)); }
    return l;
  };
  const orE = (): Expr | undefined => {
    let l = andE();
    while (toks[i]?.toLowerCase() === 'or') { i++; const r = andE(); const a = l; l = a && r && ((v) => a(v) || r(v)); }
    return l;
  };
  const e = orE();
  if (i < toks.length) bad ??= `unexpected "${toks[i]}"`;
  if (bad || !e) return rd.fail(node, `invalid condition expression: ${bad ?? 'empty'}`, 'write names of the conditions joined by and, or, not and parentheses');
  const unused = [...names].filter((n) => !used.has(n));
  if (unused.length) return rd.fail(node, `condition expression does not use ${unused.map((u) => `"${u}"`).join(', ')}`, 'every named condition must appear in the expression');
  return e;
}

// ---------------------------------------------------------------------------------------------
// Regular expressions: pipelines are written for pySigma (Python's re); translate its spellings.

function pyRegex(src: string): string {
  return src.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>');
}

function buildRegex(rd: Reader, node: Node | null, src: string, flags = ''): RegExp | undefined {
  let f = flags;
  let s = src;
  // Python's leading inline flags, e.g. (?i)
  const m = /^\^\(\?:\(\?([imsx]+)\)/.exec(s) ?? /^\(\?([imsx]+)\)/.exec(s);
  if (m) {
    for (const ch of m[1]!) if (ch !== 'x' && !f.includes(ch)) f += ch;
    s = s.replace(`(?${m[1]})`, '');
  }
  try {
    return new RegExp(s, f);
  } catch (e) {
    return rd.fail(node, `invalid regular expression: ${(e as Error).message}`, 'write it as for Python\'s re module (named groups (?P<name>...) and \\1 references are translated)');
  }
}

function compileRegex(rd: Reader, node: Node | null, what: string): RegExp | undefined {
  const s = rd.str(node, what);
  return s === undefined ? undefined : buildRegex(rd, node, pyRegex(s));
}

/** Python's replacement syntax (\1, \g<1>, \g<name>) to JavaScript's ($1, $<name>); a literal $ stays literal. */
function pyReplacement(r: string): string {
  let out = '';
  for (let i = 0; i < r.length; i++) {
    const c = r[i]!;
    if (c === '$') { out += '$$'; continue; }
    if (c !== '\\' || i + 1 >= r.length) { out += c; continue; }
    const n = r[i + 1]!;
    const g = /^g<([^>]+)>/.exec(r.slice(i + 1));
    if (g) { out += /^\d+$/.test(g[1]!) ? `$${g[1]}` : `$<${g[1]}>`; i += g[0].length; continue; }
    if (/\d/.test(n)) { out += `$${n}`; i++; continue; }
    if (n === '\\') { out += '\\'; i++; continue; }
    if (n === 'n') { out += '\n'; i++; continue; }
    if (n === 't') { out += '\t'; i++; continue; }
    out += c;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Transformations

/** Types pySigma files may contain that only matter to query backends: read, noted, skipped. */
const IGNORED_TYPES: Record<string, string> = {
  set_state: 'sets state for query backends',
  set_custom_attribute: 'sets attributes for query backends',
  query_expression_placeholders: 'builds backend query text',
};

/** A mapping `name: target` or `name: [targets]`, in file order. */
function readMapping(rd: Reader, p: Params, key: string): Array<[string, string[]]> | undefined {
  const e = p.get(key)!;
  const entries = rd.entries(e.value, key, undefined, rd.place(e.keyNode));
  if (!entries) return undefined;
  const out: Array<[string, string[]]> = [];
  let ok = true;
  for (const x of entries) {
    const t = rd.strs(x.value, `${key}.${x.key}`, rd.place(x.keyNode));
    if (t) out.push([x.key, t]); else ok = false;
  }
  if (entries.length === 0) return rd.fail(e.value, `${key} must not be empty`);
  return ok ? out : undefined;
}

function readSearch(rd: Reader, node: Node | null, what: string, at: Place): Search | undefined {
  const group = (n: Node): DetectionItem[] | undefined => {
    const entries = rd.entries(n, `a map of ${what}`, undefined, at);
    if (!entries) return undefined;
    if (entries.length === 0) return rd.fail(n, `${what} must not be empty`);
    const items: DetectionItem[] = [];
    for (const e of entries) {
      const [field, ...mods] = e.key.split('|');
      if (!field) { rd.fail(e.keyNode, `a condition needs a field name before the modifiers, found "${e.key}"`); return undefined; }
      const values = rd.scalars(e.value, `${what}.${e.key}`);
      if (!values) return undefined;
      if (values.length === 0) return rd.fail(e.value, `${what}.${e.key} has no values`);
      items.push({ field, modifiers: mods.map((m) => m.toLowerCase()), values, place: rd.place(e.keyNode) });
    }
    return items;
  };
  if (isSeq(node)) {
    // Sluice extension: a list of maps is an OR of them (each map ANDs its fields).
    if (node.items.length === 0) return rd.fail(node, `${what} must not be an empty list`);
    const groups: DetectionItem[][] = [];
    for (const x of node.items) { const g = group(x as Node); if (!g) return undefined; groups.push(g); }
    return { groups };
  }
  const g = group(node as Node);
  return g ? { groups: [g] } : undefined;
}

const SPECS: Record<string, TransformationSpec> = {
  field_name_mapping: {
    params: ['mapping'],
    itemLevel: true,
    build(rd, p) {
      const m = readMapping(rd, p, 'mapping');
      if (!m) return undefined;
      const table = new Map(m);
      return fieldRun((n) => table.get(n));
    },
  },
  field_name_prefix_mapping: {
    params: ['mapping'],
    itemLevel: true,
    build(rd, p) {
      const m = readMapping(rd, p, 'mapping');
      if (!m) return undefined;
      // The first prefix (in file order) that a name starts with wins, as in pySigma.
      return fieldRun((n) => {
        for (const [pre, to] of m) if (n.startsWith(pre)) return to.map((t) => t + n.slice(pre.length));
        return undefined;
      });
    },
  },
  field_name_prefix: {
    params: ['prefix'],
    itemLevel: true,
    build(rd, p) {
      // Sluice extension: a list of prefixes gives one path per prefix ('' keeps the name itself).
      const pre = rd.strs(p.get('prefix')!.value, 'prefix', rd.place(p.get('prefix')!.keyNode));
      return pre && fieldRun((n) => pre.map((x) => x + n));
    },
  },
  field_name_suffix: {
    params: ['suffix'],
    itemLevel: true,
    build(rd, p) {
      const suf = rd.strs(p.get('suffix')!.value, 'suffix', rd.place(p.get('suffix')!.keyNode));
      return suf && fieldRun((n) => suf.map((x) => n + x));
    },
  },
  add_condition: {
    params: ['conditions', 'negated?', 'template?'],
    itemLevel: false,
    build(rd, p) {
      const t = p.get('template');
      if (t && rd.bool(t.value, 'template') === true) return rd.fail(t.value, 'template conditions are not supported', 'write the values themselves; use vars with value_placeholders for lists of values');
      const search = readSearch(rd, p.get('conditions')!.value, 'conditions', rd.place(p.get('conditions')!.keyNode));
      const n = p.get('negated');
      const negated = n ? rd.bool(n.value, 'negated') : false;
      if (!search || negated === undefined) return undefined;
      return (st, pi) => {
        const origin = `pipeline ${st.pipeline.name}${pi.id ? `: ${pi.id}` : ''}`;
        st.rule.conditions.push({ search: cloneSearch(search), negate: negated, origin });
        return true;
      };
    },
  },
  change_logsource: {
    params: ['category?', 'product?', 'service?'],
    itemLevel: false,
    build(rd, p, at) {
      const ls: Logsource = {};
      for (const k of ['category', 'product', 'service'] as const) {
        const e = p.get(k);
        if (e) { const s = rd.str(e.value, k); if (s !== undefined) ls[k] = s; }
      }
      if (!ls.category && !ls.product && !ls.service) return rd.fail(undefined, 'a change_logsource transformation needs category, product or service', undefined, at);
      // As in pySigma, the new log source replaces category, product and service together.
      return (st) => {
        const def = st.rule.logsource.definition;
        st.rule.logsource = { ...ls };
        if (def !== undefined) st.rule.logsource.definition = def;
        return true;
      };
    },
  },
  drop_detection_item: {
    params: [],
    itemLevel: true,
    build() {
      // A group left empty matches everything, so dropping an item means "do not test this".
      return (st, pi) => {
        let any = false;
        for (const s of allSearches(st.rule)) {
          for (let g = 0; g < s.groups.length; g++) {
            const kept = s.groups[g]!.filter((d) => !itemSelected(st, pi, d));
            if (kept.length !== s.groups[g]!.length) { s.groups[g] = kept; any = true; }
          }
        }
        return any;
      };
    },
  },
  replace_string: {
    params: ['regex', 'replacement', 'skip_special?'],
    itemLevel: true,
    build(rd, p) {
      const reSrc = rd.str(p.get('regex')!.value, 'regex');
      const repl = rd.str(p.get('replacement')!.value, 'replacement');
      const sk = p.get('skip_special');
      const skip = sk ? rd.bool(sk.value, 'skip_special') : false;
      if (reSrc === undefined || repl === undefined || skip === undefined) return undefined;
      const re = buildRegex(rd, p.get('regex')!.value, pyRegex(reSrc), 'g');
      if (!re) return undefined;
      const js = pyReplacement(repl);
      const rewrite = (v: string): string => (skip ? mapPlainParts(v, (s) => s.replace(re, js)) : v.replace(re, js));
      return valueRun((v) => (typeof v === 'string' ? [rewrite(v)] : undefined));
    },
  },
  map_string: {
    params: ['mapping'],
    itemLevel: true,
    build(rd, p) {
      const m = readMapping(rd, p, 'mapping');
      if (!m) return undefined;
      const table = new Map(m);
      return valueRun((v) => (typeof v === 'string' ? table.get(v) : undefined));
    },
  },
  value_placeholders: {
    params: ['include?', 'exclude?'],
    itemLevel: true,
    build(rd, p) {
      const inc = p.get('include') ? rd.strs(p.get('include')!.value, 'include') : undefined;
      const exc = p.get('exclude') ? rd.strs(p.get('exclude')!.value, 'exclude') : undefined;
      return placeholderRun(inc, exc);
    },
  },
  add_field: {
    params: ['field'],
    itemLevel: false,
    build(rd, p) {
      const f = rd.strs(p.get('field')!.value, 'field');
      return f && ((st) => { let any = false; for (const x of f) if (!st.rule.fields.includes(x)) { st.rule.fields.push(x); any = true; } return any; });
    },
  },
  remove_field: {
    params: ['field'],
    itemLevel: false,
    build(rd, p) {
      const f = rd.strs(p.get('field')!.value, 'field');
      return f && ((st) => { const n = st.rule.fields.length; st.rule.fields = st.rule.fields.filter((x) => !f.includes(x)); return st.rule.fields.length !== n; });
    },
  },
  set_field: {
    params: ['fields'],
    itemLevel: false,
    build(rd, p) {
      const f = rd.strs(p.get('fields')!.value, 'fields');
      return f && ((st) => { st.rule.fields = f.slice(); return true; });
    },
  },
  detection_item_failure: {
    params: ['message'],
    itemLevel: true,
    build(rd, p) {
      const msg = rd.str(p.get('message')!.value, 'message');
      if (msg === undefined) return undefined;
      return (st, pi) => {
        let hit: DetectionItem | undefined;
        forEachItem(st.rule, (d) => { if (!hit && itemSelected(st, pi, d)) hit = d; });
        if (!hit) return false;
        const what = hit.field === null ? 'a keyword search' : `field "${hit.field}"`;
        return refuse(st, pi, `${what}: ${msg}`, hit.place);
      };
    },
  },
  rule_failure: {
    params: ['message'],
    itemLevel: false,
    build(rd, p) {
      const msg = rd.str(p.get('message')!.value, 'message');
      return msg === undefined ? undefined : (st, pi) => refuse(st, pi, msg);
    },
  },
};

/** Rewrite string values of the selected items: each value maps to one or more values (or stays). */
function valueRun(map: (v: SigmaValue) => string[] | undefined): Run {
  return (st, pi) => {
    let any = false;
    forEachItem(st.rule, (d) => {
      if (!itemSelected(st, pi, d)) return;
      const out: SigmaValue[] = [];
      let changed = false;
      for (const v of d.values) {
        const m = map(v);
        if (m === undefined || (m.length === 1 && m[0] === v)) { out.push(v); continue; }
        changed = true;
        for (const x of m) out.push(x);
      }
      if (!changed) return;
      d.values = out;
      markItem(st, d, pi);
      any = true;
    });
    return any;
  };
}

/** Apply `f` to the parts of a Sigma string between unescaped wildcards (* and ?), keeping the wildcards. */
function mapPlainParts(v: string, f: (s: string) => string): string {
  let out = '';
  let part = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && i + 1 < v.length) { part += c + v[i + 1]; i++; continue; }
    if (c === '*' || c === '?') { out += f(part) + c; part = ''; continue; }
    part += c;
  }
  return out + f(part);
}

/** `%name%` in values of items with the `expand` modifier, from the pipelines' `vars`. */
function placeholderRun(include: string[] | undefined, exclude: string[] | undefined): Run {
  const wanted = (name: string) => (!include || include.includes(name)) && !(exclude && exclude.includes(name));
  return (st, pi) => {
    let any = false;
    let err: RuleError | undefined;
    forEachItem(st.rule, (d) => {
      if (err || !d.modifiers.includes('expand') || !itemSelected(st, pi, d)) return;
      const out: SigmaValue[] = [];
      let open = false;
      for (const v of d.values) {
        if (typeof v !== 'string') { out.push(v); continue; }
        let results: string[] = [''];
        const re = /%([A-Za-z_][\w.-]*)%/g;
        let last = 0;
        for (let m = re.exec(v); m; m = re.exec(v)) {
          const name = m[1]!;
          const lit = v.slice(last, m.index);
          last = m.index + m[0].length;
          if (!wanted(name)) { results = results.map((r) => r + lit + m![0]); open = true; continue; }
          const vals = st.pipeline.vars[name];
          if (!vals) { err = refuse(st, pi, `placeholder %${name}% has no value: add it to the pipeline's vars`, d.place); return; }
          results = results.flatMap((r) => vals.map((x) => r + lit + String(x)));
        }
        const tail = v.slice(last);
        for (const r of results) out.push(r + tail);
      }
      d.values = out;
      if (!open) d.modifiers = d.modifiers.filter((m) => m !== 'expand');
      markItem(st, d, pi);
      any = true;
    });
    return err ?? any;
  };
}

/** The names of the transformation types this module supports (for docs and errors). */
export const TRANSFORMATION_TYPES: readonly string[] = Object.keys(SPECS);
