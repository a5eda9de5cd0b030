// Remap programs: assignment, variables, del/rename/copy/merge, blocks, abort.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileCondition, compileProgram, compileReplProgram, compileValue, ExprAbort, ExpressionError, ExprRuntimeError, type Event,
} from './index.js';

const run = (src: string, e: Event, opts = {}): Event => {
  compileProgram(src, opts)(e);
  return JSON.parse(JSON.stringify(e)) as Event;
};

test('assignment creates intermediate objects and lists, replacing non-containers', () => {
  assert.deepEqual(run('.a.b.c = 1\n.l[0].x = "y"\n.s.t = 2', { s: 'string' }), { s: { t: 2 }, a: { b: { c: 1 } }, l: [{ x: 'y' }] });
  assert.deepEqual(run('.l[-1] = 9\n.l[3] = 4', { l: [1, 2] }), { l: [1, 9, null, 4] });
  assert.throws(() => compileProgram('.l[-5] = 1')({ l: [] }), ExprRuntimeError);
  assert.throws(() => compileProgram('.[0] = 1'), ExpressionError);
});

test('dynamic path segments in assignments', () => {
  assert.deepEqual(run('.out[.k] = .v\n.arr[.i] = "z"', { k: 'name', v: 1, i: 0 }), { k: 'name', v: 1, i: 0, out: { name: 1 }, arr: ['z'] });
  assert.throws(() => compileProgram('.x[.k] = 1')({ k: true }), (e: unknown) => e instanceof ExprRuntimeError && /must be a string or a number/.test(e.reason));
});

test('assignment copies values (no aliasing), regexes and CIDRs become text', () => {
  const e: Event = { a: { list: [1] } };
  compileProgram('.b = .a\n.b.list[1] = 2\nx = .a\nx.n = 1\n.c = x\n.r = [r\'a+\', 10.0.0.0/8]\n.m = {"k": .a}\n.m.k.z = 1')(e);
  assert.deepEqual(JSON.parse(JSON.stringify(e)), { a: { list: [1] }, b: { list: [1, 2] }, c: { list: [1], n: 1 }, r: ['a+', '10.0.0.0/8'], m: { k: { list: [1], z: 1 } } });
  assert.equal(typeof (e.r as unknown[])[0], 'string');
});

test('. = replaces the whole event in place', () => {
  const e: Event = { old: 1 };
  const same = e;
  compileProgram('. = {"new": .old}')(e);
  assert.equal(e, same);
  assert.deepEqual(JSON.parse(JSON.stringify(e)), { new: 1 });
  assert.throws(() => compileProgram('. = 5'), ExpressionError);
  assert.throws(() => compileProgram('. = .x')({ x: [1] }), ExprRuntimeError);
});

test('variables: let and plain assignment, scoped to the program run', () => {
  const p = compileProgram('let n = .a * 2\nm = n + 1\nif m > 3 { big = true } else { big = false }\n.r = [n, m, big]');
  assert.deepEqual(run('let n = .a * 2\nm = n + 1\n.r = [n, m]', { a: 2 }), { a: 2, r: [4, 5] });
  const e1: Event = { a: 1 }, e2: Event = { a: 5 };
  p(e1); p(e2);
  assert.deepEqual([e1.r, e2.r], [[2, 3, false], [10, 11, true]]);
  assert.throws(() => compileProgram('.x = y'), (e: unknown) => e instanceof ExpressionError && /unknown variable "y"/.test(e.reason) && /\.y/.test(e.hint ?? ''));
  assert.throws(() => compileProgram('let in = 1'), ExpressionError);
});

test('del, rename, copy on present, null and absent fields', () => {
  assert.deepEqual(run('del(.a)\ndel(.missing)\ndel(.l[0])\nx = del(.b.c)\n.got = x', { a: 1, b: { c: 'v', d: 2 }, l: [1, 2] }), { b: { d: 2 }, l: [2], got: 'v' });
  assert.deepEqual(run('rename(.a, .x.y)\nrename(.missing, .z)\nrename(.n, .nn)', { a: 1, n: null }), { x: { y: 1 }, nn: null });
  assert.deepEqual(run('copy(.a, .b)\n.b.k = 2\ncopy(.missing, .c)', { a: { k: 1 } }), { a: { k: 1 }, b: { k: 2 } });
  assert.throws(() => compileProgram('del(1)'), ExpressionError);
  assert.throws(() => compileProgram('del(.)'), ExpressionError);
});

test('del leaves an undefined tombstone by default, or deletes with hardDelete', () => {
  const soft: Event = { a: 1, b: 2 };
  compileProgram('del(.a)\nrename(.b, .c)')(soft);
  assert.deepEqual(Object.keys(soft), ['a', 'b', 'c']);
  assert.equal(soft.a, undefined);
  assert.equal(JSON.stringify(soft), '{"c":2}');
  const hard: Event = { a: 1, b: 2 };
  compileProgram('del(.a)\nrename(.b, .c)', { hardDelete: true })(hard);
  assert.deepEqual(hard, { c: 2 });
  // tombstones are absent for the language
  assert.deepEqual(run('.r = [exists(.a), .a, keys(.), len(.), "a" in ., . == {"c": 2}, is_empty({})]', soft), { c: 2, r: [false, null, ['c'], 1, false, true, true] });
  // and re-assigning a deleted field brings it back
  assert.deepEqual(run('del(.a)\n.a = 3', { a: 1 }), { a: 3 });
});

test('merge in place (statement) versus merge() as a value', () => {
  assert.deepEqual(run('merge(., {"b": 2})\nmerge(.n, {"x": 1})\nmerge(.n, {"y": 2})\nmerge(.d, {"k": {"q": 2}}, true)', { a: 1, d: { k: { p: 1 } } }),
    { a: 1, b: 2, n: { x: 1, y: 2 }, d: { k: { p: 1, q: 2 } } });
  assert.deepEqual(run('.m = merge(.a, .b)', { a: { x: 1 }, b: { y: 2 } }), { a: { x: 1 }, b: { y: 2 }, m: { x: 1, y: 2 } });
  assert.throws(() => compileProgram('merge(., .s)')({ s: 'str' }), (e: unknown) => e instanceof ExprRuntimeError && /expected an object/.test(e.reason));
  assert.deepEqual(run('merge(., .missing)', { a: 1 }), { a: 1 });
  assert.deepEqual(run('v = {"a": 1}\nmerge(v, {"b": 2})\n.v = v', {}), { v: { a: 1, b: 2 } });
});

test('if / else if / else statements', () => {
  const p = compileProgram('if .s >= 8 { .l = "high" } else if .s >= 4 { .l = "medium" } else { .l = "low" }');
  assert.deepEqual([8, 5, 1, null].map((s) => { const e: Event = { s }; p(e); return e.l; }), ['high', 'medium', 'low', 'low']);
  assert.deepEqual(run('if .a {\n  .b = 1\n}\nelse {\n  .b = 2\n}', {}), { b: 2 });
});

test('abort raises ExprAbort with the reason; other statements after it do not run', () => {
  const p = compileProgram('.x = 1\nif .bad { abort "bad event: " + .id }\nabort\n.y = 2');
  const e: Event = { bad: true, id: 'e1' };
  assert.throws(() => p(e), (x: unknown) => x instanceof ExprAbort && x.reason === 'bad event: e1');
  assert.equal(e.x, 1);
  assert.throws(() => p({}), (x: unknown) => x instanceof ExprAbort && x.reason === 'aborted');
  // abort passes through ?? and try()
  assert.throws(() => compileProgram('.x = try(.a, 1)\nabort "stop"')({}), ExprAbort);
  assert.throws(() => compileProgram('y = .a ?? 1\nabort "z"')({}), ExprAbort);
  assert.throws(() => compileProgram('.y = (if true { parse_json("{") } else { 1 }) ?? 2\nabort "after"')({}), (x: unknown) => x instanceof ExprAbort && x.reason === 'after');
});

test('statements that change the event are refused in conditions and values', () => {
  for (const src of ['del(.a)', 'rename(.a, .b)', 'copy(.a, .b)']) {
    assert.throws(() => compileValue(src), (e: unknown) => e instanceof ExpressionError && /only allowed in remap programs/.test(e.reason));
    assert.throws(() => compileCondition(`${src} == null`), ExpressionError);
  }
  assert.throws(() => compileValue('abort "x"'), (e: unknown) => e instanceof ExpressionError && /only allowed in remap programs/.test(e.hint ?? ''));
  assert.throws(() => compileValue('.a = 1'), ExpressionError);
});

test('a comparison used as a statement is a likely typo', () => {
  assert.throws(() => compileProgram('.a == 1'), (e: unknown) => e instanceof ExpressionError && /unused/.test(e.reason) && /=/.test(e.hint ?? ''));
});

test('REPL programs keep variables between runs and return the last value', () => {
  const vars: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const e: Event = { a: 2 };
  const first = compileReplProgram('x = .a * 10', []);
  assert.equal(first.run(e, vars), 20);
  const second = compileReplProgram('x + 1', first.vars);
  assert.equal(second.run(e, vars), 21);
  assert.equal(compileReplProgram('.a == 2', []).run(e, vars), true);
});
