import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import type { Logger } from '../../core/component.js';
import { CircuitBreaker, circuitBreakerFromConfig, type BreakerClock, type Permit } from './circuit-breaker.js';

/** A clock that only moves when told to; timers fire in order as it passes them. */
class FakeClock implements BreakerClock {
  t = Date.parse('2024-11-23T10:00:00Z');
  private timers: { at: number; fn: () => void }[] = [];
  now() { return this.t; }
  setTimer(fn: () => void, ms: number) {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => { this.timers = this.timers.filter((x) => x !== timer); };
  }
  get pending() { return this.timers.length; }
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

const settle = async () => { for (let i = 0; i < 5; i++) await tick(); };

function recordingLog() {
  const lines: { level: string; msg: string }[] = [];
  const log: Logger = {
    debug: (msg) => lines.push({ level: 'debug', msg }),
    info: (msg) => lines.push({ level: 'info', msg }),
    warn: (msg) => lines.push({ level: 'warn', msg }),
    error: (msg) => lines.push({ level: 'error', msg }),
  };
  return { log, lines, at: (level: string) => lines.filter((l) => l.level === level).map((l) => l.msg) };
}

function breaker(over: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const clock = new FakeClock();
  const rec = recordingLog();
  const b = new CircuitBreaker({ failureThreshold: 3, openForMs: 1000, maxOpenForMs: 3000, target: 'http://db.example/_bulk', log: rec.log, clock, ...over });
  return { b, clock, rec };
}

const never = new AbortController().signal;

/** Acquire and report a failure, as one failed attempt. */
async function fail(b: CircuitBreaker, reason = 'HTTP 503') {
  const p = await b.acquire(never);
  p!.failure(reason);
}

/** Start an acquire and expose whether it has resolved yet. */
function pendingAcquire(b: CircuitBreaker, signal = never) {
  const r = { done: false, permit: null as Permit | null };
  const promise = b.acquire(signal).then((p) => { r.done = true; r.permit = p; return p; });
  return Object.assign(r, { promise });
}

test('opens after failure_threshold consecutive failures; a success in between starts the count again', async () => {
  const { b, rec } = breaker();
  await fail(b); await fail(b);
  (await b.acquire(never))!.success();
  await fail(b); await fail(b);
  assert.equal(b.state, 'closed');
  await fail(b, 'connect ECONNREFUSED');
  assert.equal(b.state, 'open');
  const warns = rec.at('warn');
  assert.equal(warns.length, 1, 'the change is logged once');
  assert.match(warns[0]!, /circuit breaker open: 3 consecutive failed attempts \(last: connect ECONNREFUSED\)/);
  assert.match(warns[0]!, /until 2024-11-23T10:00:01\.000Z \(probe in 1000 ms\)/);
});

test('while open, acquire waits for the open period (no request goes out), then lets one probe through', async () => {
  const { b, clock } = breaker();
  for (let i = 0; i < 3; i++) await fail(b);
  const first = pendingAcquire(b);
  const second = pendingAcquire(b);
  await clock.advance(999);
  assert.equal(first.done || second.done, false, 'nobody may send while open');
  await clock.advance(1);
  assert.equal(b.state, 'half_open');
  assert.equal(first.done, true);
  assert.equal(first.permit!.probe, true);
  assert.equal(second.done, false, 'exactly one probe at a time');
  // Even much later, the second caller waits for the probe's outcome rather than sending too.
  await clock.advance(60_000);
  assert.equal(second.done, false);
  first.permit!.success();
  await settle();
  assert.equal(b.state, 'closed');
  assert.equal(second.done, true);
  assert.equal(second.permit!.probe, false);
});

test('a successful probe closes it (logged once at info); a failed one re-opens it for twice as long, up to max_open_for', async () => {
  const { b, clock, rec } = breaker();
  for (let i = 0; i < 3; i++) await fail(b);
  const opened: number[] = [];
  for (const expected of [2000, 3000, 3000]) {
    const probe = pendingAcquire(b);
    await clock.advance(b.remainingOpenMs);
    assert.equal(probe.permit?.probe, true);
    probe.permit!.failure('HTTP 500');
    assert.equal(b.state, 'open');
    assert.equal(b.remainingOpenMs, expected);
    opened.push(b.remainingOpenMs);
  }
  assert.deepEqual(opened, [2000, 3000, 3000]);
  assert.match(rec.at('warn').at(-1)!, /the probe request failed \(HTTP 500\).*probe in 3000 ms/);
  const probe = pendingAcquire(b);
  await clock.advance(3000);
  probe.permit!.success();
  assert.equal(b.state, 'closed');
  assert.deepEqual(rec.at('info').length, 1);
  assert.match(rec.at('info')[0]!, /circuit breaker closed/);
  // Closed again, the open period starts over at open_for.
  for (let i = 0; i < 3; i++) await fail(b);
  assert.equal(b.remainingOpenMs, 1000);
});

test('waiting on an open breaker ends when the signal aborts', async () => {
  const { b, clock } = breaker();
  for (let i = 0; i < 3; i++) await fail(b);
  const abort = new AbortController();
  const waiting = pendingAcquire(b, abort.signal);
  await clock.advance(10);
  assert.equal(waiting.done, false);
  abort.abort();
  assert.equal(await waiting.promise, null);
  assert.equal(clock.pending, 0, 'the timer is cleared');
  assert.equal(await b.acquire(abort.signal), null);
});

test('a cancelled probe frees the slot for the next caller', async () => {
  const { b, clock } = breaker();
  for (let i = 0; i < 3; i++) await fail(b);
  const first = pendingAcquire(b);
  await clock.advance(1000);
  const second = pendingAcquire(b);
  await settle();
  assert.equal(second.done, false);
  first.permit!.cancel();
  await settle();
  assert.equal(second.permit?.probe, true);
  assert.equal(b.state, 'half_open');
});

test('outcomes of requests sent before it opened do not move it again', async () => {
  const { b, clock, rec } = breaker();
  const slow = await b.acquire(never);
  for (let i = 0; i < 3; i++) await fail(b);
  slow!.failure('late timeout');
  slow!.success();
  assert.equal(b.state, 'open');
  assert.equal(b.remainingOpenMs, 1000, 'not extended');
  assert.equal(rec.at('warn').length, 1);
  await clock.advance(1000);
  assert.equal(b.state, 'open', 'half-open only once someone asks to send');
});

test('failure_threshold 0 disables it', async () => {
  const { b } = breaker({ failureThreshold: 0 });
  for (let i = 0; i < 50; i++) await fail(b);
  assert.equal(b.state, 'closed');
  assert.equal((await b.acquire(never))!.probe, false);
});

test('with real timers and short durations: a waiter resumes after open_for', async () => {
  const rec = recordingLog();
  const b = circuitBreakerFromConfig({ failure_threshold: 1, open_for: 50, max_open_for: 100 }, 'x', rec.log);
  (await b.acquire(never))!.failure('boom');
  const t0 = Date.now();
  const p = await b.acquire(never);
  assert.ok(Date.now() - t0 >= 40, `waited ${Date.now() - t0} ms`);
  assert.equal(p!.probe, true);
  p!.success();
  assert.equal(b.state, 'closed');
  assert.throws(() => circuitBreakerFromConfig({ failure_threshold: 1, open_for: 0, max_open_for: 100 }, 'x', rec.log), /open_for must be more than 0/);
});

// ---- fail fast (enrichments) ---------------------------------------------------------------------

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

test('tryAcquire: opens after the threshold, refuses without waiting until open_for, lets one probe out; failure doubles up to max', () => {
  const clock = new FakeClock();
  const t0 = clock.t;
  const b = new CircuitBreaker({ failureThreshold: 2, openForMs: 1000, maxOpenForMs: 3000, target: 't', log: quiet, clock });
  const p1 = b.tryAcquire()!;
  const p2 = b.tryAcquire()!;
  p1.failure('x');
  assert.equal(b.state, 'closed');
  b.tryAcquire()!.success();
  p2.failure('x');
  assert.equal(b.state, 'closed', 'a success in between resets the count');
  b.tryAcquire()!.failure('x');
  assert.equal(b.state, 'open');
  clock.t = t0 + 999;
  assert.ok(b.refuses() && b.tryAcquire() === null);
  clock.t = t0 + 1000;
  const probe = b.tryAcquire()!;
  assert.ok(probe.probe && b.probing && b.tryAcquire() === null, 'one probe at a time');
  probe.failure('still down');
  assert.equal(b.remainingOpenMs, 2000, 'open twice as long');
  clock.t = t0 + 3000;
  b.tryAcquire()!.failure('x');
  assert.equal(b.remainingOpenMs, 3000, 'capped at max_open_for');
  clock.t = t0 + 6000;
  b.tryAcquire()!.success();
  assert.equal(b.state, 'closed');
  assert.equal(b.opens, 3);
});

test('tryAcquire: a report from before a state change is ignored; a cancelled probe frees the slot; threshold 0 disables it', async () => {
  const clock = new FakeClock();
  const b = new CircuitBreaker({ failureThreshold: 1, openForMs: 1000, maxOpenForMs: 1000, target: 't', log: quiet, clock });
  const old = b.tryAcquire()!;
  b.tryAcquire()!.failure('x');
  assert.equal(b.state, 'open');
  old.success();
  assert.equal(b.state, 'open', 'a late success from before the opening does not close it');
  clock.t += 1000;
  const probe = b.tryAcquire()!;
  const settled = b.probeSettled();
  probe.cancel();
  await settled;
  assert.ok(b.tryAcquire()!.probe, 'the next caller may probe');
  const off = new CircuitBreaker({ failureThreshold: 0, openForMs: 1, maxOpenForMs: 1, target: 't', log: quiet, clock });
  for (let i = 0; i < 10; i++) off.tryAcquire()!.failure('x');
  assert.equal(off.state, 'closed', 'threshold 0 disables it');
});
