// Known escape routes, each shown refused or harmless.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileCondition, compileProgram, compileValue, ExpressionError, ExprRuntimeError, generatedSource, type Event,
} from './index.js';

const compileFails = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof ExpressionError && re.test(e.reason));

test('reads: .constructor, .__proto__, .prototype, .toString and inherited keys are null', () => {
  const e: Event = { a: {} };
  for (const src of ['.constructor', '.__proto__', '.prototype', '.toString', '.hasOwnProperty', '.a.constructor', '.a.__proto__', '.["__proto__"]', '.["constructor"]']) {
    assert.equal(compileValue(src)(e), null, src);
  }
  // even on objects with a class prototype, only own properties are visible
  class Weird { own = 1; get inherited(): number { return 2; } }
  assert.deepEqual(compileValue('[.w.own, .w.inherited, .w.constructor]')({ w: new Weird() }), [1, null, null]);
});

test('reads: a polluted Object.prototype is not seen through events', () => {
  const proto = Object.prototype as Record<string, unknown>;
  proto.isAdmin = true;
  try {
    assert.equal(compileValue('.isAdmin')({}), null);
    assert.equal(compileValue('.user.isAdmin')({ user: {} }), null);
    assert.equal(compileCondition('.isAdmin')({}), false);
    assert.equal(compileValue('"isAdmin" in .')({}), false);
  } finally {
    delete proto.isAdmin;
  }
});

test('constructor chains cannot reach Function: .constructor.constructor("return process")()', () => {
  // there is no call syntax on values: only named library functions can be called
  compileFails(() => compileValue('.constructor.constructor("return process")()'), /expected|unexpected/);
  compileFails(() => compileValue('constructor("return process")'), /unknown function "constructor"/);
  compileFails(() => compileValue('Function("return process")'), /unknown function "Function"/);
  compileFails(() => compileValue('lower("x")("y")'), /unexpected "\("/); // values cannot be called
  // bare names are variables, never JS globals
  for (const name of ['process', 'globalThis', 'require', 'eval', 'setTimeout', 'H', 'K', 'F', 'e', 'tv']) {
    compileFails(() => compileValue(name), /unknown variable/);
  }
  // and reading the chain as data yields null
  assert.equal(compileValue('.constructor.constructor')({}), null);
});

test('assignments to __proto__ / constructor / prototype: compile error when literal', () => {
  for (const src of ['.__proto__.polluted = 1', '.a.__proto__.x = 1', '.constructor = 1', '.a.prototype.x = 1', '.["__proto__"] = {}', 'x = {}; x.__proto__ = 1']) {
    compileFails(() => compileProgram(src), /refusing to assign/);
  }
  compileFails(() => compileProgram('rename(.a, .__proto__)'), /refusing to assign/);
  compileFails(() => compileProgram('copy(.a, .x.constructor)'), /refusing to assign/);
});

test('assignments through dynamic keys are refused at run time', () => {
  const p = compileProgram('.[.key] = .value');
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const e: Event = { key, value: { polluted: true } };
    assert.throws(() => p(e), (err: unknown) => err instanceof ExprRuntimeError && /refusing to write/.test(err.reason));
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const nested = compileProgram('.a[.k].b = 1');
  assert.throws(() => nested({ k: '__proto__' }), ExprRuntimeError);
  assert.equal(({} as Record<string, unknown>).b, undefined);
});

test('prototype pollution through data: parse_json / parse_kv / merge keep "__proto__" as data', () => {
  const p = compileProgram('merge(., parse_json(.m))\n.kv = parse_kv(.q)\n.copy = .x');
  const e: Event = { m: '{"__proto__": {"polluted": true}, "ok": 1}', q: '__proto__=1 constructor=2', x: JSON.parse('{"__proto__": {"p": 1}}') };
  p(e);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(e), Object.prototype);
  assert.equal(Object.getPrototypeOf(e.kv), Object.prototype);
  assert.equal(Object.getPrototypeOf(e.copy), Object.prototype);
  assert.ok(Object.hasOwn(e, '__proto__'), 'merged as an own data key');
  assert.deepEqual(compileValue('[.ok, .kv.constructor, .copy.__proto__.p]')(e), [1, '2', 1]);
  // a map literal with a "__proto__" key defines a key, it does not set a prototype
  const v = compileValue('{"__proto__": {"polluted": true}}')({}) as object;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.ok(Object.hasOwn(v, '__proto__'));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('string escapes in field names never become code', () => {
  const evil = 'a"]);process.exit(1);//';
  const e: Event = { [evil]: 'data' };
  assert.equal(compileValue('.["a\\"]);process.exit(1);//"]')(e), 'data');
  const p = compileProgram('.["x\\"] = 1; globalThis.pwned = 1; //"] = "ok"');
  const out: Event = {};
  p(out);
  assert.equal(out['x"] = 1; globalThis.pwned = 1; //'], 'ok');
  assert.equal((globalThis as Record<string, unknown>).pwned, undefined);
  // strings, line separators and backticks are data too
  for (const s of ['`${process.exit(1)}`', '\u2028\u2029', '</script>', '\\u0000']) {
    assert.equal(compileValue(JSON.stringify(s))({}), s);
  }
  // the generated source holds field names only as JSON string literals, values not at all
  const src = generatedSource('.["a\\"]);x"] == "secret-ish value"', 'condition');
  assert.ok(src.includes(JSON.stringify('a"]);x')));
  assert.ok(!src.includes('secret-ish value'));
});

test('secrets never appear in generated source and cannot be read as values', () => {
  const src = generatedSource('hmac_sha256(.u, secret("K"))', 'value', { secrets: () => 'hunter2' });
  assert.ok(!src.includes('hunter2'));
  compileFails(() => compileValue('secret("K")', { secrets: () => 'x' }), /only be used as the key/);
  compileFails(() => compileValue('hmac_sha256(.u, secret("MISSING_SECRET_FOR_TEST"))'), /secret "MISSING_SECRET_FOR_TEST" is not set/);
});

test('huge and pathological regexes are refused or run in linear time', () => {
  compileFails(() => compileValue(`.m =~ r'${'a'.repeat(20_000)}'`), /too long/);
  compileFails(() => compileValue(".m =~ r'(a{1000}){1000}'"), /invalid regular expression/);
  compileFails(() => compileValue(".m =~ r'(a)\\1'"), /invalid regular expression/); // backreferences: RE2 has none
  // the classic catastrophic-backtracking pattern is linear under RE2
  const f = compileCondition(".m =~ r'^(a+)+$'");
  const t0 = Date.now();
  assert.equal(f({ m: 'a'.repeat(50_000) + '!' }), false);
  assert.ok(Date.now() - t0 < 1000, 'RE2 must not backtrack');
  // dynamic patterns are checked the same way at run time
  const dyn = compileValue('match(.m, .p) ?? "refused"');
  assert.equal(dyn({ m: 'x', p: '(a{1000}){1000}' }), 'refused');
});

test('100,000 levels of JSON nesting into parse_json: a runtime error, not a crash', () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const f = compileValue('parse_json(.m)');
  assert.throws(() => f({ m: deep }), (e: unknown) => e instanceof ExprRuntimeError && /nested deeper/.test(e.reason));
  assert.equal(compileValue('parse_json(.m) ?? "too deep"')({ m: deep }), 'too deep');
  const objs = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
  assert.throws(() => f({ m: objs }), ExprRuntimeError);
});

test('deeply nested event values: recursive operations fail cleanly', () => {
  const nest = (): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    return v;
  };
  const e: Event = { v: nest(), w: nest() };
  assert.throws(() => compileValue('.v == .w')(e), ExprRuntimeError);
  assert.throws(() => compileProgram('.w = .v')(e), ExprRuntimeError);
  assert.throws(() => compileValue('flatten(.v)')(e), ExprRuntimeError);
  assert.throws(() => compileValue('to_json(.v)')(e), ExprRuntimeError);
  assert.equal(compileValue('.v[0][0][0] == null')(e), false); // reading stays fine
});

test('a 10,000-deep nested expression is a clear compile error, not a stack overflow', () => {
  const cases = [
    '('.repeat(10_000) + '1' + ')'.repeat(10_000),
    '['.repeat(10_000) + ']'.repeat(10_000),
    '-'.repeat(10_000) + '1',
    '!'.repeat(10_000) + 'true',
    'not '.repeat(10_000) + 'true',
    'lower('.repeat(10_000) + '"x"' + ')'.repeat(10_000),
    Array.from({ length: 10_000 }, (_, i) => `.a${i}`).join(' + '),
    Array.from({ length: 10_000 }, () => '.a ?? ').join('') + '1',
    'true ? '.repeat(10_000) + '1' + ' : 2'.repeat(10_000),
  ];
  for (const src of cases) {
    assert.throws(() => compileValue(src), (e: unknown) => e instanceof ExpressionError && /nested too deeply/.test(e.reason), src.slice(0, 30));
  }
  const blocks = 'if true { '.repeat(10_000) + '.a = 1' + ' }'.repeat(10_000);
  assert.throws(() => compileProgram(blocks), (e: unknown) => e instanceof ExpressionError && /nested too deeply/.test(e.reason));
  // long flat chains of and/or are fine (n-ary, no nesting)
  const flat = Array.from({ length: 10_000 }, (_, i) => `.f == ${i}`).join(' or ');
  assert.equal(compileCondition(flat)({ f: 9_999 }), true);
});

test('no timers, I/O or globals are reachable: the library is the only callable surface', () => {
  for (const name of ['setTimeout', 'setInterval', 'fetch', 'require', 'import', 'eval', 'readFile', 'exec', 'spawn']) {
    compileFails(() => compileValue(`${name}("x")`), /unknown function|unexpected keyword|expected/);
  }
  // generated code uses generated identifiers only
  const src = generatedSource('lower(.process) == "x" and len(.globalThis) > 0', 'condition');
  assert.ok(!/\bprocess\b(?!")/.test(src.replace(/"[^"]*"/g, '""')));
});

test('objects created by the language are ordinary JSON objects with safe keys', () => {
  const e: Event = {};
  compileProgram('.a.b.c = 1\n.l[2] = "x"\n.m = {"k": [1, {"z": 2}]}')(e);
  assert.deepEqual(JSON.parse(JSON.stringify(e)), { a: { b: { c: 1 } }, l: [null, null, 'x'], m: { k: [1, { z: 2 }] } });
  assert.equal(Object.getPrototypeOf(e.a), Object.prototype);
  // a list index far past the end is refused instead of allocating gigabytes
  assert.throws(() => compileProgram('.l[100000000] = 1')({}), ExprRuntimeError);
});
