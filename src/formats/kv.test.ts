import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileKv, parseKv } from './kv.js';

function ok(text: string, opts?: Parameters<typeof parseKv>[1]) {
  const r = parseKv(text, opts);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(text)} to parse: ${r.error}`);
  return r.value;
}

test('space-separated pairs with double, single and no quotes', () => {
  assert.deepEqual(ok('a=1 b="two words" c=\'x\''), { a: '1', b: 'two words', c: 'x' });
  assert.deepEqual(ok('  a=1 \t  b=2  '), { a: '1', b: '2' });
  assert.deepEqual(ok('empty= next=""'), { empty: '', next: '' });
  assert.deepEqual(ok('url=http://x/?a=b&c=d'), { url: 'http://x/?a=b&c=d' });
});

test('escapes inside quotes: only the quote and the backslash; Windows paths survive', () => {
  assert.deepEqual(ok('msg="say \\"hi\\"" p="C:\\Windows\\System32" q=\'it\\\'s\' r="a\\\\"'), {
    msg: 'say "hi"', p: 'C:\\Windows\\System32', q: "it's", r: 'a\\',
  });
});

test('standalone words are flags; quoted keys', () => {
  assert.deepEqual(ok('login failed user=bob'), { login: true, failed: true, user: 'bob' });
  assert.deepEqual(ok('"my key"="v 1"'), { 'my key': 'v 1' });
});

test('custom separators trim spaces; multi-character separators', () => {
  assert.deepEqual(ok('a=1, b = two words ,c="q, x"', { fieldSplit: ',' }), { a: '1', b: 'two words', c: 'q, x' });
  assert.deepEqual(ok('a: 1; b: 2', { fieldSplit: ';', valueSplit: ':' }), { a: '1', b: '2' });
  assert.deepEqual(ok('a=>1 || b=>2', { fieldSplit: '||', valueSplit: '=>' }), { a: '1', b: '2' });
});

test('duplicate keys: last wins, or all kept in order', () => {
  assert.deepEqual(ok('a=1 a=2 a=3'), { a: '3' });
  assert.deepEqual(ok('a=1 b=x a=2 a=3', { duplicates: 'array' }), { a: ['1', '2', '3'], b: 'x' });
});

test('errors: unterminated quote, junk after a quote, empty key, nothing key/value', () => {
  const f = compileKv();
  assert.deepEqual(f('a="open'), { ok: false, error: 'unterminated quoted string starting at position 2' });
  assert.match((f('a="x"y b=1') as { error: string }).error, /after the closing quote of "a" at position 5/);
  assert.match((f('=v') as { error: string }).error, /empty key at position 0/);
  assert.deepEqual(f('just words here'), { ok: false, error: 'no key=value pairs found' });
  assert.deepEqual(f(''), { ok: false, error: 'no key=value pairs found' });
});

test('__proto__ keys stay data', () => {
  const v = ok('__proto__=x a=1');
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['__proto__', 'a']);
});

test('invalid options are rejected when compiling', () => {
  assert.throws(() => compileKv({ fieldSplit: '' }), /must not be empty/);
  assert.throws(() => compileKv({ fieldSplit: '=', valueSplit: '=' }), /must differ/);
});
