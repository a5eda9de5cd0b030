import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTransform, checkConfig, runTransform } from '../../../engine/testing.js';
import def, { createDedupe, type DedupeConfig } from './index.js';

function withClock(raw: Record<string, unknown>) {
  const clock = { t: 1_000_000 };
  const rt = createDedupe(checkConfig(def, raw) as unknown as DedupeConfig, () => clock.t);
  return { rt, clock };
}

test('drops repeats of the chosen fields and counts them', async () => {
  const rt = await buildTransform(def, { fields: ['user.name', 'src.ip'] });
  const r = await runTransform(rt, [
    { user: { name: 'ann' }, src: { ip: '10.0.0.1' }, n: 1 },
    { user: { name: 'ann' }, src: { ip: '10.0.0.1' }, n: 2 },
    { user: { name: 'ann' }, src: { ip: '10.0.0.2' }, n: 3 },
    { user: { name: 'bob' }, src: { ip: '10.0.0.1' }, n: 4 },
  ]);
  assert.deepEqual(r.main.map((e) => e.n), [1, 3, 4]);
  assert.equal(r.discarded, 1);
  // Remembered across batches too.
  const r2 = await runTransform(rt, [{ user: { name: 'bob' }, src: { ip: '10.0.0.1' }, n: 5 }]);
  assert.deepEqual(r2.main, []);
  assert.equal(r2.discarded, 1);
});

test('a missing field and null are the same value; "1" and 1 are not', async () => {
  const rt = await buildTransform(def, { fields: ['a', '.b'] });
  const r = await runTransform(rt, [
    { a: 'x', n: 1 },
    { a: 'x', b: null, n: 2 },
    { a: 'x', b: 1, n: 3 },
    { a: 'x', b: '1', n: 4 },
    { n: 5 },
    { a: null, b: null, n: 6 },
  ]);
  assert.deepEqual(r.main.map((e) => e.n), [1, 3, 4, 5]);
  assert.equal(r.discarded, 2);
});

test('values joined by separators cannot collide: the key is structured JSON', async () => {
  const rt = await buildTransform(def, { fields: ['a', 'b'] });
  const r = await runTransform(rt, [{ a: 'x|y', b: 'z' }, { a: 'x', b: 'y|z' }, { a: 'x","y', b: 'z' }, { a: 'x', b: 'y","z' }]);
  assert.equal(r.main.length, 4);
});

test('window: a key passes again once the window has passed; duplicates do not extend it', async () => {
  const { rt, clock } = withClock({ fields: ['msg'], window: '10s' });
  assert.equal((await runTransform(rt, [{ msg: 'a' }])).main.length, 1);
  clock.t += 9_999;
  const dup = await runTransform(rt, [{ msg: 'a' }]);
  assert.equal(dup.main.length, 0);
  assert.equal(dup.discarded, 1);
  clock.t += 1; // 10 s after the recorded one, though only 1 ms after the last duplicate
  assert.equal((await runTransform(rt, [{ msg: 'a' }])).main.length, 1);
  clock.t += 5_000;
  assert.equal((await runTransform(rt, [{ msg: 'a' }])).main.length, 0, 'the new record starts a new window');
});

test('expired keys are forgotten, so memory shrinks when traffic moves on', async () => {
  const { rt, clock } = withClock({ fields: ['msg'], window: '1m' });
  await runTransform(rt, Array.from({ length: 50 }, (_, i) => ({ msg: `m${i}` })));
  assert.equal(rt.size, 50);
  clock.t += 60_000;
  await runTransform(rt, [{ msg: 'new' }]);
  assert.equal(rt.size, 1);
});

test('max_entries bounds memory; the key recorded longest ago is forgotten first', async () => {
  const { rt } = withClock({ fields: ['k'], max_entries: 2 });
  const r = await runTransform(rt, [{ k: 'a' }, { k: 'b' }, { k: 'c' }]);
  assert.equal(r.main.length, 3);
  assert.equal(rt.size, 2);
  // `a` was forgotten: it passes again (and pushes out `b`); `c` is still remembered.
  const r2 = await runTransform(rt, [{ k: 'a' }, { k: 'c' }, { k: 'b' }]);
  assert.deepEqual(r2.main.map((e) => e.k), ['a', 'b']);
  assert.equal(r2.discarded, 1);
  assert.equal(rt.size, 2);
  const many = await runTransform(rt, Array.from({ length: 1000 }, (_, i) => ({ k: i })));
  assert.equal(many.main.length, 1000);
  assert.equal(rt.size, 2);
});

test('ignore_fields compares everything else, whatever the key order', async () => {
  const rt = await buildTransform(def, { ignore_fields: ['timestamp', 'meta.received_at', 'tags[0]'] });
  const r = await runTransform(rt, [
    { timestamp: 1, msg: 'x', meta: { received_at: 1, host: 'h' }, tags: ['t1', 'keep'] },
    { meta: { host: 'h', received_at: 2 }, msg: 'x', timestamp: 2, tags: ['t2', 'keep'] },
    { timestamp: 3, msg: 'x', meta: { received_at: 3, host: 'other' }, tags: ['t3', 'keep'] },
    { timestamp: 4, msg: 'x', meta: { received_at: 4, host: 'h' }, tags: ['t4', 'changed'] },
  ]);
  assert.deepEqual(r.main.map((e) => e.timestamp), [1, 3, 4]);
  assert.equal(r.discarded, 1);
});

test('ignore_fields: [] compares whole events', async () => {
  const rt = await buildTransform(def, { ignore_fields: [] });
  const r = await runTransform(rt, [{ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, { a: 1, b: { c: [2, 1] } }]);
  assert.equal(r.main.length, 2);
});

test('kept events are passed on unchanged (same objects)', async () => {
  const rt = await buildTransform(def, { fields: ['a'] });
  const e = { a: 1, b: { c: 2 } };
  const r = await runTransform(rt, [e]);
  assert.equal(r.main[0], e);
  assert.deepEqual(e, { a: 1, b: { c: 2 } });
});

test('config problems are reported at build', async () => {
  await assert.rejects(buildTransform(def, {}), /set `fields`.*or `ignore_fields`/);
  await assert.rejects(buildTransform(def, { fields: ['a'], ignore_fields: ['b'] }), /not both/);
  await assert.rejects(buildTransform(def, { fields: [] }), /`fields` is empty/);
  await assert.rejects(buildTransform(def, { fields: ['a'], window: 0 }), /window/);
  assert.throws(() => checkConfig(def, { fields: ['a..b'] }), /fields\.0/);
  assert.throws(() => checkConfig(def, { fields: ['a'], max_entries: 0 }), /max_entries/);
});
