// Lexer and parser: literals, paths, precedence, newlines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileProgram, compileValue, ExpressionError, type Event } from './index.js';
import { tokenize } from './lexer.js';
import { parseExpression } from './parser.js';

const v = (src: string, e: Event = {}): unknown => compileValue(src)(e);
const fails = (src: string, re: RegExp, program = false) =>
  assert.throws(() => (program ? compileProgram(src) : compileValue(src)), (e: unknown) => e instanceof ExpressionError && re.test(e.reason));

test('durations are milliseconds', () => {
  assert.deepEqual(v('[5m, 1h30m, 250ms, 1.5s, 2d, 1w, 10us, 1h1m1s1ms]'), [300_000, 5_400_000, 250, 1500, 172_800_000, 604_800_000, 0.01, 3_661_001]);
  fails('5x', /invalid number or duration/);
  fails('1h30', /invalid number or duration/);
});

test('numbers, strings and escapes', () => {
  assert.deepEqual(v('[0, -0.5, 1e3, 2E-2, 0xff, "a\\"b", \'it\\\'s\', "\\u{1F600}", "\\x41", "tab\\t"]'), [0, -0.5, 1000, 0.02, 255, 'a"b', "it's", '😀', 'A', 'tab\t']);
  fails('"abc', /unterminated string/);
  fails('"a\\qb"', /invalid escape/);
  fails('"a\nb"', /unterminated string/);
});

test('CIDR literals (IPv4 and IPv6) and the bare-IP hint', () => {
  const kinds = tokenize('10.0.0.0/8 2001:db8::/32 fe80::/10 ::1/128 ::ffff:10.0.0.0/104').filter((t) => t.kind !== 'eof').map((t) => `${t.kind}:${t.value}`);
  assert.deepEqual(kinds, ['cidr:10.0.0.0/8', 'cidr:2001:db8::/32', 'cidr:fe80::/10', 'cidr:::1/128', 'cidr:::ffff:10.0.0.0/104']);
  assert.throws(() => compileValue('.ip == 10.0.0.1'), (e: unknown) => e instanceof ExpressionError && /prefix length/.test(e.reason) && /"10.0.0.1"/.test(e.hint ?? ''));
  fails('.ip in 10.0.0.0/33', /invalid CIDR/);
  // `a ? b : c` with short hex-looking words is not IPv6
  assert.equal(v('true ? 1:2'), 1);
  assert.equal(v('{"a": 1}.a'), 1);
});

test('regex literal vs division', () => {
  const k = (src: string) => tokenize(src).filter((t) => t.kind !== 'eof').map((t) => t.kind);
  assert.deepEqual(k('.a / 2 / .b'), ['op', 'word', 'op', 'num', 'op', 'op', 'word']);
  assert.deepEqual(k('.a =~ /x\\/y[/]/i'), ['op', 'word', 'op', 'regex']);
  assert.equal(v('.a / 2', { a: 9 }), 4.5);
  assert.equal(v('"a/b" =~ /a\\/b/'), true);
  assert.equal(v("r'\\d+' == r'\\d+'"), true);
  fails('.a =~ /x/g', /invalid regex flags/);
});

test('paths: quoted names, indexes, dynamic keys, whole event', () => {
  const e: Event = { 'a b': { c: [1, { d: 'x' }] }, k: 'a b', i: 1, '@t': 5, list: ['p', 'q'] };
  assert.equal(v('.["a b"].c[1].d', e), 'x');
  assert.equal(v('."a b".c[-1]["d"]', e), 'x');
  assert.equal(v('.[.k].c[.i].d', e), 'x');
  assert.equal(v('.@t', e), 5);
  assert.deepEqual(v('.', { z: 1 }), { z: 1 });
  assert.equal(v('.list[5]', e), null);
  assert.equal(v('.list[1.5]', e), null);
  assert.equal(v('.list["0"]', e), null, 'string keys on lists read nothing');
  assert.equal(v('.list.length', e), null, 'no JS properties of lists');
  assert.equal(v('"abc".length'), null, 'nor of strings');
  assert.equal(v('parse_url("http://h/p?x=1").query.x'), '1');
  fails('.a.', /field name after "\."/);
  fails('.a . b', /unexpected/);
});

test('precedence and associativity', () => {
  assert.equal(v('1 + 2 * 3 - 4 / 2'), 5);
  assert.equal(v('10 - 3 - 2'), 5);
  assert.equal(v('not true or true'), true);
  assert.equal(v('not (true or true)'), false);
  assert.equal(v('true or false and false'), true);
  assert.equal(v('.x ?? 1 + 1'), 2);
  assert.equal(v('(.x ?? 1) + 1'), 2);
  assert.equal(v('.x ?? 5 > 3'), true);
  assert.equal(v('false ? 1 : true ? 2 : 3'), 2);
  assert.equal(v('!false && !!true'), true);
  assert.equal(v('- -3'), 3);
  assert.equal(v('2 in [1, 2] and "x" not in ["y"]'), true);
  fails('1 < 2 < 3', /cannot be chained/);
  fails('1 == 1 == true', /cannot be chained/);
});

test('conditions may span lines; programs end statements at newlines', () => {
  assert.equal(v('.a == 1\n  and .b == 2\n  or false', { a: 1, b: 2 }), true);
  const e: Event = { a: 1 };
  compileProgram('.b = .a\n.c = [1,\n 2]\n.d = .a\n  + 1 # comment\n.e = (\n.a\n)')(e);
  assert.deepEqual(e, { a: 1, b: 1, c: [1, 2], d: 2, e: 1 });
  // a leading "-" starts a new statement, it does not continue the previous line
  const e1: Event = {};
  compileProgram('.a = 1\n-2')(e1);
  assert.deepEqual(e1, { a: 1 });
  fails('.a = 1 .b = 2', /expected a newline or ";"/, true);
  const e2: Event = {};
  compileProgram('.a = 1; .b = 2;; .c = 3;')(e2);
  assert.deepEqual(e2, { a: 1, b: 2, c: 3 });
});

test('maps and lists', () => {
  assert.deepEqual(v('{a: 1, "b c": [1, 2,], if: true,}'), { a: 1, 'b c': [1, 2], if: true });
  fails('{"a": 1, "a": 2}', /duplicate key/);
  fails('[1, 2', /expected "," or "]"/);
});

test('if needs parentheses around map literals in its condition', () => {
  fails('if .a == {} { 1 } else { 2 }', /unexpected "\{"/);
  assert.equal(v('if .a == ({}) { 1 } else { 2 }', { a: {} }), 1);
});

test('parser records node spans', () => {
  const e = parseExpression('.a == lower(.b)');
  assert.equal(e.k, 'bin');
  assert.deepEqual([e.start, e.end], [0, 15]);
});
