import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFieldPath, compileKeyTemplate, parseFieldPath } from './field-path.js';

test('parses dotted, leading-dot, indexed and quoted paths', () => {
  assert.deepEqual(parseFieldPath('a.b.c'), ['a', 'b', 'c']);
  assert.deepEqual(parseFieldPath('.a.b'), ['a', 'b']);
  assert.deepEqual(parseFieldPath('tags[0].name'), ['tags', 0, 'name']);
  assert.deepEqual(parseFieldPath('a[-1]'), ['a', -1]);
  assert.deepEqual(parseFieldPath('."dotted.key".x'), ['dotted.key', 'x']);
  assert.deepEqual(parseFieldPath('@timestamp'), ['@timestamp']);
  for (const bad of ['', '.', 'a.', 'a..b', 'a[x]', 'a[1', '"open', 'a b', '[0]']) {
    assert.throws(() => compileFieldPath(bad), /field path|index|quote|field name/, bad);
  }
});

test('get: missing parts and non-objects read as undefined', () => {
  const e = { a: { b: { c: 1 } }, s: 'str', arr: [{ x: 1 }, { x: 2 }], n: null };
  assert.equal(compileFieldPath('a.b.c').get(e), 1);
  assert.equal(compileFieldPath('a.b.c.d').get(e), undefined);
  assert.equal(compileFieldPath('a.x.c').get(e), undefined);
  assert.equal(compileFieldPath('s.length').get(e), undefined);
  assert.equal(compileFieldPath('arr.length').get(e), undefined);
  assert.equal(compileFieldPath('n.x').get(e), undefined);
  assert.equal(compileFieldPath('arr[1].x').get(e), 2);
  assert.equal(compileFieldPath('arr[-1].x').get(e), 2);
  assert.equal(compileFieldPath('arr[5].x').get(e), undefined);
});

test('get never reaches the prototype chain', () => {
  const e: Record<string, unknown> = { a: {} };
  for (const p of ['constructor', 'toString', '__proto__', 'a.constructor', 'a.hasOwnProperty', 'a.__proto__']) {
    assert.equal(compileFieldPath(p).get(e), undefined, p);
  }
  const own = JSON.parse('{"constructor":"c","__proto__":{"x":1}}') as Record<string, unknown>;
  assert.equal(compileFieldPath('constructor').get(own), 'c');
  assert.deepEqual(compileFieldPath('__proto__.x').get(own), 1);
});

test('set creates or replaces intermediate containers; __proto__ becomes a plain field', () => {
  const e: Record<string, unknown> = { s: 'str' };
  compileFieldPath('a.b.c').set(e, 1);
  compileFieldPath('s.x').set(e, 2);
  compileFieldPath('list[2]').set(e, 'z');
  compileFieldPath('__proto__.polluted').set(e, true);
  assert.equal(JSON.stringify(e), '{"s":{"x":2},"a":{"b":{"c":1}},"list":[null,null,"z"],"__proto__":{"polluted":true}}');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(e), Object.prototype);
  assert.throws(() => compileFieldPath('list[-9]').set(e, 1), /out of range/);
});

for (const method of ['delete', 'remove'] as const) {
  test(`${method} removes fields and array items and returns the value`, () => {
    const e: Record<string, unknown> = { a: { b: 1, c: 2 }, arr: [1, 2, 3] };
    assert.equal(compileFieldPath('a.b')[method](e), 1);
    assert.equal(compileFieldPath('a.b').get(e), undefined);
    assert.equal(compileFieldPath('a.b')[method](e), undefined);
    assert.equal(compileFieldPath('x.y')[method](e), undefined);
    assert.equal(compileFieldPath('arr[0]')[method](e), 1);
    assert.equal(compileFieldPath('a.toString')[method](e), undefined);
    assert.equal(JSON.stringify(e), '{"a":{"c":2},"arr":[2,3]}');
    // remove leaves an undefined tombstone (as the language's del() does); delete leaves nothing.
    assert.equal(Object.hasOwn(e.a as object, 'b'), method === 'remove');
  });
}

test('key templates render values, and null when a part is missing', () => {
  const t = compileKeyTemplate('{{ src.ip }}:{{.port}}');
  assert.equal(t.render({ src: { ip: '1.2.3.4' }, port: 22 }), '1.2.3.4:22');
  assert.equal(t.render({ src: { ip: '1.2.3.4' } }), null);
  const p = compileKeyTemplate('user');
  assert.equal(p.render({ user: { id: 1 } }), '{"id":1}');
  assert.equal(p.render({ user: null }), null);
  assert.throws(() => compileKeyTemplate('{{ a'), /unclosed/);
});
