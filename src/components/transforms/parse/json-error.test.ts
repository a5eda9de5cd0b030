import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeJsonError, locateJsonError } from './json-error.js';

test('positions and reasons for common mistakes', () => {
  const cases: [string, number, string][] = [
    ['{"a":}', 5, "unexpected '}'"],
    ['{"a":1', 6, 'unexpected end of input'],
    ['{a:1}', 1, "expected a property name in double quotes, found 'a'"],
    ['[1,2,]', 5, "unexpected ']'"],
    ['{"a":1}x', 7, "unexpected 'x' after the end of the JSON value"],
    ['{"a" 1}', 5, "expected ':' after a property name, found '1'"],
    ['{"a":1 "b":2}', 7, "expected ',' or '}' after a property value, found '\"'"],
    ['"abc', 0, 'unterminated string'],
    ['"a\tb"', 2, 'control character in a string (must be escaped)'],
    ['"\\x"', 1, 'invalid escape \\x'],
    ['01', 1, "unexpected '1' after the end of the JSON value"],
    ['-', 0, 'invalid number "-"'],
    ['{"a":undefined}', 5, "unexpected 'undefined'"],
    ['', 0, 'unexpected end of input'],
  ];
  for (const [text, position, message] of cases) assert.deepEqual(locateJsonError(text), { position, message }, text);
  assert.equal(describeJsonError('{"a":}', 'x'), "invalid JSON at position 5: unexpected '}'");
});

test('deep nesting does not recurse', () => {
  const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
  assert.equal(locateJsonError(deep), null);
  assert.deepEqual(locateJsonError('['.repeat(1_000_000)), { position: 1_000_000, message: 'unexpected end of input' });
});

test('fuzz: reports an error exactly when JSON.parse throws', () => {
  let a = 12345;
  const rand = () => { a = (a * 1103515245 + 12345) & 0x7fffffff; return a / 0x7fffffff; };
  const seeds = ['{"a":[1,2.5e-3,{"b":null}],"c":"d\\u00e9\\n","e":true,"f":false}', '[-0, 1E+2, "x"]', '"\\ud83d\\ude00"', ' {} '];
  const alphabet = '{}[]":,.-+eE0123456789 \\utrfalsn\t\n';
  for (let n = 0; n < 30_000; n++) {
    let s = seeds[Math.floor(rand() * seeds.length)]!;
    for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
      const at = Math.floor(rand() * (s.length + 1));
      s = rand() < 0.5 ? s.slice(0, at) + alphabet[Math.floor(rand() * alphabet.length)] + s.slice(at) : s.slice(0, at) + s.slice(at + 1);
    }
    let valid = true;
    try { JSON.parse(s); } catch { valid = false; }
    const loc = locateJsonError(s);
    assert.equal(loc === null, valid, `disagreement on ${JSON.stringify(s)}: ${JSON.stringify(loc)}`);
    if (loc) assert.ok(loc.position >= 0 && loc.position <= s.length);
  }
});
