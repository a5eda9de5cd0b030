import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTransform, checkConfig, runTransform } from '../../../engine/testing.js';
import def from './index.js';

const evs = (n: number, f: (i: number) => Record<string, unknown> = () => ({})) => Array.from({ length: n }, (_, i) => ({ i, ...f(i) }));

test('keeps the first of every `rate` events and counts the rest as sampled', async () => {
  const rt = await buildTransform(def, { rate: 3 });
  const r = await runTransform(rt, evs(7));
  assert.deepEqual(r.main.map((e) => e.i), [0, 3, 6]);
  assert.equal(r.discarded, 4);
  // The counter carries across batches: events 7 and 8 of the stream are dropped, 9 kept.
  const r2 = await runTransform(rt, evs(3, (i) => ({ i: 7 + i })));
  assert.deepEqual(r2.main.map((e) => e.i), [9]);
});

test('rate 1 keeps everything', async () => {
  const rt = await buildTransform(def, { rate: 1 });
  const r = await runTransform(rt, evs(10));
  assert.equal(r.main.length, 10);
  assert.equal(r.discarded, 0);
});

test('key_field keeps or drops every event of a key together, the same way in every instance', async () => {
  const raw = { rate: 4, key_field: 'session.id' };
  const a = await buildTransform(def, raw);
  const b = await buildTransform(def, raw);
  const events = evs(4000, (i) => ({ session: { id: `s${i % 400}` } }));
  const ra = await runTransform(a, events.map((e) => ({ ...e })));
  const rb = await runTransform(b, [...events].reverse().map((e) => ({ ...e })));
  const kept = new Set(ra.main.map((e) => (e.session as { id: string }).id));
  assert.deepEqual(new Set(rb.main.map((e) => (e.session as { id: string }).id)), kept, 'same sessions, whatever the order or instance');
  // Whole sessions: each kept session has all 10 of its events.
  assert.equal(ra.main.length, kept.size * 10);
  assert.equal(ra.discarded, 4000 - kept.size * 10);
  // Roughly 1 in 4 of the 400 sessions (the hash is deterministic, so this cannot flake).
  assert.ok(kept.size > 70 && kept.size < 130, `kept ${kept.size} of 400 sessions`);
});

test('events without the key field fall back to the counter', async () => {
  const rt = await buildTransform(def, { rate: 2, key_field: 'session.id' });
  const r = await runTransform(rt, evs(6, () => ({ session: null })));
  assert.deepEqual(r.main.map((e) => e.i), [0, 2, 4]);
});

test('exclude: matching events always pass and do not move the counter', async () => {
  const rt = await buildTransform(def, { rate: 10, exclude: '.severity == "error"' });
  const r = await runTransform(rt, [
    { i: 0 }, { i: 1, severity: 'error' }, { i: 2 }, { i: 3, severity: 'error' }, { i: 4 },
  ]);
  assert.deepEqual(r.main.map((e) => e.i), [0, 1, 3]);
  assert.equal(r.discarded, 2);
});

test('sample_rate_key records the rate on sampled events only', async () => {
  const rt = await buildTransform(def, { rate: 2, exclude: '.keep == true', sample_rate_key: 'meta.sample_rate' });
  const r = await runTransform(rt, [{ i: 0 }, { i: 1 }, { i: 2, keep: true }]);
  assert.deepEqual(r.main, [{ i: 0, meta: { sample_rate: 2 } }, { i: 2, keep: true }]);
});

test('an exclude condition that fails for an event sends it to errors with the reason', async () => {
  const rt = await buildTransform(def, { rate: 1, exclude: 'to_int(.code) > 400' });
  const r = await runTransform(rt, [{ code: '500' }, { code: 'n/a' }, { code: '200' }]);
  assert.equal(r.main.length, 2);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.error_code, 'condition_failed');
  assert.match(r.errors[0]!.reason, /exclude condition failed: .*cannot convert "n\/a"/);
  assert.deepEqual(r.errors[0]!.event, { code: 'n/a' });
});

test('config problems are reported', () => {
  assert.throws(() => checkConfig(def, {}), /rate/);
  assert.throws(() => checkConfig(def, { rate: 0 }), /at least 1/);
  assert.throws(() => checkConfig(def, { rate: 2, exclude: '.a ==' }), /exclude/);
  assert.throws(() => checkConfig(def, { rate: 2, key_field: 'a..b' }), /key_field/);
});
