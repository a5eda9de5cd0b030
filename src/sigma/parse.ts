/**
 * Reads Sigma YAML into the shared rule model (types.ts).
 *
 * Works on the YAML syntax tree (yaml-tree.ts) rather than on plain objects, so that every error
 * and every detection item carries file:line:col. The tree comes from a fast reader of the block
 * YAML rules are written in, or, for anything else and for every file with a YAML error, from the
 * `yaml` package (whose messages are then the ones reported). A file may hold several documents
 * (a correlation rule with its base rules); each is classified on its own (`correlation:` ->
 * correlation, `filter:` -> filter, `detection:` -> rule) and a bad document is reported and
 * skipped without stopping the others. A document with any error is left out of `docs`: a rule that runs must run as
 * written.
 *
 * Scalars: YAML 1.2 core schema (so `yes` stays a string and dates stay strings). A plain number
 * whose text is not how JavaScript writes it back (`0x17`, `04688`, `1.10`) is kept as the
 * written string, because log data carries the text (`TicketEncryptionType: 0x17`).
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import { checkReferences, ConditionError, parseCondition } from './condition.js';
import { checkItem } from './modifiers.js';
import type { DetectionItem, Logsource, Place, RuleError, Search, SigmaDocument, SigmaValue } from './types.js';
import { fromYaml, readFast, toJS, type YMap, type YNode, type YPair, type YScalar } from './yaml-tree.js';

export interface ParseResult {
  docs: SigmaDocument[];
  errors: RuleError[];
}

/** Sigma 1 detection keys that are not search identifiers. */
const NOT_SEARCHES = new Set(['condition', 'timeframe']);

export interface ParseOptions {
  /** Read every file with the `yaml` package (for tests comparing the two readers). */
  yamlOnly?: boolean;
}

export function parseSigma(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  const docs: SigmaDocument[] = [];
  const errors: RuleError[] = [];
  const add = (r: { doc?: SigmaDocument; errors: RuleError[] }) => {
    if (r.errors.length) errors.push(...r.errors);
    else if (r.doc) docs.push(r.doc);
  };
  const fast = opts.yamlOnly ? null : readFast(text);
  if (fast !== null) {
    const place = placer(file, fast.lineStarts);
    for (const root of fast.docs) add(readDocument({ root, raw: () => toJS(root), yamlErrors: [] }, text, file, place));
    return { docs, errors };
  }
  const lc = new LineCounter();
  const all = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false });
  const place = placer(file, lc.lineStarts);
  for (const doc of Array.isArray(all) ? all : []) {
    const memo = new Map<unknown, YNode>();
    add(readDocument({
      root: fromYaml(doc.contents, doc, memo),
      fallbackOffset: doc.range[0],
      raw: () => doc.toJS({ maxAliasCount: 100 }),
      yamlErrors: doc.errors.map((e) => ({ message: e.message, offset: e.pos[0] })),
    }, text, file, place));
  }
  return { docs, errors };
}

/** offset -> file:line:col, as yaml's LineCounter.linePos computes it. */
function placer(file: string, lineStarts: readonly number[]): (offset: number | undefined) => Place {
  return (offset) => {
    const at = offset ?? 0;
    let low = 0, high = lineStarts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (lineStarts[mid]! < at) low = mid + 1; else high = mid;
    }
    if (lineStarts[low] === at) return { file, line: low + 1, col: 1 };
    if (low === 0) return { file, line: 0, col: at };
    return { file, line: low, col: at - lineStarts[low - 1]! + 1 };
  };
}

interface TreeDoc {
  root: YNode | null;
  /** Where the document starts when it has no root node. */
  fallbackOffset?: number;
  /** The document as plain data (may throw, e.g. on an alias bomb). */
  raw: () => unknown;
  yamlErrors: { message: string; offset: number }[];
}

const isMap = (n: YNode | null | undefined): n is YMap => n !== null && n !== undefined && n.kind === 'map';
const isScalar = (n: YNode | null | undefined): n is YScalar => n !== null && n !== undefined && n.kind === 'scalar';

/** The value node of `key` in a mapping (undefined: no such key, or a key without a value), as yaml's YAMLMap.get. */
function getNode(m: YMap, key: string): YNode | undefined {
  return findPair(m, key)?.value ?? undefined;
}

function findPair(m: YMap, key: string): YPair | undefined {
  for (const p of m.items) if (p.key !== null && p.key.kind === 'scalar' && p.key.value === key) return p;
  return undefined;
}

function readDocument(doc: TreeDoc, text: string, file: string, place: (offset: number | undefined) => Place): { doc?: SigmaDocument; errors: RuleError[] } {
  const errors: RuleError[] = [];
  const nodePlace = (n: YNode | null | undefined, fallback: Place): Place => (n ? place(n.start) : fallback);
  const docPlace = place(doc.root?.start ?? doc.fallbackOffset ?? 0);
  let ruleName: string | undefined;
  const fail = (message: string, at: Place) => errors.push({ file, place: at, ...(ruleName ? { rule: ruleName } : {}), message });

  if (doc.yamlErrors.length) {
    for (const e of doc.yamlErrors) fail(`YAML: ${e.message.split('\n')[0]}`, place(e.offset));
    return { errors };
  }
  const root = doc.root;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { errors }; // empty document, e.g. a trailing ---
  if (!isMap(root)) {
    fail('a Sigma document must be a YAML mapping with title, logsource and detection (or filter, or correlation)', nodePlace(root, docPlace));
    return { errors };
  }
  let raw: Record<string, unknown>;
  try {
    raw = doc.raw() as Record<string, unknown>;
  } catch (e) {
    fail(`YAML: ${(e as Error).message}`, docPlace); // e.g. an alias bomb
    return { errors };
  }
  const get = getNode;
  const keyPlace = (m: YMap, key: string): Place => nodePlace(findPair(m, key)?.key, nodePlace(m, docPlace));
  const str = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    fail(`"${key}" must be a string, not ${kindOf(v)}`, keyPlace(root, key));
    return undefined;
  };
  const strList = (key: string): string[] => {
    const v = raw[key];
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
    fail(`"${key}" must be a list of strings`, keyPlace(root, key));
    return [];
  };

  const id = str('id');
  const title = str('title');
  ruleName = id ?? title;
  if (title === undefined) fail('the document has no title; add "title: <what it detects>"', docPlace);
  const common = {
    file, place: docPlace, title: title ?? '',
    ...(id !== undefined ? { id } : {}),
    ...opt('name', str('name')), ...opt('description', str('description')), ...opt('status', str('status')),
    ...opt('level', str('level')), ...opt('author', str('author')), ...opt('date', str('date')), ...opt('modified', str('modified')),
    references: strList('references'), tags: strList('tags'), falsepositives: strList('falsepositives'), raw,
  };

  const correlation = get(root, 'correlation');
  if (correlation !== undefined) {
    if (!isMap(correlation)) fail('"correlation" must be a mapping (type, rules, group-by, timespan, condition)', keyPlace(root, 'correlation'));
    if (errors.length) return { errors };
    return { doc: { ...common, type: 'correlation', correlation: raw.correlation as Record<string, unknown> }, errors };
  }

  const logsource = readLogsource(root, get(root, 'logsource'), keyPlace, docPlace, fail);
  const filter = get(root, 'filter');
  if (filter !== undefined) {
    if (!isMap(filter)) {
      fail('"filter" must be a mapping with rules, the searches and condition', keyPlace(root, 'filter'));
      return { errors };
    }
    const rulesNode = get(filter, 'rules');
    let rules: string[] = [];
    if (rulesNode === undefined || rulesNode === null) fail('the filter has no "rules": list the ids or names of the rules it applies to', keyPlace(root, 'filter'));
    else {
      const v = toJS(rulesNode, new Map());
      if (typeof v === 'string') rules = [v];
      else if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')) rules = v as string[];
      else fail('"rules" of a filter must be a list of rule ids or names', nodePlace(rulesNode, keyPlace(filter, 'rules')));
    }
    const det = readDetection(filter, keyPlace(root, 'filter'), new Set(['rules', ...NOT_SEARCHES]), text, place, keyPlace, fail);
    if (errors.length || !logsource || !det) return { errors };
    return { doc: { ...common, type: 'filter', logsource, rules, detection: det.detection, condition: det.condition }, errors };
  }

  const detection = get(root, 'detection');
  if (detection === undefined || detection === null) {
    fail('the document has no detection (nor filter or correlation); add "detection:" with searches and a condition', docPlace);
    return { errors };
  }
  if (!isMap(detection)) {
    fail('"detection" must be a mapping of search identifiers and a condition', keyPlace(root, 'detection'));
    return { errors };
  }
  const det = readDetection(detection, keyPlace(root, 'detection'), NOT_SEARCHES, text, place, keyPlace, fail);
  if (errors.length || !logsource || !det) return { errors };
  const fields = strList('fields');
  if (errors.length) return { errors };
  return { doc: { ...common, type: 'rule', logsource, detection: det.detection, condition: det.condition, conditions: [], fields }, errors };
}

function opt<K extends string>(key: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: string };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

type Fail = (message: string, at: Place) => void;
type KeyPlace = (m: YMap, key: string) => Place;

function readLogsource(root: YMap, node: YNode | null | undefined, keyPlace: KeyPlace, docPlace: Place, fail: Fail): Logsource | undefined {
  if (node === undefined || node === null) {
    fail('the document has no logsource; add "logsource:" with category, product and/or service', docPlace);
    return undefined;
  }
  if (!isMap(node)) {
    fail('"logsource" must be a mapping (category, product, service)', keyPlace(root, 'logsource'));
    return undefined;
  }
  const out: Logsource = {};
  for (const key of ['category', 'product', 'service', 'definition'] as const) {
    const n = getNode(node, key);
    const v = n === undefined ? undefined : isScalar(n) ? n.value : n;
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') { fail(`logsource "${key}" must be a string`, keyPlace(node, key)); continue; }
    out[key] = v;
  }
  return out;
}

function readDetection(
  det: YMap, detPlace: Place, skip: Set<string>, text: string,
  place: (offset: number | undefined) => Place, keyPlace: KeyPlace, fail: Fail,
): { detection: Record<string, Search>; condition: string[] } | undefined {
  const detection: Record<string, Search> = {};
  const before = { failed: false };
  const bad: Fail = (m, at) => { before.failed = true; fail(m, at); };
  const at = (n: YNode | null | undefined, fallback: Place): Place => (n ? place(n.start) : fallback);

  const readValue = (n: YNode | null, where: Place, what: string): SigmaValue | undefined => {
    if (n === null) return null;
    if (!isScalar(n)) { bad(`${what} must be a plain value (string, number, boolean or null), not ${isMap(n) ? 'a mapping' : 'a list'}`, at(n, where)); return undefined; }
    return scalarValue(n);
  };
  const readItem = (pair: YPair, where: Place): DetectionItem | undefined => {
    const keyNode = pair.key;
    const keyPl = at(keyNode, where);
    const key = isScalar(keyNode) ? String(keyNode.value ?? '') : undefined;
    if (key === undefined) { bad('a detection key must be a field name like "Image|endswith"', keyPl); return undefined; }
    const [name, ...mods] = key.split('|');
    const field = name === '' ? null : name!;
    if (field === null && mods.length === 0) { bad('a detection key is empty; write a field name (or "|all" for keywords)', keyPl); return undefined; }
    const modifiers = mods.map((m) => m.trim().toLowerCase());
    const valueNode = pair.value;
    const values: SigmaValue[] = [];
    if (valueNode !== null && valueNode.kind === 'seq') {
      for (const it of valueNode.items) {
        const v = readValue(it, at(valueNode, keyPl), `a value of "${key}"`);
        if (v !== undefined) values.push(v);
      }
    } else {
      const v = readValue(valueNode, keyPl, `the value of "${key}"`);
      if (v === undefined) return undefined;
      values.push(v);
    }
    for (const m of checkItem(field, modifiers, values)) bad(m, keyPl);
    return { field, modifiers, values, place: keyPl };
  };
  const readGroup = (m: YMap, where: Place, what: string): DetectionItem[] | undefined => {
    if (m.items.length === 0) { bad(`${what} is an empty mapping; give it at least one field`, at(m, where)); return undefined; }
    const group: DetectionItem[] = [];
    for (const pair of m.items) {
      const item = readItem(pair, where);
      if (item) group.push(item);
    }
    return group;
  };

  for (const pair of det.items) {
    const keyNode = pair.key;
    const name = isScalar(keyNode) ? String(keyNode.value) : '';
    const where = at(keyNode, place(det.start));
    if (skip.has(name)) {
      if (name === 'timeframe') bad('"timeframe" in a detection is a Sigma 1 aggregation; Sigma 2 expresses it as a correlation rule', where);
      continue;
    }
    if (!/^[\p{L}\p{N}_.-]+$/u.test(name)) {
      const hint = name.includes('|') ? `; modifiers belong on the fields inside a search, like "${name.split('|')[0]}:" with "Field|${name.split('|').slice(1).join('|')}: value" under it` : '';
      bad(`"${name}" is not a usable search identifier (letters, digits, _ - . only)${hint}`, where);
      continue;
    }
    const node = pair.value;
    const what = `search "${name}"`;
    if (node === null || (isScalar(node) && (node.value === null || node.value === ''))) {
      bad(`${what} is empty; give it fields (a mapping) or keywords (a list)`, where);
    } else if (isMap(node)) {
      const g = readGroup(node, where, what);
      if (g) detection[name] = { groups: [g] };
    } else if (node.kind === 'seq') {
      if (node.items.length === 0) { bad(`${what} is an empty list`, where); continue; }
      const groups: DetectionItem[][] = [];
      const keywords: SigmaValue[] = [];
      let kwPlace: Place | undefined;
      for (const it of node.items) {
        const n = it;
        if (n !== null && isMap(n)) {
          const g = readGroup(n, where, `a mapping in ${what}`);
          if (g) groups.push(g);
        } else if (n !== null && n.kind === 'seq') {
          bad(`${what} holds a nested list; use a list of keywords or a list of mappings`, at(n, where));
        } else {
          const v = readValue(n, where, `a keyword of ${what}`);
          if (v === null) bad(`a keyword of ${what} is null; keywords must be strings`, at(n, where));
          else if (v !== undefined) { keywords.push(v); kwPlace ??= at(n, where); }
        }
      }
      if (keywords.length) {
        const kw: DetectionItem = { field: null, modifiers: [], values: keywords, place: kwPlace ?? where };
        for (const m of checkItem(null, [], keywords)) bad(m, kw.place!);
        groups.push([kw]);
      }
      detection[name] = { groups };
    } else if (isScalar(node)) {
      const v = scalarValue(node);
      detection[name] = { groups: [[{ field: null, modifiers: [], values: [v], place: at(node, where) }]] };
    }
  }

  // The condition: one string, or a Sigma 1 list of strings (ORed).
  const condNode = getNode(det, 'condition');
  const condPlace = keyPlace(det, 'condition');
  const condition: string[] = [];
  const condNodes: YScalar[] = [];
  if (condNode === null || condNode === undefined) {
    bad(`the ${skip.has('rules') ? 'filter' : 'detection'} has no condition; add "condition: selection" (or how the searches combine)`, detPlace);
  } else if (isScalar(condNode) && typeof condNode.value === 'string') condNodes.push(condNode);
  else if (condNode.kind === 'seq' && condNode.items.length && condNode.items.every((i) => isScalar(i) && typeof i.value === 'string')) condNodes.push(...(condNode.items as YScalar[]));
  else bad('"condition" must be a string (or a list of strings)', condPlace);
  const identifiers = Object.keys(detection);
  for (const n of condNodes) {
    const textValue = n.value as string;
    condition.push(textValue);
    let parsed;
    try {
      parsed = parseCondition(textValue);
    } catch (e) {
      if (!(e instanceof ConditionError)) throw e;
      bad(`condition: ${e.message}`, columnPlace(n, e.column, text, place));
      continue;
    }
    if (before.failed) continue; // identifiers may be missing only because their search was bad
    for (const r of checkReferences(parsed, identifiers)) bad(`condition: ${r.message}`, columnPlace(n, r.column ?? 1, text, place));
  }
  return before.failed ? undefined : { detection, condition };
}

/** The place of column `col` of a condition, exact for single-line plain and quoted scalars. */
function columnPlace(n: YScalar, col: number, text: string, place: (offset: number | undefined) => Place): Place {
  const start = n.start;
  const end = n.end;
  const src = text.slice(start, end);
  const quoted = n.type === 'QUOTE_SINGLE' || n.type === 'QUOTE_DOUBLE';
  const body = quoted ? src.slice(1, -1) : src;
  // Only when the written text is the value itself (no escapes, no folding) do columns line up.
  if (!src.includes('\n') && body === n.value && (n.type === 'PLAIN' || quoted)) return place(start + (quoted ? 1 : 0) + col - 1);
  return place(start);
}

const CANONICAL_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;

function scalarValue(n: YScalar): SigmaValue {
  const v = n.value;
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    const src = n.source;
    if (n.type === 'PLAIN' && typeof src === 'string' && (!CANONICAL_NUMBER.test(src) || String(v) !== src)) return src;
    return v;
  }
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  return String(v);
}
