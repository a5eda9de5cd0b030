import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSigma } from './parse.js';
import type { SigmaCorrelation, SigmaFilter, SigmaRule } from './types.js';

const WHOAMI = `title: Whoami Execution
id: 929a690e-bef0-4204-a928-ef5e620d6fcc
name: whoami_execution
status: test
description: Detects a whoami.exe execution
references:
    - https://example.com/whoami
author: Florian Roth
date: 2019-10-23
tags:
    - attack.discovery
    - attack.t1033
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image: 'C:\\Windows\\System32\\whoami.exe'
    condition: selection
falsepositives:
    - Admin activity
fields:
    - CommandLine
level: high
custom_field: kept
`;

function oneRule(text: string): SigmaRule {
  const r = parseSigma(text, 'rule.yml');
  assert.deepEqual(r.errors, []);
  assert.equal(r.docs.length, 1);
  const d = r.docs[0]!;
  assert.equal(d.type, 'rule');
  return d as SigmaRule;
}

/** `file:line:col: message` of every error, for readable assertions. */
function errorsOf(text: string): string[] {
  return parseSigma(text, 'r.yml').errors.map((e) => `${e.place ? `${e.place.line}:${e.place.col}` : '-'}: ${e.message}`);
}

function rule(detection: string): string {
  return `title: t\nlogsource: {product: windows}\ndetection:\n${detection}`;
}

test('metadata of the specification example rule', () => {
  const r = oneRule(WHOAMI);
  assert.equal(r.title, 'Whoami Execution');
  assert.equal(r.id, '929a690e-bef0-4204-a928-ef5e620d6fcc');
  assert.equal(r.name, 'whoami_execution');
  assert.equal(r.status, 'test');
  assert.equal(r.level, 'high');
  assert.equal(r.date, '2019-10-23', 'dates stay strings');
  assert.deepEqual(r.logsource, { category: 'process_creation', product: 'windows' });
  assert.deepEqual(r.tags, ['attack.discovery', 'attack.t1033']);
  assert.deepEqual(r.references, ['https://example.com/whoami']);
  assert.deepEqual(r.falsepositives, ['Admin activity']);
  assert.deepEqual(r.fields, ['CommandLine']);
  assert.deepEqual(r.condition, ['selection']);
  assert.deepEqual(r.conditions, []);
  assert.equal(r.raw.custom_field, 'kept');
  assert.deepEqual(r.place, { file: 'rule.yml', line: 1, col: 1 });
  assert.deepEqual(r.detection.selection, {
    groups: [[{ field: 'Image', modifiers: [], values: ['C:\\Windows\\System32\\whoami.exe'], place: { file: 'rule.yml', line: 18, col: 9 } }]],
  });
});

test('maps are one group, lists of maps several, plain lists one keyword item', () => {
  const r = oneRule(rule(`    sel_map:
        EventLog: Security
        EventID:
            - 517
            - 1102
    sel_list:
        - Image|endswith: '\\example.exe'
        - Description|contains: 'Test executable'
    keywords:
        - 'EVILSERVICE'
        - 'svchost.exe -n evil'
    keywords_all:
        '|all':
            - 'OabVirtualDirectory'
            - ' -ExternalUrl '
    condition: 1 of them
`));
  const strip = (groups: SigmaRule['detection'][string]['groups']) => groups.map((g) => g.map(({ place: _p, ...i }) => i));
  assert.deepEqual(strip(r.detection.sel_map!.groups), [[
    { field: 'EventLog', modifiers: [], values: ['Security'] },
    { field: 'EventID', modifiers: [], values: [517, 1102] },
  ]]);
  assert.deepEqual(strip(r.detection.sel_list!.groups), [
    [{ field: 'Image', modifiers: ['endswith'], values: ['\\example.exe'] }],
    [{ field: 'Description', modifiers: ['contains'], values: ['Test executable'] }],
  ]);
  assert.deepEqual(strip(r.detection.keywords!.groups), [[{ field: null, modifiers: [], values: ['EVILSERVICE', 'svchost.exe -n evil'] }]]);
  assert.deepEqual(strip(r.detection.keywords_all!.groups), [[{ field: null, modifiers: ['all'], values: ['OabVirtualDirectory', ' -ExternalUrl '] }]]);
});

test('scalars: null, numbers, booleans, empty string; non-canonical numbers keep their text', () => {
  const r = oneRule(rule(`    sel:
        PasswordLastSet: null
        Empty: ''
        Tilde: ~
        Count: 42
        Ratio: 1.5
        Flag: true
        TicketEncryptionType: 0x17
        Padded: 04688
        Version: 1.10
        Word: yes
        Mods|CONTAINS|All: [a, b]
    condition: sel
`));
  const values = Object.fromEntries(r.detection.sel!.groups[0]!.map((i) => [i.field, i.values]));
  assert.deepEqual(values, {
    PasswordLastSet: [null], Empty: [''], Tilde: [null], Count: [42], Ratio: [1.5], Flag: [true],
    TicketEncryptionType: ['0x17'], Padded: ['04688'], Version: ['1.10'], Word: ['yes'], Mods: ['a', 'b'],
  });
  assert.deepEqual(r.detection.sel!.groups[0]!.at(-1)!.modifiers, ['contains', 'all'], 'modifiers are lower-cased');
});

test('several documents: a correlation with its base rules, and a filter', () => {
  const text = `title: Many failed logins
name: many_failed
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [User]
    timespan: 5m
    condition: {gte: 10}
---
title: Failed login
name: failed_login
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    condition: selection
---
title: Admin accounts
logsource: {product: windows, service: security}
filter:
    rules:
        - failed_login
    selection:
        User|startswith: 'adm_'
    condition: selection
`;
  const r = parseSigma(text, 'multi.yml');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.docs.map((d) => d.type), ['correlation', 'rule', 'filter']);
  const corr = r.docs[0] as SigmaCorrelation;
  assert.equal(corr.correlation.type, 'event_count');
  assert.deepEqual(corr.correlation['group-by'], ['User']);
  assert.deepEqual(r.docs[1]!.place, { file: 'multi.yml', line: 10, col: 1 });
  const f = r.docs[2] as SigmaFilter;
  assert.deepEqual(f.rules, ['failed_login']);
  assert.deepEqual(f.condition, ['selection']);
  assert.deepEqual(Object.keys(f.detection), ['selection']);
  assert.deepEqual(f.detection.selection!.groups[0]![0]!.modifiers, ['startswith']);
});

test('one bad document does not stop the others', () => {
  const text = `title: good one
logsource: {product: linux}
detection: {sel: {a: 1}, condition: sel}
---
title: bad one
logsource: {product: linux}
detection: {sel: {a|nope: 1}, condition: sel}
---
title: good two
logsource: {product: linux}
detection: {sel: {b: 2}, condition: sel}
`;
  const r = parseSigma(text, 'r.yml');
  assert.deepEqual(r.docs.map((d) => d.title), ['good one', 'good two']);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.rule, 'bad one');
  assert.deepEqual(r.errors[0]!.place, { file: 'r.yml', line: 7, col: 19 });
});

test('missing parts are errors at the document or the key', () => {
  assert.deepEqual(errorsOf('logsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n'), ['1:1: the document has no title; add "title: <what it detects>"']);
  assert.deepEqual(errorsOf('title: t\ndetection: {s: {a: 1}, condition: s}\n'), ['1:1: the document has no logsource; add "logsource:" with category, product and/or service']);
  assert.deepEqual(errorsOf('title: t\nlogsource: {product: x}\n'), ['1:1: the document has no detection (nor filter or correlation); add "detection:" with searches and a condition']);
  assert.deepEqual(errorsOf(rule('    s: {a: 1}\n')), ['3:1: the detection has no condition; add "condition: selection" (or how the searches combine)']);
  assert.deepEqual(errorsOf('title: t\nlogsource: x\ndetection: {s: {a: 1}, condition: s}\n'), ['2:1: "logsource" must be a mapping (category, product, service)']);
  assert.deepEqual(errorsOf('- just\n- a list\n'), ['1:1: a Sigma document must be a YAML mapping with title, logsource and detection (or filter, or correlation)']);
  assert.deepEqual(errorsOf('title: f\nlogsource: {product: x}\nfilter:\n    selection: {a: 1}\n    condition: selection\n'), ['3:1: the filter has no "rules": list the ids or names of the rules it applies to']);
});

test('YAML syntax errors carry their place', () => {
  const errs = errorsOf('title: t\nlogsource: {product: x\ndetection: {}\n');
  assert.ok(errs.length >= 1);
  assert.match(errs[0]!, /^\d+:\d+: YAML: /);
  assert.deepEqual(errorsOf('title: a\ntitle: b\nlogsource: {}\ndetection: {s: {a: 1}, condition: s}\n').map((e) => e.replace(/YAML: .*/, 'YAML')), ['2:1: YAML']);
});

test('modifier errors: unknown (with a suggestion), bad combinations, wrong values', () => {
  const cases: Array<[string, string]> = [
    ['a|contians: x', '"a|contians"; did you mean "contains"?'],
    ['a|frobnicate: x', 'unknown modifier "frobnicate" in "a|frobnicate"; Sigma 2.1 modifiers are all, contains'],
    ['a|re|contains: x', '"a|re|contains": re cannot be combined with contains (a regular expression already matches anywhere in the value; anchor it with ^ or $ instead)'],
    ['a|re|cased: x', 're cannot be combined with cased (regular expressions are case-sensitive; add |i for case-insensitive)'],
    ['a|i: x', '"a|i": i is a flag of re; write "a|re|i"'],
    ['a|contains|startswith: x', 'use only one of contains, startswith and endswith'],
    ['a|contains|contains: x', 'modifier "contains" appears twice in "a|contains|contains"'],
    ['a|contains|base64offset: x', 'contains before base64offset would encode its wildcards; write "base64offset|contains"'],
    ['a|base64|utf16le: x', 'utf16le must come before base64'],
    ['a|base64: "x*"', 'base64 cannot encode the wildcards in "x*"'],
    ['a|cidr: 10.0.0.300/8', '"10.0.0.300/8" is not an IPv4 or IPv6 network'],
    ['a|cidr|contains: 10.0.0.0/8', 'cidr cannot be combined with contains'],
    ['a|gt: many', '"many" is not a number'],
    ['a|lt|gt: 1', 'use only one of lt, lte, gt and gte'],
    ['a|gt|contains: 1', 'gt compare numbers and cannot be combined with contains'],
    ['a|exists: yes', 'exists needs one value, true or false'],
    ['a|exists|contains: true', 'exists takes no other modifier'],
    ['a|fieldref: "b*"', 'fieldref needs field names without wildcards'],
    ['a|fieldref|re: b', 're cannot be combined with fieldref'],
    ['a: []', '"a" has an empty list of values'],
    ['a: [x, null]', 'null cannot be part of a list of values; put "a: null" in its own selection'],
    ['a|contains: null', 'null takes no modifiers'],
    ['"|gt": 5', 'gt need a field; keyword searches (no field name) cannot use it'],
    ['a: {b: c}', '5:12: the value of "a" must be a plain value (string, number, boolean or null), not a mapping'],
  ];
  for (const [item, want] of cases) {
    const errs = errorsOf(rule(`    sel:\n        ${item}\n    condition: sel\n`));
    assert.ok(errs.length >= 1, `no error for ${item}`);
    assert.ok(errs[0]!.startsWith('5:9: ') || want.startsWith('5:12'), `place of ${item}: ${errs[0]}`);
    assert.ok(errs[0]!.includes(want), `${item}: expected "${want}" in ${errs[0]}`);
  }
});

test('valid combinations pass', () => {
  for (const item of [
    'a|contains|all|windash: [" -x", " /y"]', 'a|utf16le|base64offset|contains: cmd', 'a|wide|base64: cmd',
    'a|re|i|m|s: "^x.y$"', 'a|cidr: [10.0.0.0/8, "2001:db8::/32"]', 'a|exists: false', 'a|gte: 5', 'a|hour|gte: 8',
    'a|neq: x', 'a|fieldref|contains: b', 'a|fieldref|neq: b', 'a|expand: "%Admins%"', 'a|cased|startswith: X',
    'a|base64offset|contains: "x\\\\*"', 'a|minute: 30',
  ]) {
    assert.deepEqual(errorsOf(rule(`    sel:\n        ${item}\n    condition: sel\n`)), [], item);
  }
});

test('condition errors point into the condition; missing searches are named', () => {
  assert.deepEqual(errorsOf(rule('    sel: {a: 1}\n    condition: sel and\n')), ['5:23: condition: expected a search identifier, "not", "(" or "1 of ...", found the end of the condition']);
  assert.deepEqual(errorsOf(rule("    sel: {a: 1}\n    condition: 'sel or (x'\n")), [
    '5:26: condition: expected ")" to close the "(" at column 8, found the end of the condition',
  ]);
  assert.deepEqual(errorsOf(rule('    selection: {a: 1}\n    condition: selection and not filter\n')), [
    '5:34: condition: the condition uses "filter", which the detection does not define (it defines selection)',
  ]);
  assert.deepEqual(errorsOf(rule('    sel: {a: 1}\n    condition: sel and 1 of filter_*\n')), [
    '5:24: condition: the pattern "filter_*" matches no search of the detection (it defines sel)',
  ]);
  assert.deepEqual(errorsOf(rule('    sel: {a: 1}\n    timeframe: 5m\n    condition: sel | count() > 5\n')), [
    '5:5: "timeframe" in a detection is a Sigma 1 aggregation; Sigma 2 expresses it as a correlation rule',
    '6:20: condition: "|" starts a Sigma 1 aggregation (like "| count() by x > 5"), which Sigma 2 expresses as a correlation rule; move the aggregation into a correlation rule',
  ]);
});

test('a list of conditions (Sigma 1 style) is kept in order', () => {
  const r = oneRule(rule('    a: {x: 1}\n    b: {y: 2}\n    condition:\n        - a\n        - b\n'));
  assert.deepEqual(r.condition, ['a', 'b']);
});

test('empty searches and nested lists are errors', () => {
  assert.deepEqual(errorsOf(rule('    sel:\n    condition: sel\n')), ['4:5: search "sel" is empty; give it fields (a mapping) or keywords (a list)']);
  assert.deepEqual(errorsOf(rule('    sel: []\n    condition: sel\n')), ['4:5: search "sel" is an empty list']);
  assert.deepEqual(errorsOf(rule('    sel:\n        - [a, b]\n    condition: sel\n')), ['5:11: search "sel" holds a nested list; use a list of keywords or a list of mappings']);
  assert.deepEqual(errorsOf(rule('    sel: {}\n    condition: sel\n')), ['4:10: search "sel" is an empty mapping; give it at least one field']);
});

test('a modifier on a search identifier is an error that says where modifiers go', () => {
  assert.deepEqual(errorsOf(rule("    select_tree|endswith:\n        Image: '/tree'\n    condition: 1 of select*\n")), [
    '4:5: "select_tree|endswith" is not a usable search identifier (letters, digits, _ - . only); modifiers belong on the fields inside a search, like "select_tree:" with "Field|endswith: value" under it',
  ]);
});
