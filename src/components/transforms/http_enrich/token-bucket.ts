/**
 * A token bucket with reservations: `reserve()` answers at once how long a request must wait for
 * its token, so a caller that will not wait that long gives up without waiting at all (the event
 * passes as `rate_limited` now, not after `max_wait`). Tokens may go below zero: each negative
 * token is a request that reserved a future slot, so waiting requests are served in the order
 * they asked and the long-run rate never exceeds `perSecond`.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(readonly perSecond: number, readonly burst: number, now: number) {
    if (!(perSecond > 0)) throw new Error('rate must be more than 0');
    this.perMs = perSecond / 1000;
    this.tokens = burst;
    this.last = now;
  }

  /**
   * Take one token. Returns the milliseconds to wait before using it (0: now), or -1 when that
   * wait would be longer than `maxWaitMs` (nothing is taken then).
   */
  reserve(now: number, maxWaitMs: number): number {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
      this.last = now;
    }
    const left = this.tokens - 1;
    const wait = left >= 0 ? 0 : Math.ceil(-left / this.perMs);
    if (wait > maxWaitMs) return -1;
    this.tokens = left;
    return wait;
  }

  /** Tokens available now (negative: reservations outstanding). For tests and stats. */
  available(now: number): number {
    return Math.min(this.burst, this.tokens + Math.max(0, now - this.last) * this.perMs);
  }
}
