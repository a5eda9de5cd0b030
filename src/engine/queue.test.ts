import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchQueue } from './queue.js';
import type { Batch } from '../core/event.js';

const batch = (n: number, bytes = n * 10): Batch => ({ events: Array.from({ length: n }, (_, i) => ({ i })), finalizers: [], bytes, origin: 'test', errors: false });

test('push waits while the queue is full in events, and resumes when the consumer is done', async () => {
  const q = new BatchQueue(10, 1e9);
  await q.push(batch(6));
  let second = false;
  const p = q.push(batch(6)).then(() => (second = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(second, false, 'the producer waits');
  const b = (await q.take())!;
  assert.equal(second, false, 'taking is not enough: room frees when processing is done');
  q.done(b);
  await p;
  assert.equal(q.events, 6);
});

test('the byte limit applies too, and an oversized batch enters an empty queue', async () => {
  const q = new BatchQueue(1000, 100);
  await q.push(batch(1, 500));
  let admitted = false;
  const p = q.push(batch(1, 50)).then(() => (admitted = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(admitted, false);
  q.done((await q.take())!);
  await p;
  assert.equal(admitted, true);
});

test('take returns batches in order, then null once closed and empty', async () => {
  const q = new BatchQueue(100, 1e9);
  await q.push(batch(1));
  await q.push(batch(2));
  q.close();
  assert.equal((await q.take())!.events.length, 1);
  assert.equal((await q.take())!.events.length, 2);
  assert.equal(await q.take(), null);
});

test('waitForData wakes on a push and keeps the batch for take', async () => {
  const q = new BatchQueue(100, 1e9);
  const w = q.waitForData(5000);
  await q.push(batch(3));
  await w;
  const b = q.tryTake();
  assert.equal(b?.events.length, 3);
  const started = Date.now();
  await q.waitForData(30);
  assert.ok(Date.now() - started >= 25, 'times out when nothing arrives');
});
