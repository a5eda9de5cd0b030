import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTransform, checkConfig, runTransform } from '../../../engine/testing.js';
import def from './index.js';

/** Events as a user sees them downstream: deleted fields are undefined tombstones until serialized. */
const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

test('source: a program modifies events in place', async () => {
  const rt = await buildTransform(def, { source: '.user.name = lower(.user.name)\ndel(.raw)\n.seen = true' });
  const r = await runTransform(rt, [{ user: { name: 'ANN' }, raw: 'x' }]);
  assert.deepEqual(json(r.main), [{ user: { name: 'ann' }, seen: true }]);
});

test('declarative options run in order: rename, fields, source, delete', async () => {
  const rt = await buildTransform(def, {
    // Written in another order on purpose: the order of execution is fixed.
    delete: ['tmp', 'user.password'],
    source: '.trace = .tmp + "+source"',
    fields: { tmp: '.user.id + "+fields"', 'user.display': 'upper(.user.id)' },
    rename: { uid: 'user.id', password: 'user.password' },
  });
  const r = await runTransform(rt, [{ uid: 'abc', password: 'hunter2', keep: 1 }]);
  assert.deepEqual(json(r.main), [{ keep: 1, user: { id: 'abc', display: 'ABC' }, trace: 'abc+fields+source' }]);
});

test('fields are set in the order written, each seeing the ones before; a missing result sets null', async () => {
  const rt = await buildTransform(def, { fields: { a: '1', b: '.a + 1', 'c.d': '.nope' } });
  const r = await runTransform(rt, [{}]);
  assert.deepEqual(json(r.main), [{ a: 1, b: 2, c: { d: null } }]);
});

test('rename of a missing field creates nothing; paths may start with a dot', async () => {
  const rt = await buildTransform(def, { rename: { '.a.b': '.x', missing: 'y' } });
  const r = await runTransform(rt, [{ a: { b: 1, c: 2 } }, { a: 'str' }]);
  assert.deepEqual(json(r.main), [{ a: { c: 2 }, x: 1 }, { a: 'str' }]);
});

test('delete accepts a single path and ignores missing fields', async () => {
  const rt = await buildTransform(def, { delete: 'a.b' });
  const r = await runTransform(rt, [{ a: { b: 1, c: 2 } }, { z: 1 }]);
  assert.deepEqual(json(r.main), [{ a: { c: 2 } }, { z: 1 }]);
});

test('abort sends the event to errors with remap_aborted and the reason', async () => {
  const rt = await buildTransform(def, { source: 'if .class == null {\n  abort "no class"\n}\n.ok = true' });
  const r = await runTransform(rt, [{ class: 'auth' }, { n: 2 }]);
  assert.deepEqual(json(r.main), [{ class: 'auth', ok: true }]);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.error_code, 'remap_aborted');
  assert.equal(r.errors[0]!.reason, 'no class');
  assert.deepEqual(json(r.errors[0]!.event), { n: 2 });
});

test('a runtime failure goes to errors with remap_failed, naming the step; the event carries earlier changes', async () => {
  const rt = await buildTransform(def, { rename: { p: 'port' }, fields: { port_num: 'to_int(.port)' }, delete: ['port'] });
  const r = await runTransform(rt, [{ p: '22' }, { p: 'ssh' }]);
  assert.deepEqual(json(r.main), [{ port_num: 22 }]);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.error_code, 'remap_failed');
  assert.match(r.errors[0]!.reason, /^fields\."port_num": to_int: cannot convert "ssh"/);
  assert.deepEqual(json(r.errors[0]!.event), { port: 'ssh' }, 'renamed before the failure; delete never ran');

  const rt2 = await buildTransform(def, { source: '.a = 1\n.b = .s * 2' });
  const r2 = await runTransform(rt2, [{ s: 'x' }]);
  assert.match(r2.errors[0]!.reason, /^source: cannot apply "\*"/);
  assert.deepEqual(json(r2.errors[0]!.event), { s: 'x', a: 1 });
});

test('keep_original_on_error: errors carry the event exactly as it arrived', async () => {
  const rt = await buildTransform(def, { keep_original_on_error: true, rename: { p: 'port' }, source: '.x = 1\nabort "stop"' });
  const r = await runTransform(rt, [{ p: '22', nested: { a: [1] } }]);
  assert.equal(r.main.length, 0);
  assert.equal(r.errors[0]!.error_code, 'remap_aborted');
  assert.deepEqual(json(r.errors[0]!.event), { p: '22', nested: { a: [1] } });
});

test('config problems are reported at validation or build', async () => {
  await assert.rejects(buildTransform(def, {}), /nothing to do/);
  await assert.rejects(buildTransform(def, { rename: { 'a..b': 'c' } }), /a\.\.b/);
  await assert.rejects(buildTransform(def, { fields: { 'x[': '1' } }), /invalid index/);
  assert.throws(() => checkConfig(def, { source: '.a = ' }), /source/);
  assert.throws(() => checkConfig(def, { fields: { a: 'nofunc(.x)' } }), /fields\.a.*unknown function/);
  assert.throws(() => checkConfig(def, { rename: { a: 'b..c' } }), /rename\.a/);
});
