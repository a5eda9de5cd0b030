// Every value modifier of Sigma 2.1, from the specification's own examples, checked on both the
// compiled matcher and the plain interpreter (they must agree on every case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule, SigmaCompileError } from './compile.js';
import { interpret } from './interpret.js';
import fc from 'fast-check';
import { ANY, base64Offsets, checkItem, ONE, parseGlob, planItem, regexLiterals, sigmaLiteral, timePartOf, type PlanOptions } from './modifiers.js';
import type { DetectionItem, SigmaRule, SigmaValue } from './types.js';

type Ev = Record<string, unknown>;

function item(key: string, values: SigmaValue | SigmaValue[]): DetectionItem {
  const [field, ...mods] = key.split('|');
  return { field: field === '' ? null : field!, modifiers: mods, values: Array.isArray(values) ? values : [values] };
}

function ruleOf(items: DetectionItem[]): SigmaRule {
  return {
    type: 'rule', file: 't.yml', place: { file: 't.yml', line: 1, col: 1 }, title: 't', references: [], tags: [],
    falsepositives: [], raw: {}, logsource: {}, detection: { sel: { groups: [items] } }, condition: ['sel'], conditions: [], fields: [],
  };
}

/** Does `key: values` match the event? Asserts the compiler and the interpreter agree. */
function m(key: string, values: SigmaValue | SigmaValue[], e: Ev, opts: PlanOptions = {}): boolean {
  const rule = ruleOf([item(key, values)]);
  const compiled = compileRule(rule, [], opts).match(e);
  const interpreted = interpret(rule, e, opts);
  assert.equal(compiled, interpreted, `compiled and interpreted differ for ${key}: ${JSON.stringify(values)} on ${JSON.stringify(e)}`);
  return compiled;
}

/** Asserts which of the field values match. */
function each(key: string, values: SigmaValue | SigmaValue[], yes: unknown[], no: unknown[], field = key.split('|')[0]!): void {
  for (const v of yes) assert.ok(m(key, values, { [field]: v }), `${key}: ${JSON.stringify(values)} should match ${JSON.stringify(v)}`);
  for (const v of no) assert.ok(!m(key, values, { [field]: v }), `${key}: ${JSON.stringify(values)} should not match ${JSON.stringify(v)}`);
}

test('plain values: whole-value, case-insensitive; wildcards * and ?', () => {
  each('Image', 'C:\\Windows\\System32\\whoami.exe', ['C:\\Windows\\System32\\whoami.exe', 'c:\\windows\\system32\\WHOAMI.EXE'], ['C:\\Windows\\System32\\whoami.exe.bak', 'x']);
  each('Image', 'prog?.exe', ['progA.exe', 'PROGb.EXE'], ['prog.exe', 'progAB.exe']);
  each('Image', 'antivirus_V*.exe', ['antivirus_V1.exe', 'antivirus_V21.2.1.exe', 'antivirus_V.exe'], ['antivirus_V1.dll']);
  each('F', '*', ['', 'anything', 0, false], [null, { a: 1 }]);
  each('F', '', [''], ['x', null]);
});

test('escapes: \\* \\? \\\\ and a backslash before anything else is literal', () => {
  each('F', 'a\\*b', ['a*b', 'A*B'], ['axb', 'a\\xb']);
  each('F', 'a\\?b', ['a?b'], ['axb']);
  each('F', 'C:\\Windows', ['C:\\Windows'], ['C:\\\\Windows'], 'F');
  each('F', 'C:\\\\Windows', ['C:\\Windows'], ['C:\\\\Windows']);
  each('F', 'C:\\\\*', ['C:\\', 'C:\\Temp\\x'], ['C:', 'C:*']); // \\* : a backslash, then a wildcard
  each('F', 'C:\\\\\\*', ['C:\\*'], ['C:\\x', 'C:\\']); // \\\* : a backslash and a star
  each('F', 'a\\\\\\\\b', ['a\\\\b'], ['a\\b']); // four backslashes are two
  each('F', 'a\\\\\\b', ['a\\\\b'], ['a\\b']); // three, not before a wildcard, are two as well
});

test('sigmaLiteral: the text of a plain value, escapes removed; null with wildcards', () => {
  assert.equal(sigmaLiteral('C:\\\\Windows'), 'C:\\Windows');
  assert.equal(sigmaLiteral('C:\\Windows'), 'C:\\Windows');
  assert.equal(sigmaLiteral('a\\*b'), 'a*b');
  assert.equal(sigmaLiteral(''), '');
  assert.equal(sigmaLiteral('a*b'), null);
  assert.equal(sigmaLiteral('a?'), null);
});

test('numbers match numeric fields and numeric strings; booleans their text', () => {
  each('EventID', 4688, [4688, '4688'], [4689, '04688', '4688 ', 'x']);
  each('EventID', [517, 1102], [517, '1102'], [518]);
  each('Ratio', 1.5, [1.5, '1.5'], [1.50001]);
  each('Flag', true, [true, 'true', 'TRUE'], [false, 'false', 1]);
  each('EventID', '46*', [4688, '4611'], [5688]);
});

test('null: the field is absent or null', () => {
  assert.ok(m('PasswordLastSet', null, {}));
  assert.ok(m('PasswordLastSet', null, { PasswordLastSet: null }));
  assert.ok(!m('PasswordLastSet', null, { PasswordLastSet: '' }));
  assert.ok(!m('PasswordLastSet', null, { PasswordLastSet: 0 }));
});

test('contains, startswith, endswith', () => {
  each('CommandLine|contains', ' -enc ', ['powershell -ENC abc'], ['powershell -encoded']);
  each('Image|startswith', 'C:\\Temp\\', ['c:\\temp\\x.exe'], ['D:\\C:\\Temp\\x']);
  each('Image|endswith', '\\cmd.exe', ['C:\\Windows\\CMD.EXE'], ['C:\\cmd.exe.txt']);
  each('CommandLine|contains', 'a*b', ['xxaYYbzz'], ['ba']);
  each('CommandLine|contains', '*already*', ['an already wrapped value'], ['alread']);
});

test('all: every value must be found (in one field value or across array elements)', () => {
  each('CommandLine|contains|all', ['Select', 'Win32_NTLogEvent'], ['wmic select * from win32_ntlogevent'], ['select only']);
  assert.ok(m('args|contains|all', ['-nop', 'hidden'], { args: ['powershell', '-nop', '-w hidden'] }));
  assert.ok(!m('args|contains|all', ['-nop', 'hidden'], { args: ['powershell', '-nop'] }));
  // keywords: each keyword anywhere in the event
  assert.ok(m('|all', ['OabVirtualDirectory', ' -ExternalUrl '], { a: 'Set-OabVirtualDirectory', b: { c: 'x -ExternalUrl y' } }));
  assert.ok(!m('|all', ['OabVirtualDirectory', ' -ExternalUrl '], { a: 'Set-OabVirtualDirectory' }));
});

test('cased: case-sensitive matching', () => {
  each('F|cased', 'Admin', ['Admin'], ['admin', 'ADMIN']);
  each('F|cased|contains', 'Admin', ['xAdminx'], ['xadminx']);
});

test('windash: a flag dash matches -, /, en dash, em dash and horizontal bar; inner dashes do not', () => {
  each('CommandLine|windash|contains', ' -all', ['whoami -all', 'whoami /all', 'whoami \u2013all', 'whoami \u2014all', 'whoami \u2015all'], ['whoami all', 'whoami _all']);
  const plan = planItem(item('c|windash', '-param-1 -param2'));
  assert.equal(plan.values[0]!.length, 25, 'two flag dashes give 5 x 5 variants');
  each('c|windash', '-param-1 -param2', ['/param-1 \u2014param2', '-param-1 -param2'], ['-param/1 -param2']);
  each('CommandLine|windash|contains|all', [' -a', ' -b'], ['x /a /b', 'x -b \u2013a'], ['x /a']);
});

test('base64 and base64offset (the specification example /bin/bash)', () => {
  assert.deepEqual(base64Offsets(Buffer.from('/bin/bash')), ['L2Jpbi9iYXNo', '9iaW4vYmFza', 'vYmluL2Jhc2']);
  each('F|base64', 'cmd', ['Y21k'], ['y21k', 'Y21kX']);
  each('F|base64|contains', 'cmd', ['xxY21kyy'], ['xxy21kyy']);
  const encoded = (prefix: string) => Buffer.from(`${prefix}/bin/bash -c id`).toString('base64');
  each('CommandLine|base64offset|contains', '/bin/bash', [encoded(''), encoded('x'), encoded('xy'), `echo ${encoded('ab')} | base64 -d`], [Buffer.from('/bin/sh').toString('base64')]);
});

test('utf16le / wide / utf16be / utf16 encode before base64', () => {
  // The appendix: cmd -> 63 00 6d 00 64 00 (LE), 00 63 00 6d 00 64 (BE), FF FE 63 00 ... (with BOM)
  each('F|utf16le|base64', 'cmd', [Buffer.from([0x63, 0, 0x6d, 0, 0x64, 0]).toString('base64')], ['Y21k']);
  each('F|wide|base64', 'cmd', ['YwBtAGQA'], []);
  each('F|utf16be|base64', 'cmd', [Buffer.from([0, 0x63, 0, 0x6d, 0, 0x64]).toString('base64')], ['YwBtAGQA']);
  each('F|utf16|base64', 'cmd', [Buffer.from([0xff, 0xfe, 0x63, 0, 0x6d, 0, 0x64, 0]).toString('base64')], ['YwBtAGQA']);
  const ps = Buffer.from('IEX (New-Object Net.WebClient).DownloadString', 'utf16le').toString('base64');
  each('CommandLine|wide|base64offset|contains', 'DownloadString', [`powershell -enc ${ps}`], [Buffer.from('DownloadString').toString('base64')]);
  // Without base64 the encoded bytes are matched one per character.
  each('F|wide|contains', 'ab', ['xa\u0000b\u0000y'], ['ab']);
});

test('re: RE2, case-sensitive unless i; m and s flags; unanchored', () => {
  each('CommandLine|re', '\\s-[eE]nc\\s', ['powershell -enc x', 'p -Enc x'], ['p -ENC x']);
  each('CommandLine|re|i', '\\s-enc\\s', ['p -ENC x'], ['p-enc x']);
  each('F|re', '^b$', ['b'], ['a\nb']);
  each('F|re|m', '^b$', ['a\nb'], ['a\nc']);
  each('F|re', 'a.b', ['axb'], ['a\nb']);
  each('F|re|s', 'a.b', ['a\nb'], ['ab']);
  each('F|re', '^admin', ['admin1'], ['xadmin', 'Admin']);
  each('F|re|i', 'é', ['É'], ['e']);
  each('F|re', '\\d+', [4688], [true]);
  assert.throws(() => compileRule(ruleOf([{ ...item('F|re', '(?<=x)y'), place: { file: 't.yml', line: 7, col: 9 } }])), (e: unknown) => {
    assert.ok(e instanceof SigmaCompileError);
    assert.equal(e.errors.length, 1);
    assert.deepEqual(e.errors[0]!.place, { file: 't.yml', line: 7, col: 9 });
    assert.match(e.errors[0]!.message, /regular expression "\(\?<=x\)y" cannot be compiled: .*RE2 has no lookaround/);
    return true;
  });
});

test('the literals a regular expression needs', () => {
  assert.deepEqual(regexLiterals('ipconfig\\s+/all'), ['ipconfig']);
  assert.deepEqual(regexLiterals('\\\\Temp\\\\.*\\.exe$'), ['\\Temp\\']);
  assert.deepEqual(regexLiterals('abc?d'), ['ab']);
  assert.deepEqual(regexLiterals('ab+cd'), ['ab']);
  assert.deepEqual(regexLiterals('x{0,3}yz'), ['yz']);
  assert.deepEqual(regexLiterals('net\\s+user|whoami'), ['user', 'whoami']);
  assert.deepEqual(regexLiterals('(foo|bar)baz'), ['baz']);
  assert.deepEqual(regexLiterals('[abc]def\\d'), ['def']);
  assert.equal(regexLiterals('a|.*'), null);
  assert.equal(regexLiterals('(?i)secret'), null, 'inline flags make literals case-insensitive');
  assert.equal(regexLiterals('\\p{Greek}+'), null);
  assert.equal(regexLiterals('\\x41\\101'), null);
});

test('cidr: IPv4 and IPv6 networks', () => {
  each('DestinationIp|cidr', '10.0.0.0/8', ['10.1.2.3', '::ffff:10.0.0.1'], ['11.0.0.1', '10.0.0', 'x', 167772161]);
  each('DestinationIp|cidr', ['192.168.0.0/16', '2001:db8::/32'], ['192.168.1.1', '2001:db8::1', '2001:DB8:0:0::ff'], ['2001:db9::1', '172.16.0.1']);
  each('DestinationIp|cidr', '127.0.0.1', ['127.0.0.1'], ['127.0.0.2'], 'DestinationIp');
});

test('exists: presence of the field, whatever its value', () => {
  each('PasswordLastSet|exists', true, ['', null, 0, 'x'], []);
  assert.ok(!m('PasswordLastSet|exists', true, {}));
  assert.ok(m('PasswordLastSet|exists', false, {}));
  assert.ok(!m('PasswordLastSet|exists', false, { PasswordLastSet: null }));
});

test('lt, lte, gt, gte on numbers and numeric strings', () => {
  each('Count|lt', 10, [9, '9', -1, '2.5'], [10, '10', 11, 'nine', '', null, true]);
  each('Count|lte', 10, [10, ' 10 '], [10.5]);
  each('Count|gt', 10, [11, '1e3'], [10]);
  each('Count|gte', 10, [10, 100], [9.99]);
  each('Count|gt', '2.5', [3], [2]);
});

test('neq: the field exists and differs', () => {
  each('User|neq', 'SYSTEM', ['bob', 'adm'], ['SYSTEM', 'system']);
  assert.ok(!m('User|neq', 'SYSTEM', {}), 'an absent field is not "different"');
  assert.ok(!m('User|neq', 'SYSTEM', { User: null }));
  each('EventID|neq', 4688, [4689, '1'], [4688, '4688']);
  each('User|neq|contains', 'adm', ['bob'], ['xADMx']);
  each('User|neq|all', ['a', 'b'], ['c'], ['a', 'b']);
  each('User|neq', ['a', 'b'], ['a', 'c'], [], 'User'); // ORed: differs from a or from b
});

test('fieldref: compare with another field of the event', () => {
  assert.ok(m('TargetUserName|fieldref', 'SubjectUserName', { TargetUserName: 'Bob', SubjectUserName: 'bob' }));
  assert.ok(!m('TargetUserName|fieldref', 'SubjectUserName', { TargetUserName: 'Bob', SubjectUserName: 'alice' }));
  assert.ok(!m('TargetUserName|fieldref', 'SubjectUserName', { TargetUserName: 'Bob' }));
  assert.ok(!m('TargetUserName|fieldref|cased', 'SubjectUserName', { TargetUserName: 'Bob', SubjectUserName: 'bob' }));
  assert.ok(m('CommandLine|fieldref|contains', 'Image', { CommandLine: '"C:\\x\\A.exe" -a', Image: 'c:\\x\\a.exe' }));
  assert.ok(m('CommandLine|fieldref|startswith', 'Image', { CommandLine: 'a.exe -x', Image: 'a.exe' }));
  assert.ok(!m('CommandLine|fieldref|startswith', 'Image', { CommandLine: '"a.exe" -x', Image: 'a.exe' }));
  assert.ok(m('Path|fieldref|endswith', 'Name', { Path: 'C:\\x\\evil.dll', Name: 'evil.dll' }));
  assert.ok(m('ProcessId|fieldref', 'ParentProcessId', { ProcessId: 4, ParentProcessId: '4' }));
  assert.ok(m('A|fieldref|neq', 'B', { A: 'x', B: 'y' }));
  assert.ok(!m('A|fieldref|neq', 'B', { A: 'x', B: 'X' }));
});

test('expand: placeholders from the options; unknown ones fail or match nothing', () => {
  const opts: PlanOptions = { placeholders: { Administrators: ['Administrator', 'adm_*'], DomainControllers: ['dc01', 'dc02'] } };
  for (const u of ['administrator', 'ADM_bob']) assert.ok(m('User|expand', '%Administrators%', { User: u }, opts), u);
  assert.ok(!m('User|expand', '%Administrators%', { User: 'bob' }, opts));
  assert.ok(m('Host|expand|startswith', '%DomainControllers%.', { Host: 'DC02.corp.local' }, opts));
  assert.ok(m('F|expand', '\\%plain%DomainControllers%', { F: '%plaindc01' }, opts), '\\% is a literal percent');
  assert.ok(m('F', '%Administrators%', { F: '%administrators%' }, opts), 'without expand, %name% is literal');
  assert.throws(() => compileRule(ruleOf([item('User|expand', '%Servers%')]), [], opts), /unknown placeholder %Servers%: the configured placeholders are %Administrators%, %DomainControllers%; configure its values or escape the percent sign/);
  assert.throws(() => compileRule(ruleOf([item('User|expand', '%Servers%')])), /no placeholders are configured/);
  const lenient: PlanOptions = { ...opts, unknownPlaceholders: 'match-nothing' };
  assert.ok(!m('User|expand', '%Servers%', { User: '%Servers%' }, lenient));
  assert.ok(m('User|expand', ['%Servers%', 'root'], { User: 'root' }, lenient), 'other values still match');
});

test('time modifiers: parts of an ISO 8601 time or epoch, compared or equal', () => {
  const t = '2024-02-29T23:45:12.123Z';
  assert.deepEqual(['minute', 'hour', 'day', 'week', 'month', 'year'].map((p) => timePartOf(t, p as 'minute')), [45, 23, 29, 9, 2, 2024]);
  assert.equal(timePartOf('2021-01-03', 'week'), 53, 'ISO weeks: Jan 3 2021 is in week 53 of 2020');
  assert.equal(timePartOf('2021-01-04 08:00', 'week'), 1);
  assert.ok(Number.isNaN(timePartOf('2024-02-29', 'hour')), 'a date has no hour');
  assert.equal(timePartOf(1_700_000_000, 'year'), 2023, 'epoch seconds');
  assert.equal(timePartOf(1_700_000_000_000, 'hour'), 22, 'epoch milliseconds, UTC');
  each('UtcTime|hour', 23, [t], ['2024-02-29T22:00:00', 'late', 23]);
  each('UtcTime|hour|gte', 20, [t, '2024-01-01 20:00:00'], ['2024-01-01 08:00:00']);
  each('UtcTime|hour|lt', 6, ['2024-01-01T05:59:00'], [t]);
  each('UtcTime|month', [1, 2], [t], ['2024-03-01']);
  each('UtcTime|day|neq', 29, ['2024-03-01'], [t]);
});

test('arrays: any element matches', () => {
  each('Tags', 'prod', [['dev', 'PROD'], ['prod']], [['dev'], []]);
  each('Ports|gt', 1024, [[80, 8080]], [[80, 443]]);
});

test('paths: exact dotted key first, then the nested path', () => {
  assert.ok(m('process.name', 'cmd.exe', { process: { name: 'cmd.exe' } }));
  assert.ok(m('process.name', 'cmd.exe', { 'process.name': 'cmd.exe' }));
  assert.ok(!m('process.name', 'cmd.exe', { 'process.name': 'x', process: { name: 'cmd.exe' } }), 'the flat key wins');
  assert.ok(m('a.b', 'x', { a: [{ b: 'y' }, { b: 'x' }] }), 'an array mid-path is walked through: any element');
  assert.ok(m('a.b.c', 'x', { a: [{ b: [{ c: 'x' }] }] }), 'arrays within arrays too');
  assert.ok(!m('a.b', 'x', { a: [{ b: 'y' }, { c: 'x' }] }));
  assert.ok(m('a.b|exists', false, { a: [{ c: 'x' }] }), 'no element has it: the field does not exist');
  assert.ok(!m('constructor', '*', {}), 'Object.prototype members are not fields');
  assert.ok(!m('toString|exists', true, {}));
  const rule = ruleOf([{ field: 'Image', modifiers: ['endswith'], values: ['\\cmd.exe'], paths: ['winlog.event_data.Image', 'process.executable'] }]);
  assert.ok(compileRule(rule).match({ process: { executable: 'C:\\cmd.exe' } }));
  assert.ok(compileRule(rule).match({ winlog: { event_data: { Image: 'C:\\cmd.exe' } } }));
  assert.ok(!compileRule(rule).match({ Image: 'C:\\cmd.exe' }), 'paths replace the field name');
});

test('keywords search every string of the event, nested, case-insensitively', () => {
  assert.ok(m('', ['EVILSERVICE', 'svchost.exe -n evil'], { msg: 'started evilservice now' }));
  assert.ok(m('', 'event::clear', { a: { b: ['x', 'mimikatz EVENT::Clear'] } }));
  assert.ok(!m('', 'event::clear', { a: { b: ['x'] }, 'event::clear': 1 }), 'keys are not searched');
  assert.ok(!m('', '4688', { EventID: 4688 }), 'only string values are searched');
  assert.ok(m('|startswith', 'mimi', { a: 'x', b: 'Mimikatz' }));
});

test('strings read as globs: escapes and wildcards, on any mix of them', () => {
  // The reading one character at a time, as the Sigma specification describes it.
  const reference = (text: string) => {
    const out: unknown[] = [];
    let lit = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\') {
        const n = text[i + 1];
        if (n === '*' || n === '?' || n === '\\') { lit += n; i++; } else lit += c;
      } else if (c === '*' || c === '?') {
        if (lit) { out.push(lit); lit = ''; }
        if (!(c === '*' && out[out.length - 1] === ANY)) out.push(c === '*' ? ANY : ONE);
      } else lit += c;
    }
    if (lit) out.push(lit);
    return out;
  };
  assert.deepEqual(parseGlob('C:\\\\Windows\\*a\\?b*c?%x%'), ['C:\\Windows*a?b', ANY, 'c', ONE, '%x%']);
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'B', '\\', '*', '?', '%', 'é'), maxLength: 16 }), (t) => {
    assert.deepEqual(parseGlob(t), reference(t), JSON.stringify(t));
  }), { numRuns: 3000 });
});

test('item checks: the common items pass, and the rest are still checked in full', () => {
  assert.deepEqual(checkItem('a', [], ['x']), []);
  assert.deepEqual(checkItem('a', ['contains', 'all'], ['x', 'y']), []);
  assert.deepEqual(checkItem('a', [], [null]), []);
  assert.match(checkItem('a', ['contains'], [null]).join(), /null takes no modifiers/);
  assert.match(checkItem('a', [], ['x', null]).join(), /null cannot be part of a list/);
  assert.match(checkItem('a', ['contains', 'endswith'], ['x']).join(), /use only one of/);
  assert.match(checkItem('a', ['all', 'all'], ['x']).join(), /appears twice/);
  assert.match(checkItem('a', ['contains'], []).join(), /empty list of values/);
  assert.match(checkItem('a', ['contian'], ['x']).join(), /unknown modifier/);
});
