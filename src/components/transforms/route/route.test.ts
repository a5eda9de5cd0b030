import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTransform, checkConfig, runTransform } from '../../../engine/testing.js';
import def from './index.js';

const routes = { auth: '.class == "auth"', high: '.severity >= 4' };

test('each event goes to every route it matches; the rest to _unmatched', async () => {
  const rt = await buildTransform(def, { routes });
  const r = await runTransform(rt, [
    { n: 1, class: 'auth', severity: 1 },
    { n: 2, class: 'net', severity: 5 },
    { n: 3, class: 'auth', severity: 5 },
    { n: 4, class: 'net', severity: 1 },
    { n: 5 },
  ]);
  assert.deepEqual(r.outputs.get('auth')!.map((e) => e.n), [1, 3]);
  assert.deepEqual(r.outputs.get('high')!.map((e) => e.n), [2, 3]);
  assert.deepEqual(r.outputs.get('_unmatched')!.map((e) => e.n), [4, 5]);
  assert.equal(r.main.length, 0);
  assert.equal(r.discarded, 0);
});

test('an event on several routes is copied: each route gets an independent object', async () => {
  const rt = await buildTransform(def, { routes: { a: 'true', b: '.x.y == 1', c: 'true' } });
  const original = { x: { y: 1 }, tags: ['t'] };
  const r = await runTransform(rt, [original]);
  const [a, b, c] = ['a', 'b', 'c'].map((o) => r.outputs.get(o)![0]!);
  assert.deepEqual(a, original);
  assert.deepEqual(b, original);
  assert.equal(c, original, 'the last route takes the original, without a copy');
  assert.notEqual(a, b);
  assert.notEqual(a!.x, b!.x);
  (a!.x as { y: number }).y = 99;
  (b!.tags as string[]).push('changed');
  assert.deepEqual(c, { x: { y: 1 }, tags: ['t'] });
  assert.deepEqual(a, { x: { y: 99 }, tags: ['t'] });
});

test('reroute_unmatched: false drops unmatched events and counts them', async () => {
  const rt = await buildTransform(def, { routes, reroute_unmatched: false });
  const r = await runTransform(rt, [{ class: 'auth' }, { class: 'other' }, {}]);
  assert.equal(r.outputs.get('auth')!.length, 1);
  assert.equal(r.outputs.get('_unmatched'), undefined);
  assert.equal(r.discarded, 2);
});

test('outputs are the route names plus _unmatched (when rerouted)', () => {
  assert.deepEqual(def.dynamicOutputs!(checkConfig(def, { routes }) as never), ['auth', 'high', '_unmatched']);
  assert.deepEqual(def.dynamicOutputs!(checkConfig(def, { routes, reroute_unmatched: false }) as never), ['auth', 'high']);
});

test('a condition failing at run time sends the event to errors only, naming the route', async () => {
  const rt = await buildTransform(def, { routes: { first: 'true', bad: 'to_int(.port) > 1024' } });
  const r = await runTransform(rt, [{ port: '8080' }, { port: 'http' }]);
  assert.equal(r.outputs.get('first')!.length, 1, 'the failed event is not routed anywhere');
  assert.deepEqual(r.outputs.get('bad')!, [{ port: '8080' }]);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.error_code, 'condition_failed');
  assert.match(r.errors[0]!.reason, /^route `bad`: condition failed: .*"http"/);
  assert.deepEqual(r.errors[0]!.event, { port: 'http' });
});

test('missing fields compare as null', async () => {
  const rt = await buildTransform(def, { routes: { none: '.user.name == null', some: '.user.name != null' } });
  const r = await runTransform(rt, [{}, { user: 'x' }, { user: { name: 'ann' } }]);
  assert.equal(r.outputs.get('none')!.length, 2);
  assert.equal(r.outputs.get('some')!.length, 1);
});

test('route names must be usable as output names', async () => {
  await assert.rejects(buildTransform(def, { routes: { 'a.b': 'true' } }), /invalid route name `a.b`/);
  await assert.rejects(buildTransform(def, { routes: { errors: 'true' } }), /reserved/);
  await assert.rejects(buildTransform(def, { routes: { _unmatched: 'true' } }), /reserved/);
  await assert.rejects(buildTransform(def, { routes: {} }), /empty/);
  assert.throws(() => checkConfig(def, { routes: { a: '.x +' } }), /routes\.a/);
  assert.throws(() => checkConfig(def, {}), /routes/);
});
