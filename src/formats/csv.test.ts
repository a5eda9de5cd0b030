import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCsv, splitCsvLine } from './csv.js';

const split = (l: string, d?: string) => {
  const r = splitCsvLine(l, d);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(l)} to parse: ${r.error}`);
  return r.value;
};

test('RFC 4180 fields: plain, quoted, doubled quotes, delimiters and empties inside quotes', () => {
  assert.deepEqual(split('aaa,bbb,ccc'), ['aaa', 'bbb', 'ccc']);
  assert.deepEqual(split('"aaa","b,bb","c""cc"'), ['aaa', 'b,bb', 'c"cc']);
  assert.deepEqual(split('"",,""'), ['', '', '']);
  assert.deepEqual(split('a,'), ['a', '']);
  assert.deepEqual(split('"a",'), ['a', '']);
  assert.deepEqual(split('x,"""quoted"""'), ['x', '"quoted"']);
  assert.deepEqual(split('5 "inch" screen,b'), ['5 "inch" screen', 'b']);
});

test('configurable delimiter', () => {
  assert.deepEqual(split('a;"b;c";d', ';'), ['a', 'b;c', 'd']);
  assert.deepEqual(split('a\tb\t"c\td"', '\t'), ['a', 'b', 'c\td']);
});

test('columns map values to names; extras are kept as column_<n>; short records omit the rest', () => {
  const p = compileCsv({ columns: ['time', 'src', 'action'] });
  assert.deepEqual(p('2024-01-01,10.0.0.1,allow'), { ok: true, value: { time: '2024-01-01', src: '10.0.0.1', action: 'allow' } });
  assert.deepEqual(p('t,s,a,extra1,extra2'), { ok: true, value: { time: 't', src: 's', action: 'a', column_4: 'extra1', column_5: 'extra2' } });
  assert.deepEqual(p('t,s'), { ok: true, value: { time: 't', src: 's' } });
  assert.deepEqual(compileCsv()('a,b'), { ok: true, value: { column_1: 'a', column_2: 'b' } });
});

test('errors name the position', () => {
  assert.deepEqual(splitCsvLine('a,"open'), { ok: false, error: 'unterminated quoted field starting at position 2' });
  assert.match((splitCsvLine('"a"b,c') as { error: string }).error, /unexpected "b" after the closing quote at position 3/);
  assert.deepEqual(splitCsvLine(''), { ok: false, error: 'empty line' });
});

test('invalid options are rejected when compiling', () => {
  assert.throws(() => compileCsv({ delimiter: '::' }), /one character/);
  assert.throws(() => compileCsv({ delimiter: '"' }), /cannot be a delimiter/);
  assert.throws(() => compileCsv({ columns: ['a', 'a'] }), /listed twice/);
});
