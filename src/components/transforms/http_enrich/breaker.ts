/**
 * A fail-fast circuit breaker for lookups.
 *
 * The sinks' breaker (`_shared/circuit-breaker.ts`) makes callers wait while it is open: for a
 * sink that is backpressure, which is right, because its events must arrive. An enrichment must
 * not hold the stream for a provider that is down: while open, `tryAcquire` refuses at once and
 * the events pass marked `circuit_open`. The states and their timing are the same as the sinks':
 * `failureThreshold` consecutive failed requests (network error, timeout, 408, 429, 5xx) open it
 * for `openForMs`; then one probe request is let through (half-open), and the lookups that come
 * meanwhile wait for its outcome (one request's `timeout` at most); success closes it, failure opens it again for twice as long, up to
 * `maxOpenForMs`.
 */
import type { Logger } from '../../../core/component.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Leave to send one request; report it with `success`/`failure`/`cancel` on the breaker. */
export interface Permit { readonly probe: boolean; readonly epoch: number }

export interface BreakerOptions {
  /** 0 disables the breaker. */
  failureThreshold: number;
  openForMs: number;
  maxOpenForMs: number;
  /** Names the provider in log messages. */
  target: string;
  log: Logger;
}

export class FailFastBreaker {
  private _state: BreakerState = 'closed';
  private failures = 0;
  private openFor: number;
  private openUntil = 0;
  private probeOut = false;
  /** Bumped at every state change: a report from a request sent in an earlier state is ignored. */
  private epoch = 0;
  /** Times the breaker opened (closed or half-open -> open). */
  opens = 0;
  private settle: (() => void)[] = [];

  constructor(private readonly o: BreakerOptions) {
    this.openFor = o.openForMs;
  }

  get state(): BreakerState { return this._state; }

  /** Milliseconds until a probe may go out (0 unless open). */
  remainingMs(now: number): number { return this._state === 'open' ? Math.max(0, this.openUntil - now) : 0; }

  /** True while the breaker is open and its open period has not ended: a request now would be refused. */
  refuses(now: number): boolean {
    return this.o.failureThreshold > 0 && this._state === 'open' && now < this.openUntil;
  }

  /** True while a probe is out: its outcome decides within one request's `timeout`. */
  get probing(): boolean { return this._state === 'half_open' && this.probeOut; }

  /**
   * Resolves when the probe out settles (or at once when none is). Lookups wait for it rather than
   * failing fast: the wait is bounded by one request's timeout, and when the provider is back the
   * events of the batch that sent the probe are enriched, not marked `circuit_open`.
   */
  probeSettled(): Promise<void> {
    if (!this.probing) return Promise.resolve();
    return new Promise((resolve) => this.settle.push(resolve));
  }

  /** Leave to send a request now, or null (open, or half-open with the probe out). */
  tryAcquire(now: number): Permit | null {
    if (this.o.failureThreshold <= 0 || this._state === 'closed') return { probe: false, epoch: this.epoch };
    if (this._state === 'open') {
      if (now < this.openUntil) return null;
      this.setState('half_open');
      this.o.log.info(`circuit breaker half-open: sending one probe lookup to ${this.o.target}`);
    }
    if (this.probeOut) return null;
    this.probeOut = true;
    return { probe: true, epoch: this.epoch };
  }

  /** The provider answered (any answer but 408, 429 and 5xx: it is alive). */
  success(p: Permit): void {
    if (p.epoch !== this.epoch) return;
    if (!p.probe) { this.failures = 0; return; }
    this.o.log.info(`circuit breaker closed: ${this.o.target} answered the probe; lookups resume`);
    this.openFor = this.o.openForMs;
    this.setState('closed');
  }

  /** The request failed in a way that says the provider is in trouble. */
  failure(p: Permit, reason: string, now: number): void {
    if (this.o.failureThreshold <= 0 || p.epoch !== this.epoch) return;
    if (p.probe) {
      this.openFor = Math.min(this.openFor * 2, Math.max(this.o.maxOpenForMs, this.o.openForMs));
      this.open(`the probe failed (${reason})`, now);
      return;
    }
    if (++this.failures >= this.o.failureThreshold) this.open(`${this.failures} consecutive failed lookups (last: ${reason})`, now);
  }

  /** The permitted request was not sent (stopping): free the probe slot. */
  cancel(p: Permit): void {
    if (p.probe && p.epoch === this.epoch) { this.probeOut = false; this.wake(); }
  }

  private wake(): void {
    const w = this.settle;
    if (w.length === 0) return;
    this.settle = [];
    for (const f of w) f();
  }

  private open(why: string, now: number): void {
    this.openUntil = now + this.openFor;
    this.setState('open');
    this.opens++;
    this.o.log.warn(`circuit breaker open: ${why}; lookups to ${this.o.target} fail fast (events pass with enrichment status circuit_open) for ${this.openFor} ms`, { target: this.o.target, open_for_ms: this.openFor });
  }

  private setState(st: BreakerState): void {
    this._state = st;
    this.epoch++;
    this.failures = 0;
    this.probeOut = false;
    this.wake();
  }
}
