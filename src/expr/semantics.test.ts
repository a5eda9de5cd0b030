// Typing rules, truthiness, null safety, error handling and comprehensions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileCondition, compileValue, ExpressionError, ExprRuntimeError, type Event } from './index.js';

const v = (src: string, e: Event = {}): unknown => compileValue(src)(e);
const runtimeError = (src: string, e: Event, re: RegExp) =>
  assert.throws(() => compileValue(src)(e), (x: unknown) => x instanceof ExprRuntimeError && re.test(x.reason));
const compileError = (src: string, re: RegExp) =>
  assert.throws(() => compileValue(src), (x: unknown) => x instanceof ExpressionError && re.test(x.reason));

test('conditions: only false and null (missing) are falsy', () => {
  const e: Event = { zero: 0, empty: '', list: [], f: false, n: null, obj: {} };
  const results = ['.zero', '.empty', '.list', '.obj', '.f', '.n', '.missing', '.zero.x'].map((s) => compileCondition(s)(e));
  assert.deepEqual(results, [true, true, true, true, false, false, false, false]);
  assert.throws(() => compileCondition('"abc"'), (x: unknown) => x instanceof ExpressionError && /must be a boolean/.test(x.reason));
  assert.throws(() => compileCondition('1 + 2'), ExpressionError);
  assert.equal(compileCondition('lower(.name)')({}), false, 'may be null: allowed, and null is false');
});

test('== never coerces; structural equality for lists and maps', () => {
  const e: Event = { n: 1, s: '1', b: true, l: [1, { a: [2] }], m: { x: 1, y: null } };
  assert.deepEqual(v('[.n == .s, .n == .b, .n != .s, .l == [1, {"a": [2]}], .m == {"y": null, "x": 1}, .m == {"x": 1}, .missing == null, .n == 1.0]', e),
    [false, false, true, true, true, false, true, true]);
  compileError('1 == "1"', /always false/);
  compileError('"a" != true', /always true/);
});

test('ordering: numbers with numbers, strings with strings, anything else is false', () => {
  const e: Event = { n: 5, s: 'b', nul: null };
  assert.deepEqual(v('[.n < 10, .n >= 5, .s > "a", .s < "B", .n < .s, .s < .n, .nul < 1, .nul >= 0, .missing > 0, .l < .l]', { ...e, l: [1] }),
    [true, true, true, false, false, false, false, false, false, false]);
  compileError('"a" < 1', /cannot order string and number/);
  compileError('[1] < [2]', /cannot order array and array/);
  compileError('true < false', /cannot order boolean/);
});

test('arithmetic: no implicit conversion, errors for mismatches and division by zero', () => {
  const e: Event = { n: 7, s: 'x', z: 0 };
  assert.deepEqual(v('[.n + 1, .n - 10, .n * 2, .n / 2, .n % 4, .s + "y", [1] + [2, 3]]', e), [8, -3, 14, 3.5, 3, 'xy', [1, 2, 3]]);
  runtimeError('.n + .s', e, /cannot apply "\+" to number and string \(convert with/);
  runtimeError('.n / .z', e, /division by zero/);
  runtimeError('.n % .z', e, /modulo by zero/);
  runtimeError('.missing + 1', e, /null and number/);
  runtimeError('-.s', e, /cannot negate string/);
  compileError('"port " + 80', /cannot add string and number/);
  compileError('"a" * 2', /needs numbers/);
  compileError('-"a"', /cannot negate/);
});

test('in: lists, maps, strings, CIDRs, null', () => {
  const e: Event = { ip: '10.2.3.4', ip6: '2001:db8::5', tags: ['a', 'b'], m: { k: 1 }, s: 'hello', objs: [{ a: 1 }] };
  assert.deepEqual(v(`[
    .ip in 10.0.0.0/8, .ip in 11.0.0.0/8, .ip6 in 2001:db8::/32, .ip in [192.168.0.0/16, 10.0.0.0/8],
    "a" in .tags, "z" in .tags, "k" in .m, "ell" in .s, 1 in .missing, {"a": 1} in .objs,
    .ip in ["10.2.3.4", "x"], .ip not in 10.0.0.0/8, "nope" in 10.0.0.0/8, 5 in 10.0.0.0/8,
    .ip in [10.0.0.0/8, "x"]
  ]`, e), [true, false, true, true, true, false, true, true, false, true, true, false, false, false, true]);
  runtimeError('1 in .n', { n: 5 }, /"in" needs a list, map, string or CIDR/);
  compileError('1 in 5', /"in" needs/);
});

test('=~ and !~: regex or pattern string; non-strings do not match', () => {
  const e: Event = { m: 'Failed password', p: '^fail', n: 5 };
  assert.deepEqual(v('[.m =~ /failed/i, .m =~ r\'^Failed\', .m !~ /ok/, .n =~ /5/, .missing =~ /x/, .missing !~ /x/, lower(.m) =~ .p]', e),
    [true, true, true, false, false, true, true]);
  runtimeError('.m =~ .bad', { m: 'x', bad: '(' }, /invalid regular expression/);
  compileError('.m =~ 5', /must be a regex/);
  compileError('5 =~ /x/', /must be a string/);
});

test('regex literal fast paths agree with RE2', () => {
  const cases: [string, string, boolean][] = [
    ['^adm', 'admin', true], ['^adm', 'xadm', false], ['min$', 'admin', true], ['^admin$', 'admin', true],
    ['^admin$', 'admin2', false], ['dm', 'admin', true], ['a\\.b', 'a.b', true], ['a\\.b', 'axb', false], ['', '', true],
  ];
  for (const [re, s, want] of cases) assert.equal(compileCondition(`.s =~ r'${re}'`)({ s }), want, `${re} ~ ${s}`);
});

test('?? catches null and runtime errors; try() only errors; coalesce() only null', () => {
  const e: Event = { bad: '{', n: null, s: 'x' };
  assert.deepEqual(v('[.n ?? 1, parse_json(.bad) ?? 2, .s ?? 3, (.s + 1) ?? 4, try(.n, 5), try(to_int(.s), 6), coalesce(.n, .m, 7), coalesce(.s, 8)]', e),
    [1, 2, 'x', 4, null, 6, 7, 'x']);
  runtimeError('coalesce(parse_json(.bad), 1)', e, /parse_json/);
  assert.equal(v('.a ?? .b ?? .c ?? "d"'), 'd');
});

test('transforms propagate null; predicates return false for null; wrong types are errors', () => {
  assert.deepEqual(v('[lower(.x), upper(.x), trim(.x), to_int(.x), len(.x), split(.x, ","), replace(.x, "a", "b"), sha256(.x)]'), [null, null, null, null, null, null, null, null]);
  assert.deepEqual(v('[starts_with(.x, "a"), ends_with(.x, "a"), contains(.x, "a"), match(.x, r\'a\'), ip_in_cidr(.x, 10.0.0.0/8), is_private_ip(.x)]'), [false, false, false, false, false, false]);
  runtimeError('lower(.n)', { n: 5 }, /lower: expected a string, got number/);
  runtimeError('starts_with(.n, "a")', { n: 5 }, /starts_with: expected strings, got number/);
  compileError('lower(5)', /argument 1 of lower\(\) must be string, this is number/);
});

test('any / all / filter / map, nested lambdas and shadowing', () => {
  const e: Event = { groups: [{ name: 'a', users: ['x', 'root'] }, { name: 'b', users: ['y'] }] };
  assert.equal(v('any(.groups, g, any(g.users, u, u == "root"))', e), true);
  assert.deepEqual(v('map(filter(.groups, g, len(g.users) > 1), g, g.name)', e), ['a']);
  assert.deepEqual(v('map(.groups, x, map(x.users, x, upper(x)))', e), [['X', 'ROOT'], ['Y']]);
  assert.equal(v('all([], x, false)'), true);
  assert.equal(v('any(null, x, true)'), false);
  assert.equal(v('filter(.missing, x, true)'), null);
  runtimeError('any(.s, x, true)', { s: 'str' }, /expected a list, got string/);
  compileError('any(.l, .x, true)', /must be a variable name/);
  compileError('map(.l, "x")', /takes a list, a variable name and an expression/);
  compileError('any(.l, x, y)', /unknown variable "y"/);
  compileError('x', /unknown variable "x"/);
});

test('if expressions need one expression per branch; missing else is null', () => {
  assert.equal(v('if .a { "yes" }'), null);
  assert.equal(v('if true { if false { 1 } else { 2 } } else { 3 }'), 2);
  assert.throws(() => compileValue('if true { 1; 2 } else { 3 }'), ExpressionError);
});

test('values are JSON: copies of event containers, regexes and CIDRs as text', () => {
  const e: Event = { o: { a: 1 } };
  const got = v('.o', e) as Record<string, unknown>;
  assert.deepEqual(got, { a: 1 });
  assert.notEqual(got, e.o, 'a value never aliases the event');
  got.a = 2;
  assert.deepEqual(e.o, { a: 1 });
  assert.deepEqual(v('[r\'a+\', 10.0.0.0/8, 2001:db8::/32]'), ['a+', '10.0.0.0/8', '2001:db8::/32']);
  assert.equal(v('r\'x\''), 'x');
  assert.deepEqual(v('[type_of(r\'a\'), .o.x, r\'a\'.source, (10.0.0.0/8).lo]', e), ['regex', null, null, null]);
});

test('runtime failures inside compiled code surface as ExprRuntimeError with a reason', () => {
  const f = compileValue('parse_json(.m).a');
  assert.throws(() => f({ m: '{' }), (x: unknown) => x instanceof ExprRuntimeError && x.reason.startsWith('parse_json:'));
  assert.throws(() => compileValue('.a')(null as unknown as Event), ExprRuntimeError);
});

test('case-insensitive literal regexes agree with RE2, including non-ASCII input', () => {
  const cases: [string, string, boolean][] = [
    ['mimikatz', 'Invoke-MIMIKATZ.ps1', true], ['^power', 'PowerShell.exe', true], ['exe$', 'a.EXE', true],
    ['^cmd$', 'CMD', true], ['cmd', 'cnd', false], ['s', '\u017F', true], ['k', '\u212A', true], ['é', 'É', true],
  ];
  for (const [re, s, want] of cases) assert.equal(compileCondition(`.s =~ /${re}/i`)({ s }), want, `/${re}/i ~ ${s}`);
});
