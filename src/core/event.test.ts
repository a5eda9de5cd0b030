import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneValue } from './event.js';

test('cloneValue keeps a `__proto__` field as a field, without touching the prototype', () => {
  const e = JSON.parse('{"a":{"__proto__":{"polluted":true},"b":1}}') as { a: Record<string, unknown> };
  const c = cloneValue(e);
  assert.deepEqual(Object.keys(c.a), ['__proto__', 'b']);
  assert.deepEqual(JSON.stringify(c), JSON.stringify(e));
  assert.equal(Object.getPrototypeOf(c.a), Object.prototype);
  assert.equal((c.a as { polluted?: boolean }).polluted, undefined);
  c.a.b = 2;
  assert.equal(e.a.b, 1, 'a deep copy');
});
