/** When to retry an HTTP delivery, and how long to wait first. Shared by the HTTP-based sinks. */
import { s } from '../../../core/schema.js';

/** `retry:` option block of the HTTP-based sinks (`http`, `elasticsearch`). */
export const retryField = () => s.object({
  attempts: s.int(0, 1000).default(10).desc('Retries after the first try (0 = none). Retrying forever is not offered: after the last retry the batch goes to the errors output (dead-letter store), from where `sluice replay` can resend it.'),
  initial_backoff: s.duration().default('1s').desc('Upper bound of the wait before the first retry; it doubles for each retry after that.'),
  max_backoff: s.duration().default('60s').desc('Longest wait between tries; also caps a server\'s Retry-After.'),
  jitter: s.enum('full', 'none').default('full').desc('`full`: wait a random time between 0 and the backoff (spreads out retries from many senders). `none`: wait exactly the backoff.'),
});

export interface RetryConfig { attempts: number; initial_backoff: number; max_backoff: number; jitter: 'full' | 'none' }

/** The policy from a parsed `retry:` block, or the defaults when the block is absent. */
export function retryPolicy(r: RetryConfig | undefined): RetryPolicy {
  return r
    ? { attempts: r.attempts, initialBackoffMs: r.initial_backoff, maxBackoffMs: r.max_backoff, jitter: r.jitter }
    : { attempts: 10, initialBackoffMs: 1000, maxBackoffMs: 60_000, jitter: 'full' };
}

export interface RetryPolicy {
  /** Retries after the first try (0 = never retry). */
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  jitter: 'full' | 'none';
}

/**
 * Exponential backoff with "full jitter": a uniform wait between 0 and the exponential cap, which
 * spreads out many senders retrying against the same recovering server.
 * `retry` counts from 0 for the first retry.
 */
export function backoffMs(p: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(p.maxBackoffMs, p.initialBackoffMs * 2 ** Math.min(retry, 40));
  return p.jitter === 'full' ? Math.round(random() * cap) : cap;
}

/** 408, 429 and 5xx may succeed later; every other non-2xx answer is permanent. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` as milliseconds to wait: delta-seconds or an HTTP date; null when absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
