// Property tests: the compiled matcher and the plain interpreter agree on random rules and
// events, and necessaryLiterals never rules out an event a rule matches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import RE2 from 're2';
import { compileRule, globsTest, necessaryLiterals, readPath } from './compile.js';
import { interpret } from './interpret.js';
import { ANY, checkItem, globText, ONE, parseGlob, regexLiterals, type Glob } from './modifiers.js';
import type { Condition, DetectionItem, Search, SigmaFilter, SigmaRule, SigmaValue } from './types.js';

// Few characters, so that random values and random events often match: wildcards, escapes,
// dashes for windash, a non-ASCII letter and mixed case.
const CHARS = ['a', 'B', 'b', '-', '/', '\\', '*', '?', ' ', 'é', '\u2013'];
const PLAIN = ['a', 'B', 'b', '-', '/', ' ', 'é'];
const FIELDS = ['a', 'b', 'c.d'];
const IPS = ['10.1.2.3', '192.168.1.5', '2001:db8::1', '::ffff:10.0.0.1', '8.8.8.8', 'x'];
const TIMES = ['2024-01-01T05:10:00', '2024-06-30 23:59:59', 1_700_000_000, '2024-02-29'];

const sigmaString = fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 5 });
const plainString = fc.string({ unit: fc.constantFrom(...PLAIN), minLength: 1, maxLength: 4 });
const smallInt = fc.integer({ min: -1, max: 4 });

/** Regular expressions from a small grammar that RE2 accepts, each with a text it matches. */
interface Rx { source: string; sample: string }
const ATOMS: Rx[] = [
  { source: 'a', sample: 'a' }, { source: 'b', sample: 'b' }, { source: 'B', sample: 'B' }, { source: '-', sample: '-' },
  { source: ' ', sample: ' ' }, { source: 'é', sample: 'é' }, { source: '\\.', sample: '.' }, { source: '\\\\', sample: '\\' },
  { source: '\\d', sample: '1' }, { source: '\\s', sample: ' ' }, { source: '.', sample: 'x' }, { source: '[aB]', sample: 'B' },
  { source: '[^a]', sample: 'b' }, { source: '\\x41', sample: 'A' }, { source: '\\/', sample: '/' },
];
const QUANTIFIERS: Array<[string, number[]]> = [['', [1]], ['', [1]], ['', [1]], ['?', [0, 1]], ['*', [0, 1, 2]], ['+', [1, 2, 3]], ['{2}', [2]], ['{0,1}', [0, 1]], ['{1,2}', [1, 2]]];
const rx: fc.Arbitrary<Rx> = fc.letrec<{ re: Rx; atom: Rx }>((tie) => ({
  atom: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...ATOMS) },
    { weight: 1, arbitrary: tie('re').map((r) => ({ source: `(${r.source})`, sample: r.sample })) },
    { weight: 1, arbitrary: tie('re').map((r) => ({ source: `(?:${r.source})`, sample: r.sample })) },
  ),
  re: fc.tuple(
    fc.array(
      fc.array(fc.tuple(tie('atom'), fc.constantFrom(...QUANTIFIERS), fc.nat()), { minLength: 1, maxLength: 3 })
        .map((xs) => ({ source: xs.map(([a, [q]]) => a.source + q).join(''), sample: xs.map(([a, [, counts], n]) => a.sample.repeat(counts[n % counts.length]!)).join('') })),
      { minLength: 1, maxLength: 2 },
    ),
    fc.nat(),
    fc.constantFrom('', '^', '$'),
  ).map(([branches, pick, anchor]) => ({
    source: (anchor === '^' ? '^' : '') + branches.map((b) => b.source).join('|') + (anchor === '$' ? '$' : ''),
    sample: branches[pick % branches.length]!.sample,
  })),
})).re;
const regex = rx.map((r) => r.source);

interface Combo { mods: string[]; values: fc.Arbitrary<SigmaValue[]> }
const list = <T extends SigmaValue>(a: fc.Arbitrary<T>, min = 1) => fc.array(a, { minLength: min, maxLength: 3 }) as fc.Arbitrary<SigmaValue[]>;
const COMBOS: Combo[] = [
  { mods: [], values: list(sigmaString) },
  { mods: [], values: list(fc.oneof(smallInt, fc.boolean())) },
  { mods: [], values: fc.constant([null]) },
  { mods: ['contains'], values: list(sigmaString) },
  { mods: ['startswith'], values: list(sigmaString) },
  { mods: ['endswith'], values: list(sigmaString) },
  { mods: ['contains', 'all'], values: list(sigmaString, 2) },
  { mods: ['cased'], values: list(sigmaString) },
  { mods: ['cased', 'contains'], values: list(sigmaString) },
  { mods: ['windash', 'contains'], values: list(sigmaString) },
  { mods: ['contains', 'windash', 'all'], values: list(sigmaString, 2) },
  { mods: ['base64'], values: list(plainString) },
  { mods: ['base64offset', 'contains'], values: list(plainString) },
  { mods: ['utf16le', 'base64offset', 'contains'], values: list(plainString) },
  { mods: ['wide', 'contains'], values: list(plainString) },
  { mods: ['neq'], values: list(fc.oneof(sigmaString, smallInt)) },
  { mods: ['neq', 'contains', 'all'], values: list(sigmaString) },
  { mods: ['re'], values: list(regex) },
  { mods: ['re', 'i'], values: list(regex) },
  { mods: ['re', 's', 'm'], values: list(regex) },
  { mods: ['cidr'], values: list(fc.constantFrom('10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32', '8.8.8.8')) },
  { mods: ['exists'], values: fc.boolean().map((b) => [b]) },
  { mods: ['lt'], values: list(smallInt) },
  { mods: ['gte'], values: list(fc.oneof(smallInt, fc.constant('2.5'))) },
  { mods: ['hour'], values: list(fc.integer({ min: 0, max: 23 })) },
  { mods: ['hour', 'gt'], values: list(fc.constantFrom(4, 12, 23)) },
  { mods: ['fieldref'], values: list(fc.constantFrom(...FIELDS)) },
  { mods: ['fieldref', 'contains'], values: list(fc.constantFrom(...FIELDS)) },
  { mods: ['fieldref', 'neq'], values: list(fc.constantFrom(...FIELDS)) },
  { mods: ['expand'], values: list(fc.constantFrom('%P%', 'a%P%', '\\%P%', '%Q%b', '*%Q%')) },
  { mods: ['expand', 'contains', 'windash'], values: list(fc.constantFrom('%Q%a', '%P%')) },
];
const OPTIONS = { placeholders: { P: ['a*', 'B'], Q: ['-', 'b?'] } };
const KEYWORD_COMBOS: Combo[] = [
  { mods: [], values: list(sigmaString) },
  { mods: ['all'], values: list(sigmaString, 2) },
  { mods: ['cased'], values: list(sigmaString) },
  { mods: ['re'], values: list(regex) },
];

const fieldItem: fc.Arbitrary<[string | null, Combo, string[] | null]> = fc.tuple(
  fc.constantFrom<string | null>(...FIELDS), fc.constantFrom(...COMBOS), fc.option(fc.shuffledSubarray(FIELDS, { minLength: 1 }), { freq: 4 }),
);
const keywordItem: fc.Arbitrary<[string | null, Combo, string[] | null]> = fc.tuple(fc.constant(null), fc.constantFrom(...KEYWORD_COMBOS), fc.constant(null));
const detectionItem: fc.Arbitrary<DetectionItem> = fc.oneof({ weight: 6, arbitrary: fieldItem }, { weight: 1, arbitrary: keywordItem })
  .chain(([field, combo, paths]) => combo.values.map((values): DetectionItem => (paths ? { field, modifiers: combo.mods, values, paths } : { field, modifiers: combo.mods, values })))
  .filter((i) => checkItem(i.field, i.modifiers, i.values).length === 0);

const search: fc.Arbitrary<Search> = fc.array(fc.array(detectionItem, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }).map((groups) => ({ groups }));

const NAMES = ['sel_1', 'sel_2', 'filter_1', '_x'];
const condition = (names: string[]): fc.Arbitrary<Condition> => fc.letrec<{ c: Condition }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...names).map((name): Condition => ({ op: 'ref', name })),
    fc.tuple(fc.constantFrom<'all' | number>('all', 1, 2), fc.constantFrom('them', 'sel_*', '*_1', ...names)).map(([quantifier, pattern]): Condition => ({ op: 'of', quantifier, pattern })),
    tie('c').map((arg): Condition => ({ op: 'not', arg })),
    fc.tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), fc.array(tie('c'), { minLength: 2, maxLength: 3 })).map(([op, args]): Condition => ({ op, args })),
  ),
})).c;

function conditionText(c: Condition): string {
  switch (c.op) {
    case 'and': case 'or': return `(${c.args.map(conditionText).join(` ${c.op} `)})`;
    case 'not': return `not ${conditionText(c.arg)}`;
    case 'ref': return c.name;
    case 'of': return `${c.quantifier} of ${c.pattern}`;
  }
}

/** `x of pattern` must match at least one identifier (the parser rejects it otherwise). */
function valid(c: Condition, names: string[]): boolean {
  switch (c.op) {
    case 'and': case 'or': return c.args.every((a) => valid(a, names));
    case 'not': return valid(c.arg, names);
    case 'ref': return names.includes(c.name);
    case 'of': {
      const re = new RegExp(`^${c.pattern.replace(/\*/g, '.*')}$`);
      const n = c.pattern === 'them' ? names.filter((x) => !x.startsWith('_')).length : names.filter((x) => re.test(x)).length;
      return n > 0 && (c.quantifier === 'all' || c.quantifier <= n);
    }
  }
}

const PLACE = { file: 'p.yml', line: 1, col: 1 };
const ruleArb: fc.Arbitrary<{ rule: SigmaRule; filters: SigmaFilter[] }> = fc.record({
  count: fc.integer({ min: 1, max: NAMES.length }),
  searches: fc.array(search, { minLength: NAMES.length, maxLength: NAMES.length }),
  conds: fc.array(fc.boolean(), { maxLength: 2 }),
  added: fc.array(fc.tuple(search, fc.boolean()), { maxLength: 1 }),
  filter: fc.option(fc.tuple(search, fc.boolean())),
}).chain(({ count, searches, added, filter }) => {
  const names = NAMES.slice(0, count);
  const detection = Object.fromEntries(names.map((n, i) => [n, searches[i]!]));
  return fc.array(condition(names).filter((c) => valid(c, names)), { minLength: 1, maxLength: 2 }).map((conds) => {
    const rule: SigmaRule = {
      type: 'rule', file: 'p.yml', place: PLACE, id: 'rule-1', title: 'random', references: [], tags: [], falsepositives: [], raw: {},
      logsource: {}, detection, condition: conds.map(conditionText), fields: [],
      conditions: added.map(([s, negate]) => ({ search: s, negate, origin: 'test' })),
    };
    const filters: SigmaFilter[] = filter ? [{
      type: 'filter', file: 'f.yml', place: PLACE, title: 'f', references: [], tags: [], falsepositives: [], raw: {}, logsource: {},
      rules: [filter[1] ? 'rule-1' : 'other-rule'], detection: { selection: filter[0] }, condition: ['selection'],
    }] : [];
    return { rule, filters };
  });
});

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom(...CHARS, 'A', 'É', '.', '1', '\n'), maxLength: 6 }) },
  { weight: 2, arbitrary: smallInt },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(...IPS, ...TIMES, '2.5', 'YQ==', 'YWJj', 'Yg') },
);
const value: fc.Arbitrary<unknown> = fc.oneof({ weight: 5, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) });
const eventArb: fc.Arbitrary<Record<string, unknown>> = fc.record(
  { a: value, b: value, c: fc.oneof(value, fc.record({ d: value }, { requiredKeys: [] })), 'c.d': value, x: fc.record({ y: value }) },
  { requiredKeys: [] },
);

/** Strings made from the rule's own values (wildcards filled, case changed), so events often match. */
function ruleStrings(rule: SigmaRule, filters: SigmaFilter[]): string[] {
  const out: string[] = [];
  const searches = [...Object.values(rule.detection), ...rule.conditions.map((c) => c.search), ...filters.map((f) => f.detection.selection!)];
  for (const s of searches) for (const g of s.groups) for (const i of g) for (const v of i.values) if (typeof v === 'string') out.push(v);
  return out;
}

function eventFor(rule: SigmaRule, filters: SigmaFilter[]): fc.Arbitrary<Record<string, unknown>> {
  const base = ruleStrings(rule, filters);
  if (base.length === 0) return eventArb;
  const derived = fc.tuple(fc.constantFrom(...base), fc.array(fc.constantFrom('', 'a', 'bB', '-a-', 'é/', '*', '\\'), { minLength: 8, maxLength: 8 }), fc.constantFrom('keep', 'upper', 'lower'), fc.constantFrom('', ' ', 'x'))
    .map(([v, fills, kase, pad]) => {
      let k = 0;
      let t = v.replace(/\\([*?\\])|[*?]/g, (whole, esc: string | undefined) => (esc !== undefined ? esc : whole === '*' ? fills[k++ % fills.length]! : 'é'));
      if (kase === 'upper') t = t.toUpperCase(); else if (kase === 'lower') t = t.toLowerCase();
      return pad + t + pad;
    });
  const v: fc.Arbitrary<unknown> = fc.oneof({ weight: 3, arbitrary: derived }, { weight: 2, arbitrary: value }, { weight: 1, arbitrary: fc.array(fc.oneof(derived, scalar), { maxLength: 3 }) });
  return fc.record({ a: v, b: v, c: fc.oneof(v, fc.record({ d: v }, { requiredKeys: [] })), 'c.d': v, x: fc.record({ y: v }) }, { requiredKeys: [] });
}

function literalsAllow(lits: ReturnType<typeof necessaryLiterals>, e: Record<string, unknown>): boolean {
  if (lits === null) return true;
  return lits.some(({ path, literals }) => {
    const v = readPath(e, path);
    return (Array.isArray(v) ? v : [v]).some((x) => {
      const text = typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? String(x).toLowerCase() : null;
      return text !== null && literals.some((l) => text.includes(l));
    });
  });
}

test('compileRule(...).match agrees with interpret on random rules and events; necessaryLiterals is sound', () => {
  let matched = 0;
  const cases = ruleArb.chain((r) => fc.tuple(fc.constant(r), fc.array(eventFor(r.rule, r.filters), { minLength: 1, maxLength: 8 })));
  fc.assert(fc.property(cases, ([{ rule, filters }, events]) => {
    const compiled = compileRule(rule, filters, OPTIONS);
    const lits = necessaryLiterals(rule, OPTIONS);
    for (const e of events) {
      const want = interpret(rule, e, { ...OPTIONS, filters });
      assert.equal(compiled.match(e), want, `rule ${JSON.stringify(rule.detection)} condition ${rule.condition.join(' | ')} on ${JSON.stringify(e)}`);
      if (want) {
        matched++;
        assert.ok(literalsAllow(lits, e), `necessaryLiterals ${JSON.stringify(lits)} exclude a matching event ${JSON.stringify(e)}`);
      }
    }
  }), { numRuns: 500 });
  assert.ok(matched > 300, `too few random events matched (${matched}) for the property to mean much`);
});

test('regexLiterals: every RE2 match contains one of the literals', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'b', 'B', '-', ' ', 'é', '.', '\\', '1', 'A', '/'), maxLength: 8 });
  let checked = 0;
  fc.assert(fc.property(rx, fc.array(text, { maxLength: 6 }), ({ source, sample }, inputs) => {
    const lits = regexLiterals(source);
    const re = new RE2(source, 'u');
    // The sample may not match when an anchor sits inside one branch only; only matches count.
    for (const s of [sample, 'x' + sample + 'y', ...inputs]) {
      if (!re.test(s)) continue;
      if (lits === null) return;
      checked++;
      assert.ok(lits.some((l) => s.includes(l)), `${JSON.stringify(source)} matched ${JSON.stringify(s)} without any of ${JSON.stringify(lits)}`);
    }
  }), { numRuns: 2000 });
  assert.ok(checked > 500, `too few regex matches (${checked})`);
});

/** The reference meaning of a glob: a JavaScript RegExp over UTF-16 units. */
function globRegExp(g: Glob): RegExp {
  return new RegExp(`^${g.map((t) => (t === ANY ? '[\\s\\S]*' : t === ONE ? '[\\s\\S]' : t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))).join('')}$`);
}

test('globsTest: the Set, alternation, dispatch-table and automaton forms equal the plain meaning', () => {
  const pattern = fc.string({ unit: fc.constantFrom('a', 'b', 'ab', '*', '?', '\\*'), maxLength: 5 }).map(parseGlob);
  const affix = fc.string({ unit: fc.constantFrom('a', 'b', '.'), minLength: 1, maxLength: 4 });
  const globs = fc.oneof(
    fc.array(pattern, { minLength: 1, maxLength: 3 }),
    fc.array(affix.map((x) => [x] as Glob), { minLength: 3, maxLength: 8 }),
    fc.array(affix.map((x) => [ANY, x, ANY] as Glob), { minLength: 4, maxLength: 8 }),
    fc.array(affix.map((x) => [ANY, x] as Glob), { minLength: 6, maxLength: 10 }),
    fc.array(affix.map((x) => [x, ANY] as Glob), { minLength: 6, maxLength: 10 }),
    fc.array(fc.oneof(pattern, affix.map((x) => [ANY, x] as Glob)), { minLength: 6, maxLength: 10 }),
  );
  const text = fc.string({ unit: fc.constantFrom('a', 'b', '.', '*'), maxLength: 9 });
  let hits = 0;
  fc.assert(fc.property(globs, fc.array(text, { minLength: 1, maxLength: 12 }), (gs, inputs) => {
    const fast = globsTest(gs);
    const slow = gs.map(globRegExp);
    for (const s of inputs) {
      const want = slow.some((r) => r.test(s));
      if (want) hits++;
      assert.equal(fast(s), want, `${JSON.stringify(gs.map(globText))} on ${JSON.stringify(s)}`);
    }
  }), { numRuns: 2000 });
  assert.ok(hits > 2000, `too few glob matches (${hits})`);
});
