import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTransform, checkConfig, runTransform } from '../../../engine/testing.js';
import def, { createThrottle, type ThrottleConfig } from './index.js';

function withClock(raw: Record<string, unknown>) {
  const clock = { t: 5_000_000 };
  const rt = createThrottle(checkConfig(def, raw) as unknown as ThrottleConfig, () => clock.t);
  return { rt, clock };
}

const evs = (n: number, f: (i: number) => Record<string, unknown> = () => ({})) => Array.from({ length: n }, (_, i) => ({ i, ...f(i) }));

test('lets threshold events through per window and counts the rest as throttled', async () => {
  const rt = await buildTransform(def, { threshold: 2, window: '1m' });
  const r = await runTransform(rt, evs(5));
  assert.deepEqual(r.main.map((e) => e.i), [0, 1]);
  assert.equal(r.discarded, 3);
  const r2 = await runTransform(rt, evs(1));
  assert.equal(r2.main.length, 0, 'the window spans batches');
});

test('each key value has its own bucket; events without the key share one', async () => {
  const rt = await buildTransform(def, { threshold: 1, window: '1h', key_field: 'user.name' });
  const r = await runTransform(rt, [
    { user: { name: 'ann' }, i: 1 },
    { user: { name: 'ann' }, i: 2 },
    { user: { name: 'bob' }, i: 3 },
    { i: 4 },
    { user: { name: null }, i: 5 },
    { user: 'not an object', i: 6 },
    { user: { name: 7 }, i: 7 },
  ]);
  assert.deepEqual(r.main.map((e) => e.i), [1, 3, 4, 7]);
  assert.equal(r.discarded, 3);
});

test('a template key combines fields; a missing part puts the event in the shared bucket', async () => {
  const rt = await buildTransform(def, { threshold: 1, window: '1h', key_field: '{{ src.ip }}:{{ dst.port }}' });
  const r = await runTransform(rt, [
    { src: { ip: '10.0.0.1' }, dst: { port: 22 }, i: 1 },
    { src: { ip: '10.0.0.1' }, dst: { port: 22 }, i: 2 },
    { src: { ip: '10.0.0.1' }, dst: { port: 443 }, i: 3 },
    { src: { ip: '10.0.0.1' }, i: 4 },
    { dst: { port: 443 }, i: 5 },
  ]);
  assert.deepEqual(r.main.map((e) => e.i), [1, 3, 4]);
});

test('window: starts with the first event of a key and restarts after it ends', async () => {
  const { rt, clock } = withClock({ threshold: 2, window: '10s', key_field: 'k' });
  assert.equal((await runTransform(rt, evs(3, () => ({ k: 'a' })))).main.length, 2);
  clock.t += 5_000;
  assert.equal((await runTransform(rt, evs(1, () => ({ k: 'b' })))).main.length, 1);
  clock.t += 4_999;
  assert.equal((await runTransform(rt, evs(1, () => ({ k: 'a' })))).main.length, 0, 'a: still in its window');
  clock.t += 1;
  const r = await runTransform(rt, [...evs(3, () => ({ k: 'a' })), ...evs(2, () => ({ k: 'b' }))]);
  assert.equal(r.main.filter((e) => e.k === 'a').length, 2, 'a: new window');
  assert.equal(r.main.filter((e) => e.k === 'b').length, 1, 'b: its window started 5 s later');
  assert.equal(r.discarded, 2);
});

test('the shared bucket expires too', async () => {
  const { rt, clock } = withClock({ threshold: 1, window: '1s' });
  assert.equal((await runTransform(rt, evs(2))).main.length, 1);
  clock.t += 1000;
  assert.equal((await runTransform(rt, evs(2))).main.length, 1);
});

test('emit_excess sends events over the threshold to the excess output instead of dropping them', async () => {
  const rt = await buildTransform(def, { threshold: 1, window: '1m', emit_excess: true });
  const r = await runTransform(rt, evs(3));
  assert.deepEqual(r.main.map((e) => e.i), [0]);
  assert.deepEqual(r.outputs.get('excess')!.map((e) => e.i), [1, 2]);
  assert.equal(r.discarded, 0);
});

test('the excess output exists only with emit_excess', () => {
  assert.deepEqual(def.dynamicOutputs!(checkConfig(def, { threshold: 1, window: '1s', emit_excess: true }) as never), ['excess']);
  assert.deepEqual(def.dynamicOutputs!(checkConfig(def, { threshold: 1, window: '1s' }) as never), []);
});

test('max_keys bounds the tracked keys; a forgotten key starts a fresh window', async () => {
  const { rt } = withClock({ threshold: 1, window: '1h', key_field: 'k', max_keys: 2 });
  await runTransform(rt, [{ k: 'a' }, { k: 'b' }, { k: 'c' }]);
  assert.equal(rt.keys, 2);
  // `a` was forgotten (its window started first): it passes again. `c` is still throttled.
  const r = await runTransform(rt, [{ k: 'a' }, { k: 'c' }]);
  assert.deepEqual(r.main.map((e) => e.k), ['a']);
  await runTransform(rt, evs(500, (i) => ({ k: `x${i}` })));
  assert.equal(rt.keys, 2);
});

test('expired keys are forgotten', async () => {
  const { rt, clock } = withClock({ threshold: 1, window: '1m', key_field: 'k' });
  await runTransform(rt, evs(20, (i) => ({ k: i })));
  assert.equal(rt.keys, 20);
  clock.t += 60_000;
  await runTransform(rt, [{ k: 'z' }]);
  assert.equal(rt.keys, 1);
});

test('config problems are reported', async () => {
  assert.throws(() => checkConfig(def, { window: '1s' }), /threshold/);
  assert.throws(() => checkConfig(def, { threshold: 1 }), /window/);
  assert.throws(() => checkConfig(def, { threshold: 0, window: '1s' }), /at least 1/);
  assert.throws(() => checkConfig(def, { threshold: 1, window: '1s', key_field: '{{ a' }), /unclosed/);
  await assert.rejects(buildTransform(def, { threshold: 1, window: 0 }), /window/);
});
