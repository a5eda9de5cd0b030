/** When to retry an HTTP delivery, and how long to wait first. */

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
