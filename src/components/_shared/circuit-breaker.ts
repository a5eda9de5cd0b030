/**
 * A circuit breaker for components that send requests to one destination: sinks, and lookups
 * (`http_enrich`).
 *
 * Retries with backoff protect against a blip; they do not protect a destination that is down
 * for minutes: every batch would start its own retry ladder and the sink would keep knocking.
 * The breaker counts consecutive failed attempts (network error, timeout, retriable status)
 * across batches. At `failureThreshold` it opens: no request is sent until the open period ends,
 * and every caller (the current retry loop and the batches queued behind it) waits in
 * `acquire()`, which is backpressure towards the sources. Then it lets exactly one probe request
 * through (half-open): success closes it, failure opens it again for twice as long, up to
 * `maxOpenForMs`.
 *
 * Waiting here is not an attempt: callers count only the requests they really send, so a
 * sink's `retry.attempts` keeps its meaning.
 *
 * An enrichment must not hold the stream for a provider that is down, so it uses `tryAcquire()`
 * instead, which refuses at once while the breaker is open (its events pass marked
 * `circuit_open`), and `probeSettled()` to let lookups that arrive while the probe is out wait for
 * its outcome (one request's timeout at most) rather than fail.
 */
import { ComponentConfigError, type Logger } from '../../core/component.js';
import { s } from '../../core/schema.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Time source and timers, replaceable so tests can drive the breaker with a fake clock. */
export interface BreakerClock {
  now(): number;
  /** Call `fn` after `ms`; returns a function that cancels the call. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const realClock: BreakerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); },
};

export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the breaker; 0 disables it. */
  failureThreshold: number;
  openForMs: number;
  maxOpenForMs: number;
  /** Names the destination in log messages (no credentials). */
  target: string;
  log: Logger;
  clock?: BreakerClock;
  /** What callers do while it is open, for the log line ("events pass with status circuit_open"). */
  whileOpen?: string;
}

/**
 * Leave to send one request, from `acquire()`. Report its outcome exactly once: `success()`
 * when the destination answered (a permanent 4xx counts: it is alive), `failure()` for a network
 * error, timeout or retriable status, `cancel()` when the request was not sent or was abandoned
 * (forced stop). Later reports are ignored.
 */
export interface Permit {
  readonly probe: boolean;
  success(): void;
  failure(reason: string): void;
  cancel(): void;
}

/** `circuit_breaker:` option block, the same on every sink that uses the breaker. */
export const circuitBreakerField = () => s.object({
  failure_threshold: s.int(0, 1_000_000).default(5).desc('Consecutive failed attempts (network error, timeout, 408, 429, 5xx), counted across batches, that open the breaker. 0 disables it.'),
  open_for: s.duration().default('5s').desc('How long the breaker stays open before one probe request is let through. It doubles after each failed probe, up to `max_open_for`.'),
  max_open_for: s.duration().default('2m').desc('Longest open period.'),
}).desc('Stops sending to a destination that keeps failing. While open, no request is sent and new batches wait (backpressure reaches the sources) instead of each starting its own retries; waiting does not use up `retry.attempts`. After `open_for`, one probe request decides: success closes the breaker, failure opens it again for twice as long.');

export interface CircuitBreakerConfig { failure_threshold: number; open_for: number; max_open_for: number }

/** Defaults for when the `circuit_breaker` block is absent. */
export const defaultCircuitBreaker: CircuitBreakerConfig = { failure_threshold: 5, open_for: 5000, max_open_for: 120_000 };

/** A breaker from a parsed `circuit_breaker:` block (defaults when absent); for build(), no I/O. */
export function circuitBreakerFromConfig(c: CircuitBreakerConfig | undefined, target: string, log: Logger): CircuitBreaker {
  const cfg = c ?? defaultCircuitBreaker;
  if (cfg.failure_threshold > 0 && !(cfg.open_for > 0)) {
    throw new ComponentConfigError('circuit_breaker.open_for must be more than 0', ['circuit_breaker', 'open_for'], 'set a duration such as 5s, or failure_threshold: 0 to turn the breaker off');
  }
  return new CircuitBreaker({ failureThreshold: cfg.failure_threshold, openForMs: cfg.open_for, maxOpenForMs: cfg.max_open_for, target, log });
}

export class CircuitBreaker {
  private _state: BreakerState = 'closed';
  private failures = 0;
  private openForMs: number;
  private openUntil = 0;
  private probeOut = false;
  /** Bumped at every state change, so a report from an older request cannot flip the new state. */
  private epoch = 0;
  private wake: (() => void)[] = [];
  private readonly clock: BreakerClock;
  /** Times it opened (closed or half-open -> open). */
  opens = 0;

  constructor(private readonly o: CircuitBreakerOptions) {
    if (o.failureThreshold > 0 && !(o.openForMs > 0)) throw new Error('circuit breaker: open_for must be more than 0');
    this.openForMs = o.openForMs;
    this.clock = o.clock ?? realClock;
  }

  get state(): BreakerState { return this._state; }
  get enabled(): boolean { return this.o.failureThreshold > 0; }
  /** Milliseconds until the next probe may go out (0 unless open). */
  get remainingOpenMs(): number { return this._state === 'open' ? Math.max(0, this.openUntil - this.clock.now()) : 0; }

  /**
   * Wait until a request may be sent: at once when closed; when open, until the open period ends;
   * when half-open with the probe out, until the probe's outcome is known. Resolves null when
   * `signal` aborts first.
   */
  async acquire(signal: AbortSignal): Promise<Permit | null> {
    for (;;) {
      if (signal.aborted) return null;
      if (!this.enabled || this._state === 'closed') return this.permit(false);
      if (this._state === 'open') {
        const left = this.openUntil - this.clock.now();
        if (left > 0) { await this.wait(left, signal); continue; }
        this.setState('half_open');
        this.o.log.debug(`circuit breaker half-open: sending one probe request to ${this.o.target}`);
      }
      if (!this.probeOut) { this.probeOut = true; return this.permit(true); }
      await this.wait(null, signal);
    }
  }

  /**
   * Leave to send a request now, or null without waiting: open (its period not over), or
   * half-open with the probe out. For callers that must not wait (enrichments).
   */
  tryAcquire(): Permit | null {
    if (!this.enabled || this._state === 'closed') return this.permit(false);
    if (this._state === 'open') {
      if (this.clock.now() < this.openUntil) return null;
      this.setState('half_open');
      this.o.log.debug(`circuit breaker half-open: sending one probe request to ${this.o.target}`);
    }
    if (this.probeOut) return null;
    this.probeOut = true;
    return this.permit(true);
  }

  /** True while open with its period not over: a request now would be refused. */
  refuses(): boolean { return this.enabled && this._state === 'open' && this.clock.now() < this.openUntil; }

  /** True while the probe is out; its outcome decides within one request's timeout. */
  get probing(): boolean { return this._state === 'half_open' && this.probeOut; }

  /** Resolves when the probe out settles (at once when none is). */
  probeSettled(): Promise<void> {
    if (!this.probing) return Promise.resolve();
    return new Promise((resolve) => this.wake.push(resolve));
  }

  private permit(probe: boolean): Permit {
    const epoch = this.epoch;
    let done = false;
    const once = (fn: () => void) => () => { if (!done) { done = true; fn(); } };
    const failure = (reason: string) => { if (!done) { done = true; this.onFailure(probe, epoch, reason); } };
    return {
      probe,
      success: once(() => this.onSuccess(probe, epoch)),
      failure,
      cancel: once(() => {
        // An abandoned probe proves nothing: free the slot for the next caller.
        if (probe && this.epoch === epoch) { this.probeOut = false; this.notify(); }
      }),
    };
  }

  private onSuccess(probe: boolean, epoch: number): void {
    if (!this.enabled || epoch !== this.epoch) return;
    if (probe) {
      this.o.log.info(`circuit breaker closed: ${this.o.target} answered the probe request; sending resumes`);
      this.openForMs = this.o.openForMs;
      this.setState('closed');
    }
    this.failures = 0;
  }

  private onFailure(probe: boolean, epoch: number, reason: string): void {
    if (!this.enabled || epoch !== this.epoch) return;
    if (probe) {
      this.openForMs = Math.min(this.openForMs * 2, Math.max(this.o.maxOpenForMs, this.o.openForMs));
      this.open(`the probe request failed (${reason})`);
      return;
    }
    if (++this.failures >= this.o.failureThreshold) this.open(`${this.failures} consecutive failed attempts (last: ${reason})`);
  }

  private open(why: string): void {
    this.openUntil = this.clock.now() + this.openForMs;
    this.setState('open');
    this.opens++;
    this.o.log.warn(`circuit breaker open: ${why}; no requests to ${this.o.target} until ${new Date(this.openUntil).toISOString()} (probe in ${this.openForMs} ms)${this.o.whileOpen ? `; ${this.o.whileOpen}` : ''}`, { target: this.o.target, open_for_ms: this.openForMs });
  }

  private setState(st: BreakerState): void {
    this._state = st;
    this.epoch++;
    this.failures = 0;
    this.probeOut = false;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  /** Until `ms` passes (null: no limit), the state changes, or `signal` aborts. */
  private wait(ms: number | null, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let cancelTimer = () => {};
      const done = () => {
        cancelTimer();
        signal.removeEventListener('abort', done);
        const i = this.wake.indexOf(done);
        if (i >= 0) this.wake.splice(i, 1);
        resolve();
      };
      if (ms !== null) cancelTimer = this.clock.setTimer(done, ms);
      this.wake.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
