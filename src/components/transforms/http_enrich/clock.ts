/** Time for `http_enrich`: replaceable so tests drive TTLs, the rate limit and the breaker without sleeping. */
import { sleep } from '../../sinks/http/retry.js';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep };
