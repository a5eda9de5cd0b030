import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRule, compileSearch, globsTest, necessaryLiterals, readPath, SigmaCompileError } from './compile.js';
import { explain, interpret } from './interpret.js';
import { parseGlob } from './modifiers.js';
import { parseSigma } from './parse.js';
import type { SigmaFilter, SigmaRule } from './types.js';

function load(text: string): { rules: SigmaRule[]; filters: SigmaFilter[] } {
  const r = parseSigma(text, 'rules.yml');
  assert.deepEqual(r.errors, []);
  return {
    rules: r.docs.filter((d): d is SigmaRule => d.type === 'rule'),
    filters: r.docs.filter((d): d is SigmaFilter => d.type === 'filter'),
  };
}

function one(text: string): SigmaRule {
  return load(text).rules[0]!;
}

function rule(detection: string, extra = ''): SigmaRule {
  return one(`title: t\nid: r-1\nname: rule_one\n${extra}logsource: {product: windows}\ndetection:\n${detection}`);
}

/** Matches with the compiled rule, after checking the interpreter agrees. */
function matches(r: SigmaRule, e: Record<string, unknown>, filters: SigmaFilter[] = []): boolean {
  const got = compileRule(r, filters).match(e);
  assert.equal(got, interpret(r, e, { filters }), `compiled and interpreted differ on ${JSON.stringify(e)}`);
  return got;
}

const PROC = rule(`    selection_img:
        - Image|endswith: '\\whoami.exe'
        - OriginalFileName: 'whoami.exe'
    selection_cli:
        CommandLine|contains|windash: ' -all'
    filter_main_system:
        User|contains: 'SYSTEM'
    _aux:
        Image: '*'
    condition: all of selection_* and not 1 of filter_main_*
`);

test('a typical rule: all of selection_* and not 1 of filter_*', () => {
  assert.ok(matches(PROC, { Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all', User: 'bob' }));
  assert.ok(matches(PROC, { OriginalFileName: 'WHOAMI.EXE', CommandLine: 'x.exe -all', User: 'bob' }));
  assert.ok(!matches(PROC, { Image: 'C:\\whoami.exe', CommandLine: 'whoami /all', User: 'NT AUTHORITY\\SYSTEM' }));
  assert.ok(!matches(PROC, { Image: 'C:\\whoami.exe', CommandLine: 'whoami /groups' }));
});

test('x of: counts, them excludes _ identifiers', () => {
  const r = rule(`    a: {A: 1}
    b: {B: 1}
    c: {C: 1}
    _d: {D: 1}
    condition: 2 of them
`);
  assert.ok(matches(r, { A: 1, C: 1 }));
  assert.ok(!matches(r, { A: 1, D: 1 }), '_d is not part of them');
  const all = rule('    a: {A: 1}\n    b: {B: 1}\n    _x: {X: 1}\n    condition: all of them\n');
  assert.ok(matches(all, { A: 1, B: 1 }));
  assert.ok(!matches(all, { A: 1 }));
  const pattern = rule('    sel_a: {A: 1}\n    sel_b: {B: 1}\n    other: {O: 1}\n    condition: any of sel_* and not other\n');
  assert.ok(matches(pattern, { B: 1 }));
  assert.ok(!matches(pattern, { B: 1, O: 1 }));
});

test('a list of conditions is ORed', () => {
  const r = rule('    a: {A: 1}\n    b: {B: 1}\n    condition:\n        - a\n        - b\n');
  assert.ok(matches(r, { B: 1 }));
  assert.ok(!matches(r, { C: 1 }));
});

test('filters apply to the rules they name, by id or by name', () => {
  const { rules, filters } = load(`title: By id
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
logsource: {category: process_creation}
detection: {sel: {Image|endswith: '\\rar.exe'}, condition: sel}
---
title: By name
name: rar_by_name
logsource: {category: process_creation}
detection: {sel: {Image|endswith: '\\rar.exe'}, condition: sel}
---
title: Not named
logsource: {category: process_creation}
detection: {sel: {Image|endswith: '\\rar.exe'}, condition: sel}
---
title: Filter Administrator account
logsource: {category: process_creation}
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095
        - rar_by_name
    selection:
        User|startswith: 'adm_'
    condition: selection
`);
  const admin = { Image: 'C:\\rar.exe', User: 'adm_bob' };
  const user = { Image: 'C:\\rar.exe', User: 'bob' };
  assert.deepEqual(rules.map((r) => matches(r, admin, filters)), [false, false, true]);
  assert.deepEqual(rules.map((r) => matches(r, user, filters)), [true, true, true]);
});

test('added conditions are ANDed; negate means AND NOT', () => {
  const r = rule('    sel: {Image|endswith: "\\\\cmd.exe"}\n    condition: sel\n');
  const withEid: SigmaRule = {
    ...r,
    conditions: [
      { search: { groups: [[{ field: 'EventID', modifiers: [], values: [1] }]] }, negate: false, origin: 'pipeline sysmon' },
      { search: { groups: [[{ field: 'Computer', modifiers: ['startswith'], values: ['lab-'] }]] }, negate: true, origin: 'filter lab' },
    ],
  };
  assert.ok(matches(withEid, { EventID: 1, Image: 'C:\\cmd.exe', Computer: 'srv1' }));
  assert.ok(!matches(withEid, { EventID: 4688, Image: 'C:\\cmd.exe' }));
  assert.ok(!matches(withEid, { EventID: 1, Image: 'C:\\cmd.exe', Computer: 'LAB-7' }));
});

test('compileSearch: OR over groups, AND within', () => {
  const s = compileSearch({ groups: [[{ field: 'a', modifiers: [], values: [1] }, { field: 'b', modifiers: [], values: [2] }], [{ field: 'c', modifiers: ['exists'], values: [true] }]] });
  assert.deepEqual([s({ a: 1, b: 2 }), s({ a: 1 }), s({ c: null }), s({})], [true, false, true, false]);
  assert.throws(() => compileSearch({ groups: [[{ field: 'a', modifiers: ['re'], values: ['(?=x)'], place: { file: 'p.yml', line: 3, col: 5 } }]] }), /^SigmaCompileError: p\.yml:3:5: regular expression "\(\?=x\)" cannot be compiled/);
});

test('compile errors list every problem with its place and the rule', () => {
  const r = rule(`    a:
        x|re: '(a)\\1'
    b:
        y|expand: '%Nope%'
    condition: a or b
`);
  assert.throws(() => compileRule(r), (e: unknown) => {
    assert.ok(e instanceof SigmaCompileError);
    assert.deepEqual(e.errors.map((x) => [x.place?.line, x.place?.col, x.rule]), [[7, 9, 'r-1'], [9, 9, 'r-1']]);
    assert.match(e.errors[0]!.message, /cannot be compiled: invalid escape sequence/);
    assert.match(e.errors[1]!.message, /unknown placeholder %Nope%/);
    assert.match(e.message, /^rules\.yml:7:9: regular expression/);
    return true;
  });
});

test('items added after parsing (by pipelines) are checked too', () => {
  assert.throws(() => compileSearch({ groups: [[{ field: 'a', modifiers: ['exists'], values: ['maybe'], place: { file: 'p.yml', line: 2, col: 3 } }]] }), /p\.yml:2:3: "a\|exists": exists needs one value, true or false/);
});

test('large OR lists: Set, alternation and dispatch-table forms stay exact', () => {
  const eq = globsTest(['a.exe', 'B.exe', 'c.exe', ''].map(parseGlob));
  assert.deepEqual(['a.exe', 'B.exe', 'b.exe', '', 'c.ex'].map(eq), [true, true, false, true, false]);
  const contains = globsTest(['*a.b*', '*(x)*', '*[y]*', '*z|w*', '*q\\\\*'].map(parseGlob));
  assert.deepEqual(['xxa.bxx', 'axb', '(x)', 'x', '[y]', 'z|w', 'zw', 'q\\', 'q'].map(contains), [true, false, true, false, true, true, false, true, false]);
  const sfx = ['\\cmd.exe', '\\powershell.exe', '\\pwsh.exe', '\\wscript.exe', '\\cscript.exe', '\\mshta.exe', '.e'];
  const ends = globsTest(sfx.map((s) => parseGlob(`*${s.replace(/\\/g, '\\\\')}`)));
  assert.deepEqual(['c:\\x\\cmd.exe', 'c:\\x\\mshta.exe', 'mshta.exe', 'x.e', 'e', '', 'c:\\x\\cmd.exe2'].map(ends), [true, true, false, true, false, false, false]);
  const pfx = ['c:\\temp\\', 'c:\\users\\public\\', 'c:\\perflogs\\', 'c:\\windows\\temp\\', 'd:\\', '\\\\', 'c'];
  const starts = globsTest(pfx.map((s) => parseGlob(`${s.replace(/\\/g, '\\\\')}*`)));
  assert.deepEqual(['c:\\temp\\x', 'd:\\y', '\\\\srv\\share', 'e:\\', 'c', ''].map(starts), [true, true, true, false, true, false]);
  const wild = globsTest([parseGlob('*-instanceid 462?*'), parseGlob('a*b?c')]);
  assert.deepEqual(['get -InstanceId 4624 x'.toLowerCase(), '-instanceid 462', 'axxbyc', 'abc', 'abyc'].map(wild), [true, false, true, false, true]);
});

test('long contains lists (an automaton) match exactly what includes finds, long and overlapping literals too', () => {
  const lits = Array.from({ length: 40 }, (_, i) => `x${'ab'.repeat(i % 13)}${i}`);
  lits.push('aaaaaaaaaaaaaaaaaaaaaaaab', 'aaaaaaaaaaaaaaaaaaaaaaaac', 'Cased*Star'.replace('*', '\\*'));
  const t = globsTest(lits.map((l) => parseGlob(`*${l}*`)));
  const plain = lits.map((l) => l.replace('\\*', '*'));
  const want = (s: string) => plain.some((l) => s.includes(l));
  const samples = ['', 'x0', 'yyx0', 'x1', 'xab1', 'xabababababababababababab12', 'xababababababababababababab12', 'xabababababababababababab1',
    'a'.repeat(30) + 'b', 'a'.repeat(24) + 'c', 'a'.repeat(23) + 'b', 'Cased*Star', 'cased*star', 'CasedxStar', 'q'.repeat(100) + 'xabab14' + 'q'];
  for (const s of samples) assert.equal(t(s), want(s), JSON.stringify(s));
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'b', 'x', '1', '2', 'c'), maxLength: 60 }), (s) => t(s) === want(s)), { numRuns: 2000 });
});

test('lower-cased values are cached per path, never confused across events', () => {
  const r = rule('    sel: {Image|endswith: "\\\\CMD.exe"}\n    condition: sel\n');
  const c = compileRule(r);
  const seq = ['C:\\cmd.exe', 'C:\\abc.exe', 'C:\\cmd.exe', 'C:\\CMD.EXE', 'D:\\cmd.exf'];
  assert.deepEqual(seq.map((Image) => c.match({ Image })), [true, false, true, true, false]);
});

test('explain lists the items that matched, with path and value', () => {
  const e = { Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all', User: 'bob' };
  assert.deepEqual(explain(PROC, e), [
    { search: 'selection_img', field: 'Image', path: 'Image', value: 'C:\\Windows\\System32\\whoami.exe' },
    { search: 'selection_cli', field: 'CommandLine', path: 'CommandLine', value: 'whoami /all' },
    { search: '_aux', field: 'Image', path: 'Image', value: 'C:\\Windows\\System32\\whoami.exe' },
  ]);
  const kw = rule("    keywords:\n        - 'event::clear'\n    condition: keywords\n");
  assert.deepEqual(explain(kw, { a: { b: 'mimikatz EVENT::clear' } }), [{ search: 'keywords', field: null, value: 'mimikatz EVENT::clear' }]);
});

test('readPath: flat key first, then nested', () => {
  assert.equal(readPath({ 'a.b': 1, a: { b: 2 } }, 'a.b'), 1);
  assert.equal(readPath({ a: { b: 2 } }, 'a.b'), 2);
  assert.equal(readPath({ a: 'x' }, 'a.b'), undefined);
  assert.equal(readPath({}, 'hasOwnProperty'), undefined);
});

test('necessaryLiterals: AND picks the most selective, OR unites, NOT and keywords give nothing', () => {
  assert.deepEqual(necessaryLiterals(PROC), [
    { path: 'Image', literals: ['\\whoami.exe'] },
    { path: 'OriginalFileName', literals: ['whoami.exe'] },
  ], 'all of selection_*: the image selection (longest literals) wins over " -all" (5 dashes)');
  const or = rule('    a: {CommandLine|contains: [" -enc ", "FromBase64"]}\n    b: {Image|endswith: "\\\\mshta.exe"}\n    condition: a or b\n');
  assert.deepEqual(necessaryLiterals(or), [
    { path: 'CommandLine', literals: [' -enc ', 'frombase64'] },
    { path: 'Image', literals: ['\\mshta.exe'] },
  ]);
  assert.equal(necessaryLiterals(rule('    a: {A: x}\n    condition: not a\n')), null);
  assert.equal(necessaryLiterals(rule("    k: ['evil']\n    condition: k\n")), null);
  assert.equal(necessaryLiterals(rule('    a: {A: x}\n    b: {B|re: ".*"}\n    condition: a or b\n')), null, 'one OR branch without literals: nothing is required');
  assert.deepEqual(necessaryLiterals(rule('    a: {CommandLine|contains|all: [ab, abcdef]}\n    condition: a\n')), [{ path: 'CommandLine', literals: ['abcdef'] }]);
  assert.deepEqual(necessaryLiterals(rule('    a: {CommandLine|re: "ipconfig\\\\s+/all"}\n    condition: a\n')), [{ path: 'CommandLine', literals: ['ipconfig'] }]);
  assert.deepEqual(necessaryLiterals(rule('    a: {F: "a*bcd?e"}\n    condition: a\n')), [{ path: 'F', literals: ['bcd'] }]);
  assert.deepEqual(necessaryLiterals(rule('    a: {EventID: 4688}\n    condition: a\n')), [{ path: 'EventID', literals: ['4688'] }]);
  assert.equal(necessaryLiterals(rule('    a: {F|neq: x}\n    condition: a\n')), null);
  assert.equal(necessaryLiterals(rule('    a: {F: "*"}\n    condition: a\n')), null);
});
